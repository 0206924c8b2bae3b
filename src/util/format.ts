/** How values are written in messages: one formatter per kind of value. */

const MIB = 1024 * 1024

/**
 * Sizes in binary units, the way Lambda states its limits (its "250 MB" is
 * 262,144,000 bytes, 250 MiB): "812.0 KiB", "48.3 MiB".
 */
export function formatBytes(bytes: number): string {
  if (bytes < MIB) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / MIB).toFixed(1)} MiB`
}

/** "1 file", "3 files". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`
}

/** "a, b, c", or "none" for an empty list. */
export function listOrNone(values: readonly string[] | undefined): string {
  return values && values.length > 0 ? values.join(', ') : 'none'
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Byte-wise order of the UTF-8 encodings: the order of zip entries. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Numeric order of dotted versions: "3.12.10" > "3.12.9"; [2, 34] > [2, 28]. */
export function compareVersions(
  a: string | readonly number[],
  b: string | readonly number[]
): number {
  const pa = typeof a === 'string' ? a.split('.').map(Number) : a
  const pb = typeof b === 'string' ? b.split('.').map(Number) : b
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}
