/**
 * poetry.lock, read as `poetry export` (poetry-plugin-export) reads it.
 *
 * Lock-version 2.1 and later (Poetry 2) record each package's groups and
 * markers: the lock alone says what a target needs.
 *
 * Lock-versions 1.1 (Poetry 1.1–1.2, a `category` per package) and 2.0
 * (Poetry 1.3–1.8) record no groups: the export starts from the project's
 * dependencies in pyproject.toml (the main ones, the groups asked for, the
 * optional ones when their extra is asked for) and follows each locked
 * package's `dependencies`, with their markers and the extras asked of the
 * package. The export writes each package with the "or" of the markers of
 * the ways it was reached; here the walk is made for each target with the
 * markers evaluated there, which gives the packages whose exported marker
 * holds on that target. The category of a 1.1 lock is not read: the export
 * does not read it either.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fail, type LockedFile, type LockedPackage, sha256Hex, tomlData } from './lock-data.js'
import {
  evaluateNode,
  type MarkerEnvironment,
  type MarkerNode,
  parseMarker,
  withoutExtras
} from './markers.js'
import { normalizeName } from './names.js'
import {
  allows,
  allowsPython,
  type Constraint,
  ConstraintError,
  compareVersions,
  parseConstraint,
  type PythonVersion
} from './versions.js'

/** True for a lock-version that records each package's groups (2.1 and later). */
function recordsGroups(version: string): boolean {
  const [major, minor] = version.split('.').map(Number)
  return major > 2 || (major === 2 && minor >= 1)
}

/** The lock-version a poetry.lock declares. */
export function poetryLockVersion(data: Record<string, unknown>): string {
  const meta = (data.metadata ?? {}) as Record<string, unknown>
  return String(meta['lock-version'] ?? '')
}

/**
 * poetry.lock, lock-version 2.1 or later (Poetry 2): each package says the
 * groups it belongs to and, when it is conditional, its markers (one for
 * all groups, or one per group); optional packages come in through
 * `extra == "…"` markers. A package is kept when it belongs to `main` or a
 * group asked for; its marker is then that of those groups, joined by "or".
 */
export function readPoetryLock(
  text: string,
  file: string,
  groups: readonly string[]
): LockedPackage[] {
  const data = tomlData(text, file)
  const meta = (data.metadata ?? {}) as Record<string, unknown>
  const version = String(meta['lock-version'] ?? '')
  if (!recordsGroups(version)) {
    fail(
      file,
      `has lock-version ${version || 'unknown'}, which records no groups per package: it is read with the pyproject.toml beside it.`
    )
  }
  const packages = Array.isArray(data.package)
    ? (data.package as Array<Record<string, unknown>>)
    : []
  const declared = new Set(
    packages.flatMap(p => (Array.isArray(p.groups) ? (p.groups as string[]) : []))
  )
  const unknown = groups.filter(g => !declared.has(g))
  if (unknown.length > 0) {
    fail(
      file,
      `has no group ${unknown.join(', ')} (input \`groups\`); it has ${[...declared].sort().join(', ')}.`
    )
  }
  const wanted = new Set(['main', ...groups])
  const found: LockedPackage[] = []
  for (const raw of packages) {
    const name = String(raw.name)
    const inGroups = (Array.isArray(raw.groups) ? (raw.groups as string[]) : ['main']).filter(g =>
      wanted.has(g)
    )
    if (inGroups.length === 0) continue
    let marker: string | undefined
    if (typeof raw.markers === 'string') marker = raw.markers
    else if (raw.markers && typeof raw.markers === 'object') {
      const perGroup = raw.markers as Record<string, string>
      // A group without an entry has no condition: the package is always needed there.
      if (inGroups.every(g => typeof perGroup[g] === 'string')) {
        marker = inGroups.map(g => `(${perGroup[g]})`).join(' or ')
      }
    }
    const source = (raw.source ?? {}) as Record<string, unknown>
    if (source.type === 'directory' || source.type === 'file') {
      if (source.type === 'file')
        fail(
          file,
          `locks ${name} from a local file; only index packages and local directories are supported.`
        )
      found.push({ name, hashes: [], directory: String(source.url), ...(marker ? { marker } : {}) })
      continue
    }
    if (source.type === 'git' || source.type === 'url') {
      fail(
        file,
        `locks ${name} from ${source.type === 'git' ? 'version control' : 'a URL'}; only index packages and local directories are supported.`
      )
    }
    const lockedFiles = Array.isArray(raw.files)
      ? (raw.files as Array<{ file?: string; hash?: string }>)
      : []
    const hashes = lockedFiles
      .map(f => sha256Hex(f.hash))
      .filter((h): h is string => h !== undefined)
    const named = namedFiles(lockedFiles)
    if (hashes.length === 0)
      fail(file, `locks ${name} ${String(raw.version)} without sha256 hashes.`)
    // Packages from PyPI carry no source; one from another index carries its URL.
    const index =
      source.type === 'legacy' && typeof source.url === 'string' ? source.url : undefined
    found.push({
      name,
      version: String(raw.version),
      hashes,
      ...(named.length > 0 ? { files: named } : {}),
      ...(marker ? { marker } : {}),
      ...(index ? { index } : {})
    })
  }
  return found
}

/** A requirement of the project or of a locked package, as the export reads it. */
interface Requirement {
  /** PEP 503 name. */
  name: string
  /** The version constraint; undefined when it cannot be read (every version fits). */
  constraint?: Constraint
  /** Its marker, without the Python and platform parts. */
  marker?: MarkerNode
  /** Its `python` constraint (Poetry's table), or the project's Python range. */
  python?: Constraint[]
  /** Its `platform` (Poetry's table), as a marker. */
  platform?: MarkerNode
  /** The extras asked of the package (`httpx[socks]`). */
  extras: string[]
  optional: boolean
}

/** A package of a lock before 2.1. */
interface OldLocked {
  name: string
  version: string
  optional: boolean
  python?: Constraint
  /** Its `marker` (the oldest locks). */
  marker?: MarkerNode
  requires: Requirement[]
  /** extra → the names of the dependencies it adds. */
  extras: Map<string, Set<string>>
  /** What is installed, or why it cannot be. */
  out: LockedPackage
  refused?: string
}

/** A lock before 2.1, and the walk that gives what a target needs. */
export interface WalkedLock {
  packages: LockedPackage[]
  select: (env: MarkerEnvironment) => LockedPackage[]
}

function constraintOf(text: unknown): Constraint | undefined {
  try {
    return parseConstraint(typeof text === 'string' ? text : '*')
  } catch (error) {
    if (error instanceof ConstraintError) return undefined
    throw error
  }
}

function markerOf(text: unknown, file: string, where: string): MarkerNode | undefined {
  if (typeof text !== 'string' || !text.trim()) return undefined
  try {
    return parseMarker(text)
  } catch (error) {
    return fail(file, `has a marker for ${where} that cannot be read: ${(error as Error).message}`)
  }
}

/** `platform = "linux"` of Poetry's table, as the marker Poetry makes of it. */
function platformMarker(text: unknown): MarkerNode | undefined {
  if (typeof text !== 'string' || !text.trim()) return undefined
  const items = text.split(/\s*\|\|?\s*/).map<MarkerNode>(alt => {
    const m = /^(!=|==)?\s*(.+)$/.exec(alt.trim()) as RegExpExecArray
    return {
      kind: 'compare',
      left: { var: 'sys_platform' },
      op: m[1] === '!=' ? '!=' : '==',
      right: { value: m[2] }
    }
  })
  return items.length === 1 ? items[0] : { kind: 'or', items }
}

/** One entry of a Poetry dependency table (pyproject or lock): a string or a table. */
function poetryRequirement(
  name: string,
  value: unknown,
  file: string,
  projectPython?: Constraint
): Requirement {
  const table =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  const python = [
    ...(projectPython ? [projectPython] : []),
    ...(table && typeof table.python === 'string' ? [constraintOf(table.python) ?? [[]]] : [])
  ]
  return {
    name: normalizeName(name),
    constraint: constraintOf(table ? (table.version ?? '*') : value),
    marker: markerOf(table?.markers, file, name),
    ...(python.length ? { python } : {}),
    ...(table ? { platform: platformMarker(table.platform) } : {}),
    extras: Array.isArray(table?.extras) ? (table.extras as string[]).map(normalizeName) : [],
    optional: table?.optional === true
  }
}

/** A PEP 508 requirement (`name[extra] (>=1) ; marker`, `name>=1; marker`). */
function pep508Requirement(
  text: string,
  file: string,
  projectPython?: Constraint,
  extraMarker?: MarkerNode
): Requirement {
  const [spec, ...markerParts] = text.split(';')
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(.*)$/.exec(spec)
  if (!m) fail(file, `has a requirement that cannot be read: "${text}".`)
  const [, name, extras = '', rest] = m as RegExpExecArray
  const version = rest.trim().startsWith('@') ? '*' : rest.trim().replace(/^\((.*)\)$/, '$1')
  const own = markerOf(markerParts.join(';'), file, name)
  const marker =
    own && extraMarker ? { kind: 'and' as const, items: [own, extraMarker] } : (own ?? extraMarker)
  return {
    name: normalizeName(name),
    constraint: constraintOf(version || '*'),
    ...(marker ? { marker } : {}),
    ...(projectPython ? { python: [projectPython] } : {}),
    extras: extras
      .split(',')
      .map(e => e.trim())
      .filter(Boolean)
      .map(normalizeName),
    optional: extraMarker !== undefined
  }
}

/** Entries of a Poetry dependency table; a list of tables is one requirement per entry. */
function poetryTable(
  table: unknown,
  file: string,
  projectPython?: Constraint,
  skipPython = false
): Requirement[] {
  return Object.entries((table ?? {}) as Record<string, unknown>).flatMap(([name, value]) => {
    if (skipPython && name.toLowerCase() === 'python') return []
    const entries = Array.isArray(value) ? value : [value]
    return entries.map(v => poetryRequirement(name, v, file, projectPython))
  })
}

/** The project as the export sees it: its name, Python range, and requirements by group. */
interface OldProject {
  name?: string
  python?: Constraint
  groups: Map<string, Requirement[]>
}

function readProject(text: string, file: string): OldProject {
  const data = tomlData(text, file)
  const tool = ((data.tool ?? {}) as Record<string, unknown>).poetry as
    Record<string, unknown> | undefined
  const project = data.project as Record<string, unknown> | undefined
  const poetryDeps = (tool?.dependencies ?? {}) as Record<string, unknown>
  const pythonText =
    typeof poetryDeps.python === 'string'
      ? poetryDeps.python
      : typeof project?.['requires-python'] === 'string'
        ? (project['requires-python'] as string)
        : undefined
  const python = pythonText ? constraintOf(pythonText) : undefined
  const groups = new Map<string, Requirement[]>()
  // Poetry 2 reads [project].dependencies when they are there; [tool.poetry.dependencies] otherwise.
  if (Array.isArray(project?.dependencies)) {
    const main = (project.dependencies as string[]).map(r => pep508Requirement(r, file, python))
    const optional = (project['optional-dependencies'] ?? {}) as Record<string, string[]>
    for (const [extra, requirements] of Object.entries(optional)) {
      const marker: MarkerNode = {
        kind: 'compare',
        left: { var: 'extra' },
        op: '==',
        right: { value: normalizeName(extra) }
      }
      main.push(...requirements.map(r => pep508Requirement(r, file, python, marker)))
    }
    groups.set('main', main)
  } else {
    groups.set('main', poetryTable(poetryDeps, file, python, true))
  }
  const declared = (tool?.group ?? {}) as Record<string, { dependencies?: unknown }>
  for (const [group, body] of Object.entries(declared)) {
    groups.set(group, [
      ...(groups.get(group) ?? []),
      ...poetryTable(body?.dependencies, file, python)
    ])
  }
  if (tool?.['dev-dependencies']) {
    groups.set('dev', [
      ...(groups.get('dev') ?? []),
      ...poetryTable(tool['dev-dependencies'], file, python)
    ])
  }
  const name = typeof project?.name === 'string' ? project.name : tool?.name
  return {
    ...(typeof name === 'string' ? { name: normalizeName(name) } : {}),
    ...(python ? { python } : {}),
    groups
  }
}

/** The packages of a lock before 2.1, with their dependencies and files. */
function readOldPackages(data: Record<string, unknown>, file: string): OldLocked[] {
  const raw = Array.isArray(data.package) ? (data.package as Array<Record<string, unknown>>) : []
  const meta = (data.metadata ?? {}) as Record<string, unknown>
  // Lock 1.1 keeps the files of all versions of a package under its name.
  const metaFiles = (meta.files ?? {}) as Record<string, Array<{ hash?: string }>>
  return raw.map(info => {
    const name = String(info.name)
    const version = String(info.version)
    const source = (info.source ?? {}) as Record<string, unknown>
    const files = Array.isArray(info.files)
      ? (info.files as Array<{ file?: string; hash?: string }>)
      : ((metaFiles[name] ?? []) as Array<{ file?: string; hash?: string }>)
    const named = namedFiles(files)
    const hashes = [
      ...new Set(files.map(f => sha256Hex(f.hash)).filter((h): h is string => h !== undefined))
    ]
    const extras = new Map<string, Set<string>>()
    for (const [extra, deps] of Object.entries((info.extras ?? {}) as Record<string, string[]>)) {
      extras.set(
        normalizeName(extra),
        new Set(
          (Array.isArray(deps) ? deps : []).map(d =>
            normalizeName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(d)?.[1] ?? d)
          )
        )
      )
    }
    let out: LockedPackage
    let refused: string | undefined
    if (source.type === 'directory') {
      out = { name, hashes: [], directory: String(source.url) }
    } else {
      out = {
        name,
        version,
        hashes,
        ...(named.length > 0 ? { files: named } : {}),
        ...(source.type === 'legacy' && typeof source.url === 'string' ? { index: source.url } : {})
      }
      if (source.type === 'git') refused = 'version control'
      else if (source.type === 'url') refused = 'a URL'
      else if (source.type === 'file') refused = 'a local file'
      else if (hashes.length === 0) refused = 'no sha256 hashes'
    }
    return {
      name: normalizeName(name),
      version,
      optional: info.optional === true,
      ...(typeof info['python-versions'] === 'string'
        ? { python: constraintOf(info['python-versions']) }
        : {}),
      marker: markerOf(info.marker, file, name),
      requires: poetryTable(info.dependencies, file),
      extras,
      out,
      ...(refused ? { refused } : {})
    }
  })
}

/**
 * The names of the packages the project's extras bring in, and everything
 * those depend on (`get_extra_package_names`: by name, whatever the markers).
 */
function extraPackageNames(
  packages: readonly OldLocked[],
  lockExtras: Record<string, unknown>,
  asked: readonly string[]
): Set<string> {
  const byName = new Map(packages.map(p => [p.name, p]))
  const declared = new Map(
    Object.entries(lockExtras).map(([k, v]) => [
      normalizeName(k),
      (Array.isArray(v) ? (v as string[]) : []).map(normalizeName)
    ])
  )
  const stack = asked.flatMap(e => declared.get(normalizeName(e)) ?? [])
  const seen = new Set<string>()
  while (stack.length > 0) {
    const name = stack.pop() as string
    const p = byName.get(name)
    if (!p || seen.has(name)) continue
    seen.add(name)
    stack.push(...p.requires.map(r => r.name))
  }
  return seen
}

/** True when every condition of a requirement holds on the target (markers with extras evaluated). */
function conditionsHold(
  r: Requirement,
  marker: MarkerNode | undefined,
  env: MarkerEnvironment,
  python: PythonVersion,
  file: string
): boolean {
  const evaluate = (node: MarkerNode | undefined): boolean => {
    if (!node) return true
    try {
      return evaluateNode(node, env)
    } catch (error) {
      return fail(
        file,
        `has a marker for ${r.name} that cannot be evaluated: ${(error as Error).message}`
      )
    }
  }
  return (
    evaluate(marker) && evaluate(r.platform) && (r.python ?? []).every(c => allowsPython(c, python))
  )
}

/**
 * A poetry.lock before 2.1 (lock-version 1.x or 2.0), with the
 * pyproject.toml beside it: checks the groups asked for, and returns the
 * walk that gives each target's packages.
 */
export function readOldPoetryLock(
  text: string,
  file: string,
  pyprojectText: string,
  pyprojectFile: string,
  groups: readonly string[]
): WalkedLock {
  const data = tomlData(text, file)
  const project = readProject(pyprojectText, pyprojectFile)
  const unknown = groups.filter(g => !project.groups.has(g))
  if (unknown.length > 0) {
    fail(
      file,
      `has no group ${unknown.join(', ')} (input \`groups\`): ${path.basename(pyprojectFile)} beside it declares ${[...project.groups.keys()].sort().join(', ')}.`
    )
  }
  const packages = readOldPackages(data, file)
  // Highest version first: the export prefers it.
  const byName = new Map<string, OldLocked[]>()
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p])
  for (const list of byName.values()) {
    list.sort((a, b) => -(compareVersions(a.version, b.version) ?? 0))
  }
  const roots = ['main', ...groups].flatMap(g => project.groups.get(g) ?? [])
  const lockExtras = (data.extras ?? {}) as Record<string, unknown>

  const select = (env: MarkerEnvironment): LockedPackage[] => {
    const python = { version: env.python_version, full: env.python_full_version }
    const extraNames = extraPackageNames(packages, lockExtras, env.extras)
    // The project's requirements the export starts from: a package locked as
    // optional only when one of the extras asked for brings it in.
    const selected = roots.filter(r => {
      const found = (byName.get(r.name) ?? []).filter(
        p => !r.constraint || allows(r.constraint, p.version)
      )
      const first = packages.find(p => found.includes(p))
      return first !== undefined && !(first.optional && !extraNames.has(first.name))
    })
    interface Step {
      requirement: Requirement
      /** Its marker has no condition (Poetry's AnyMarker), which decides how extras are taken out below it. */
      unconditional: boolean
      /** Whether the package itself is exported for the target (a project's requirement may hold only below it). */
      line: boolean
      from?: string
    }
    const queue: Step[] = []
    for (const r of selected) {
      const line = conditionsHold(r, r.marker, env, python, file)
      const below = withoutExtras(r.marker, true)
      if (!line && !conditionsHold(r, below, env, python, file)) continue
      const unconditional = !r.marker && !r.python?.length && !r.platform
      queue.push({ requirement: r, unconditional, line })
    }
    const chosen = new Map<string, OldLocked>()
    const exported = new Map<OldLocked, boolean>()
    const visited = new Set<string>()
    while (queue.length > 0) {
      const { requirement: r, unconditional, line, from } = queue.shift() as Step
      if (r.name === project.name) continue
      const key = `${r.name}[${[...r.extras].sort().join(',')}]${line ? '' : ' below'}`
      if (visited.has(key)) continue
      visited.add(key)
      const candidates = (byName.get(r.name) ?? []).filter(
        p =>
          (!p.python || allowsPython(p.python, python, 'region')) &&
          (!r.constraint || allows(r.constraint, p.version))
      )
      const earlier = chosen.get(r.name)
      const locked = earlier ?? candidates[0]
      if (!locked || (earlier && !candidates.includes(earlier))) {
        fail(
          file,
          `has no version of ${r.name} that fits Python ${python.full}${from ? ` for ${from}` : ''}${earlier ? ` beside ${earlier.version}, chosen before` : ''}; \`poetry export\` fails here too. Run \`poetry lock\` again.`
        )
      }
      const pkg = locked as OldLocked
      chosen.set(r.name, pkg)
      if (pkg.marker && !conditionsHold(r, pkg.marker, env, python, file)) continue
      exported.set(pkg, (exported.get(pkg) ?? false) || line)
      for (const dep of pkg.requires) {
        if (dep.optional && !r.extras.some(e => pkg.extras.get(e)?.has(dep.name))) continue
        const unconditionalDep = unconditional && !dep.python?.length && !dep.platform
        const marker = withoutExtras(dep.marker, unconditionalDep)
        if (!conditionsHold(dep, marker, env, python, file)) continue
        // The export splits the world by the Python ranges of the versions locked.
        const anyPython = (byName.get(dep.name) ?? []).every(
          p => !p.python || (p.python.length === 1 && p.python[0].length === 0)
        )
        queue.push({
          requirement: dep,
          unconditional: unconditionalDep && marker === undefined && anyPython,
          line: true,
          from: `${pkg.out.name} ${pkg.version}`
        })
      }
    }
    const needed = [...exported].filter(([, line]) => line).map(([p]) => p)
    for (const p of needed) {
      if (p.refused) {
        fail(
          file,
          p.refused === 'no sha256 hashes'
            ? `locks ${p.out.name} ${p.version} without sha256 hashes.`
            : `locks ${p.out.name} from ${p.refused}; only index packages and local directories are supported.`
        )
      }
    }
    return needed.map(p => p.out).sort((a, b) => a.name.localeCompare(b.name))
  }
  return { packages: packages.map(p => p.out), select }
}

/** A poetry.lock of any version: 2.1 and later as data, older ones walked with the pyproject.toml beside them. */
export function readPoetry(
  file: string,
  groups: readonly string[]
): { packages: LockedPackage[]; select?: WalkedLock['select']; readBy: string } {
  const text = fs.readFileSync(file, 'utf8')
  const version = poetryLockVersion(tomlData(text, file))
  if (recordsGroups(version)) {
    return {
      packages: readPoetryLock(text, file, groups),
      readBy: `the action (poetry.lock ${version} data, read as Poetry exports it)`
    }
  }
  if (!/^(1\.\d+|2\.0)$/.test(version)) {
    fail(
      file,
      `has lock-version ${version || 'unknown'}; the action reads lock-versions 1.1, 2.0 (Poetry 1) and 2.1 and later (Poetry 2).`
    )
  }
  const pyproject = path.join(path.dirname(file), 'pyproject.toml')
  if (!fs.existsSync(pyproject)) {
    fail(
      file,
      `has lock-version ${version}, which records no groups: \`poetry export\` reads the project's dependencies from the pyproject.toml beside it, and there is none. Commit pyproject.toml beside poetry.lock.`
    )
  }
  const walked = readOldPoetryLock(
    text,
    file,
    fs.readFileSync(pyproject, 'utf8'),
    pyproject,
    groups
  )
  return {
    ...walked,
    readBy: `the action (poetry.lock ${version}, walked from pyproject.toml as Poetry exports it)`
  }
}

/** The files a poetry.lock names for a package (`{ file, hash }`), with their sha256. */
function namedFiles(files: ReadonlyArray<{ file?: string; hash?: string }>): LockedFile[] {
  return files.flatMap(f => {
    const sha256 = sha256Hex(f.hash)
    return sha256 && typeof f.file === 'string' ? [{ name: f.file, sha256 }] : []
  })
}
