/**
 * Each switch in action.yml does what it says, through the bundled action:
 * reuse-unchanged, description and license-info, cache, verify, compile.
 */
import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace } from '../helpers/action.js'
import { awsEnv, layerVersionInfo, unique, versionCount } from '../helpers/aws.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { compileNewGlibcObject, makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.11', '3.12'])

describe('reuse-unchanged, description, license-info', () => {
  it('publishes identical content again when reuse-unchanged is false, with its metadata', async () => {
    const layer = unique('meta')
    const ws = workspace('six==1.16.0\n')
    const inputs = {
      'layer-name': layer,
      runtimes: 'python3.12',
      description: 'six for the API',
      'license-info': 'MIT'
    }
    const first = await runAction(inputs, { workspace: ws, toolCache, env: awsEnv() })
    const again = await runAction(
      { ...inputs, 'reuse-unchanged': 'false' },
      { workspace: ws, toolCache, env: awsEnv() }
    )
    expect(first.outputs.published).toBe('true')
    expect(again.errors).toEqual([])
    expect(again.outputs.published).toBe('true')
    expect(again.outputs['layer-version']).toBe('2')
    expect(again.outputs['code-sha256']).toBe(first.outputs['code-sha256'])
    expect(await versionCount(layer)).toBe(2)
    expect(await layerVersionInfo(again.outputs['layer-version-arn'])).toEqual({
      description: `six for the API [sbom ${again.outputs['zip-sha256']}.cdx.json]`,
      licenseInfo: 'MIT',
      runtimes: ['python3.12']
    })
  })
})

describe('cache: false', () => {
  it('says so in the summary and still builds', async () => {
    const result = await runAction(
      { 'layer-name': 'nocache', runtimes: 'python3.12', publish: 'false', cache: 'false' },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(result.exitCode).toBe(0)
    expect(result.outputs['cache-hit']).toBe('false')
    expect(result.summary).toMatch(/Cache<\/td><td>disabled \(cache: false\)/)
    expect(result.log).not.toMatch(/No GitHub Actions cache service/)
  })
})

describe('verify: false', () => {
  it('lets a binary for a newer glibc through (the checks are really off)', async () => {
    const ws = workspace('fastthing==1.0\n')
    makeWheel(path.join(ws, 'wheels'), {
      name: 'fastthing',
      version: '1.0',
      tag: 'cp311-cp311-manylinux_2_17_x86_64',
      files: {
        'fastthing/_speedups.cpython-311-x86_64-linux-gnu.so': compileNewGlibcObject() ?? ''
      }
    })
    const inputs = {
      'layer-name': 'unverified',
      runtimes: 'python3.11',
      publish: 'false',
      'pip-args': `--find-links ${path.join(ws, 'wheels')}`
    }
    const on = await runAction(inputs, { workspace: ws, toolCache })
    const off = await runAction({ ...inputs, verify: 'false' }, { workspace: ws, toolCache })
    expect(on.exitCode).toBe(1)
    expect(off.errors).toEqual([])
    expect(off.exitCode).toBe(0)
  })
})

describe('compile: false', () => {
  it('ships sources only', async () => {
    const result = await runAction(
      { 'layer-name': 'sources', runtimes: 'python3.12', publish: 'false', compile: 'false' },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(result.exitCode).toBe(0)
    const names = entries(result.outputs['zip-path'])
    expect(names).toContain('python/six.py')
    expect(names.filter(n => n.endsWith('.pyc'))).toEqual([])
  })
})

describe('python-version', () => {
  it('uses the interpreter it names', async () => {
    const version = fs.readdirSync(path.join(toolCache, 'Python')).find(v => v.startsWith('3.12.'))
    const arch = process.arch === 'arm64' ? 'arm64' : 'x64'
    const python = path.join(toolCache, 'Python', version ?? 'missing', arch, 'bin', 'python3')
    const result = await runAction(
      {
        'layer-name': 'pinned-python',
        runtimes: 'python3.12',
        publish: 'false',
        'python-version': python
      },
      { workspace: workspace('six==1.16.0\n'), toolCache: path.join(os.tmpdir(), 'no-tool-cache') }
    )
    expect(result.errors).toEqual([])
    expect(result.log).toContain(`python3.12: Python ${version} at ${python} (python-version)`)
  })
})
