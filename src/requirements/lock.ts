/**
 * Lock files as the `requirements` input: pylock.toml (PEP 751),
 * Pipfile.lock and poetry.lock are read as the data they are (a poetry.lock
 * before 2.1 with the pyproject.toml beside it, poetry-lock.ts); uv.lock is read by uv itself
 * (`uv export --format pylock.toml`). A lock becomes, for each target, a
 * requirements file of exact pins with the lock's hashes and no markers:
 * the markers are evaluated here for the Lambda target (its Python, Linux,
 * its CPU), never for the runner. Local path dependencies (workspace
 * members, libraries of a monorepo) are built into wheels and pinned by the
 * hash of that wheel, so the whole install stays hash-checked.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { fail, fileNameOf, type LockedPackage, sha256Hex, tomlData } from './lock-data.js'
import { evaluateMarker, type MarkerEnvironment } from './markers.js'
import { readPoetry } from './poetry-lock.js'

export { tomlData, type LockedPackage } from './lock-data.js'
export { readOldPoetryLock, readPoetryLock } from './poetry-lock.js'

/** How a `requirements` file is read, by its name. */
export type RequirementsKind =
  'requirements' | 'pylock' | 'pipfile-lock' | 'uv-lock' | 'poetry-lock' | 'pyproject'

export function kindOf(file: string): RequirementsKind {
  const name = path.basename(file)
  if (name === 'uv.lock') return 'uv-lock'
  if (name === 'poetry.lock') return 'poetry-lock'
  if (name === 'Pipfile.lock') return 'pipfile-lock'
  if (/^pylock(\.[^.]+)?\.toml$/.test(name)) return 'pylock'
  if (name === 'pyproject.toml') return 'pyproject'
  return 'requirements'
}

export interface Lock {
  /** The lock file (absolute). */
  file: string
  kind: RequirementsKind
  packages: LockedPackage[]
  /** What read it, for the log: "uv 0.13.9" or "the action (PEP 751 data)". */
  readBy: string
  /**
   * A lock whose packages depend on the target through its dependency graph
   * (poetry.lock before 2.1): the packages a target needs.
   */
  select?: (env: MarkerEnvironment) => LockedPackage[]
}

function sha256Of(hashes: unknown): string | undefined {
  if (typeof hashes === 'object' && hashes !== null && 'sha256' in hashes) {
    const h = (hashes as { sha256: unknown }).sha256
    if (typeof h === 'string' && /^[0-9a-f]{64}$/i.test(h)) return h.toLowerCase()
  }
  return undefined
}

/** pylock.toml (PEP 751): [[packages]] with name, version, marker, wheels/sdist hashes, or a directory. */
export function readPylock(text: string, file: string): LockedPackage[] {
  const data = tomlData(text, file)
  const version = String(data['lock-version'] ?? '')
  if (!/^1(\.\d+)?$/.test(version)) {
    fail(file, `has lock-version "${version}"; this action reads PEP 751 lock-version 1.x.`)
  }
  const packages = data.packages
  if (!Array.isArray(packages)) fail(file, 'has no [[packages]].')
  return packages.map((raw: Record<string, unknown>, i) => {
    const name =
      typeof raw.name === 'string' ? raw.name : fail(file, `package ${i + 1} has no name.`)
    const marker = typeof raw.marker === 'string' ? raw.marker : undefined
    const directory = raw.directory as { path?: unknown; editable?: unknown } | undefined
    if (directory && typeof directory.path === 'string') {
      return { name, hashes: [], directory: directory.path, ...(marker ? { marker } : {}) }
    }
    if (raw.vcs) {
      fail(
        file,
        `locks ${name} from version control (vcs); only index packages and local directories are supported.`
      )
    }
    const files = [
      ...(Array.isArray(raw.wheels) ? (raw.wheels as Array<Record<string, unknown>>) : []),
      ...(raw.sdist ? [raw.sdist as Record<string, unknown>] : []),
      ...(raw.archive ? [raw.archive as Record<string, unknown>] : [])
    ]
    const hashes = files.map(f => sha256Of(f.hashes)).filter((h): h is string => h !== undefined)
    const named = files.flatMap(f => {
      const sha256 = sha256Of(f.hashes)
      const where = [f.name, f.url, f.path].find((v): v is string => typeof v === 'string')
      return sha256 && where ? [{ name: fileNameOf(where), sha256 }] : []
    })
    if (typeof raw.version !== 'string') fail(file, `locks ${name} without a version.`)
    if (hashes.length === 0) fail(file, `locks ${name} ${raw.version} without sha256 hashes.`)
    const index = typeof raw.index === 'string' ? raw.index : undefined
    return {
      name,
      version: raw.version,
      hashes: [...new Set(hashes)],
      ...(named.length > 0 ? { files: named } : {}),
      ...(marker ? { marker } : {}),
      ...(index ? { index } : {})
    }
  })
}

/**
 * Pipfile.lock: the `default` section, plus the categories in `groups`
 * (`develop`, or custom Pipfile categories).
 */
export function readPipfileLock(
  text: string,
  file: string,
  groups: readonly string[]
): LockedPackage[] {
  let data: Record<string, unknown>
  try {
    data = JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    fail(file, `is not valid JSON: ${(error as Error).message}`)
  }
  const sections = ['default', ...groups]
  const found = new Map<string, LockedPackage>()
  const meta = (data._meta ?? {}) as { sources?: Array<{ name?: unknown; url?: unknown }> }
  const sources = new Map(
    (Array.isArray(meta.sources) ? meta.sources : []).flatMap(src =>
      typeof src.name === 'string' && typeof src.url === 'string' ? [[src.name, src.url]] : []
    )
  )
  for (const section of sections) {
    const entries = data[section]
    if (entries === undefined) {
      if (section === 'default') fail(file, 'has no "default" section.')
      fail(
        file,
        `has no "${section}" category (input \`groups\`); it has ${Object.keys(data)
          .filter(k => k !== '_meta')
          .join(', ')}.`
      )
    }
    for (const [name, raw] of Object.entries(entries as Record<string, Record<string, unknown>>)) {
      const marker = typeof raw.markers === 'string' ? raw.markers : undefined
      if (typeof raw.path === 'string') {
        found.set(name, { name, hashes: [], directory: raw.path, ...(marker ? { marker } : {}) })
        continue
      }
      if (raw.git || raw.hg || raw.svn || raw.bzr) {
        fail(
          file,
          `locks ${name} from version control; only index packages and local paths are supported.`
        )
      }
      const version = typeof raw.version === 'string' ? raw.version.replace(/^==/, '') : undefined
      const hashes = (Array.isArray(raw.hashes) ? raw.hashes : [])
        .map(sha256Hex)
        .filter((h): h is string => h !== undefined)
      if (!version) fail(file, `locks ${name} without a version.`)
      if (hashes.length === 0) fail(file, `locks ${name} ${version} without sha256 hashes.`)
      // A package names its source by name; without one, the first source is its index.
      const index =
        typeof raw.index === 'string' ? sources.get(raw.index) : [...sources.values()][0]
      found.set(name, {
        name,
        version,
        hashes,
        ...(marker ? { marker } : {}),
        ...(index ? { index } : {})
      })
    }
  }
  return [...found.values()]
}

/** The packages a target needs: those whose marker holds there. */
export function packagesFor(
  packages: readonly LockedPackage[],
  env: MarkerEnvironment
): LockedPackage[] {
  return packages.filter(p => {
    if (!p.marker) return true
    try {
      return evaluateMarker(p.marker, env)
    } catch (error) {
      throw new ActionError(`The lock's marker for ${p.name}: ${(error as Error).message}`)
    }
  })
}

/** The packages of a lock a target needs. */
export function lockPackagesFor(lock: Lock, env: MarkerEnvironment): LockedPackage[] {
  return lock.select ? lock.select(env) : packagesFor(lock.packages, env)
}

/** PyPI's simple index, however the lock spells it. */
export function isPyPI(index: string): boolean {
  return /^https?:\/\/(pypi\.org|pypi\.python\.org)\/simple\/?$/i.test(index.trim())
}

/**
 * The indexes other than PyPI that the lock names for the packages given:
 * they are added to the install (PyPI itself is left to the configuration,
 * which may point at a mirror). The lock's hashes decide which files are
 * accepted, whichever index serves them.
 */
export function lockIndexes(packages: readonly LockedPackage[]): string[] {
  return [...new Set(packages.flatMap(p => (p.index && !isPyPI(p.index) ? [p.index] : [])))]
}

/** A requirements line of exact pins with the lock's hashes: `six==1.17.0 --hash=sha256:…`. */
export function pinnedLine(p: LockedPackage): string {
  return [`${p.name}==${p.version}`, ...p.hashes.map(h => `--hash=sha256:${h}`)].join(' ')
}

/** The lock's folder: where local directories resolve. */
export function lockDir(lock: Lock): string {
  return path.dirname(lock.file)
}

/** Reads a lock that is data (pylock.toml, Pipfile.lock, poetry.lock). */
export function readDataLock(file: string, groups: readonly string[]): Lock {
  const kind = kindOf(file)
  const text = fs.readFileSync(file, 'utf8')
  if (kind === 'pylock') {
    return { file, kind, packages: readPylock(text, file), readBy: 'the action (PEP 751 data)' }
  }
  if (kind === 'pipfile-lock') {
    return {
      file,
      kind,
      packages: readPipfileLock(text, file, groups),
      readBy: 'the action (Pipfile.lock data)'
    }
  }
  if (kind === 'poetry-lock') return { file, kind, ...readPoetry(file, groups) }
  throw new Error(`not a data lock: ${file}`)
}

/** A lock named by the `requirements` input, with what to take from it. */
export interface LockSource {
  kind: RequirementsKind
  /** The lock file (absolute). */
  file: string
  /** Dependency groups (PEP 735, uv, Pipfile categories) to add to the main dependencies. */
  groups: string[]
  /** The project's extras (optional dependencies) to add. */
  extras: string[]
}
