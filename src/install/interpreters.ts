/**
 * Finds a Python interpreter whose minor version matches the Lambda runtime:
 * the runner's tool cache first (where actions/setup-python and the runner
 * image put them), then python3.X on PATH, then python3 / python.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { type Runtime, RUNTIMES } from '../runtimes.js'
import { compareVersions } from '../util/format.js'
import { Once } from '../util/once.js'
import { run } from '../util/process.js'

export interface Interpreter {
  /** Absolute path (or PATH name) of the executable. */
  path: string
  /** Full version, e.g. "3.12.7". */
  version: string
  /** Where it was found, for the log. */
  source: 'tool cache' | 'PATH' | 'python-version'
}

export interface FindOptions {
  /** "3.12" */
  minor: string
  /** The python-version input: an exact version or a path. */
  override?: string
  toolCache?: string
  /** Tool-cache architecture folder: x64 or arm64. */
  hostArch?: string
  /** PATH search; injectable for tests. */
  probe?: (command: string) => Promise<string | undefined>
}

/** Asks an executable for its version; undefined when it does not run (e.g. a pyenv shim). */
export async function probeVersion(command: string): Promise<string | undefined> {
  const probe = await run(command, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    silent: true,
    timeoutMs: 20_000,
    env: { PATH: process.env.PATH, PYTHONWARNINGS: 'ignore' }
  })
  const version = probe.stdout.trim()
  return probe.exitCode === 0 && /^\d+\.\d+\.\d+$/.test(version) ? version : undefined
}

function executableIn(dir: string): string | undefined {
  const candidates =
    process.platform === 'win32'
      ? [path.join(dir, 'python.exe')]
      : [path.join(dir, 'bin', 'python3'), path.join(dir, 'bin', 'python')]
  return candidates.find(c => fs.existsSync(c))
}

/**
 * Interpreters in `<toolCache>/Python/<version>/<arch>/` whose version is
 * `minor`.x (or exactly `exact`), newest first. Free-threaded builds (a
 * separate `<arch>-freethreaded` folder) are not used: Lambda runs the
 * default build.
 */
export function toolCacheInterpreters(
  toolCache: string,
  minor: string,
  hostArch: string,
  exact?: string
): Array<{ path: string; version: string }> {
  const root = path.join(toolCache, 'Python')
  let versions: string[]
  try {
    versions = fs.readdirSync(root)
  } catch {
    return []
  }
  return versions
    .filter(v => /^\d+\.\d+\.\d+$/.test(v))
    .filter(v => (exact && exact.split('.').length === 3 ? v === exact : v.startsWith(`${minor}.`)))
    .sort((a, b) => compareVersions(b, a))
    .flatMap(version => {
      const exe = executableIn(path.join(root, version, hostArch))
      return exe ? [{ path: exe, version }] : []
    })
}

function setupPythonHint(minor: string): string {
  return [
    'Add this step before it:',
    '  - uses: actions/setup-python@v6',
    '    with:',
    `      python-version: '${minor}'`
  ].join('\n')
}

export async function findInterpreter(options: FindOptions): Promise<Interpreter> {
  const { minor, override } = options
  const probe = options.probe ?? probeVersion
  const hostArch = options.hostArch ?? (process.arch === 'arm64' ? 'arm64' : 'x64')
  const toolCache = options.toolCache ?? process.env.RUNNER_TOOL_CACHE

  if (override && !/^\d+\.\d+(\.\d+)?$/.test(override)) {
    const version = await probe(override)
    if (!version) {
      throw new ActionError(
        `Input \`python-version\` is "${override}", which does not run as Python.`
      )
    }
    if (!version.startsWith(`${minor}.`)) {
      throw new ActionError(
        `Input \`python-version\` is "${override}", which is Python ${version}; the runtime needs Python ${minor}.`
      )
    }
    return { path: override, version, source: 'python-version' }
  }

  const exact = override && override.split('.').length === 3 ? override : undefined
  if (toolCache) {
    const found = toolCacheInterpreters(toolCache, minor, hostArch, exact)[0]
    if (found) return { ...found, source: 'tool cache' }
  }
  for (const command of [`python${minor}`, 'python3', 'python']) {
    const version = await probe(command)
    if (!version) continue
    if (exact ? version === exact : version.startsWith(`${minor}.`)) {
      return { path: command, version, source: 'PATH' }
    }
    core.debug(`${command} is Python ${version}, not ${exact ?? minor}`)
  }
  const wanted = exact ? `Python ${exact}` : `Python ${minor}`
  const where = toolCache ? `the tool cache (${path.join(toolCache, 'Python')})` : 'the tool cache'
  throw new ActionError(
    `No ${wanted} interpreter found in ${where} or on PATH (python${minor}, python3, python). The runtime's own Python version must resolve the dependencies, so that environment markers and wheel tags match Lambda.\n${setupPythonHint(exact ?? minor)}`
  )
}

/** pip's version per interpreter path, asked once per run. */
const pipVersions = new Once<string, string>()

/**
 * pip's version, or an error telling how to get pip. Asked once per run
 * (a build may ask early, while something else is awaited: prepare.ts).
 */
export async function pipVersion(interpreter: Interpreter): Promise<string> {
  return await pipVersions.get(interpreter.path, async () => {
    // Importing the package, not running its command line: a tenth of the time.
    const probe = await run(interpreter.path, ['-c', 'import pip; print(pip.__version__)'], {
      silent: true,
      timeoutMs: 60_000
    })
    const stdout = probe.stdout.trim()
    if (probe.exitCode === 0 && /^\d[\w.+!-]*$/.test(stdout)) return stdout
    throw new ActionError(
      `Python ${interpreter.version} at ${interpreter.path} has no pip. Run \`${interpreter.path} -m ensurepip\` or use actions/setup-python, which installs pip.`
    )
  })
}

/** Finds the interpreter of every runtime before any install starts. */
export async function findInterpreters(
  runtimes: readonly Runtime[],
  pythonVersion?: string
): Promise<Map<Runtime, Interpreter>> {
  const found = new Map<Runtime, Interpreter>()
  for (const runtime of runtimes) {
    found.set(
      runtime,
      await findInterpreter({ minor: RUNTIMES[runtime].python, override: pythonVersion })
    )
  }
  return found
}
