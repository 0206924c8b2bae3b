/**
 * From a lock file to what pip installs for one target: the lock's packages
 * whose markers hold on the Lambda target, pinned exactly, with the lock's
 * hashes (so pip refuses any other file), installed without resolving
 * (--no-deps: the lock is the resolution). uv.lock is exported by uv itself,
 * pinned by version and hash.
 */
import * as core from '@actions/core'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ActionError } from '../errors.js'
import {
  type Lock,
  type LockedPackage,
  lockIndexes,
  lockPackagesFor,
  pinnedLine,
  readDataLock,
  type LockSource,
  readPylock
} from '../requirements/lock.js'
import { credentialsIn, redactCredentials } from '../requirements/credentials.js'
import { lambdaEnvironment } from '../requirements/markers.js'
import type { Architecture, Runtime } from '../runtimes.js'
import { packageCodeEnv } from '../sandbox/index.js'
import { Once } from '../util/once.js'
import { run } from '../util/process.js'
import type { InstallerEnv } from './installer-env.js'
import type { Interpreter } from './interpreters.js'
import { pipErrorExcerpt, targetLabel } from './pip.js'
import { repairForTarget } from './auditwheel.js'
import type { SourceBuilds } from './options.js'
import { buildEnv, mayCompile, NO_COMPILER, whereToCompile } from './no-wheel.js'
import { pinnedUv } from './pinned-uv.js'
import { type InstalledPackage, readDistributions } from '../layer/dist-info.js'
import { normalizeName } from '../requirements/names.js'
import { UV_VERSION } from './uv.js'

const reading = new Once<string, Lock>()

/** Reads the lock once per run: data locks directly, uv.lock through `uv export`. */
export async function readLock(
  source: LockSource,
  python: string,
  env: InstallerEnv
): Promise<Lock> {
  return await reading.get(JSON.stringify(source), async () => {
    if (source.kind !== 'uv-lock') return readDataLock(source.file, source.groups)
    const uv = await pinnedUv(python, env)
    const args = [
      'export',
      '--frozen',
      '--format',
      'pylock.toml',
      '--no-emit-project',
      '--no-default-groups',
      '--no-header',
      ...source.groups.flatMap(g => ['--group', g]),
      ...source.extras.flatMap(e => ['--extra', e])
    ]
    // uv reads the project; it runs no package code for an export.
    const exported = await run(uv.path, args, {
      cwd: path.dirname(source.file),
      env: { ...packageCodeEnv(), UV_NO_PROGRESS: '1' },
      // The project's files are shown to installs (main.ts, installerReads).
      confine: { profile: 'install' },
      silent: true,
      timeoutMs: 120_000
    })
    if (exported.exitCode !== 0) {
      throw new ActionError(
        `Input \`requirements\`: uv ${UV_VERSION} could not export ${path.basename(source.file)}:\n${(exported.stderr || exported.stdout).trim().split('\n').slice(-6).join('\n')}`
      )
    }
    return {
      file: source.file,
      kind: source.kind,
      packages: readPylock(exported.stdout, source.file),
      readBy: `uv ${UV_VERSION} (uv export --frozen --format pylock.toml)`
    }
  })
}

/**
 * Writes the requirements file for one target and returns its path: each
 * package whose marker holds there, as `name==version --hash=…`; each local
 * directory built into a wheel and pinned by that wheel's hash.
 */
export async function lockRequirementsFor(source: LockSource, target: LocalBuild): Promise<string> {
  const { runtime, architecture, interpreter, interpreters, workDir } = target
  const lock = await readLock(source, interpreters[0]?.path ?? interpreter.path, target.env)
  const env = lambdaEnvironment(runtime, architecture, interpreter.version, {
    extras: source.extras,
    dependencyGroups: source.groups
  })
  const needed = lockPackagesFor(lock, env)
  const indexes = lockIndexes(needed)
  for (const url of indexes) for (const secret of credentialsIn(url)) core.setSecret(secret)
  const lines: string[] = indexes.map(url => `--extra-index-url ${url}`)
  for (const p of needed) {
    lines.push(p.directory ? await localWheelLine(p, lock, target) : pinnedLine(p))
  }
  const file = path.join(workDir, `lock-${runtime}-${architecture}.txt`)
  fs.writeFileSync(file, `${lines.join('\n')}\n`)
  core.info(
    `${path.basename(lock.file)}, read by ${lock.readBy}: ${needed.length} of ${lock.packages.length} locked packages apply to ${targetLabel(runtime, architecture)} (markers evaluated for the target); installing them exactly, hash-checked, without resolving.${indexes.length ? ` Indexes named by the lock, added to pip's: ${indexes.map(redactCredentials).join(', ')}.` : ''}`
  )
  return file
}

/** The target a lock is installed for, and what building its local projects needs to know. */
export interface LocalBuild {
  runtime: Runtime
  architecture: Architecture
  /** The runtime's interpreter. */
  interpreter: Interpreter
  /** Every interpreter of the run: the lock is read, and auditwheel runs, with one of them. */
  interpreters: readonly Interpreter[]
  /** Scratch folder: the target's requirements file, local projects' wheels. */
  workDir: string
  buildFromSource: SourceBuilds
  env: InstallerEnv
}

/**
 * A local project of the lock (a workspace member, a library of the
 * repository): built into a wheel with the runtime's interpreter, never
 * editable, and pinned by the wheel's own hash. A project with compiled
 * parts is built as a source distribution of an index would be
 * (`build-from-source`): compiled only where the runner executes the target,
 * then repaired by auditwheel for the runtime's manylinux policy; elsewhere
 * no compiler runs.
 */
async function localWheelLine(p: LockedPackage, lock: Lock, b: LocalBuild): Promise<string> {
  const project = path.resolve(path.dirname(lock.file), p.directory ?? '.')
  if (!fs.existsSync(project)) {
    throw new ActionError(
      `Input \`requirements\`: ${path.basename(lock.file)} has ${p.name} at ${p.directory}, which does not exist.`
    )
  }
  const compile = mayCompile(b.buildFromSource, b.architecture)
  const label = targetLabel(b.runtime, b.architecture)
  const out = fs.mkdtempSync(path.join(b.workDir, 'local-'))
  const built = await run(
    b.interpreter.path,
    ['-m', 'pip', 'wheel', '--no-deps', '--no-cache-dir', '--wheel-dir', out, project],
    {
      env: buildEnv(b.env, compile),
      cwd: path.dirname(lock.file),
      confine: { profile: 'install', readable: [project], writable: [out] }
    }
  )
  const wheel = fs.readdirSync(out).find(f => f.endsWith('.whl'))
  if (built.exitCode !== 0 || !wheel) {
    const output = `${built.stdout}\n${built.stderr}`
    if (output.includes(NO_COMPILER)) {
      throw new ActionError(
        `The local project ${p.name} (${p.directory}) compiles machine code, and no compiler runs for ${label} here. ${whereToCompile(b.buildFromSource, b.architecture)}`
      )
    }
    throw new ActionError(
      `Building the local project ${p.name} (${p.directory}) from ${path.basename(lock.file)} failed:\n${pipErrorExcerpt(built.stdout, built.stderr, 12)}`
    )
  }
  let file = path.join(out, wheel)
  if (!wheel.endsWith('-none-any.whl')) {
    if (!compile) {
      throw new ActionError(
        `The local project ${p.name} (${p.directory}) gives machine code (${wheel}) built for this runner, not for ${label}. ${whereToCompile(b.buildFromSource, b.architecture)}`
      )
    }
    const repaired = await repairForTarget(b, file, `${p.name} (${p.directory})`)
    file = repaired.wheel
    core.info(
      `Built the local project ${p.name} (${p.directory}) for ${label} and repaired it for ${repaired.policy}: ${path.basename(file)}${repaired.vendored.length ? `, vendored ${repaired.vendored.join(', ')}` : ''}.`
    )
  }
  const digest = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
  return `${p.name} @ ${pathToFileURL(file).href} --hash=sha256:${digest}`
}

/** The tags a wheel's file name gives (`py2.py3-none-any` → py2-none-any, py3-none-any); empty for any other file. */
export function wheelFileTags(file: string): string[] {
  if (!file.endsWith('.whl')) return []
  const parts = file.slice(0, -'.whl'.length).split('-')
  if (parts.length !== 5 && parts.length !== 6) return []
  const [py, abi, platform] = parts.slice(-3).map(p => p.split('.'))
  return py.flatMap(p => abi.flatMap(a => platform.map(pl => `${p}-${a}-${pl}`))).sort()
}

/** The `Tag:` lines of a dist-info's WHEEL file, sorted; empty when it has none. */
function installedWheelTags(distInfo: string): string[] {
  let text = ''
  try {
    text = fs.readFileSync(path.join(distInfo, 'WHEEL'), 'utf8')
  } catch {
    return []
  }
  return [...text.matchAll(/^Tag:\s*(\S+)\s*$/gm)].map(m => m[1]).sort()
}

/**
 * The packages of a site installed from a lock, each without a known origin
 * given the SHA-256 of the lock's wheel that it was installed from: the
 * one file of its lock entry whose name carries exactly the tags of the
 * installed WHEEL. What uv, which reports no files, leaves unknown.
 */
export async function withLockedOrigins(
  source: LockSource,
  python: string,
  env: InstallerEnv,
  siteDir: string,
  packages: readonly InstalledPackage[]
): Promise<InstalledPackage[]> {
  if (packages.every(p => p.sha256 || p.builtFromSource)) return [...packages]
  const lock = await readLock(source, python, env)
  const locked = new Map(lock.packages.map(p => [`${normalizeName(p.name)}==${p.version}`, p]))
  const distInfos = new Map(
    (await readDistributions(siteDir)).map(d => [`${normalizeName(d.name)}==${d.version}`, d])
  )
  return packages.map(p => {
    if (p.sha256 || p.builtFromSource) return p
    const key = `${normalizeName(p.name)}==${p.version}`
    const files = locked.get(key)?.files ?? []
    const dist = distInfos.get(key)
    if (!dist || files.length === 0) return p
    const tags = installedWheelTags(dist.distInfo).join(' ')
    const matching = files.filter(f => tags !== '' && wheelFileTags(f.name).join(' ') === tags)
    const digests = new Set(matching.map(f => f.sha256))
    return digests.size === 1 ? { ...p, sha256: [...digests][0] } : p
  })
}
