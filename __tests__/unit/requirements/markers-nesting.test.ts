import { describe, expect, it } from '@jest/globals'
import { ActionError } from '../../../src/errors.js'
import { evaluateMarker, lambdaEnvironment } from '../../../src/requirements/markers.js'

const env = lambdaEnvironment('python3.12', 'x86_64', '3.12.7')

/** `python_version >= "3.9"` inside `depth` pairs of parentheses. */
function nested(depth: number): string {
  return `${'('.repeat(depth)}python_version >= "3.9"${')'.repeat(depth)}`
}

describe('evaluateMarker, nesting', () => {
  it('reads parentheses nested 100 deep', () => {
    expect(evaluateMarker(nested(100), env)).toBe(true)
    expect(evaluateMarker(`${nested(100)} and ${nested(100)}`, env)).toBe(true)
  })

  it.each([101, 100_000])('refuses parentheses nested %p deep, as an ActionError', depth => {
    const marker = nested(depth)
    let thrown: unknown
    try {
      evaluateMarker(marker, env)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ActionError)
    expect((thrown as Error).message).toMatch(/nests parentheses deeper than 100 levels\.$/)
    expect((thrown as Error).message).toContain(marker)
  })

  it('refuses deep nesting even when the parentheses are never closed', () => {
    expect(() => evaluateMarker('('.repeat(100_000), env)).toThrow(
      /nests parentheses deeper than 100 levels/
    )
  })
})
