/**
 * uv as the installer: which uv runs, which manylinux target it is given,
 * how the user's pip configuration and pip-args carry over to it, and the
 * install of one target. Everything after the install (verify, compile,
 * zip) is the same as with pip; when uv cannot install a target, pip
 * installs it (see install.ts), so pip's diagnostics and source builds stay.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import type { ParsedOption } from '../requirements/pip-args.js'
import { type Architecture, ARCHITECTURES, RUNTIMES, type Runtime } from '../runtimes.js'
import { packageCodeEnv } from '../sandbox/index.js'
import { run } from '../util/process.js'
import type { InstallerEnv } from './installer-env.js'
import { normalizeName } from '../requirements/names.js'

/** The uv the action installs when none is on PATH (or the one there is too old). */
export const UV_VERSION = '0.13.9'

/** The oldest uv on PATH the action uses (manylinux_2_34 targets, --python-platform with --target). */
const MIN_PATH_UV: readonly [number, number] = [0, 8]

/** The manylinux glibc minors uv has a `--python-platform` target for. */
const UV_MANYLINUX_MINORS = [17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40]

/** `installer`: auto picks uv (from PATH, else the action's own) unless a pip option needs pip. */
export type InstallerChoice = 'auto' | 'pip' | 'uv'

export interface UvTool {
  path: string
  version: string
  /** "uv 0.13.9 from PATH" or "uv 0.13.9, installed by the action". */
  label: string
}

export interface UvTarget {
  /** `--python-platform`, e.g. "x86_64-manylinux_2_34". */
  platform: string
  /** The target glibc the platform stands for, e.g. "2.34". */
  glibc: string
  /** False when uv has no target for the runtime's own glibc and a lower one stands in. */
  exact: boolean
}

/** uv's manylinux target for glibc `major`.`minor` on `architecture`. */
function manylinuxTarget(
  architecture: Architecture,
  major: number,
  minor: number
): Omit<UvTarget, 'exact'> {
  return {
    platform: `${ARCHITECTURES[architecture].wheelArch}-manylinux_${major}_${minor}`,
    glibc: `${major}.${minor}`
  }
}

/** The highest manylinux target uv knows that the runtime's glibc allows. */
export function uvTarget(runtime: Runtime, architecture: Architecture): UvTarget {
  const [major, minor] = RUNTIMES[runtime].glibc
  const fits = UV_MANYLINUX_MINORS.filter(m => m <= minor)
  const chosen = fits[fits.length - 1] ?? UV_MANYLINUX_MINORS[0]
  return { ...manylinuxTarget(architecture, major, chosen), exact: chosen === minor }
}

/**
 * uv's next manylinux target above the runtime's glibc (manylinux_2_28 for
 * glibc 2.26), where uv checks the choice it made at an inexact target;
 * undefined when uv has none.
 */
export function uvTargetAbove(
  runtime: Runtime,
  architecture: Architecture
): Omit<UvTarget, 'exact'> | undefined {
  const [major, minor] = RUNTIMES[runtime].glibc
  const above = UV_MANYLINUX_MINORS.find(m => m > minor)
  return above === undefined ? undefined : manylinuxTarget(architecture, major, above)
}

function parseVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
}

/** The uv on PATH, when there is one recent enough; undefined otherwise. */
export async function uvOnPath(): Promise<UvTool | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, 'uv')
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
    } catch {
      continue
    }
    // In the sandbox, without credentials: a uv on PATH may have been planted.
    const answered = await run(candidate, ['--version'], { silent: true, timeoutMs: 30_000 })
    const version = parseVersion(answered.stdout)
    if (answered.exitCode !== 0 || !version) return undefined
    const [maj, min] = version
    if (maj < MIN_PATH_UV[0] || (maj === MIN_PATH_UV[0] && min < MIN_PATH_UV[1])) {
      core.info(
        `uv ${version.join('.')} on PATH (${candidate}) is older than ${MIN_PATH_UV.join('.')}; the action installs uv ${UV_VERSION} for its own use instead.`
      )
      return undefined
    }
    return {
      path: candidate,
      version: version.join('.'),
      label: `uv ${version.join('.')} from PATH`
    }
  }
  return undefined
}

/**
 * pip's effective configuration (files and PIP_* variables) as
 * option → value, for the `global` and `install` sections; the environment
 * overrides `install`, which overrides `global`, as in pip.
 */
export function parsePipConfigList(text: string): Map<string, string> {
  const rank = (section: string): number =>
    section === ':env:' ? 3 : section === 'install' ? 2 : section === 'global' ? 1 : 0
  const best = new Map<string, { rank: number; value: string }>()
  for (const line of text.split(/\r?\n/)) {
    const m = /^([^.=\s]+)\.([^=\s]+)=(['"])(.*)\3$/.exec(line.trim())
    if (!m) continue
    const [, section, option, , value] = m
    const r = rank(section)
    if (r === 0) continue
    const previous = best.get(option)
    if (!previous || previous.rank <= r) best.set(option, { rank: r, value })
  }
  return new Map([...best].map(([option, { value }]) => [option, value]))
}

/** pip's configuration as the interpreter's pip reads it in the job's environment. */
export async function readPipConfig(
  python: string,
  env: InstallerEnv
): Promise<Map<string, string>> {
  return parsePipConfigList(await env.pipConfig(python))
}

/** pip options that do not change what is installed, or that the action sets itself. */
const NO_EFFECT = new Set([
  'disable-pip-version-check',
  'no-input',
  'root-user-action',
  'progress-bar',
  'quiet',
  'verbose',
  'no-color',
  'no-python-version-warning',
  'retries',
  'resume-retries',
  'exists-action',
  'no-warn-conflicts',
  'no-warn-script-location',
  'no-compile',
  'compile',
  'cache-dir',
  'no-cache-dir',
  'break-system-packages',
  'no-clean',
  'debug',
  'log',
  'log-file',
  'local-log',
  'require-virtualenv',
  'no-user',
  'user',
  'upgrade',
  'upgrade-strategy',
  'force-reinstall',
  'ignore-installed',
  'check-build-dependencies',
  'no-build-isolation',
  'use-pep517',
  'no-use-pep517',
  'config-settings',
  'global-option',
  'isolated',
  // Set by the action for the target, whatever the configuration says.
  'only-binary',
  'target',
  'platform',
  'python-version',
  'implementation',
  'abi',
  'src',
  'prefix',
  'root'
])

/** The uv equivalent of the pip options that decide what is installed. */
export interface UvOptions {
  args: string[]
  /** Index URLs go through the environment, never the command line: they may carry credentials. */
  env: Record<string, string>
  /** Several places to look for packages: uv is told to take the best match across them, as pip does. */
  severalSources: boolean
  /** pip options uv has no equivalent for ("--no-binary", "prefer-binary in pip's configuration"). */
  unsupported: string[]
}

function truthy(value: string | undefined): boolean {
  return value === undefined || /^(1|true|yes|on)$/i.test(value.trim())
}

/**
 * Carries pip's configuration and pip-args over to uv: indexes, find-links,
 * constraints, pre-releases, trusted hosts, certificates, proxy, timeout,
 * hashes. pip-args come after the configuration, as on pip's command line.
 */
export function uvOptions(
  config: ReadonlyMap<string, string>,
  pipArgs: readonly ParsedOption[],
  workspace: string
): UvOptions {
  const args: string[] = []
  const env: Record<string, string> = {}
  const unsupported: string[] = []
  let indexUrl: string | undefined
  const extraIndexUrls: string[] = []
  let findLinks = 0
  const apply = (name: string, value: string | undefined, where: string): void => {
    const values = (value ?? '').split(/\s+/).filter(Boolean)
    switch (name) {
      case 'index-url':
      case 'pypi-url':
        indexUrl = values[0]
        return
      case 'extra-index-url':
        extraIndexUrls.push(...values)
        return
      case 'find-links':
        for (const v of values) args.push('--find-links', v)
        findLinks += values.length
        return
      case 'no-index':
        if (truthy(value)) args.push('--no-index')
        return
      case 'constraint':
        for (const v of values) args.push('--constraint', path.resolve(workspace, v))
        return
      case 'requirement':
        for (const v of values) args.push('--requirement', path.resolve(workspace, v))
        return
      case 'pre':
        if (truthy(value)) args.push('--prerelease', 'allow')
        return
      case 'trusted-host':
        for (const v of values) args.push('--allow-insecure-host', v)
        return
      case 'require-hashes':
        if (truthy(value)) args.push('--require-hashes')
        return
      case 'no-deps':
      case 'no-dependencies':
        if (truthy(value)) args.push('--no-deps')
        return
      case 'uploaded-prior-to':
        args.push('--exclude-newer', values[0] ?? '')
        return
      case 'keyring-provider':
        if (values[0] === 'subprocess' || values[0] === 'disabled') {
          args.push('--keyring-provider', values[0])
          return
        }
        break
      case 'cert':
        env.SSL_CERT_FILE = value ?? ''
        return
      case 'client-cert':
        env.SSL_CLIENT_CERT = value ?? ''
        return
      case 'proxy':
        env.HTTP_PROXY = value ?? ''
        env.HTTPS_PROXY = value ?? ''
        return
      case 'timeout':
      case 'default-timeout':
        env.UV_HTTP_TIMEOUT = String(Math.max(1, Math.round(Number(value) || 30)))
        return
      default:
        if (NO_EFFECT.has(name)) return
    }
    unsupported.push(`${name} (${where})`)
  }
  for (const [name, value] of config) apply(name, value, "pip's configuration")
  for (const option of pipArgs) apply(option.name.replace(/^--/, ''), option.value, 'pip-args')
  if (indexUrl) env.UV_INDEX_URL = indexUrl
  if (extraIndexUrls.length > 0) env.UV_EXTRA_INDEX_URL = extraIndexUrls.join(' ')
  return { args, env, unsupported, severalSources: extraIndexUrls.length + findLinks > 0 }
}

export interface UvInstallOptions {
  uv: UvTool
  python: string
  runtime: Runtime
  architecture: Architecture
  requirements: string
  targetDir: string
  cwd: string
  options: UvOptions
  /** Install exactly the listed pins (a lock): nothing is resolved. */
  noDeps: boolean
  /** The installers' environment: index, caches, scratch. */
  env: InstallerEnv
}

/** The command line of one uv install for a Lambda target (`platform`: another uv target). */
export function uvInstallArgs(
  o: Omit<UvInstallOptions, 'uv'>,
  platform = uvTarget(o.runtime, o.architecture).platform
): string[] {
  return [
    'pip',
    'install',
    '--target',
    o.targetDir,
    '--python',
    o.python,
    '--python-version',
    RUNTIMES[o.runtime].python,
    '--python-platform',
    platform,
    '--only-binary',
    ':all:',
    // Hard links when the cache is the action's own: the files of the staged
    // layer are then uv's unpacked wheels, so nothing edits a staged file in
    // place (every rewrite removes the file first), and the unpacked wheels
    // are pruned before the cache is kept. A cache the user keeps gets copies.
    '--link-mode',
    o.env.ownsCaches ? 'hardlink' : 'copy',
    '--no-progress',
    // pip takes the best match across all indexes; uv stops at the first one that
    // has the project unless told otherwise.
    ...(o.options.severalSources && !process.env.UV_INDEX_STRATEGY
      ? ['--index-strategy', 'unsafe-best-match']
      : []),
    ...o.options.args,
    ...(o.noDeps ? ['--no-deps'] : []),
    '--requirement',
    o.requirements
  ]
}

function uvEnv(o: UvInstallOptions): NodeJS.ProcessEnv {
  return {
    ...packageCodeEnv(),
    ...o.env.indexEnv(),
    ...o.options.env,
    UV_NO_PROGRESS: '1',
    // The layer is compiled by the action, for the runtime's interpreter.
    UV_COMPILE_BYTECODE: '0',
    PYTHONDONTWRITEBYTECODE: '1'
  }
}

/** The last lines of uv's output that say why it failed. */
function uvErrorExcerpt(result: { stdout: string; stderr: string }): string {
  const lines = (result.stderr || result.stdout)
    .split(/\r?\n/)
    .filter(l => l.trim() !== '' && !/^\s*(Resolved|Prepared|Downloaded|Using)/.test(l))
  return lines.slice(-8).join('\n')
}

/** Runs one uv install; the result says whether uv installed the target. */
export async function uvInstall(
  o: UvInstallOptions
): Promise<{ ok: true } | { ok: false; excerpt: string }> {
  fs.rmSync(o.targetDir, { recursive: true, force: true })
  fs.mkdirSync(o.targetDir, { recursive: true })
  const result = await run(o.uv.path, uvInstallArgs(o), {
    env: uvEnv(o),
    cwd: o.cwd,
    timeoutMs: 1_800_000,
    confine: { profile: 'install', writable: [o.targetDir] }
  })
  // uv's lock on the --target folder (empty, at its root): not part of the
  // layer. A package's own `.lock` deeper in the tree stays.
  fs.rmSync(path.join(o.targetDir, '.lock'), { force: true })
  if (result.exitCode === 0) return { ok: true }
  return { ok: false, excerpt: uvErrorExcerpt(result) }
}

/**
 * What a uv dry run would install (`+ name==version` lines), by normalized
 * name; a direct reference (`+ name @ url`) has no version here: its file is
 * the same at any target.
 */
export function parseUvPlan(output: string): Map<string, string | undefined> {
  const plan = new Map<string, string | undefined>()
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s*\+\s+([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==\s*(\S+)|@\s)/.exec(line)
    if (m) plan.set(normalizeName(m[1]), m[2])
  }
  return plan
}

/**
 * The releases uv would install with the same options at another target
 * (`platform`), from a dry run into `targetDir`, a scratch folder (emptied
 * first: a dry run leaves out what is already there). Nothing is installed.
 */
export async function uvResolve(
  o: UvInstallOptions,
  platform: string
): Promise<
  { ok: true; packages: Map<string, string | undefined> } | { ok: false; excerpt: string }
> {
  fs.rmSync(o.targetDir, { recursive: true, force: true })
  try {
    const result = await run(
      o.uv.path,
      [...uvInstallArgs(o, platform), '--dry-run', '--color', 'never'],
      {
        env: uvEnv(o),
        cwd: o.cwd,
        silent: true,
        timeoutMs: 1_800_000,
        confine: { profile: 'install', writable: [o.targetDir] }
      }
    )
    if (result.exitCode !== 0) return { ok: false, excerpt: uvErrorExcerpt(result) }
    return { ok: true, packages: parseUvPlan(`${result.stderr}\n${result.stdout}`) }
  } finally {
    fs.rmSync(o.targetDir, { recursive: true, force: true })
  }
}

/**
 * Where the releases installed (by name) and those of a check resolution
 * differ: a name only one of them has, or another version. A direct
 * reference in the check (no version) matches any version of its name.
 */
export function releaseDifferences(
  installed: ReadonlyMap<string, string>,
  check: ReadonlyMap<string, string | undefined>
): Array<{ name: string; installed?: string; check?: string }> {
  const names = [...new Set([...installed.keys(), ...check.keys()])].sort()
  return names.flatMap(name => {
    const version = installed.get(name)
    const checked = check.get(name)
    if (
      version !== undefined &&
      check.has(name) &&
      (checked === undefined || checked === version)
    ) {
      return []
    }
    return [
      {
        name,
        installed: version,
        check: check.has(name) ? (checked ?? 'a direct reference') : undefined
      }
    ]
  })
}

/** What `installer` resolves to for this run, and why (for the log). */
export interface InstallerDecision {
  installer: 'pip' | 'uv'
  reason: string
}

/**
 * `auto`: uv (the one on PATH, else the action's own, pinned by hash), when no pip
 * option uv lacks is set. On runtimes whose glibc uv has no target for, an
 * unlocked install is checked against uv's next target above (install.ts),
 * and pip installs where the two differ.
 * `uv`: uv, except where an option has no uv equivalent (an error).
 */
export function decideInstaller(o: {
  choice: InstallerChoice
  /** Where uv comes from: the project's lock (uv.lock), PATH, or the action's pinned download. */
  uv: 'project' | 'path' | 'action' | undefined
  locked: boolean
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
  unsupported: readonly string[]
}): InstallerDecision {
  if (o.choice === 'pip') return { installer: 'pip', reason: 'installer: pip' }
  if (o.choice === 'uv') {
    if (o.unsupported.length > 0) {
      throw new ActionError(
        `Input \`installer\` is uv, but uv has no equivalent for these pip options: ${o.unsupported.join(', ')}. Remove them, or set \`installer: pip\`.`
      )
    }
    return { installer: 'uv', reason: 'installer: uv' }
  }
  if (!o.uv) {
    return { installer: 'pip', reason: 'installer: auto, and no uv runs on this runner' }
  }
  if (o.unsupported.length > 0) {
    return {
      installer: 'pip',
      reason: `installer: auto, and uv has no equivalent for ${o.unsupported.join(', ')}`
    }
  }
  const from = {
    project: 'a uv project',
    path: 'uv on PATH',
    action: `uv ${UV_VERSION}, installed by the action`
  }[o.uv]
  const source = `installer: auto, ${from}`
  const architecture = o.architectures[0] ?? 'x86_64'
  const inexact = o.locked ? [] : o.runtimes.filter(r => !uvTarget(r, architecture).exact)
  if (inexact.length === 0) return { installer: 'uv', reason: source }
  const manylinux = (t: { glibc: string }): string => `manylinux_${t.glibc.replace('.', '_')}`
  const above = uvTargetAbove(inexact[0], architecture)
  const check = above
    ? `checks its choice at ${manylinux(above)}; pip installs where the two differ`
    : 'has no target above it to check that choice at, so pip installs'
  return {
    installer: 'uv',
    reason: `${source}; ${inexact.join(', ')}: uv has no target for glibc ${RUNTIMES[inexact[0]].glibc.join('.')}, installs at ${manylinux(uvTarget(inexact[0], architecture))} and ${check}`
  }
}

/**
 * Trims uv's cache at `cacheDir` for keeping between runs (`uv cache prune
 * --ci`): wheels uv built from source stay; wheels and archives downloaded
 * from an index go, since fetching them again is about as fast as restoring
 * them. Never fails the action.
 */
export async function pruneUvCache(uv: () => Promise<UvTool>, cacheDir: string): Promise<void> {
  if (!fs.existsSync(cacheDir)) return
  // No uv (the action's could not be downloaded): uv never ran, the cache is as restored.
  const tool = await uv().catch(() => undefined)
  if (!tool) return
  const result = await run(tool.path, ['cache', 'prune', '--ci'], {
    env: { ...packageCodeEnv(), UV_CACHE_DIR: cacheDir, UV_NO_PROGRESS: '1' },
    confine: { profile: 'install', writable: [cacheDir] },
    silent: true,
    timeoutMs: 120_000
  })
  if (result.exitCode !== 0) {
    // Its unpacked wheels may be the staged layer's files (hard links): not kept.
    fs.rmSync(cacheDir, { recursive: true, force: true })
    core.info(`uv cache prune --ci failed; uv's cache is not kept.`)
  }
}
