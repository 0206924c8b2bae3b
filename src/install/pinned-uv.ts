/**
 * The uv the action runs when none is on PATH: uv's wheel from the package
 * index in effect (pip downloads it, pinned by hash), its `uv` executable
 * unpacked into the runner's temp folder.
 *
 * The wheel is kept where a later run finds it: the runner's tool cache
 * (a self-hosted runner downloads it once) and the download cache (a hosted
 * runner gets it back with its other downloads after an edit). A kept wheel
 * is used only when its SHA-256 is the pinned one, so neither place is
 * trusted.
 */
import * as core from '@actions/core'
import AdmZip from 'adm-zip'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { ActionError, errorMessage } from '../errors.js'
import { Once } from '../util/once.js'
import { run } from '../util/process.js'
import { runnerTemp } from '../util/runner-temp.js'
import type { InstallerEnv } from './installer-env.js'
import { pipErrorExcerpt } from './pip.js'
import { readPipConfig, UV_VERSION, type UvTool } from './uv.js'

/** A wheel of uv on PyPI, pinned by its SHA-256 (hex), and its `uv` executable's. */
export interface PinnedWheel {
  file: string
  sha256: string
  url: string
  /** SHA-256 (hex) of the `uv` executable in it (its RECORD row). */
  exeSha256: string
}

const PYPI_FILES = 'https://files.pythonhosted.org/packages'

/** uv's wheels for the runners it runs on, by the wheel tag's machine. */
export const UV_WHEELS: Record<'x86_64' | 'aarch64', PinnedWheel> = {
  x86_64: {
    file: `uv-${UV_VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`,
    sha256: 'd7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19',
    url: `${PYPI_FILES}/3d/aa/26d64642d808de4a652579ef950d7cd2d37f080a8babf9c67c6b75fc4c3f`,
    exeSha256: 'b73acdf73b96c3ac9e56d2fa933427b3ee6a901e3cce6ba1e3ecb3f91ca0d86a'
  },
  aarch64: {
    file: `uv-${UV_VERSION}-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl`,
    sha256: '5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe',
    url: `${PYPI_FILES}/57/15/94b6cd62ac3ff6550288328e8035288875197cbc183f51554b266a69877b`,
    exeSha256: 'bbecb5ac518030bb5e84f1999c577228460192832ac24a92bd772735682979f4'
  }
}

/** The wheel tag's machine for this runner, when uv has a pinned wheel for it. */
export function runnerMachine(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch
): keyof typeof UV_WHEELS | undefined {
  if (platform !== 'linux') return undefined
  if (arch === 'x64') return 'x86_64'
  if (arch === 'arm64') return 'aarch64'
  return undefined
}

/** Whether the pinned uv can run on this runner (Linux, x86_64 or aarch64). */
export function pinnedUvRuns(): boolean {
  return runnerMachine() !== undefined
}

/**
 * Where uv is looked for and kept, unpacked: the download cache's tools
 * folder (restored and saved with it, whoever manages the installers'
 * caches), the tool cache. Unpacked, a run after an edit skips inflating
 * 38 MB (a third of a second here).
 */
function keptDirs(machine: keyof typeof UV_WHEELS, env: InstallerEnv): string[] {
  const dirs: string[] = []
  if (env.keptTools) dirs.push(env.keptTools)
  const toolCache = process.env.RUNNER_TOOL_CACHE
  if (toolCache) dirs.push(path.join(toolCache, 'lambda-python-layer-uv', UV_VERSION, machine))
  return dirs
}

const inflateRaw = promisify(zlib.inflateRaw)

const sha256Hex = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex')

/**
 * The bytes of the pinned wheel in `dir`, if it is there with its pinned
 * SHA-256. Read once: what is checked is what is unpacked.
 */
export function keptWheel(dir: string, wheel: PinnedWheel): Buffer | undefined {
  try {
    const bytes = fs.readFileSync(path.join(dir, wheel.file))
    return sha256Hex(bytes) === wheel.sha256 ? bytes : undefined
  } catch {
    return undefined
  }
}

/** The name a kept executable has: its version and machine, as the pin it is checked against. */
export const keptExeName = (wheel: PinnedWheel): string =>
  `uv-${UV_VERSION}-${wheel.file.includes('aarch64') ? 'aarch64' : 'x86_64'}`

/**
 * The bytes of the pinned `uv` executable kept in `dir`, if it is there
 * with its pinned SHA-256. Read once: what is checked is what runs.
 */
export function keptExe(dir: string, wheel: PinnedWheel): Buffer | undefined {
  try {
    const bytes = fs.readFileSync(path.join(dir, keptExeName(wheel)))
    return sha256Hex(bytes) === wheel.exeSha256 ? bytes : undefined
  } catch {
    return undefined
  }
}

/**
 * Writes `bytes` to `to` through a partial file, so that a reader never
 * sees half of it; replaces anything of that name.
 */
function writeAtomically(to: string, bytes: Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(to), { recursive: true })
  const partial = `${to}.${process.pid}.partial`
  fs.writeFileSync(partial, bytes, { mode })
  fs.renameSync(partial, to)
}

/** Keeps the verified executable in `dir` unless it is there already; never fails. */
function keep(exe: Buffer, wheel: PinnedWheel, dir: string): void {
  if (keptExe(dir, wheel)) return
  try {
    writeAtomically(path.join(dir, keptExeName(wheel)), exe, 0o755)
  } catch (error) {
    core.debug(`Could not keep uv ${UV_VERSION} in ${dir}: ${String(error)}`)
  }
}

/** How long the direct download may take before pip is asked instead. */
const FETCH_TIMEOUT_MS = 60_000

/**
 * Whether the wheel may be fetched from PyPI's file URL directly, without
 * starting pip: PyPI is the index in effect, and neither pip's
 * configuration nor the environment names a proxy or a client certificate.
 * With any of these, only pip reaches the index the way the user set up.
 */
export function fetchesDirectly(config: Map<string, string>, env: NodeJS.ProcessEnv): boolean {
  const redirected = ['index-url', 'no-index', 'proxy', 'client-cert'].some(o => config.has(o))
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'].some(v => env[v])
  return !redirected && !proxied && !env.PIP_INDEX_URL && !env.PIP_PROXY
}

/**
 * The pinned wheel fetched from PyPI's file URL with Node (0.2 s here,
 * against 1.7 s for pip to start and download it). Undefined when it cannot
 * be had this way (no network path, another CA, a timeout, other bytes):
 * pip is asked then, and says why if it fails too.
 */
export async function fetchWheel(
  wheel: Pick<PinnedWheel, 'file' | 'url' | 'sha256'>
): Promise<Buffer | undefined> {
  try {
    const response = await fetch(`${wheel.url}/${wheel.file}`, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS)
    })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    const bytes = Buffer.from(await response.arrayBuffer())
    if (sha256Hex(bytes) !== wheel.sha256) throw new Error('not the pinned SHA-256')
    return bytes
  } catch (error) {
    core.info(`Fetching ${wheel.file} from PyPI failed (${errorMessage(error)}); pip downloads it.`)
    return undefined
  }
}

/**
 * Downloads the pinned wheel: directly from PyPI when nothing redirects
 * the index (fetchesDirectly), else, or when that fails, with pip (the
 * user's proxy, certificates and timeouts apply). When the index in effect is PyPI, pip is handed the
 * file's URL on PyPI: the same file, without reading uv's 2.6 MB project
 * page (0.7 s instead of 1.7 s); with another index (a mirror, CodeArtifact)
 * pip finds it there.
 */
async function downloadWheel(
  python: string,
  wheel: PinnedWheel,
  installerEnv: InstallerEnv
): Promise<Buffer> {
  const config = await readPipConfig(python, installerEnv)
  const env: NodeJS.ProcessEnv = installerEnv.tools()
  if (fetchesDirectly(config, env)) {
    core.info(`Downloading uv ${UV_VERSION} (pinned by hash) from PyPI`)
    const fetched = await fetchWheel(wheel)
    if (fetched) return fetched
  }
  const dest = fs.mkdtempSync(runnerTemp('lambda-python-layer-uv-'))
  const pypi = !config.has('index-url') && !config.has('no-index') && !env.PIP_INDEX_URL
  const pins = path.join(dest, 'pins.txt')
  const requirement = pypi ? `uv @ ${wheel.url}/${wheel.file}` : `uv==${UV_VERSION}`
  fs.writeFileSync(pins, `${requirement} --hash=sha256:${wheel.sha256}\n`)
  core.info(`Downloading uv ${UV_VERSION} (pinned by hash) with pip${pypi ? ' from PyPI' : ''}`)
  const result = await run(
    python,
    [
      '-m',
      'pip',
      'download',
      '--dest',
      dest,
      '--no-deps',
      '--only-binary=:all:',
      '--no-cache-dir',
      '--require-hashes',
      '-r',
      pins
    ],
    // The pin is exact: constraint and requirement files do not apply.
    { env, silent: true, timeoutMs: 300_000, confine: { profile: 'install', writable: [dest] } }
  )
  const downloaded = keptWheel(dest, wheel)
  fs.rmSync(dest, { recursive: true, force: true })
  if (result.exitCode !== 0 || !downloaded) {
    const said = pipErrorExcerpt(result.stdout, result.stderr, 8)
    throw new ActionError(
      `Downloading uv ${UV_VERSION} failed${said ? `:\n${said}` : ''}\nThe package index in effect must serve ${wheel.file}.`
    )
  }
  return downloaded
}

/**
 * The wheel's `uv` executable, inflated on the thread pool (38 MB: a third
 * of a second the event loop keeps for the rest of the run), checked
 * against its pin.
 */
async function unpack(bytes: Buffer, wheel: PinnedWheel): Promise<Buffer> {
  const entry = new AdmZip(bytes).getEntry(`uv-${UV_VERSION}.data/scripts/uv`)
  const raw = entry?.getCompressedData()
  const data = entry && raw && entry.header.method === 8 ? await inflateRaw(raw) : entry?.getData()
  if (!entry || !data || data.length === 0 || sha256Hex(data) !== wheel.exeSha256) {
    throw new ActionError(`${wheel.file} holds no uv executable of the pinned SHA-256.`)
  }
  return data
}

/** Where the executable goes, once per run. */
const EXE = (): string => runnerTemp('lambda-python-layer-tools', `uv-${UV_VERSION}`, 'uv')

/** The executable, kept or unpacked from the wheel, and written where it runs: once per run. */
const unpacked = new Once<string, Buffer>()
/** The folders that hold the executable already (the one it was read from, those it was written to). */
const keptIn = new Set<string>()

/**
 * The pinned uv, ready to run: kept unpacked, else from a downloaded wheel
 * (directly from PyPI, or with `python`'s pip). Written once per run; the
 * executable is kept in every place a later run looks (the download cache
 * only exists once it is restored, so each call keeps it there too).
 */
export async function pinnedUv(python: string, env: InstallerEnv): Promise<UvTool> {
  const machine = runnerMachine()
  if (!machine) {
    throw new ActionError(
      `The action's uv ${UV_VERSION} runs on Linux x86_64 and aarch64 runners; this one is ${process.platform} ${process.arch}. Put uv on PATH (astral-sh/setup-uv), or set \`installer: pip\`.`
    )
  }
  const pinned = UV_WHEELS[machine]
  const exe = await unpacked.get(EXE(), async () => {
    let bytes: Buffer | undefined
    for (const dir of keptDirs(machine, env)) {
      bytes = keptExe(dir, pinned)
      if (bytes) {
        keptIn.add(dir)
        break
      }
    }
    bytes ??= await unpack(await downloadWheel(python, pinned, env), pinned)
    writeAtomically(EXE(), bytes, 0o755)
    return bytes
  })
  for (const dir of keptDirs(machine, env)) {
    if (keptIn.has(dir)) continue
    keep(exe, pinned, dir)
    keptIn.add(dir)
  }
  return {
    path: EXE(),
    version: UV_VERSION,
    label: `uv ${UV_VERSION}, installed by the action`
  }
}
