/**
 * `exclude` through the bundled action: files its patterns match are left out
 * of the layer, listed in the log and the job summary, with warnings for
 * packages left half there and for patterns that match nothing; a pattern
 * that cannot be used fails the step before anything is installed.
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

/** The warnings of a run, as the runner shows them. */
function warnings(run: ActionRun): string[] {
  return run.log
    .split('\n')
    .filter(l => l.startsWith('::warning'))
    .map(l =>
      l
        .replace(/^::warning[^:]*::/, '')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%')
    )
}

async function build(requirements: string, exclude: string): Promise<ActionRun> {
  expect(versions['3.12']).toBeDefined()
  return runAction(
    {
      'layer-name': 'excluded',
      runtimes: 'python3.12',
      publish: 'false',
      'smoke-test': 'true',
      exclude
    },
    { workspace: workspace(requirements), toolCache }
  )
}

describe('exclude a module whose package stays: six.py of six==1.16.0', () => {
  let run: ActionRun
  beforeAll(async () => {
    run = await build('six==1.16.0\nidna==3.10\n', 'six.py')
  })

  it('builds the layer without six.py', () => {
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const names = entries(run.outputs['zip-path'])
    expect(names).not.toContain('python/six.py')
    expect(names.some(n => n.startsWith('python/six-1.16.0.dist-info/'))).toBe(true)
    expect(names).toContain('python/idna/__init__.py')
  })

  it('warns that six is half there, naming what is left', () => {
    const about = warnings(run).filter(w => w.includes('six==1.16.0'))
    expect(about).toHaveLength(1)
    expect(about[0]).toMatch(
      /^exclude: six==1\.16\.0: 1 of \d+ files excluded; left: six-1\.16\.0\.dist-info\/ \(\d+ files\)\. Its files are gone but its metadata \(six-1\.16\.0\.dist-info\) is left/
    )
    expect(run.summary).toContain('six==1.16.0: 1 of')
  })

  it('lists the removal in the log and the summary', () => {
    expect(run.log).toMatch(/excluded python\/six\.py \([\d.]+ KiB\): six\.py/)
    expect(run.summary).toMatch(/<td><code>six\.py<\/code><\/td><td>1<\/td>/)
  })
})

describe('exclude a package entirely: idna with its dist-info', () => {
  let run: ActionRun
  beforeAll(async () => {
    run = await build('six==1.16.0\nidna==3.10\n', 'idna/**\nidna-*.dist-info/**')
  })

  it('builds the layer without idna and lists it as removed, with no warning', () => {
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(entries(run.outputs['zip-path']).filter(n => n.startsWith('python/idna'))).toEqual([])
    expect(warnings(run)).toEqual([])
    expect(run.log).toMatch(/excluded python\/idna\/ \(\d+ files, [\d.]+ KiB\): idna\/\*\*/)
    expect(run.log).toContain('packages removed entirely: idna==3.10')
    expect(run.summary).toContain('removed entirely: idna==3.10')
  })

  it('leaves idna out of the packages output', () => {
    expect(JSON.parse(run.outputs.packages)).toEqual(['six==1.16.0'])
  })
})

describe('exclude test suites, and a pattern that matches nothing: mpmath==1.3.0', () => {
  let run: ActionRun
  beforeAll(async () => {
    run = await build('mpmath==1.3.0\n', '**/tests/**, nothere/**')
  })

  it('builds the layer without mpmath/tests, and the smoke test passes', () => {
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const names = entries(run.outputs['zip-path'])
    expect(names.filter(n => n.startsWith('python/mpmath/tests/'))).toEqual([])
    expect(names).toContain('python/mpmath/__init__.py')
    expect(run.log).toContain('Every top-level module of the layer imports in a clean interpreter.')
  })

  it('warns only about the pattern that matched nothing', () => {
    expect(warnings(run)).toEqual([
      'exclude pattern `nothere/**` matched nothing (patterns start at python/).'
    ])
  })

  it('counts what each pattern removed in the summary', () => {
    expect(run.summary).toMatch(
      /<td><code>\*\*\/tests\/\*\*<\/code><\/td><td>\d+<\/td><td>[^<]+<\/td><td>mpmath \(\d+\)<\/td>/
    )
    expect(run.summary).toMatch(/<td><code>nothere\/\*\*<\/code><\/td><td>0<\/td>/)
  })
})

describe('a pattern that cannot be used fails before anything is installed', () => {
  it.each([
    [
      '/abs/**',
      /^Input `exclude` has a pattern that cannot be used, "\/abs\/\*\*": it is absolute/
    ],
    [
      '../x',
      /^Input `exclude` has a pattern that cannot be used, "\.\.\/x": it has a "\.\." segment/
    ]
  ])('%s', async (exclude, message) => {
    const run = await build('six==1.16.0\n', exclude)
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(message)
    expect(run.log).not.toMatch(/pip install for|uv install for|Installer:/)
  })
})
