/**
 * The one way the action runs a program: pip, the interpreters' probes,
 * compileall and the smoke test all go through run().
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { ActionError } from '../errors.js'
import { type Confinement, PROBE, Sandbox, type SandboxSettings } from '../sandbox/index.js'
import { cancellation } from './cancel.js'

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Keep the output out of the log (it is still returned). Default false: echo the command and stream its output. */
  silent?: boolean
  /** Kill the process (SIGKILL) after this many milliseconds; `timedOut` is then true. */
  timeoutMs?: number
  /** What the program may see and do in the sandbox (default: the `code` profile, no writes). */
  confine?: Confinement
  /** The sandbox to start it in instead of the run's (a form of isolation being tried). */
  sandbox?: Sandbox
}

export interface RunResult {
  /** The exit code; -1 when the process was killed by a signal or did not start. */
  exitCode: number
  /** The signal that ended it, if any ("SIGKILL", "SIGSEGV", ...). */
  signal?: string
  timedOut: boolean
  stdout: string
  stderr: string
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string
}

/** Quotes an argument for the echoed command line (display only). */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

/** The programs running now, each with how to stop it at once (for stopPrograms). */
const running = new Map<ChildProcess, () => void>()

/** Why programs may not run now (stopPrograms), if they may not. */
let stopped: string | undefined

/** The sandbox every program starts in, once the run has opened one. */
let sandbox: Sandbox | undefined

/**
 * The sandbox of a run (input `sandbox`): the strongest isolation this
 * runner allows, each form tried by starting the probe program in it.
 */
export async function openSandbox(settings: SandboxSettings): Promise<Sandbox> {
  return await Sandbox.open(settings, async box => {
    const result = await run(PROBE.command, PROBE.args, {
      silent: true,
      timeoutMs: 20_000,
      env: { PATH: '/usr/bin:/bin' },
      sandbox: box
    })
    if (result.exitCode === 0) return undefined
    const said = (result.spawnError ?? result.stderr).trim().split('\n').slice(-2).join(' ')
    return said || `exit ${result.signal ?? result.exitCode}`
  })
}

/** Starts every later program in `box` (undefined: as they are). */
export function useSandbox(box: Sandbox | undefined): void {
  sandbox = box
}

/**
 * Writes a program's output to the log so that none of it is taken as a
 * workflow command (::set-output, ::add-mask::, ::stop-commands:: ...):
 * each piece between `::stop-commands::<token>` and `::<token>::`, the
 * token random and never shown to the program.
 */
export class UntrustedOutput {
  private readonly token = randomBytes(16).toString('hex')
  private pending = ''

  constructor(private readonly write: (text: string) => void = t => process.stdout.write(t)) {}

  /** Writes the complete lines of `chunk`, keeping a partial last line for later. */
  push(chunk: string): void {
    const text = this.pending + chunk
    const end = text.lastIndexOf('\n')
    if (end === -1) {
      this.pending = text
      return
    }
    this.pending = text.slice(end + 1)
    this.emit(text.slice(0, end + 1))
  }

  /** Writes what is left. */
  end(): void {
    if (this.pending) this.emit(`${this.pending}\n`)
    this.pending = ''
  }

  private emit(lines: string): void {
    this.write(`::stop-commands::${this.token}\n${lines}::${this.token}::\n`)
  }
}

/** Logs text that came from package code or a program (see UntrustedOutput). */
export function logUntrusted(text: string): void {
  const out = new UntrustedOutput()
  out.push(text)
  out.end()
}

/**
 * Stops every program running now (SIGKILL), and refuses to start new ones
 * until resumePrograms: a build staged in memory that outgrew its room is
 * stopped this way, then staged again on disk.
 */
export function stopPrograms(reason: string): void {
  stopped = reason
  for (const stop of running.values()) stop()
}

/** Lets programs run again after stopPrograms. */
export function resumePrograms(): void {
  stopped = undefined
}

export async function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {}
): Promise<RunResult> {
  cancellation.throwIfCancelled()
  if (stopped !== undefined) throw new ActionError(`${command} was not started: ${stopped}.`)
  const silent = options.silent ?? false
  if (!silent) process.stdout.write(`[command]${[command, ...args].map(shellQuote).join(' ')}\n`)
  return await new Promise<RunResult>(resolve => {
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let timedOut = false
    let settled = false
    const env = options.env ?? process.env
    const launch = (options.sandbox ?? sandbox)?.prepare(
      command,
      args,
      env,
      options.cwd,
      options.confine
    )
    const child = launch
      ? spawn(launch.command, launch.args, {
          cwd: launch.cwd,
          env: launch.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: launch.group
        })
      : spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const group = launch?.group === true
    // sudo passes SIGTERM on to the sandbox, not SIGKILL.
    const hardSignal = launch?.command.endsWith('/sudo') ? 'SIGTERM' : 'SIGKILL'
    const kill = (signal: NodeJS.Signals): void => {
      if (group && child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal)
          return
        } catch {
          // the group is gone
        }
      }
      child.kill(signal)
    }
    // An install or build gets at most build-timeout.
    const limit = options.confine?.profile === 'install' ? sandbox?.installTimeoutMs : undefined
    const timeoutMs =
      limit === undefined ? options.timeoutMs : Math.min(limit, options.timeoutMs ?? limit)
    running.set(child, () => kill(hardSignal))
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            if (timeoutMs === limit) {
              process.stdout.write(
                `::warning::${command} ran longer than build-timeout (${Math.round(timeoutMs / 1000)} s) and was stopped with every process it started.\n`
              )
            }
            kill(hardSignal)
          }, timeoutMs)
    // A cancelled run stops the program it is waiting for.
    const stopOnCancel = cancellation.onCancel(() => kill('SIGTERM'))
    const out = silent ? undefined : new UntrustedOutput()
    const finish = (result: Omit<RunResult, 'stdout' | 'stderr' | 'timedOut'>): void => {
      if (settled) return
      settled = true
      running.delete(child)
      stopOnCancel()
      if (timer) clearTimeout(timer)
      // Nothing the program started outlives it: its process group (the
      // sandbox's PID namespace ends with the program itself).
      if (group && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // none left
        }
      }
      launch?.cleanup()
      out?.end()
      resolve({
        ...result,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8')
      })
    }
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk)
      out?.push(chunk.toString('utf8'))
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk)
      out?.push(chunk.toString('utf8'))
    })
    child.on('error', error => finish({ exitCode: -1, spawnError: error.message }))
    child.on('close', (code, signal) =>
      finish({ exitCode: code ?? -1, ...(signal ? { signal } : {}) })
    )
  })
}

/** The last `lines` non-empty lines of some output, for error messages. */
export function tail(text: string, lines = 20): string {
  return text
    .split(/\r?\n/)
    .filter(l => l.trim() !== '')
    .slice(-lines)
    .join('\n')
}
