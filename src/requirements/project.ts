/**
 * What the `requirements` input names, recognised by file name: a
 * requirements file (as before), a lock file (pylock.toml, Pipfile.lock,
 * poetry.lock, uv.lock), or a pyproject.toml, which means the lock beside it when there
 * is one and its `[project].dependencies` otherwise. Everything is read and
 * checked here, before anything else runs.
 */
import * as core from '@actions/core'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { kindOf, type LockSource, readDataLock, type RequirementsKind, tomlData } from './lock.js'
import { declaredPython, type DeclaredPython } from './python-range.js'
import { fingerprint, requirementLines, type RequirementsTree } from './tree.js'
import { runnerTemp } from '../util/runner-temp.js'
import { normalizeName } from './names.js'

export interface ProjectInput {
  /** The requirements file pip reads (for a pyproject without a lock: one written from it). */
  file: string
  /** The lock, when the input is one. */
  lock?: LockSource
  /** For a lock: what decides its content, for the cache key. */
  tree?: RequirementsTree
  /** The Python range the project declares, checked against the runtimes before anything is installed. */
  python?: DeclaredPython
}

const LOCKS_BESIDE_PYPROJECT = ['uv.lock', 'pylock.toml', 'poetry.lock', 'Pipfile.lock']

function fail(why: string): never {
  throw new ActionError(`Input \`requirements\`: ${why}`)
}

function readToml(file: string): Record<string, unknown> {
  return tomlData(fs.readFileSync(file, 'utf8'), file)
}

/**
 * A dependency group of pyproject.toml (PEP 735), with its
 * `{include-group = "…"}` entries expanded.
 */
function groupRequirements(
  groups: Record<string, unknown>,
  name: string,
  seen: string[] = []
): string[] {
  const key = Object.keys(groups).find(k => normalizeName(k) === normalizeName(name))
  if (key === undefined) {
    fail(
      `pyproject.toml has no dependency group "${name}" (input \`groups\`); it has ${Object.keys(groups).join(', ') || 'none'}.`
    )
  }
  if (seen.includes(normalizeName(name))) {
    fail(
      `pyproject.toml's dependency groups include each other in a loop (${[...seen, name].join(' → ')}).`
    )
  }
  const entries = groups[key as string]
  if (!Array.isArray(entries)) fail(`pyproject.toml's dependency group "${key}" is not a list.`)
  return (entries as unknown[]).flatMap(entry => {
    if (typeof entry === 'string') return [entry]
    const include = (entry as { 'include-group'?: unknown })?.['include-group']
    if (typeof include === 'string') {
      return groupRequirements(groups, include, [...seen, normalizeName(name)])
    }
    return fail(
      `pyproject.toml's dependency group "${key}" has an entry that is neither a requirement nor an include-group.`
    )
  })
}

/** The requirements of a pyproject.toml without a lock: dependencies, the extras and groups asked for. */
function projectRequirements(file: string, groups: string[], extras: string[]): string[] {
  const data = readToml(file)
  const project = data.project as Record<string, unknown> | undefined
  if (!project) fail('pyproject.toml has no [project] table, and no lock file beside it.')
  const dependencies = Array.isArray(project.dependencies) ? (project.dependencies as string[]) : []
  const optional = (project['optional-dependencies'] ?? {}) as Record<string, string[]>
  const lines = [...dependencies]
  for (const extra of extras) {
    const key = Object.keys(optional).find(k => normalizeName(k) === normalizeName(extra))
    if (key === undefined) {
      fail(
        `pyproject.toml has no optional dependencies "${extra}" (input \`extras\`); it has ${Object.keys(optional).join(', ') || 'none'}.`
      )
    }
    lines.push(...optional[key as string])
  }
  const declared = (data['dependency-groups'] ?? {}) as Record<string, unknown>
  for (const group of groups) lines.push(...groupRequirements(declared, group))
  // A requirement on the project itself (an extra pulling another): the layer carries dependencies only.
  const self = typeof project.name === 'string' ? normalizeName(project.name) : undefined
  return lines.filter(
    l => !self || normalizeName(/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(l)?.[0] ?? '') !== self
  )
}

/**
 * Checks that a data lock has the groups and extras asked for, and lists
 * what decides its content: the lock, and the local projects it installs.
 */
function lockTree(
  kind: RequirementsKind,
  file: string,
  workspace: string,
  groups: string[],
  extras: string[]
): RequirementsTree {
  const rel = path.relative(workspace, file)
  const lines = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map(l => l.trimEnd())
    .filter(Boolean)
  const requirements = [{ name: rel, lines }]
  const localPaths: RequirementsTree['localPaths'] = []
  const dir = path.dirname(file)
  if (kind === 'pylock' || kind === 'pipfile-lock' || kind === 'poetry-lock') {
    if (kind === 'poetry-lock') {
      // Extras: those the lock declares.
      const declared = Object.keys((readToml(file).extras ?? {}) as Record<string, unknown>)
      const unknown = extras.filter(e => !declared.map(normalizeName).includes(normalizeName(e)))
      if (unknown.length > 0) {
        fail(
          `poetry.lock has no extras ${unknown.join(', ')} (input \`extras\`); it has ${declared.join(', ') || 'none'}.`
        )
      }
    }
    if (kind === 'pipfile-lock' && extras.length > 0) {
      fail(
        `Pipfile.lock has no extras (input \`extras\`: ${extras.join(', ')}); Pipfile categories are chosen with \`groups\`.`
      )
    }
    const lock = readDataLock(file, groups)
    if (lock.select) {
      // A poetry.lock before 2.1 is walked from the pyproject.toml beside it.
      const pyproject = path.join(dir, 'pyproject.toml')
      requirements.push({
        name: path.relative(workspace, pyproject),
        lines: fs.readFileSync(pyproject, 'utf8').split(/\r?\n/)
      })
    }
    if (kind === 'pylock') {
      const data = readToml(file)
      for (const [input, key, asked] of [
        ['extras', 'extras', extras],
        ['groups', 'dependency-groups', groups]
      ] as const) {
        const declared = ((data[key] ?? []) as string[]).map(normalizeName)
        const unknown = asked.filter(a => !declared.includes(normalizeName(a)))
        if (unknown.length > 0) {
          fail(
            `${path.basename(file)} has no ${key} ${unknown.join(', ')} (input \`${input}\`); it has ${declared.join(', ') || 'none'}.`
          )
        }
      }
    }
    for (const p of lock.packages) {
      if (p.directory) localPaths.push({ name: p.directory, path: path.resolve(dir, p.directory) })
    }
  } else if (kind === 'uv-lock') {
    const data = readToml(file)
    if (!Array.isArray(data.package))
      fail(`${path.basename(file)} has no [[package]]: is it a uv lock?`)
    // uv reads the project's pyproject.toml (groups, extras) beside the lock.
    const pyproject = path.join(dir, 'pyproject.toml')
    if (fs.existsSync(pyproject)) {
      requirements.push({
        name: path.relative(workspace, pyproject),
        lines: fs.readFileSync(pyproject, 'utf8').split(/\r?\n/)
      })
    }
    for (const p of data.package as Array<{ source?: Record<string, unknown> }>) {
      const local = p.source?.directory ?? p.source?.editable
      if (typeof local === 'string' && local !== '.') {
        localPaths.push({ name: local, path: path.resolve(dir, local) })
      }
    }
  }
  requirements.push({
    name: 'groups and extras',
    lines: [`groups=${groups.join(',')}`, `extras=${extras.join(',')}`]
  })
  return {
    file,
    requirements,
    localPaths: localPaths.map(p => ({ ...p, digest: fingerprint(p.path) }))
  }
}

/** Reads the `requirements` input by its file name (see the module comment). */
export function readProjectInput(
  file: string,
  workspace: string,
  groups: string[],
  extras: string[]
): ProjectInput {
  let kind = kindOf(file)
  let target = file
  if (kind === 'pyproject') {
    const beside = LOCKS_BESIDE_PYPROJECT.map(n => path.join(path.dirname(file), n)).find(f =>
      fs.existsSync(f)
    )
    if (beside) {
      core.info(
        `requirements: ${path.basename(file)} has ${path.basename(beside)} beside it: installing what the lock pins.`
      )
      target = beside
      kind = kindOf(beside)
    } else {
      const python = declaredPython('pyproject', file)
      const lines = projectRequirements(file, groups, extras)
      const dir = runnerTemp('lambda-python-layer-inputs')
      fs.mkdirSync(dir, { recursive: true })
      const digest = crypto.createHash('sha256').update(file).digest('hex').slice(0, 12)
      const written = path.join(dir, `pyproject-${digest}.txt`)
      fs.writeFileSync(written, `${lines.join('\n')}\n`)
      core.info(
        `requirements: ${path.basename(file)} has no lock beside it: installing its [project].dependencies${extras.length ? ` with extras ${extras.join(', ')}` : ''}${groups.length ? ` and groups ${groups.join(', ')}` : ''} (${lines.length} requirements), resolved by pip for the target.`
      )
      return { file: written, ...(python ? { python } : {}) }
    }
  }
  if (kind === 'pylock' && isRequirementsText(fs.readFileSync(target, 'utf8'))) {
    core.notice(
      `requirements: ${path.basename(target)} is a requirements file, not a PEP 751 lock (older \`uv export -o pylock.toml\` wrote one): it is read as a requirements file, its pins and hashes as they are. To have a PEP 751 lock, export it again with \`uv export --format pylock.toml\`; or name it requirements.txt.`
    )
    kind = 'requirements'
  }
  if (kind === 'requirements') {
    if (groups.length > 0 || extras.length > 0) {
      fail(
        `\`groups\` and \`extras\` choose from a lock file or a pyproject.toml; ${path.basename(target)} is a requirements file, which has neither.`
      )
    }
    return { file: target }
  }
  const python = declaredPython(kind, target)
  return {
    file: target,
    lock: { kind, file: target, groups, extras },
    tree: lockTree(kind, target, workspace, groups, extras),
    ...(python ? { python } : {})
  }
}

/**
 * True for a file that is not TOML but reads as a requirements file: every
 * line a requirement (`name==1.0 --hash=…`, `name @ url`) or a pip option.
 */
function isRequirementsText(text: string): boolean {
  try {
    tomlData(text, 'pylock.toml')
    return false
  } catch {
    // Not TOML: is it requirements?
  }
  const lines = requirementLines(text)
  return (
    lines.length > 0 &&
    lines.every(l =>
      /^(-{1,2}[A-Za-z][\w-]*(\s|=|$)|[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*(\(|===?|>=|<=|!=|~=|>|<|@|;|$))/.test(
        l
      )
    )
  )
}
