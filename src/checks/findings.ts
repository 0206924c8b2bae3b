/** What the layer checks report: one problem, the file and package at fault, and what to do. */
import * as core from '@actions/core'
import { ActionError } from '../errors.js'
import type { Finding } from '../report/finding.js'
import { compareStrings, plural } from '../util/format.js'

export type { Finding, Severity } from '../report/finding.js'

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
