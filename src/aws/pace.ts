/**
 * The pace of one region's function updates: how many are in flight
 * (adaptive concurrency) and a pause that every update of the region
 * respects after throttling (one backoff for the region, not one per
 * function). Lambda's control plane allows about 15 requests per second
 * per account and region (GetFunction excepted), shared by every caller:
 * the run starts at `initial` updates in flight, takes a quarter off on
 * throttling (at most once every 2 s, as throttled answers to calls already
 * in flight tell nothing new), and adds one back after each run of
 * successes half as long as the limit, up to `max`. The region's pause after a throttled call
 * doubles with each throttled call in a row (0.25 s up to 8 s) and starts
 * over after a success.
 */
import { cancellation } from '../util/cancel.js'
import { backoffMs } from './client.js'

export interface PaceFigures {
  /** Most updates in flight at once. */
  peak: number
  /** Throttled calls reported. */
  throttles: number
  /** The limit when the phase ended. */
  limit: number
}

/** The limit is lowered at most this often. */
const DECREASE_EVERY_MS = 2000
const PAUSE_BASE_MS = 250
const PAUSE_CAP_MS = 8000

export class RegionPace {
  private limit: number
  private active = 0
  private readonly waiting: Array<() => void> = []
  private pausedUntil = 0
  private successes = 0
  private inARow = 0
  private lastDecrease = 0
  private readonly figures: PaceFigures

  constructor(
    initial: number,
    private readonly max: number,
    private readonly sleep: (ms: number) => Promise<void> = async ms => await cancellation.sleep(ms)
  ) {
    this.limit = Math.max(1, Math.min(initial, max))
    this.figures = { peak: 0, throttles: 0, limit: this.limit }
  }

  /** Runs `task` once fewer than the limit are in flight. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= this.limit) {
      await new Promise<void>(resolve => this.waiting.push(resolve))
    }
    this.active++
    this.figures.peak = Math.max(this.figures.peak, this.active)
    try {
      return await task()
    } finally {
      this.active--
      this.wake()
    }
  }

  /** Waits out the region's pause, if a throttled call set one. */
  async ready(): Promise<void> {
    const wait = this.pausedUntil - Date.now()
    if (wait > 0 && !cancellation.requested) await this.sleep(wait)
  }

  /** A call was throttled: fewer in flight, and the whole region pauses. */
  throttled(): void {
    this.figures.throttles++
    const now = Date.now()
    if (now - this.lastDecrease >= DECREASE_EVERY_MS) {
      this.limit = Math.max(1, Math.floor((this.limit * 3) / 4))
      this.lastDecrease = now
    }
    this.successes = 0
    this.pausedUntil = Math.max(
      this.pausedUntil,
      now + backoffMs(this.inARow, PAUSE_BASE_MS, PAUSE_CAP_MS)
    )
    this.inARow++
    this.figures.limit = this.limit
  }

  /** A call succeeded: after half as many successes as the limit, one more in flight. */
  succeeded(): void {
    this.inARow = 0
    this.successes++
    if (this.successes >= Math.ceil(this.limit / 2) && this.limit < this.max) {
      this.limit++
      this.successes = 0
      this.figures.limit = this.limit
      this.wake()
    }
  }

  get stats(): PaceFigures {
    return { ...this.figures }
  }

  private wake(): void {
    // Every waiter re-checks the limit; those over it wait again.
    for (const resolve of this.waiting.splice(0)) resolve()
  }
}
