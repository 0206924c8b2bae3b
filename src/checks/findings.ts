/** What the layer checks report: one problem, the file and package at fault, and what to do. */
import * as core from '@actions/core'
import { ActionError } from '../errors.js'
import { compareStrings, plural } from '../util/format.js'

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

/** Logs every warning; throws one ActionError listing the errors, naming the check (`what`). */
export function enforce(findings: readonly Finding[], what: string): void {
  const errors = findings.filter(f => f.severity === 'error')
  for (const f of findings.filter(x => x.severity === 'warning')) core.warning(f.message)
  if (errors.length > 0) {
    throw new ActionError(
      `${what} found ${plural(errors.length, 'problem')}; the layer was not published:\n${errors.map(e => `- ${e.message}`).join('\n')}`
    )
  }
}
