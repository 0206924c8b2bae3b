import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import {
  canRunTarget,
  classifyFailure,
  discoverModules,
  importAll,
  smokeTest,
  type ImportResult
} from '../../../src/checks/smoke-test.js'
import type { Architecture } from '../../../src/runtimes.js'
import { installDistribution, tempDir, writeFile } from '../../helpers/layer-fixtures.js'
import { findTestPython } from '../../helpers/python.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A site dir with the given files (relative path → content). */
function site(files: Record<string, string>): string {
  const dir = tempDir('smoke-site-')
  dirs.push(dir)
  for (const [rel, content] of Object.entries(files)) writeFile(path.join(dir, rel), content)
  return dir
}

describe('discoverModules', () => {
  const dir = site({
    'pkg_good/__init__.py': '',
    'pkg_good/sub.py': '',
    'single.py': '',
    '_speedups.cpython-311-x86_64-linux-gnu.so': '',
    'plainext.so': '',
    'ns/sub/__init__.py': '',
    'ns/data/readme.txt': '',
    'ns_mod/thing.py': '',
    'pkg.libs/libfoo.so.1': '',
    'bin/tool': '',
    '__pycache__/single.cpython-311.pyc': '',
    'tests/__init__.py': '',
    'not-an-identifier.py': '',
    'distutils-precedence.pth': '',
    'README.txt': '',
    'emptydir/notes.txt': ''
  })
  installDistribution(dir, {
    name: 'ns-dist',
    version: '1.0',
    files: { 'ns/sub/__init__.py': '' },
    topLevel: ['ns', 'missing_on_disk']
  })

  it.each([
    ['a regular package', 'pkg_good'],
    ['a single-file module', 'single'],
    ['an extension module', '_speedups'],
    ['an unversioned extension module', 'plainext'],
    ['a sub-package of a namespace folder', 'ns.sub'],
    ['a namespace folder holding modules', 'ns_mod']
  ])('finds %s (%s)', (_kind, name) => {
    return expect(discoverModules(dir)).resolves.toContain(name)
  })

  it.each([
    ['dist-info folders', 'ns_dist-1.0'],
    ['*.libs folders', 'pkg'],
    ['bin', 'bin'],
    ['__pycache__', '__pycache__'],
    ['test folders', 'tests'],
    ['non-identifiers', 'not-an-identifier'],
    ['.pth files', 'distutils-precedence'],
    ['folders without code', 'emptydir'],
    ['the namespace folder itself when sub-packages stand for it', 'ns'],
    ['top_level.txt names that are not on disk', 'missing_on_disk'],
    ['sub-modules of a package', 'pkg_good.sub']
  ])('skips %s (%s)', (_kind, name) => {
    return expect(discoverModules(dir)).resolves.not.toContain(name)
  })

  it('returns a sorted list without duplicates', async () => {
    const names = await discoverModules(dir)
    expect(names).toEqual([...new Set(names)].sort())
  })
})

describe('canRunTarget', () => {
  const original = { platform: process.platform, arch: process.arch }
  afterEach(() => {
    Object.defineProperty(process, 'platform', { value: original.platform })
    Object.defineProperty(process, 'arch', { value: original.arch })
  })

  it.each<[NodeJS.Platform, string, Architecture, boolean]>([
    ['linux', 'x64', 'x86_64', true],
    ['linux', 'x64', 'arm64', false],
    ['linux', 'arm64', 'arm64', true],
    ['linux', 'arm64', 'x86_64', false],
    ['darwin', 'arm64', 'arm64', false],
    ['win32', 'x64', 'x86_64', false]
  ])('%s/%s runner, %s target → %p', (platform, arch, target, expected) => {
    Object.defineProperty(process, 'platform', { value: platform })
    Object.defineProperty(process, 'arch', { value: arch })
    expect(canRunTarget(target)).toBe(expected)
  })
})

const python = findTestPython()
const withPython = python === undefined ? describe.skip : describe

withPython('smokeTest with a real interpreter', () => {
  const py = python ?? 'python3'
  const dir = site({
    'good_mod.py': 'VALUE = 1\n',
    'good_pkg/__init__.py': 'from . import helper\n',
    'good_pkg/helper.py': 'X = 2\n',
    'bad_mod.py': 'raise RuntimeError("boom at import")\n',
    'chatty.py': 'print("noise on stdout")\nprint("{\\"module\\": \\"fake\\", \\"ok\\": false}")\n',
    'exits.py': 'import sys\nsys.exit(3)\n'
  })
  installDistribution(dir, {
    name: 'bad-dist',
    version: '0.1',
    files: { 'bad_mod.py': 'raise RuntimeError("boom at import")\n' }
  })

  it('passes modules that import, reporting nothing for them', async () => {
    const findings = await smokeTest({
      python: py,
      siteDir: dir,
      modules: ['good_mod', 'good_pkg']
    })
    expect(findings).toEqual([])
  })

  it('reports a module whose import raises, by name, with the error', async () => {
    const findings = await smokeTest({ python: py, siteDir: dir })
    const bad = findings.find(f => f.message.includes('bad_mod'))
    expect(bad?.message).toContain('RuntimeError: boom at import')
  })

  it('names the distribution that installs the failing module', async () => {
    const findings = await smokeTest({ python: py, siteDir: dir, modules: ['bad_mod'] })
    expect(findings).toEqual([
      expect.objectContaining({ code: 'import-failed', package: 'bad-dist==0.1' })
    ])
  })

  it('warns on a failure that does not prove the layer broken, unless strict', async () => {
    const [auto] = await smokeTest({ python: py, siteDir: dir, modules: ['bad_mod'] })
    expect(auto.severity).toBe('warning')
    expect(auto.message).toMatch(/does not prove the layer broken/)
    const [strict] = await smokeTest({
      python: py,
      siteDir: dir,
      modules: ['bad_mod'],
      strict: true
    })
    expect(strict.severity).toBe('error')
    expect(strict.message).not.toMatch(/does not prove/)
  })

  it('tests every module: one failure does not hide the others', async () => {
    const results = await importAll(py, dir, ['bad_mod', 'good_mod', 'exits', 'good_pkg'])
    expect(results.map(r => [r.module, r.ok])).toEqual([
      ['bad_mod', false],
      ['good_mod', true],
      ['exits', false],
      ['good_pkg', true]
    ])
  })

  it('is not confused by modules printing to stdout', async () => {
    const results = await importAll(py, dir, ['chatty'])
    expect(results).toEqual([{ module: 'chatty', ok: true }])
  })

  it('does not see the host site-packages', async () => {
    // Precondition: the host interpreter itself can import pip.
    const hostHasPip = (() => {
      try {
        execFileSync(py, ['-c', 'import pip'], { stdio: 'ignore' })
        return true
      } catch {
        return false
      }
    })()
    const needsHost = site({ 'needs_host.py': 'import pip\n' })
    const results = await importAll(py, needsHost, ['needs_host'])
    expect({ hostHasPip, result: results[0]?.type }).toEqual({
      hostHasPip: true,
      result: 'ModuleNotFoundError'
    })
  })

  it('reports an interpreter crash and goes on with the next module', async () => {
    const crashing = site({
      'a_crash.py': 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n',
      'b_fine.py': ''
    })
    const results = await importAll(py, crashing, ['a_crash', 'b_fine'])
    expect(results.map(r => [r.module, r.ok, r.type])).toEqual([
      ['a_crash', false, 'Crash'],
      ['b_fine', true, undefined]
    ])
  })

  it('reports a hanging import as a timeout and goes on with the next module', async () => {
    const hanging = site({ 'a_hang.py': 'import time\ntime.sleep(60)\n', 'b_fine.py': '' })
    const results = await importAll(py, hanging, ['a_hang', 'b_fine'], 1500)
    expect(results.map(r => [r.module, r.ok, r.type])).toEqual([
      ['a_hang', false, 'Timeout'],
      ['b_fine', true, undefined]
    ])
  }, 20_000)

  it('explains a missing compiled part of a package in the layer', async () => {
    const partial = site({ 'core_pkg/__init__.py': 'from ._core import run\n' })
    const [finding] = await smokeTest({ python: py, siteDir: partial })
    expect(finding?.message).toContain('The layer has core_pkg but not core_pkg._core')
  })

  it('leaves no __pycache__ in the staged layer', async () => {
    const clean = site({ 'mod_a.py': 'X = 1\n' })
    await smokeTest({ python: py, siteDir: clean })
    expect(existsSync(path.join(clean, '__pycache__'))).toBe(false)
  })

  it('fails clearly when the interpreter does not exist', async () => {
    await expect(
      smokeTest({ python: '/nonexistent/python3', siteDir: dir, modules: ['good_mod'] })
    ).rejects.toThrow('Python interpreter not found: /nonexistent/python3')
  })
})

describe('classifyFailure', () => {
  const layer = new Set(['pandas', 'numpy', 'mypkg'])
  it.each<[string, Partial<ImportResult>, 'broken' | 'unproven']>([
    [
      'a binary incompatibility',
      {
        type: 'ValueError',
        message:
          'numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject'
      },
      'broken'
    ],
    [
      'an undefined symbol',
      { type: 'ImportError', message: '/opt/python/x.so: undefined symbol: PyFoo' },
      'broken'
    ],
    [
      'a missing library',
      {
        type: 'ImportError',
        message: 'libfoo.so.1: cannot open shared object file: No such file or directory'
      },
      'broken'
    ],
    [
      'a glibc too old',
      { type: 'ImportError', message: "/lib64/libc.so.6: version `GLIBC_2.28' not found" },
      'broken'
    ],
    ['code for another Python', { type: 'SyntaxError', message: 'invalid syntax' }, 'broken'],
    [
      'a missing dependency',
      { type: 'ModuleNotFoundError', message: "No module named 'attr'" },
      'broken'
    ],
    [
      'a missing part of a layer package',
      { type: 'ModuleNotFoundError', message: "No module named 'numpy._core'" },
      'broken'
    ],
    [
      'a name missing from a layer module',
      {
        type: 'ImportError',
        message: "cannot import name 'soft_unicode' from 'numpy' (/opt/python/numpy/__init__.py)"
      },
      'broken'
    ],
    ['a crash', { type: 'Crash', message: 'the interpreter died (SIGSEGV)' }, 'broken'],
    [
      'boto3, which the runtime provides',
      { type: 'ModuleNotFoundError', message: "No module named 'boto3'" },
      'unproven'
    ],
    ['a missing environment variable', { type: 'KeyError', message: "'DATABASE_URL'" }, 'unproven'],
    ['no AWS region', { type: 'NoRegionError', message: 'You must specify a region.' }, 'unproven'],
    [
      'no network',
      { type: 'ConnectionRefusedError', message: '[Errno 111] Connection refused' },
      'unproven'
    ],
    [
      'a slow import',
      { type: 'Timeout', message: 'the import did not finish within 120 s' },
      'unproven'
    ]
  ])('%s: %s', (_what, result, expected) => {
    expect(classifyFailure({ module: 'm', ok: false, ...result }, layer)).toBe(expected)
  })
})

describe('classifyFailure and optional dependencies', () => {
  const missing = {
    module: 'aurora_dsql_asyncpg',
    ok: false,
    type: 'ModuleNotFoundError',
    message: "No module named 'asyncpg'"
  }
  it('a module that needs an extra the layer lacks is not proof of a broken layer', () => {
    expect(classifyFailure(missing, new Set(['aurora_dsql_asyncpg']), new Set(['asyncpg']))).toBe(
      'unproven'
    )
  })
  it('the same missing module, required without an extra, is', () => {
    expect(classifyFailure(missing, new Set(['aurora_dsql_asyncpg']), new Set())).toBe('broken')
  })
})

describe('smokeTest reads optional dependencies from METADATA', () => {
  it('warns when a module needs a project its distribution requires only under an extra', async () => {
    const site = tempDir('smoke-optional-')
    installDistribution(site, {
      name: 'opt-dist',
      version: '1.0',
      topLevel: ['opt_mod'],
      files: { 'opt_mod.py': 'import lpl_absent_dep\n' }
    })
    const metadata = path.join(site, 'opt_dist-1.0.dist-info', 'METADATA')
    writeFile(
      metadata,
      'Metadata-Version: 2.1\nName: opt-dist\nVersion: 1.0\nRequires-Dist: lpl-absent-dep>=1; extra == "absent"\n'
    )
    const [finding] = await smokeTest({
      python: python ?? 'python3',
      siteDir: site,
      modules: ['opt_mod']
    })
    expect(finding).toMatchObject({ severity: 'warning', code: 'import-failed' })
    writeFile(
      metadata,
      'Metadata-Version: 2.1\nName: opt-dist\nVersion: 1.0\nRequires-Dist: lpl-absent-dep>=1\n'
    )
    const [required] = await smokeTest({
      python: python ?? 'python3',
      siteDir: site,
      modules: ['opt_mod']
    })
    expect(required).toMatchObject({ severity: 'error', code: 'import-broken' })
  })
})
