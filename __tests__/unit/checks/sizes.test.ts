import { describe, expect, it } from '@jest/globals'
import { unzippedSizeFindings, zipSizeFindings } from '../../../src/checks/sizes.js'
import { LIMITS } from '../../../src/runtimes.js'

const MiB = 1024 * 1024
const packages = [{ name: 'blob', version: '1.0', bytes: 60 * MiB }]

describe('the bytecode advice is given only where it fits the measured contents', () => {
  it('a zip of incompressible data with a few .pyc: no advice about compile', () => {
    const [finding] = zipSizeFindings({
      unzippedBytes: 60 * MiB,
      zipBytes: 60 * MiB,
      packages,
      bytecodeBytes: 120
    })
    expect(finding.code).toBe('zip-too-large')
    expect(finding.message).not.toMatch(/\.pyc|compile/)
  })

  it('a layer where bytecode is a third: names it and its share', () => {
    const [finding] = unzippedSizeFindings({
      unzippedBytes: LIMITS.unzippedBytes + 90 * MiB,
      packages,
      bytecodeBytes: 110 * MiB
    })
    expect(finding.message).toMatch(
      /110\.0 MiB \(32%\) is precompiled bytecode .*`compile: false` leaves it out, which would bring it under the limit\./
    )
  })

  it('a small share that would still bring the zip under the limit: names it', () => {
    const [finding] = zipSizeFindings({
      unzippedBytes: 200 * MiB,
      zipBytes: 52 * MiB,
      packages,
      bytecodeBytes: 16 * MiB
    })
    expect(finding.message).toMatch(
      /\(8%\) is precompiled bytecode .*which would bring it under the limit/
    )
  })

  it('no .pyc at all: nothing about bytecode', () => {
    const [finding] = zipSizeFindings({ unzippedBytes: 60 * MiB, zipBytes: 60 * MiB, packages })
    expect(finding.message).not.toMatch(/bytecode/)
  })
})

describe('what strip: true would save, when it was measured', () => {
  const strip = { savedBytes: 30 * MiB, files: 12, elfFiles: 20 }

  it('over the limit, and stripping brings it under: says so, with the figure', () => {
    const [finding] = unzippedSizeFindings({
      unzippedBytes: LIMITS.unzippedBytes + 10 * MiB,
      packages,
      strip
    })
    expect(finding.code).toBe('unzipped-too-large')
    expect(finding.message).toContain(
      '`strip: true` would save 30.0 MiB (measured by stripping copies of its 20 ELF files; 12 stripped), bringing it to 230.0 MiB, under the limit.'
    )
  })

  it('over the limit, and stripping is not enough on its own: says that', () => {
    const [finding] = unzippedSizeFindings({
      unzippedBytes: LIMITS.unzippedBytes + 40 * MiB,
      packages,
      strip
    })
    expect(finding.message).toContain('bringing it to 260.0 MiB, still over the limit.')
  })

  it('near the limit: the figure, without a verdict', () => {
    const [finding] = unzippedSizeFindings({ unzippedBytes: 230 * MiB, packages, strip })
    expect(finding.code).toBe('near-unzipped-limit')
    expect(finding.message).toContain('would save 30.0 MiB')
    expect(finding.message).toContain('bringing it to 200.0 MiB.')
  })

  it('nothing to save: says it would not help', () => {
    const [finding] = unzippedSizeFindings({
      unzippedBytes: LIMITS.unzippedBytes + MiB,
      packages,
      strip: { savedBytes: 0, files: 0, elfFiles: 3 }
    })
    expect(finding.message).toContain('`strip: true` would not make it smaller')
  })

  it('not measured (strip is on, or no ELF files): no word of it', () => {
    const [finding] = unzippedSizeFindings({ unzippedBytes: LIMITS.unzippedBytes + MiB, packages })
    expect(finding.message).not.toMatch(/strip/)
  })
})

describe('the packages every Lambda Python runtime has', () => {
  const sdk = [
    { name: 'boto3', version: '1.35.0', bytes: 1 * MiB },
    { name: 'botocore', version: '1.35.0', bytes: 24 * MiB },
    { name: 's3transfer', version: '0.10.0', bytes: 1 * MiB },
    { name: 'jmespath', version: '1.0.1', bytes: MiB / 2 }
  ]

  it('a large share: their size, and the exclude patterns that leave them out', () => {
    const [finding] = unzippedSizeFindings({
      unzippedBytes: 220 * MiB,
      packages: [...sdk, { name: 'pyarrow', version: '25.0.1', bytes: 190 * MiB }]
    })
    expect(finding.message).toContain(
      'boto3, botocore, s3transfer, jmespath (26.5 MiB, 12% of the layer) already ship with every Lambda Python runtime: `exclude: boto3/** boto3-*.dist-info/** botocore/** botocore-*.dist-info/** s3transfer/** s3transfer-*.dist-info/** jmespath/** jmespath-*.dist-info/**` leaves them out'
    )
  })

  it('a small share: named, without the patterns', () => {
    const [finding] = unzippedSizeFindings({
      unzippedBytes: 240 * MiB,
      packages: [sdk[0], { name: 'pyarrow', version: '25.0.1', bytes: 230 * MiB }]
    })
    expect(finding.message).toContain(
      'boto3 already ships with the Lambda Python runtime: leave it out unless you need a newer version.'
    )
    expect(finding.message).not.toContain('exclude:')
  })
})
