/**
 * Cancellation. GitHub cancels a run by sending SIGINT, then SIGTERM about
 * 7.5 s later, then SIGKILL 2.5 s after that. On the first signal the action
 * starts no new AWS change and no new program, lets calls in flight finish
 * for a short grace period, then aborts them, so that it can still write the
 * job summary and say what was and was not changed before it is killed.
 */
import * as core from '@actions/core'
import { ActionError } from '../errors.js'

/** How long calls in flight may run after the signal before they are aborted. */
export const GRACE_MS = 5000

export class CancelledError extends ActionError {
  /** `message`: what was and was not changed, when the code that stopped knows it. */
  constructor(
    readonly signal: string,
    message?: string
  ) {
    super(message ?? `The run was cancelled (${signal}).`)
    this.name = 'CancelledError'
    this.detailed = message !== undefined
  }

  readonly detailed: boolean
}

type Listener = (signal: string) => void

/** Waits `ms`, or less when `signal` aborts first. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

export class Cancellation {
  private received?: string
  private readonly hard = new AbortController()
  /** Aborted on the signal itself, before the grace period. */
  private readonly soft = new AbortController()
  private readonly listeners = new Set<Listener>()
  private timer?: NodeJS.Timeout

  /** The signal that cancelled the run, if one did. */
  get requested(): string | undefined {
    return this.received
  }

  /** Aborted when the grace period after the signal ends: calls still in flight stop then. */
  get signal(): AbortSignal {
    return this.hard.signal
  }

  /** Marks the run cancelled (the signal handlers call this). Later calls do nothing. */
  request(signal: string, graceMs = GRACE_MS): void {
    if (this.received) return
    this.received = signal
    core.warning(
      `Received ${signal}: the run is being cancelled. Nothing new is started; AWS calls in flight get ${graceMs / 1000} s to finish.`
    )
    this.timer = setTimeout(() => this.hard.abort(new CancelledError(signal)), graceMs)
    this.timer.unref()
    this.soft.abort()
    for (const listener of this.listeners) listener(signal)
  }

  /** Calls `listener` when the run is cancelled (at once if it already is). Returns a remover. */
  onCancel(listener: Listener): () => void {
    if (this.received) {
      listener(this.received)
      return () => undefined
    }
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Waits `ms`, or until the run is cancelled: no pause (a backoff, a poll
   * interval) holds up a cancelled run. Callers check `requested` after it.
   */
  async sleep(ms: number): Promise<void> {
    await pause(ms, this.soft.signal)
  }

  /** Throws CancelledError when the run was cancelled: call it before starting anything new. */
  throwIfCancelled(): void {
    if (this.received) throw new CancelledError(this.received)
  }

  /** Handles SIGINT and SIGTERM for the run; returns a function that removes the handlers. */
  install(): () => void {
    const onSignal = (signal: NodeJS.Signals): void => this.request(signal)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    return () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      if (this.timer) clearTimeout(this.timer)
    }
  }
}

/** The run's cancellation: one per process, like the signals it listens to. */
export const cancellation = new Cancellation()
