/**
 * Publish and attach through the bundled action against moto_server, with
 * real pip installs: order-preserving attach, idempotent re-runs, and
 * failures that publish and change nothing.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import {
  awsEnv,
  createBucket,
  createFunction,
  layerSha256,
  layersOf,
  objectKeys,
  publishLayer,
  unique,
  versionCount
} from '../helpers/aws.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.11', '3.12'])

async function act(inputs: Record<string, string>, ws: string): Promise<ActionRun> {
  return await runAction(inputs, { workspace: ws, toolCache, env: awsEnv() })
}

describe('publish and attach', () => {
  const layer = unique('deps')
  const other = unique('other')
  const fnMixed = unique('fn-mixed')
  const fnEmpty = unique('fn-empty')
  const ws = workspace('six==1.16.0\n')
  let otherArn: string
  let oldOurs: string
  let first: ActionRun
  let second: ActionRun
  let layersAfterFirst: Record<string, string[]>

  beforeAll(async () => {
    otherArn = await publishLayer(other)
    oldOurs = await publishLayer(layer, 'old content')
    await createFunction(fnMixed, [otherArn, oldOurs])
    await createFunction(fnEmpty, [])
    const inputs = {
      'layer-name': layer,
      runtimes: 'python3.12',
      functions: `${fnMixed}\n${fnEmpty}`,
      description: 'six for tests'
    }
    first = await act(inputs, ws)
    layersAfterFirst = { [fnMixed]: await layersOf(fnMixed), [fnEmpty]: await layersOf(fnEmpty) }
    second = await act(inputs, ws)
  })

  it('publishes a new version', () => {
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(first.outputs.published).toBe('true')
    expect(first.outputs['layer-version']).toBe('2')
    expect(first.outputs['layer-version-arn']).toBe(oldOurs.replace(/:1$/, ':2'))
    expect(first.outputs['layer-arn']).toBe(oldOurs.replace(/:1$/, ''))
  })

  it('swaps our layer in place and keeps the other one first', () => {
    expect(layersAfterFirst[fnMixed]).toEqual([otherArn, first.outputs['layer-version-arn']])
  })

  it('appends to a function with no layers', () => {
    expect(layersAfterFirst[fnEmpty]).toEqual([first.outputs['layer-version-arn']])
  })

  it('reports both functions as updated', () => {
    const updated = JSON.parse(first.outputs['updated-functions']) as string[]
    expect(updated).toHaveLength(2)
    expect(updated.some(a => a.endsWith(`:function:${fnMixed}`))).toBe(true)
    expect(updated.some(a => a.endsWith(`:function:${fnEmpty}`))).toBe(true)
  })

  it('writes a job summary with the version and the functions', () => {
    expect(first.summary).toContain(first.outputs['layer-version-arn'])
    expect(first.summary).toContain(fnMixed)
    expect(first.summary).toContain('six==1.16.0')
  })

  it('publishes nothing on an identical second run and changes no function', async () => {
    expect(second.exitCode).toBe(0)
    expect(second.outputs.published).toBe('false')
    expect(second.outputs['layer-version-arn']).toBe(first.outputs['layer-version-arn'])
    expect(second.outputs['updated-functions']).toBe('[]')
    expect(await versionCount(layer)).toBe(2)
    expect(await layersOf(fnMixed)).toEqual(layersAfterFirst[fnMixed])
    expect(await layersOf(fnEmpty)).toEqual(layersAfterFirst[fnEmpty])
  })
})

describe('failures publish nothing and change nothing', () => {
  const layer = unique('guarded')
  const fnOk = unique('fn-ok')
  const fnFull = unique('fn-full')
  let before: string[]
  let fullLayers: string[]

  beforeAll(async () => {
    await publishLayer(layer, 'v1')
    const okLayers = [await publishLayer(unique('l'))]
    await createFunction(fnOk, okLayers)
    fullLayers = []
    for (let i = 0; i < 5; i++) fullLayers.push(await publishLayer(unique(`full${i}`)))
    await createFunction(fnFull, fullLayers)
    before = await layersOf(fnOk)
  })

  async function expectUntouched(): Promise<void> {
    expect(await versionCount(layer)).toBe(1)
    expect(await layersOf(fnOk)).toEqual(before)
    expect(await layersOf(fnFull)).toEqual(fullLayers)
  }

  const base = (extra: Record<string, string> = {}) => ({
    'layer-name': layer,
    runtimes: 'python3.12',
    functions: fnOk,
    ...extra
  })

  it.each<[string, Record<string, string>, string, RegExp]>([
    [
      'a missing function',
      { functions: `${fnOk}, no-such-fn-xyz` },
      'six==1.16.0',
      /no-such-fn-xyz/
    ],
    [
      'a function already at five layers',
      { functions: `${fnOk}\n${fnFull}` },
      'six==1.16.0',
      /already has 5 other layers.*Lambda allows 5 per function/
    ],
    ['an unknown runtime', { runtimes: 'python3.8' }, 'six==1.16.0', /`runtimes`.*"python3\.8"/],
    [
      'an unknown architecture',
      { architectures: 'sparc' },
      'six==1.16.0',
      /`architectures`.*"sparc"/
    ],
    ['a bad layer name', { 'layer-name': 'bad name!' }, 'six==1.16.0', /layer-name "bad name!"/],
    [
      'compiled code for another Python version than a function runs',
      { runtimes: 'python3.11' },
      'markupsafe==2.1.5',
      /runs python3\.12: its compiled packages are built for python3\.11 and will not import/
    ],
    [
      'compiled code for another architecture than a function runs',
      { architectures: 'arm64' },
      'markupsafe==2.1.5',
      /runs on x86_64, but the layer's compiled packages are built for arm64/
    ],
    [
      'a package that does not exist',
      {},
      'no-such-package-xyz-123==1.0\n',
      /no-such-package-xyz-123.*not found/
    ]
  ])('%s', async (_what, inputs, requirements, message) => {
    const result = await act(base(inputs), workspace(requirements))
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(message)
    if (_what === 'a function already at five layers')
      expect(result.errors.join('\n')).toContain(fnFull)
    await expectUntouched()
  })

  it('a package with no wheel for the target', async () => {
    // Its only wheel needs glibc 2.28; python3.11 runs on glibc 2.26.
    const ws = workspace('onlynew==1.0\n')
    const wheels = path.join(ws, 'wheels')
    makeWheel(wheels, {
      name: 'onlynew',
      version: '1.0',
      tag: 'cp311-cp311-manylinux_2_28_x86_64',
      files: { 'onlynew/__init__.py': '' }
    })
    const result = await act(
      base({ runtimes: 'python3.11', 'pip-args': `--no-index --find-links ${wheels}` }),
      ws
    )
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(/onlynew==1\.0 has no wheel for python3\.11 \/ x86_64/)
    expect(error).toContain('glibc 2.26')
    await expectUntouched()
  })

  it('no AWS credentials: fails before building, saying what to add', async () => {
    const result = await runAction(base(), {
      workspace: workspace('six==1.16.0\n'),
      toolCache,
      env: {
        ...awsEnv(),
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_EC2_METADATA_DISABLED: 'true'
      }
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/no AWS credentials found.*configure-aws-credentials/)
    expect(result.log).not.toMatch(/-m pip install/)
    await expectUntouched()
  })
})

describe('publishing through S3 (s3-bucket)', () => {
  it('uploads the zip under <prefix>/<layer>/<sha256>.zip and publishes from it', async () => {
    const bucket = unique('layers-bucket')
    const layer = unique('via-s3')
    await createBucket(bucket)
    const result = await act(
      { 'layer-name': layer, runtimes: 'python3.12', 's3-bucket': `${bucket}/ci/layers` },
      workspace('six==1.16.0\n')
    )
    expect(result.errors).toEqual([])
    expect(result.outputs.published).toBe('true')
    const hex = Buffer.from(result.outputs['code-sha256'], 'base64').toString('hex')
    // The SBOM is next to the zip, named by the zip's SHA-256.
    expect((await objectKeys(bucket)).sort()).toEqual([
      `ci/layers/${layer}/${hex}.cdx.json`,
      `ci/layers/${layer}/${hex}.zip`
    ])
    expect(await layerSha256(result.outputs['layer-version-arn'])).toBe(
      result.outputs['code-sha256']
    )
  })

  it('fails naming the bucket when it does not exist, before building, publishing nothing', async () => {
    const layer = unique('no-bucket')
    const result = await act(
      { 'layer-name': layer, runtimes: 'python3.12', 's3-bucket': 'no-such-bucket-xyz-123' },
      workspace('six==1.16.0\n')
    )
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /Input `s3-bucket`: bucket no-such-bucket-xyz-123 does not exist \(looked in us-east-1\)/
    )
    expect(result.log).not.toMatch(/-m pip install/)
    expect(await versionCount(layer)).toBe(0)
  })
})
