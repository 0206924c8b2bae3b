/**
 * Every size rule of a layer, and its message: Lambda's unzipped limit (for a
 * function and all its layers together), the warning close to it, and the
 * largest zip PublishLayerVersion takes inline.
 */
import { normalizeName } from '../requirements/names.js'
import { LIMITS } from '../runtimes.js'
import { formatBytes, plural } from '../util/format.js'
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
  /**
   * With strip: false, near or over the limit: what `strip: true` would
   * save, measured by stripping copies of the layer's ELF files.
   */
  strip?: {
    savedBytes: number
    /** ELF files the copies of which were stripped. */
    files: number
    /** ELF files in the layer. */
    elfFiles: number
  }
}

/** Share of the unzipped limit above which a warning is given. */
export const NEAR_LIMIT_RATIO = 0.8

function describeSize(bytes: number): string {
  return `${formatBytes(bytes)} (${bytes.toLocaleString('en-US')} bytes)`
}

/**
 * Distributions every Lambda Python runtime already has: the AWS SDK for
 * Python and its own dependencies. The runtime's versions are the ones AWS
 * ships, not those a requirements file pins.
 */
export const RUNTIME_PROVIDED: readonly string[] = ['boto3', 'botocore', 's3transfer', 'jmespath']

/** Share of the layer the runtime's own packages must reach for their size and how to leave them out to be named. */
export const PROVIDED_HINT_SHARE = 0.1

/** The `exclude` patterns that leave out these packages with their metadata. */
export function excludePatterns(names: readonly string[]): string {
  return names.map(n => `${n}/** ${n}-*.dist-info/**`).join(' ')
}

/** "Largest packages: ..." and the hint for packages the runtime already provides. */
function packageHints(packages: readonly PackageSize[], unzippedBytes: number): string {
  const largest = [...packages].sort((a, b) => b.bytes - a.bytes).slice(0, 5)
  const largestText =
    largest.length === 0
      ? ''
      : ` Largest packages: ${largest.map(p => `${p.name}==${p.version} (${formatBytes(p.bytes)})`).join(', ')}.`
  const provided = RUNTIME_PROVIDED.flatMap(name =>
    packages.filter(p => normalizeName(p.name) === name)
  )
  if (provided.length === 0) return largestText
  const one = provided.length === 1
  const names = provided.map(p => p.name).join(', ')
  const bytes = provided.reduce((sum, p) => sum + p.bytes, 0)
  const share = unzippedBytes > 0 ? bytes / unzippedBytes : 0
  if (share < PROVIDED_HINT_SHARE) {
    return `${largestText} ${names} already ${one ? 'ships' : 'ship'} with the Lambda Python runtime: leave ${one ? 'it' : 'them'} out unless you need a newer version.`
  }
  const patterns = excludePatterns(provided.map(p => normalizeName(p.name)))
  return (
    `${largestText} ${names} (${formatBytes(bytes)}, ${Math.round(share * 100)}% of the layer) ` +
    `already ${one ? 'ships' : 'ship'} with every Lambda Python runtime: \`exclude: ${patterns}\` ` +
    `leaves ${one ? 'it' : 'them'} out, and the functions then import the runtime's own ` +
    `${one ? 'version, which may be older than this one' : 'versions, which may be older than these'}.`
  )
}

/**
 * What `strip: true` would save, when it was measured (strip: false, near
 * or over the limit); `size` and `limit` are the unzipped size and limit.
 */
function stripHint(measured: Measured, size: number, limit: number): string {
  const strip = measured.strip
  if (strip === undefined) return ''
  const measuredHow = `measured by stripping copies of its ${plural(strip.elfFiles, 'ELF file')}`
  if (strip.savedBytes === 0) {
    return ` \`strip: true\` would not make it smaller (${measuredHow}: none would still load as it does).`
  }
  const after = size - strip.savedBytes
  const verdict =
    size <= limit ? '' : after <= limit ? ', under the limit' : ', still over the limit'
  return ` \`strip: true\` would save ${formatBytes(strip.savedBytes)} (${measuredHow}; ${strip.files} stripped), bringing it to ${formatBytes(after)}${verdict}.`
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
  const hints = packageHints(packages, unzippedBytes)
  const limit = LIMITS.unzippedBytes
  const strip = stripHint(measured, unzippedBytes, limit)
  if (unzippedBytes > limit) {
    findings.push({
      severity: 'error',
      code: 'unzipped-too-large',
      message:
        `The layer unzips to ${formatBytes(unzippedBytes)}, over Lambda's limit of ${describeSize(limit)} ` +
        `for a function and all its layers together.${hints}${strip}${bytecodeHint(measured, unzippedBytes, limit)} ` +
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
        `${hints}${strip} Remove packages the function does not need before the limit is reached.`
    })
  }
  return findings
}

/** The rule on the zip's size: over the inline upload limit (error). */
export function zipSizeFindings(measured: Measured): Finding[] {
  const findings: Finding[] = []
  const { zipBytes, packages } = measured
  const hints = packageHints(packages, measured.unzippedBytes)
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
