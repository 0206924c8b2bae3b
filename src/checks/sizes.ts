/**
 * Every size rule of a layer, and its message: Lambda's unzipped limit (for a
 * function and all its layers together), the warning close to it, and the
 * largest zip PublishLayerVersion takes inline.
 */
import { LIMITS } from '../runtimes.js'
import { formatBytes } from '../util/format.js'
import type { Finding } from './findings.js'

export interface PackageSize {
  name: string
  version: string
  /** Sum of the sizes of the files it owns (over all site dirs). */
  bytes: number
}

/** What was measured: the sizes, and how much of them is bytecode (.pyc) the action added. */
export interface Measured {
  unzippedBytes: number
  /** undefined: the zip is not built yet, or goes through S3 (no inline limit). */
  zipBytes?: number
  packages: readonly PackageSize[]
  /** Bytes of .pyc files in `unzippedBytes` (compile: true). */
  bytecodeBytes?: number
}

/** Share of the unzipped limit above which a warning is given. */
export const NEAR_LIMIT_RATIO = 0.8

function describeSize(bytes: number): string {
  return `${formatBytes(bytes)} (${bytes.toLocaleString('en-US')} bytes)`
}

/** "Largest packages: ..." and the hint for packages the runtime already provides. */
function packageHints(packages: readonly PackageSize[]): string {
  const largest = [...packages].sort((a, b) => b.bytes - a.bytes).slice(0, 5)
  const largestText =
    largest.length === 0
      ? ''
      : ` Largest packages: ${largest.map(p => `${p.name}==${p.version} (${formatBytes(p.bytes)})`).join(', ')}.`
  const provided = packages.filter(p => /^(boto3|botocore|s3transfer)$/i.test(p.name))
  const providedText =
    provided.length === 0
      ? ''
      : ` ${provided.map(p => p.name).join(', ')} already ` +
        `${provided.length === 1 ? 'ships' : 'ship'} with the Lambda Python runtime: ` +
        `leave ${provided.length === 1 ? 'it' : 'them'} out unless you need a newer version.`
  return largestText + providedText
}

/** Share of the measured size that bytecode must reach for `compile: false` to be worth naming. */
export const BYTECODE_HINT_SHARE = 0.1

/**
 * The bytecode lever, only when it can matter: the .pyc files are at least a
 * tenth of the size, or leaving them out would bring it under the limit.
 * `size`/`limit` are what the finding is about (the zip: its share of .pyc
 * is estimated from the unzipped share).
 */
function bytecodeHint(measured: Measured, size: number, limit: number): string {
  const pyc = measured.bytecodeBytes ?? 0
  if (pyc === 0 || measured.unzippedBytes === 0) return ''
  const share = pyc / measured.unzippedBytes
  const saved = size * share
  if (share < BYTECODE_HINT_SHARE && size - saved > limit) return ''
  return ` Of the unzipped size, ${formatBytes(pyc)} (${Math.round(share * 100)}%) is precompiled bytecode (.pyc, \`compile: true\`): \`compile: false\` leaves it out${size - saved <= limit ? ', which would bring it under the limit' : ''}.`
}

/** Why a zip cannot be published inline, and what to do. */
export function directUploadProblem(zipBytes: number): string {
  return (
    `The layer zip is ${describeSize(zipBytes)}, over the ${formatBytes(LIMITS.directUploadBytes)} ` +
    "that Lambda accepts as a direct upload. Set `s3-bucket` (a bucket in the layer's region) " +
    'to publish through S3, or make the layer smaller.'
  )
}

/** The rules on the unzipped size: over the limit (error), close to it (warning). */
export function unzippedSizeFindings(measured: Measured): Finding[] {
  const findings: Finding[] = []
  const { unzippedBytes, packages } = measured
  const hints = packageHints(packages)
  const limit = LIMITS.unzippedBytes
  if (unzippedBytes > limit) {
    findings.push({
      severity: 'error',
      code: 'unzipped-too-large',
      message:
        `The layer unzips to ${formatBytes(unzippedBytes)}, over Lambda's limit of ${describeSize(limit)} ` +
        `for a function and all its layers together.${hints}${bytecodeHint(measured, unzippedBytes, limit)} ` +
        'Remove packages the function does not need, or deploy the function as a container ' +
        'image (10 GB limit).'
    })
  } else if (unzippedBytes > limit * NEAR_LIMIT_RATIO) {
    const percent = Math.round((unzippedBytes / limit) * 100)
    findings.push({
      severity: 'warning',
      code: 'near-unzipped-limit',
      message:
        `The layer unzips to ${formatBytes(unzippedBytes)}, ${percent}% of Lambda's limit of ` +
        `${describeSize(limit)}, which the function's own code and all its other layers share.` +
        `${hints} Remove packages the function does not need before the limit is reached.`
    })
  }
  return findings
}

/** The rule on the zip's size: over the inline upload limit (error). */
export function zipSizeFindings(measured: Measured): Finding[] {
  const findings: Finding[] = []
  const { zipBytes, packages } = measured
  const hints = packageHints(packages)
  if (zipBytes !== undefined && zipBytes > LIMITS.directUploadBytes) {
    findings.push({
      severity: 'error',
      code: 'zip-too-large',
      message: `${directUploadProblem(zipBytes)}${hints}${bytecodeHint(measured, zipBytes, LIMITS.directUploadBytes)}`
    })
  }
  return findings
}

/**
 * Size findings: over Lambda's unzipped limit (error), close to it (warning),
 * zip too large for a direct upload (error). zipBytes undefined: skip that check.
 */
export function checkSizes(
  unzippedBytes: number,
  zipBytes: number | undefined,
  packages: readonly PackageSize[]
): Finding[] {
  const measured = { unzippedBytes, zipBytes, packages }
  return [...unzippedSizeFindings(measured), ...zipSizeFindings(measured)]
}
