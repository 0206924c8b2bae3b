import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import {
  compileBytecode,
  inTestSuite,
  lambdaPath,
  testSuiteExclusion
} from '../../../src/build/bytecode.js'
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

  it("escapes the folder in compileall's -x pattern character by character", () => {
    const dir = '/tmp/a b/é+x (1)/[t]{2}$^/python'
    const matched = (file: string): string =>
      execFileSync(
        py,
        ['-c', 'import re, sys; print(bool(re.search(sys.argv[1], sys.argv[2])))', testSuiteExclusion(dir), file],
        { encoding: 'utf8' }
      ).trim()
    expect(matched(`${dir}/pkg/tests/test_x.py`)).toBe('True')
    expect(matched(`${dir}/pkg/core.py`)).toBe('False')
    expect(matched(`${dir}/tests/x.py`)).toBe('False')
    expect(matched(`/tmp/a b/é+x (1)/[t]{2}$^/pythonX/pkg/tests/test_x.py`)).toBe('False')
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

  it('fails when the interpreter cannot run compileall', async () => {
    const root = layerRoot({ 'ok.py': 'x = 1\n' })
    await expect(
      compileBytecode({ python: '/no/such/python', dirs: [path.join(root, 'python')] })
    ).rejects.toThrow(/Compiling the Python files in .*python.* failed/)
  })
})
