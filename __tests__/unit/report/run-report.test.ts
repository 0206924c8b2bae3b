import { describe, expect, it, jest } from '@jest/globals'

const warning = jest.fn()
jest.unstable_mockModule('@actions/core', () => ({
  warning,
  info: jest.fn(),
  group: jest.fn(),
  setOutput: jest.fn(),
  setFailed: jest.fn()
}))

const { RunReport } = await import('../../../src/report/run-report.js')

describe('RunReport.warnTogether', () => {
  it('gives one warning alone as it is, several as one annotation with a count', () => {
    const report = new RunReport('deps')
    report.warnTogether([], n => `${n} of nothing`)
    report.warnTogether(['fn-1 is odd'], n => `${n} functions are odd`)
    report.warnTogether(
      ['fn-1 is odd', 'fn-2 is odd', 'fn-3 is odd', 'fn-4 is odd', 'fn-5 is odd'],
      n => `${n} functions are odd`
    )
    expect(warning.mock.calls.map(c => c[0])).toEqual([
      'fn-1 is odd',
      '5 functions are odd: fn-1 is odd; fn-2 is odd; fn-3 is odd; and 2 more.'
    ])
    expect(report.summary.warnings).toHaveLength(2)
  })
})
