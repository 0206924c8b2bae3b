/** What the layer checks report: one problem, the file and package at fault, and what to do. */

export type Severity = 'error' | 'warning'

export interface Finding {
  severity: Severity
  /**
   * Stable identifier of the kind of problem: wrong-machine, not-64-bit,
   * glibc-too-new, wrong-python, foreign-binary, missing-architecture,
   * unreadable-elf, empty-target, unzipped-too-large, near-unzipped-limit,
   * zip-too-large, import-failed.
   */
  code: string
  /** The file at fault, relative to the layer root ("python/numpy/..."). */
  file?: string
  /** The distribution owning it, "numpy==2.2.6". */
  package?: string
  /** What is wrong, where, for which target, and what to do about it. */
  message: string
}

/** Lambda documents its limits in MB of 2^20 bytes (250 MB = 262,144,000 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/** Errors first, then warnings; each by file, then code. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank = (f: Finding): number => (f.severity === 'error' ? 0 : 1)
  return [...findings].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      compareStrings(a.file ?? '', b.file ?? '') ||
      compareStrings(a.code, b.code)
  )
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
