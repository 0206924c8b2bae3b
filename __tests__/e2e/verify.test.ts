/**
 * Verification through the bundled action: a binary that needs a newer glibc
 * than the runtime has fails before anything is published; the import smoke
 * test catches a module that cannot import; compiled bytecode is reproducible.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { awsEnv, unique, versionCount } from '../helpers/aws.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { compileNewGlibcObject, makeWheel } from '../helpers/wheel.js'
import { buildElf } from '../helpers/elf-fixtures.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.11', '3.12'])

describe('a shared object that needs a newer glibc than the runtime', () => {
  const layer = unique('newglibc')
  let result: ActionRun

  beforeAll(async () => {
    const so = compileNewGlibcObject()
    expect(so).toBeDefined()
    const ws = workspace('fastthing==1.0\nsix==1.16.0\n')
    // The wheel claims manylinux_2_17 but its extension was built against glibc 2.34+:
    // the kind of wheel that slips through tag checks and crashes on Lambda.
    makeWheel(path.join(ws, 'wheels'), {
      name: 'fastthing',
      version: '1.0',
      tag: 'cp311-cp311-manylinux_2_17_x86_64',
      files: {
        'fastthing/__init__.py': 'from ._speedups import *\n',
        'fastthing/_speedups.cpython-311-x86_64-linux-gnu.so': so ?? ''
      }
    })
    result = await runAction(
      {
        'layer-name': layer,
        runtimes: 'python3.11',
        'pip-args': `--find-links ${path.join(ws, 'wheels')}`
      },
      { workspace: ws, toolCache, env: awsEnv() }
    )
  })

  it('fails naming the file, the package and the glibc versions', () => {
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toContain('python/fastthing/_speedups.cpython-311-x86_64-linux-gnu.so')
    expect(error).toContain('fastthing==1.0')
    expect(error).toMatch(/GLIBC_2\.3[4-9]|glibc 2\.3[4-9]/)
    expect(error).toContain('2.26')
  })

  it('publishes nothing', async () => {
    expect(result.log).not.toMatch(/Published arn:/)
    expect(await versionCount(layer)).toBe(0)
  })
})

describe("libraries the Lambda OS lacks: proven from the files, not from this runner's libraries", () => {
  const layer = unique('opencv')
  let opencv: ActionRun
  let headless: ActionRun

  beforeAll(async () => {
    // The real wheels: opencv-python's Qt needs libGL.so.1 and X11, which
    // every Ubuntu runner has and no Lambda OS does.
    opencv = await runAction(
      { 'layer-name': layer, runtimes: 'python3.12' },
      { workspace: workspace('opencv-python==4.10.0.84\nnumpy==2.1.3\n'), toolCache, env: awsEnv() }
    )
    headless = await runAction(
      { 'layer-name': 'opencv-headless', runtimes: 'python3.12', publish: 'false' },
      { workspace: workspace('opencv-python-headless==4.10.0.84\nnumpy==2.1.3\n'), toolCache }
    )
  })

  it('refuses opencv-python before publishing, naming libGL.so.1 and opencv-python-headless', async () => {
    expect(opencv.exitCode).toBe(1)
    const error = opencv.errors.join('\n')
    expect(error).toContain('opencv-python==4.10.0.84')
    expect(error).toContain('libGL.so.1')
    expect(error).toMatch(/python3\.12 on x86_64 Lambda \(Amazon Linux 2023\) does not have/)
    expect(error).toContain('Use opencv-python-headless')
    expect(await versionCount(layer)).toBe(0)
  })

  it('builds opencv-python-headless', () => {
    expect(headless.errors).toEqual([])
    expect(headless.exitCode).toBe(0)
  })
})

describe('a library that needs a newer libstdc++ than Amazon Linux 2 has', () => {
  const runs: Record<string, ActionRun> = {}

  beforeAll(async () => {
    const ws = workspace('cxxthing==1.0\n')
    // An extension module of the package (its __init__ does not import it, so the
    // import test on this runner, which has a newer libstdc++, leaves it alone).
    makeWheel(path.join(ws, 'wheels'), {
      name: 'cxxthing',
      version: '1.0',
      tag: 'py3-none-manylinux_2_17_x86_64',
      files: {
        'cxxthing/__init__.py': '',
        'cxxthing/_native.abi3.so': buildElf({
          needs: [
            { file: 'libc.so.6', versions: ['GLIBC_2.17'] },
            { file: 'libstdc++.so.6', versions: ['GLIBCXX_3.4', 'GLIBCXX_3.4.26'] }
          ]
        })
      }
    })
    for (const runtime of ['python3.11', 'python3.12']) {
      runs[runtime] = await runAction(
        {
          'layer-name': 'cxx',
          runtimes: runtime,
          publish: 'false',
          'pip-args': `--find-links ${path.join(ws, 'wheels')}`
        },
        { workspace: ws, toolCache }
      )
    }
  })

  it('fails for python3.11 (GCC 7: GLIBCXX_3.4.24), naming the version, the library and python3.12', () => {
    expect(runs['python3.11'].exitCode).toBe(1)
    const error = runs['python3.11'].errors.join('\n')
    expect(error).toContain(
      'python/cxxthing/_native.abi3.so (cxxthing==1.0) needs GLIBCXX_3.4.26 of libstdc++.so.6'
    )
    expect(error).toContain('has up to GLIBCXX_3.4.24')
    expect(error).toContain('Use python3.12 or newer (Amazon Linux 2023)')
  })

  it('passes for python3.12 (GCC 11: GLIBCXX_3.4.29)', () => {
    expect(runs['python3.12'].errors).toEqual([])
    expect(runs['python3.12'].exitCode).toBe(0)
  })
})

describe('import smoke test', () => {
  let bad: ActionRun
  let good: ActionRun
  let badArm: ActionRun

  beforeAll(async () => {
    const ws = workspace('brokenimport==1.0\nsix==1.16.0\n')
    makeWheel(path.join(ws, 'wheels'), {
      name: 'brokenimport',
      version: '1.0',
      tag: 'py3-none-any',
      files: { 'brokenimport/__init__.py': 'import a_module_that_is_not_in_the_layer\n' }
    })
    const inputs = {
      'layer-name': 'smoke',
      runtimes: 'python3.12',
      publish: 'false',
      'smoke-test': 'true',
      'pip-args': `--find-links ${path.join(ws, 'wheels')}`
    }
    bad = await runAction(inputs, { workspace: ws, toolCache })
    // Pure Python imports the same on every CPU: an arm64 layer is tested here too.
    badArm = await runAction({ ...inputs, architectures: 'arm64' }, { workspace: ws, toolCache })
    good = await runAction(
      { ...inputs, 'pip-args': '' },
      { workspace: workspace('six==1.16.0\nidna==3.7\n'), toolCache }
    )
  })

  it('fails on a module whose import fails, naming it and the error', () => {
    expect(bad.exitCode).toBe(1)
    const error = bad.errors.join('\n')
    expect(error).toContain('brokenimport')
    expect(error).toContain('a_module_that_is_not_in_the_layer')
  })

  it('tests a pure-Python layer for arm64 on an x86_64 runner too', () => {
    if (process.arch !== 'x64') return
    expect(badArm.exitCode).toBe(1)
    expect(badArm.log).not.toMatch(/smoke-test skipped/)
    expect(badArm.errors.join('\n')).toContain('a_module_that_is_not_in_the_layer')
  })

  it('passes on a good layer', () => {
    expect(good.errors).toEqual([])
    expect(good.exitCode).toBe(0)
    expect(good.log).toMatch(/imports in a clean interpreter/)
  })
})

describe('compile: true', () => {
  let first: ActionRun
  let second: ActionRun

  beforeAll(async () => {
    const inputs = {
      'layer-name': 'compiled',
      runtimes: 'python3.12',
      publish: 'false',
      compile: 'true'
    }
    first = await runAction(inputs, { workspace: workspace('six==1.16.0\n'), toolCache })
    second = await runAction(inputs, { workspace: workspace('six==1.16.0\n'), toolCache })
  })

  it('adds .pyc files for the runtime next to the sources', () => {
    expect(first.exitCode).toBe(0)
    expect(entries(first.outputs['zip-path'])).toContain('python/__pycache__/six.cpython-312.pyc')
  })

  it('stays reproducible', () => {
    expect(second.exitCode).toBe(0)
    expect(second.outputs['code-sha256']).toBe(first.outputs['code-sha256'])
  })
})
