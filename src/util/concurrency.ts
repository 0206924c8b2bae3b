/** Bounded concurrency: the one helper every phase uses to run work side by side. */

/** Runs at most `size` tasks at a time; callers wait their turn in order. */
export class Limiter {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) {
      await new Promise<void>(resolve => this.waiting.push(resolve))
    } else {
      this.active++
    }
    try {
      return await task()
    } finally {
      const wake = this.waiting.shift()
      if (wake !== undefined) wake()
      else this.active--
    }
  }
}

/** Like Promise.all(items.map(fn)) with at most `limit` calls in flight; results keep the input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const limiter = new Limiter(Math.max(1, limit))
  return await Promise.all(items.map(async item => await limiter.run(async () => await fn(item))))
}
