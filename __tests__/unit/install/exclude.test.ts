import { afterAll, describe, expect, it } from '@jest/globals'
import { existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { excludeFromLayer, topLevelSummary } from '../../../src/install/exclude.js'
import { parseGlob } from '../../../src/util/glob.js'
import { type FakeDistribution, makeLayer, writeFile } from '../../helpers/layer-fixtures.js'

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

const six: FakeDistribution = {
  name: 'six',
  version: '1.16.0',
  files: { 'six.py': 'x = 1\n' },
  topLevel: ['six']
}
const idna: FakeDistribution = {
  name: 'idna',
  version: '3.10',
  files: {
    'idna/__init__.py': 'x = 1\n',
    'idna/core.py': 'x = 2\n',
    'idna/py.typed': ''
  }
}
const mpmath: FakeDistribution = {
  name: 'mpmath',
  version: '1.3.0',
  files: {
    'mpmath/__init__.py': 'x = 1\n',
    'mpmath/ctx.py': 'x = 1\n',
    'mpmath/ctx.pyi': 'x: int\n',
    'mpmath/tests/__init__.py': '',
    'mpmath/tests/test_a.py': 'x = 1\n'
  }
}

function layer(sites: Record<string, FakeDistribution[]> = { python: [six, idna, mpmath] }) {
  const root = makeLayer(sites)
  roots.push(root)
  return root
}

async function exclude(root: string, patterns: string[], sites = ['python']) {
  return excludeFromLayer(root, sites, patterns.map(parseGlob))
}

describe('excludeFromLayer', () => {
  it('removes a package entirely with its dist-info: listed, no warning', async () => {
    const root = layer()
    const result = await exclude(root, ['idna/**', 'idna-*.dist-info/**'])
    expect(result.warnings).toEqual([])
    expect(result.removedPackages).toEqual([{ site: 'python', name: 'idna', version: '3.10' }])
    expect(existsSync(path.join(root, 'python/idna'))).toBe(false)
    expect(existsSync(path.join(root, 'python/idna-3.10.dist-info'))).toBe(false)
    expect(existsSync(path.join(root, 'python/six.py'))).toBe(true)
    expect(result.patterns.map(p => [p.pattern, p.files])).toEqual([
      ['idna/**', 3],
      ['idna-*.dist-info/**', 4]
    ])
    expect(result.files).toBe(7)
    expect(result.removed).toEqual([
      expect.stringMatching(/^python\/idna\/ \(3 files, .*\): idna\/\*\*$/),
      expect.stringMatching(
        /^python\/idna-3\.10\.dist-info\/ \(4 files, .*\): idna-\*\.dist-info\/\*\*$/
      )
    ])
  })

  it('warns when a package loses its module but keeps its metadata', async () => {
    const root = layer()
    const result = await exclude(root, ['six.py'])
    expect(existsSync(path.join(root, 'python/six.py'))).toBe(false)
    expect(result.removedPackages).toEqual([])
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings[0]).toMatch(
      /^exclude: six==1\.16\.0: 1 of 6 files excluded; left: six-1\.16\.0\.dist-info\/ \(5 files\)\./
    )
    expect(result.warnings[0]).toContain('exclude `six-*.dist-info/**` too')
  })

  it('warns when a package is half there, naming what is left', async () => {
    const root = layer()
    const result = await exclude(root, ['idna/core.py'])
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^exclude: idna==3\.10: 1 of 7 files excluded; left: idna-3\.10\.dist-info\/ \(4 files\), idna\/ \(2 files\)\. The package is half there and may fail to import/
      )
    ])
  })

  it('does not warn when only test suites, stubs and py.typed go', async () => {
    const root = layer()
    const result = await exclude(root, ['**/tests/**', '**/*.pyi', '**/py.typed'])
    expect(result.warnings).toEqual([])
    expect(result.removedPackages).toEqual([])
    expect(existsSync(path.join(root, 'python/mpmath/tests'))).toBe(false)
    expect(existsSync(path.join(root, 'python/mpmath/ctx.pyi'))).toBe(false)
    expect(existsSync(path.join(root, 'python/mpmath/ctx.py'))).toBe(true)
    expect(result.patterns.map(p => [p.pattern, p.files, topLevelSummary(p.byTop)])).toEqual([
      ['**/tests/**', 2, 'mpmath (2)'],
      ['**/*.pyi', 1, 'mpmath (1)'],
      ['**/py.typed', 1, 'idna (1)']
    ])
  })

  it('warns once for packages whose metadata goes while their files stay', async () => {
    const root = layer()
    const result = await exclude(root, ['*.dist-info/'])
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^exclude removes the metadata \(\*\.dist-info\) of 3 packages whose files stay: idna==3\.10, mpmath==1\.3\.0, six==1\.16\.0\./
      )
    ])
  })

  it('warns when part of a dist-info goes', async () => {
    const root = layer()
    const result = await exclude(root, ['six-*.dist-info/RECORD'])
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^exclude: six==1\.16\.0: 1 of 6 files excluded; .*metadata \(six-1\.16\.0\.dist-info\) is partly excluded/
      )
    ])
  })

  it('warns about a pattern that matched nothing, with a hint when it would match deeper', async () => {
    const root = layer()
    const result = await exclude(root, ['x/**', '*.pyi', 'six.py'])
    expect(result.warnings.filter(w => w.startsWith('exclude pattern'))).toEqual([
      'exclude pattern `x/**` matched nothing (patterns start at python/).',
      'exclude pattern `*.pyi` matched nothing: patterns start at python/, and `**/*.pyi` would match at any depth.'
    ])
  })

  it('counts a pattern as used when another one removed its files first', async () => {
    const root = layer()
    const result = await exclude(root, ['mpmath/**', 'mpmath/tests/**'])
    expect(result.warnings.filter(w => w.startsWith('exclude pattern'))).toEqual([])
    expect(result.patterns.map(p => p.files)).toEqual([5, 0])
  })

  it('applies each pattern in every site folder of a layer for several runtimes', async () => {
    const sites = ['python/lib/python3.11/site-packages', 'python/lib/python3.12/site-packages']
    const root = layer(Object.fromEntries(sites.map(s => [s, [six, idna]])))
    writeFile(path.join(root, 'python/lib/python3.12/site-packages/extra.txt'), 'x')
    const result = await exclude(root, ['idna/**', 'idna-*.dist-info/', 'extra.txt'], sites)
    expect(result.removedPackages.map(p => p.site)).toEqual(sites)
    expect(result.warnings).toEqual([])
    for (const site of sites) expect(existsSync(path.join(root, site, 'idna'))).toBe(false)
    expect(existsSync(path.join(root, sites[1], 'extra.txt'))).toBe(false)
  })
})
