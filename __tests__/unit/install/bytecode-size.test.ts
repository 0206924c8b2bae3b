import { execFileSync } from 'node:child_process'
import { cpSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { compileBytecode } from '../../../src/install/bytecode.js'
import {
  type BytecodeForecast,
  bytecodeVerdict,
  forecastBytecode,
  PYC_PER_FILE,
  PYC_PER_SOURCE_BYTE
} from '../../../src/install/bytecode-size.js'
import { type LayerEntry, type LayerTree, walkLayer } from '../../../src/layer/scan.js'
import { tempDir } from '../../helpers/layer-fixtures.js'
import { findTestPython, pythonMinor } from '../../helpers/python.js'

const MiB = 1024 * 1024
const ROOT = '/stage'

/** A tree as walkLayer lists it: files by path and size; `via` gives a file read through a link. */
function tree(files: Record<string, number>, via: Record<string, string> = {}): LayerTree {
  const entries: LayerEntry[] = Object.entries(files).map(([rel, size]) => ({
    rel,
    name: rel,
    abs: via[rel] ?? path.join(ROOT, rel),
    directory: false,
    size,
    executable: false
  }))
  entries.push({
    rel: 'python',
    name: 'python/',
    abs: path.join(ROOT, 'python'),
    directory: true,
    size: 0,
    executable: false
  })
  return { root: ROOT, entries, escapes: [], loops: [] }
}

const SITE_312 = [{ dir: 'python', python: '3.12' }]
const { low, high } = PYC_PER_SOURCE_BYTE['3.12']

describe('forecastBytecode', () => {
  it('counts the sources compileall compiles, and bounds the layer once compiled', () => {
    const forecast = forecastBytecode(
      tree({
        'python/pkg/__init__.py': 0,
        'python/pkg/core.py': 10 * MiB,
        'python/pkg/_lib.so': 100 * MiB,
        'python/pkg/tests/test_core.py': 5 * MiB,
        'python/pkg/data.json': 1 * MiB
      }),
      SITE_312
    )
    expect(forecast).toEqual({
      unzippedBytes: 116 * MiB,
      bytecodeBytes: 0,
      sources: 2,
      sourceBytes: 10 * MiB,
      low: Math.floor(116 * MiB + 10 * MiB * low),
      high: Math.ceil(116 * MiB + 10 * MiB * high + 2 * PYC_PER_FILE)
    })
  })

  it('leaves out sources outside the site folders and those reached through a linked folder', () => {
    const forecast = forecastBytecode(
      tree(
        {
          'python/pkg/a.py': 1000,
          'python/linked/b.py': 2000,
          'bin/tool.py': 4000
        },
        { 'python/linked/b.py': path.join(ROOT, 'python/pkg/b.py') }
      ),
      SITE_312
    )
    expect(forecast.sources).toBe(1)
    expect(forecast.sourceBytes).toBe(1000)
    expect(forecast.unzippedBytes).toBe(7000)
  })

  it("applies each site's Python version", () => {
    const sites = [
      { dir: 'python/lib/python3.9/site-packages', python: '3.9' },
      { dir: 'python/lib/python3.11/site-packages', python: '3.11' }
    ]
    const forecast = forecastBytecode(
      tree({
        'python/lib/python3.9/site-packages/m.py': MiB,
        'python/lib/python3.11/site-packages/m.py': MiB
      }),
      sites
    )
    const pyc = MiB * (PYC_PER_SOURCE_BYTE['3.9'].low + PYC_PER_SOURCE_BYTE['3.11'].low)
    expect(forecast.low).toBe(Math.floor(2 * MiB + pyc))
  })

  it('takes the .pyc already there as replaced at least, and kept at most', () => {
    const forecast = forecastBytecode(
      tree({
        'python/m.py': 10 * MiB,
        'python/__pycache__/m.cpython-312.pyc': 11 * MiB
      }),
      SITE_312
    )
    expect(forecast.bytecodeBytes).toBe(11 * MiB)
    // Replaced by the compiled one: the least it can be is the tree as it is.
    expect(forecast.low).toBe(21 * MiB)
    expect(forecast.high).toBe(Math.ceil(21 * MiB + 10 * MiB * high + PYC_PER_FILE))
  })
})

describe('bytecodeVerdict', () => {
  const limit = 250 * MiB
  const forecast = (
    unzipped: number,
    lowBytes: number,
    highBytes: number,
    pyc = 0
  ): BytecodeForecast => ({
    unzippedBytes: unzipped,
    bytecodeBytes: pyc,
    sources: 1,
    sourceBytes: 1,
    low: lowBytes,
    high: highBytes
  })

  it.each<[string, string, BytecodeForecast]>([
    ['fits with the most bytecode', 'fits', forecast(200 * MiB, 220 * MiB, limit)],
    ['the bounds straddle the limit', 'near', forecast(200 * MiB, limit, limit + 1)],
    ['over with the least bytecode', 'over', forecast(228 * MiB, limit + 1, 300 * MiB)],
    [
      'over because of the .pyc already there',
      'over',
      forecast(260 * MiB, 260 * MiB, 280 * MiB, 20 * MiB)
    ],
    ['over without any .pyc', 'over-anyway', forecast(limit + 1, 300 * MiB, 350 * MiB)]
  ])('%s: %s', (_, expected, given) => {
    expect(bytecodeVerdict(given, limit)).toBe(expected)
  })
})

describe('the bounds against a real compile', () => {
  const python = findTestPython()
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  // The interpreter's own packages: real code, compiled as a layer's would be.
  it.each(['email', 'json', 'asyncio', 'http', 'xml'])(
    "the compiled size of the standard library's %s lies between the bounds",
    async name => {
      if (!python) throw new Error('no Python interpreter found for this test')
      const lib = execFileSync(
        python,
        ['-c', 'import sysconfig; print(sysconfig.get_path("stdlib"))'],
        {
          encoding: 'utf8'
        }
      ).trim()
      const root = tempDir('bytecode-size-')
      dirs.push(root)
      cpSync(path.join(lib, name), path.join(root, 'python', name), {
        recursive: true,
        filter: source => path.basename(source) !== '__pycache__'
      })
      const sites = [{ dir: 'python', python: pythonMinor(python) }]
      const forecast = forecastBytecode(walkLayer(root), sites)
      await compileBytecode({ python, dirs: [path.join(root, 'python')], layerRoot: root })
      const compiled = walkLayer(root).entries.reduce((sum, e) => sum + e.size, 0)
      expect(forecast.sourceBytes).toBeGreaterThan(0)
      expect(compiled).toBeGreaterThanOrEqual(forecast.low)
      expect(compiled).toBeLessThanOrEqual(forecast.high)
    }
  )
})
