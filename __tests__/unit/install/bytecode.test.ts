import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { compileBytecode, inTestSuite, lambdaPath } from '../../../src/install/bytecode.js'
import { compileTree } from '../../../src/install/compile-workers.js'
import { zipDirectory } from '../../../src/layer/zip.js'
import { tempDir, writeFile } from '../../helpers/layer-fixtures.js'
import { findTestPython, pythonMinor } from '../../helpers/python.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A layer root with python/<files>. */
function layerRoot(files: Record<string, string>): string {
  const root = tempDir('compile-')
  dirs.push(root)
  for (const [rel, content] of Object.entries(files)) {
    writeFile(path.join(root, 'python', rel), content)
  }
  return root
}

describe('lambdaPath', () => {
  it.each([
    ['/stage', '/stage/python', '/opt/python'],
    [
      '/stage/',
      '/stage/python/lib/python3.12/site-packages',
      '/opt/python/lib/python3.12/site-packages'
    ]
  ])('%s + %s → %s', (root, dir, expected) => {
    expect(lambdaPath(root, dir)).toBe(expected)
  })

  it('rejects a dir outside the layer root', () => {
    expect(() => lambdaPath('/stage', '/elsewhere/python')).toThrow('not inside the layer root')
  })
})

describe('inTestSuite', () => {
  it.each<[string, boolean]>([
    ['pandas/tests/frame/test_api.py', true],
    ['numpy/_core/tests/test_numeric.py', true],
    ['numpy/linalg/tests/__init__.py', true],
    ['mpmath/tests/test_basic_ops.py', true],
    ['pkg/test/helpers.py', true],
    ['google/cloud/storage/tests/unit/x.py', true],
    ['pandas/core/frame.py', false],
    ['tests/conftest.py', false],
    ['test/x.py', false],
    ['pkg/tests.py', false],
    ['pkg/testing/__init__.py', false],
    ['pkg/contests/a.py', false],
    ['pkg/Tests/a.py', false],
    ['six.py', false]
  ])('%s → %s', (rel, expected) => {
    expect(inTestSuite(rel)).toBe(expected)
  })
})

const python = findTestPython()
const withPython = python === undefined ? describe.skip : describe

withPython('compileBytecode with a real interpreter', () => {
  const py = python ?? 'python3'
  const tag = `cpython-${pythonMinor(py).replace('.', '')}`
  const source = 'def f(x):\n    return x in {"alpha", "beta", "gamma", "delta"}\n'

  it('writes unchecked-hash .pyc files (flags word = 1)', async () => {
    const root = layerRoot({ 'pkg/__init__.py': source })
    await compileBytecode({ python: py, dirs: [path.join(root, 'python')] })
    const pyc = readFileSync(path.join(root, `python/pkg/__pycache__/__init__.${tag}.pyc`))
    // PEP 552: bit 0 = hash-based, bit 1 = check_source.
    expect(pyc.readUInt32LE(4)).toBe(1)
  })

  it('gives the same bytes for the same sources staged in different folders', async () => {
    const a = layerRoot({ 'pkg/__init__.py': source })
    const b = layerRoot({ 'pkg/__init__.py': source })
    for (const root of [a, b]) {
      await compileBytecode({ python: py, dirs: [path.join(root, 'python')], layerRoot: root })
    }
    const rel = `python/pkg/__pycache__/__init__.${tag}.pyc`
    expect(readFileSync(path.join(a, rel)).equals(readFileSync(path.join(b, rel)))).toBe(true)
  })

  it('records the path the file has on Lambda (/opt/...)', async () => {
    const root = layerRoot({ 'pkg/__init__.py': source })
    await compileBytecode({ python: py, dirs: [path.join(root, 'python')], layerRoot: root })
    const pyc = path.join(root, `python/pkg/__pycache__/__init__.${tag}.pyc`)
    const filename = execFileSync(
      py,
      [
        '-c',
        'import marshal, sys; print(marshal.loads(open(sys.argv[1], "rb").read()[16:]).co_filename)',
        pyc
      ],
      { encoding: 'utf8' }
    ).trim()
    expect(filename).toBe('/opt/python/pkg/__init__.py')
  })

  it('leaves a file that is not valid Python as source and compiles the rest', async () => {
    const root = layerRoot({ 'ok.py': 'x = 1\n', 'broken.py': 'def (:\n' })
    await compileBytecode({ python: py, dirs: [path.join(root, 'python')] })
    const cache = path.join(root, 'python', '__pycache__')
    const tag = `cpython-${pythonMinor(py).replace('.', '')}`
    expect(existsSync(path.join(cache, `ok.${tag}.pyc`))).toBe(true)
    expect(existsSync(path.join(cache, `broken.${tag}.pyc`))).toBe(false)
  })

  it('leaves the test suites of packages uncompiled and compiles the rest', async () => {
    const root = layerRoot({
      'pkg/__init__.py': source,
      'pkg/core.py': source,
      'pkg/tests/__init__.py': '',
      'pkg/tests/test_core.py': 'def test_f():\n    assert True\n',
      'pkg/sub/test/test_deep.py': 'x = 1\n',
      'tests/conftest.py': 'x = 1\n'
    })
    const result = await compileBytecode({
      python: py,
      dirs: [path.join(root, 'python')],
      layerRoot: root
    })
    const pyc = (rel: string): boolean => {
      const dir = path.join(root, 'python', path.dirname(rel), '__pycache__')
      return existsSync(path.join(dir, `${path.basename(rel, '.py')}.${tag}.pyc`))
    }
    expect(pyc('pkg/core.py')).toBe(true)
    expect(pyc('pkg/__init__.py')).toBe(true)
    expect(pyc('tests/conftest.py')).toBe(true)
    expect(pyc('pkg/tests/test_core.py')).toBe(false)
    expect(pyc('pkg/tests/__init__.py')).toBe(false)
    expect(pyc('pkg/sub/test/test_deep.py')).toBe(false)
    expect(existsSync(path.join(root, 'python/pkg/tests/test_core.py'))).toBe(true)
    expect(result).toEqual({ sources: 6, testSuiteSources: 3, invalid: 0 })
  })

  it('compiles everything else when the staging path itself holds /tests/', async () => {
    const parent = path.join(tempDir('compile-'), 'tests', 'test')
    mkdirSync(parent, { recursive: true })
    dirs.push(path.dirname(path.dirname(parent)))
    const root = path.join(parent, 'layer')
    for (const [rel, content] of Object.entries({
      'pkg/core.py': source,
      'pkg/tests/test_core.py': 'x = 1\n',
      'six.py': 'x = 1\n'
    })) {
      writeFile(path.join(root, 'python', rel), content)
    }
    const result = await compileBytecode({
      python: py,
      dirs: [path.join(root, 'python')],
      layerRoot: root
    })
    expect(existsSync(path.join(root, `python/pkg/__pycache__/core.${tag}.pyc`))).toBe(true)
    expect(existsSync(path.join(root, `python/__pycache__/six.${tag}.pyc`))).toBe(true)
    expect(existsSync(path.join(root, `python/pkg/tests/__pycache__/test_core.${tag}.pyc`))).toBe(
      false
    )
    expect(result.testSuiteSources).toBe(1)
  })

  it('writes the same bytes for the files it compiles, with or without the test-suite skip', async () => {
    const files = { 'pkg/core.py': source, 'pkg/tests/test_core.py': 'x = 1\n' }
    const skipped = layerRoot(files)
    const all = layerRoot(files)
    await compileBytecode({ python: py, dirs: [path.join(skipped, 'python')], layerRoot: skipped })
    await compileBytecode({
      python: py,
      dirs: [path.join(all, 'python')],
      layerRoot: all,
      testSuites: 'compile'
    })
    const rel = `python/pkg/__pycache__/core.${tag}.pyc`
    expect(readFileSync(path.join(skipped, rel)).equals(readFileSync(path.join(all, rel)))).toBe(
      true
    )
    expect(existsSync(path.join(all, `python/pkg/tests/__pycache__/test_core.${tag}.pyc`))).toBe(
      true
    )
  })

  it('fails when the interpreter cannot run the compiler', async () => {
    const root = layerRoot({ 'ok.py': 'x = 1\n' })
    await expect(
      compileBytecode({ python: '/no/such/python', dirs: [path.join(root, 'python')] })
    ).rejects.toThrow(/Compiling the Python files in .*python.* failed/)
  })
})

/** Real interpreters of several minors (pyenv's), with the test Python first. */
function interpreters(): string[] {
  const found = python === undefined ? [] : [python]
  const versions = path.join(
    process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv'),
    'versions'
  )
  if (!existsSync(versions)) return found
  const seen = new Set(found.map(p => pythonMinor(p)))
  for (const version of readdirSync(versions).sort()) {
    const minor = /^(3\.(9|1\d))\.\d+$/.exec(version)?.[1]
    const exe = minor && path.join(versions, version, 'bin', `python${minor}`)
    if (minor === undefined || !exe || seen.has(minor) || !existsSync(exe)) continue
    seen.add(minor)
    found.push(exe)
  }
  return found
}

/** Every file under `root`, relative, with its bytes. */
function contents(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const rel of readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()) {
    const abs = path.join(root, rel)
    if (statSync(abs).isFile()) out.set(rel, readFileSync(abs))
  }
  return out
}

/** The sources of a layer before and after a change of its requirements. */
function sourceTrees(): { before: Record<string, string>; after: Record<string, string> } {
  const before: Record<string, string> = {}
  for (let p = 0; p < 4; p++) {
    before[`pkg${p}/__init__.py`] = ''
    for (let m = 0; m < 60; m++) {
      before[`pkg${p}/sub/mod${m}.py`] =
        `NAMES = {"a${m}", "b${p}", "c", "d"}\n\ndef f(x):\n    return x in NAMES or x == ${m}\n`
    }
    before[`pkg${p}/tests/test_x.py`] = 'def test_x():\n    assert True\n'
  }
  before['données/é.py'] = 'U = "é"\n'
  before['odd\nname.py'] = 'ODD = 1\n'
  before['broken.py'] = 'def (:\n'
  before['gone.py'] = 'GONE = 1\n'
  before['six.py'] = 'SIX = 6\n'

  const after = { ...before }
  delete after['gone.py']
  after['added.py'] = 'ADDED = {1, 2, 3}\n'
  // Same size, other bytes: the CRC-32 tells them apart.
  after['six.py'] = 'SIX = 7\n'
  // A package upgraded: most of its modules change, more than one process compiles.
  for (let m = 0; m < 60; m++) after[`pkg1/sub/mod${m}.py`] = `VERSION = ${m}\n`
  after['pkg2/sub/mod0.py'] = 'def f(x):\n    return -x\n'
  after['odd\nname.py'] = 'ODD = 2\n'
  return { before, after }
}

withPython('compileTree', () => {
  it.each(interpreters())(
    'writes the same bytes whichever worker compiles a file, walking the folder or given a list (%s)',
    async py => {
      const { after } = sourceTrees()
      const trees = [layerRoot(after), layerRoot(after), layerRoot(after)]
      const runs = [
        { workers: 1 },
        { workers: 2 },
        // Given by name, in reverse, to three workers.
        {
          workers: 3,
          files: Object.keys(after)
            .filter(rel => rel.endsWith('.py'))
            .reverse()
        }
      ]
      const invalid = []
      for (const [i, run] of runs.entries()) {
        invalid.push(
          await compileTree({
            python: py,
            root: path.join(trees[i], 'python'),
            lambdaRoot: '/opt/python',
            skipTestSuites: true,
            ...run
          })
        )
      }
      for (const found of invalid) {
        expect(found.map(f => f.file)).toEqual(['broken.py'])
        expect(found[0].error).toMatch(/SyntaxError/)
      }
      const want = contents(trees[0])
      expect([...want.keys()].filter(rel => rel.endsWith('.pyc'))).toHaveLength(253 - 4 - 1)
      for (const tree of trees.slice(1)) {
        const got = contents(tree)
        expect([...got.keys()]).toEqual([...want.keys()])
        expect([...want].filter(([rel, bytes]) => !got.get(rel)?.equals(bytes))).toEqual([])
      }
    }
  )

  it('refuses to write a .pyc through a link planted in __pycache__', async () => {
    const py = python ?? 'python3'
    const root = layerRoot({ 'a.py': 'A = 1\n' })
    const outside = tempDir('compile-outside-')
    dirs.push(outside)
    const tag = `cpython-${pythonMinor(py).replace('.', '')}`
    mkdirSync(path.join(root, 'python', '__pycache__'))
    symlinkSync(path.join(outside, 'x'), path.join(root, 'python', '__pycache__', `a.${tag}.pyc`))
    await expect(
      compileTree({ python: py, root: path.join(root, 'python'), skipTestSuites: true })
    ).rejects.toThrow(/is a link or not a regular file/)
    expect(existsSync(path.join(outside, 'x'))).toBe(false)
  })
})

withPython('compileBytecode with a previous zip', () => {
  it.each(interpreters())(
    'gives the .pyc files of a full compile, copying the unchanged ones (%s)',
    async py => {
      const { before, after } = sourceTrees()
      const old = layerRoot(before)
      await compileBytecode({ python: py, dirs: [path.join(old, 'python')], layerRoot: old })
      const previous = path.join(tempDir('compile-zip-'), 'layer.zip')
      dirs.push(path.dirname(previous))
      await zipDirectory(old, previous)

      const incremental = layerRoot(after)
      const full = layerRoot(after)
      const reusing = await compileBytecode({
        python: py,
        dirs: [path.join(incremental, 'python')],
        layerRoot: incremental,
        earlier: previous
      })
      const fresh = await compileBytecode({
        python: py,
        dirs: [path.join(full, 'python')],
        layerRoot: full
      })

      const got = contents(incremental)
      const want = contents(full)
      expect([...got.keys()]).toEqual([...want.keys()])
      const differing = [...want].filter(([rel, bytes]) => !got.get(rel)?.equals(bytes))
      expect(differing.map(([rel]) => rel)).toEqual([])
      const zipA = await zipDirectory(incremental, path.join(path.dirname(previous), 'a.zip'))
      const zipB = await zipDirectory(full, path.join(path.dirname(previous), 'b.zip'))
      expect(zipA.sha256).toBe(zipB.sha256)

      // 249 sources outside test suites, 1 invalid; changed or added: 60 + 4.
      expect(fresh).toEqual({ sources: 253, testSuiteSources: 4, invalid: 1 })
      expect(reusing).toEqual({ ...fresh, reused: 249 - 1 - 64 })
    }
  )

  it('compiles everything when the previous zip is missing', async () => {
    const py = python ?? 'python3'
    const root = layerRoot({ 'a.py': 'A = 1\n', 'pkg/tests/test_a.py': 'x = 1\n' })
    const result = await compileBytecode({
      python: py,
      dirs: [path.join(root, 'python')],
      layerRoot: root,
      earlier: path.join(root, 'no-such.zip')
    })
    expect(result).toEqual({ sources: 2, testSuiteSources: 1, invalid: 0, reused: 0 })
    const tag = `cpython-${pythonMinor(py).replace('.', '')}`
    expect(existsSync(path.join(root, `python/__pycache__/a.${tag}.pyc`))).toBe(true)
  })

  it('reuses nothing from a zip built by another Python version', async () => {
    const others = interpreters().filter(p => pythonMinor(p) !== pythonMinor(python ?? 'python3'))
    if (others.length === 0) return
    const files = { 'a.py': 'A = 1\n' }
    const old = layerRoot(files)
    await compileBytecode({ python: others[0], dirs: [path.join(old, 'python')], layerRoot: old })
    const previous = path.join(old, '..', `${path.basename(old)}.zip`)
    await zipDirectory(old, previous)
    dirs.push(previous)
    const root = layerRoot(files)
    const result = await compileBytecode({
      python: python ?? 'python3',
      dirs: [path.join(root, 'python')],
      layerRoot: root,
      earlier: previous
    })
    expect(result.reused).toBe(0)
  })
})
