/** The `keep-versions` input: how many of the newest layer versions to keep. */
import { ActionError } from '../errors.js'

/** The most `keep-versions` accepts. */
export const KEEP_VERSIONS_MAX = 10_000

/**
 * Parses `keep-versions`: empty keeps every version (undefined); otherwise a
 * whole number from 1 to KEEP_VERSIONS_MAX, the newest versions to keep.
 */
export function parseKeepVersions(value: string): number | undefined {
  const v = value.trim()
  if (v === '') return undefined
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < 1 || n > KEEP_VERSIONS_MAX) {
    const zero = /^0+$/.test(v)
      ? ' (0 would delete every version, the one just published included)'
      : ''
    throw new ActionError(
      `Input \`keep-versions\` must be a whole number from 1 to ${KEEP_VERSIONS_MAX} (how many of the newest layer versions to keep), or empty to keep them all; got "${value}"${zero}.`
    )
  }
  return n
}
