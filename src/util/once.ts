/**
 * Work done once per key for the run, its promise shared by every caller.
 * A failure is forgotten, so the next call tries again: a build that is
 * staged again on disk after running out of memory asks once more.
 */
export class Once<K, V> {
  private readonly pending = new Map<K, Promise<V>>()

  /** The result for `key`: made by `make` on the first call, or after a failure. */
  async get(key: K, make: () => Promise<V>): Promise<V> {
    let pending = this.pending.get(key)
    if (!pending) {
      const made = make()
      pending = made
      this.pending.set(key, made)
      made.catch(() => {
        if (this.pending.get(key) === made) this.pending.delete(key)
      })
    }
    return await pending
  }
}
