/**
 * Defaults live in action.yml: where inputs.ts falls back for an input the
 * runner left empty (`read('x') || 'default'`), the fallback must be the
 * default action.yml declares, and every non-empty default of action.yml
 * must be the one inputs.ts falls back to.
 */
import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const spec = YAML.parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>
}
const source = fs.readFileSync(path.join(ROOT, 'src', 'inputs.ts'), 'utf8')

/** Each fallback of inputs.ts: input name → the value it falls back to. */
const fallbacks = new Map(
  [...source.matchAll(/read\('([a-z0-9-]+)'\)(?:\.trim\(\))?\s*\|\|\s*'([^']*)'/g)].map(m => [
    m[1],
    m[2]
  ])
)

describe('input defaults', () => {
  it('inputs.ts falls back for some inputs (the pattern is read at all)', () => {
    expect(fallbacks.size).toBeGreaterThan(10)
  })

  it.each([...fallbacks])("%s falls back to action.yml's default (%s)", (name, value) => {
    expect(spec.inputs[name]).toBeDefined()
    expect(spec.inputs[name].default).toBe(value)
  })

  it.each(
    Object.entries(spec.inputs)
      .filter(([, input]) => (input.default ?? '') !== '')
      .map(([name, input]) => [name, input.default as string])
  )("action.yml's default of %s (%s) is the one inputs.ts falls back to", (name, value) => {
    expect(fallbacks.get(name)).toBe(value)
  })
})
