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
