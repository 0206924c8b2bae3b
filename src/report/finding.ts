/** One problem a check of the layer found: the file and package at fault, and what to do. */
export type Severity = 'error' | 'warning'

export interface Finding {
  severity: Severity
  /**
   * Stable identifier of the kind of problem: wrong-machine, not-64-bit,
   * glibc-too-new, wrong-python, foreign-binary, missing-architecture,
   * unreadable-elf, missing-library, symbol-version-too-new, empty-target,
   * unzipped-too-large, near-unzipped-limit, zip-too-large, import-failed.
   */
  code: string
  /** The file at fault, relative to the layer root ("python/numpy/..."). */
  file?: string
  /** The distribution owning it, "numpy==2.2.6". */
  package?: string
  /** What is wrong, where, for which target, and what to do about it. */
  message: string
}
