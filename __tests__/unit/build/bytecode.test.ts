import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { compileBytecode, lambdaPath } from '../../../src/build/bytecode.js'
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

  it('fails when the interpreter cannot run compileall', async () => {
    const root = layerRoot({ 'ok.py': 'x = 1\n' })
    await expect(
      compileBytecode({ python: '/no/such/python', dirs: [path.join(root, 'python')] })
    ).rejects.toThrow(/Compiling the Python files in .*python.* failed/)
  })
})
