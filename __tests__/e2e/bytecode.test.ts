/**
 * Precompiled bytecode through the bundled action: the test suites inside
 * packages stay source only, everything else is compiled, and the layer
 * still imports.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
const versions = makeToolCache(toolCache, ['3.12'])

describe('compile: true on a package with a test suite (mpmath==1.3.0)', () => {
  let run: ActionRun
  let names: string[]

  beforeAll(async () => {
    expect(versions['3.12']).toBeDefined()
    // The runner's temporary folder holds /tests/: it must not switch compilation off.
    const runnerTemp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runner-')), 'tests')
    fs.mkdirSync(runnerTemp)
    run = await runAction(
      {
        'layer-name': 'compiled',
        runtimes: 'python3.12',
        publish: 'false',
        'smoke-test': 'true'
      },
      { workspace: workspace('mpmath==1.3.0\n'), toolCache, runnerTemp }
    )
    if (run.exitCode === 0) names = entries(run.outputs['zip-path'])
  })

  it('succeeds, and the smoke test imports the layer', () => {
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('Every top-level module of the layer imports in a clean interpreter.')
  })

  it('compiles the package and leaves its test suite as source', () => {
    expect(names).toContain('python/mpmath/__pycache__/ctx_base.cpython-312.pyc')
    expect(names).toContain('python/mpmath/libmp/__pycache__/libmpf.cpython-312.pyc')
    expect(names).toContain('python/mpmath/tests/test_basic_ops.py')
    expect(names.filter(n => n.startsWith('python/mpmath/tests/__pycache__/'))).toEqual([])
  })

  it('says how many files were left uncompiled, in the log and the summary', () => {
    const logged = /compile: (\d+) of ([\d,]+) \.py files in python are in test suites/.exec(
      run.log
    )
    expect(logged).not.toBeNull()
    const tests = names.filter(n => /^python\/mpmath\/tests\/.*\.py$/.test(n)).length
    expect(Number(logged?.[1])).toBe(tests)
    expect(run.summary).toMatch(
      new RegExp(
        `<td>Bytecode</td><td>[\\d,]+ of [\\d,]+ \\.py files compiled; ${tests} in packages' test suites left as source</td>`
      )
    )
  })
})
