/**
 * The one way the action runs a program: pip, the interpreters' probes,
 * compileall and the smoke test all go through run().
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { ActionError } from '../errors.js'
import { cancellation } from './cancel.js'

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Keep the output out of the log (it is still returned). Default false: echo the command and stream its output. */
  silent?: boolean
  /** Kill the process (SIGKILL) after this many milliseconds; `timedOut` is then true. */
  timeoutMs?: number
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

/** The programs running now, for stopPrograms. */
const running = new Set<ChildProcess>()

/** Why programs may not run now (stopPrograms), if they may not. */
let stopped: string | undefined

/**
 * Stops every program running now (SIGKILL), and refuses to start new ones
 * until resumePrograms: a build staged in memory that outgrew its room is
 * stopped this way, then staged again on disk.
 */
export function stopPrograms(reason: string): void {
  stopped = reason
  for (const child of running) child.kill('SIGKILL')
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
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    running.add(child)
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
          }, options.timeoutMs)
    // A cancelled run stops the program it is waiting for.
    const stopOnCancel = cancellation.onCancel(() => child.kill('SIGTERM'))
    const finish = (result: Omit<RunResult, 'stdout' | 'stderr' | 'timedOut'>): void => {
      if (settled) return
      settled = true
      running.delete(child)
      stopOnCancel()
      if (timer) clearTimeout(timer)
      resolve({
        ...result,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8')
      })
    }
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk)
      if (!silent) process.stdout.write(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk)
      if (!silent) process.stdout.write(chunk)
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
