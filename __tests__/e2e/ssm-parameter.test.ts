/**
 * ssm-parameter through the bundled action against moto_server: the layer
 * version ARN written once and not again by an unchanged re-run, a reused
 * version written when the parameter held something else, one parameter
 * per region with {region}, a bad name refused before anything is
 * published, and failures to read or write that say what is done.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { awsEnv, createFunction, layersOf, REGION, unique, versionCount } from '../helpers/aws.js'
import { awsError, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])
const ws = workspace('six==1.16.0\n')

let proxy: FaultProxy

beforeAll(async () => {
  proxy = await startFaultProxy()
})

afterAll(async () => {
  await proxy?.stop()
})

/** Runs the action through the fault proxy (which passes everything unless told otherwise). */
async function act(inputs: Record<string, string>): Promise<ActionRun> {
  return await runAction(
    { runtimes: 'python3.12', ...inputs },
    { workspace: ws, toolCache, env: { ...awsEnv(), ...proxy.env() } }
  )
}

const ssm = (region = REGION): SSMClient =>
  new SSMClient({
    region,
    endpoint: process.env.E2E_AWS_ENDPOINT_URL,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
  })

async function parameter(
  name: string,
  region = REGION
): Promise<{ value?: string; version?: number; modified?: number; type?: string } | undefined> {
  try {
    const out = await ssm(region).send(new GetParameterCommand({ Name: name }))
    return {
      value: out.Parameter?.Value,
      version: out.Parameter?.Version,
      modified: out.Parameter?.LastModifiedDate?.getTime(),
      type: out.Parameter?.Type
    }
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined
    throw error
  }
}

const puts = (): number => proxy.requests().filter(r => r.op === 'SSM:PutParameter').length

describe('ssm-parameter', () => {
  const layer = unique('ssm-deps')
  const name = `/layers/${layer}`
  const runs: Record<string, ActionRun> = {}
  const after: Record<string, Awaited<ReturnType<typeof parameter>>> = {}
  const writes: Record<string, number> = {}

  beforeAll(async () => {
    for (const run of ['first', 'again'] as const) {
      proxy.reset()
      runs[run] = await act({ 'layer-name': layer, 'ssm-parameter': name })
      after[run] = await parameter(name)
      writes[run] = puts()
    }
    // Someone else changes the parameter: the next run reuses the version and writes it back.
    await ssm().send(
      new PutParameterCommand({
        Name: name,
        Value: 'something else',
        Type: 'String',
        Overwrite: true
      })
    )
    proxy.reset()
    runs.reused = await act({ 'layer-name': layer, 'ssm-parameter': name })
    after.reused = await parameter(name)
    writes.reused = puts()
  })

  it('writes the layer version ARN as a String', () => {
    expect(runs.first.errors).toEqual([])
    expect(runs.first.exitCode).toBe(0)
    expect(after.first).toMatchObject({
      value: runs.first.outputs['layer-version-arn'],
      version: 1,
      type: 'String'
    })
    expect(writes.first).toBe(1)
    expect(runs.first.outputs['ssm-parameter-written']).toBe('true')
    expect(runs.first.summary).toContain('Parameter Store')
    expect(runs.first.summary).toContain(`${name}</code>: written`)
  })

  it('makes no write on an unchanged re-run', () => {
    expect(runs.again.errors).toEqual([])
    expect(runs.again.outputs.published).toBe('false')
    expect(writes.again).toBe(0)
    expect(after.again).toEqual(after.first)
    expect(runs.again.outputs['ssm-parameter-written']).toBe('false')
    expect(runs.again.summary).toContain(`${name}</code>: already held it`)
  })

  it('writes a reused version when the parameter held something else', () => {
    expect(runs.reused.errors).toEqual([])
    expect(runs.reused.outputs.published).toBe('false')
    expect(writes.reused).toBe(1)
    expect(after.reused).toMatchObject({
      value: runs.first.outputs['layer-version-arn'],
      version: 3
    })
    expect(runs.reused.outputs['ssm-parameter-written']).toBe('true')
  })
})

describe('ssm-parameter with {region}', () => {
  it("writes each region's version to that region's parameter", async () => {
    proxy.reset()
    const layer = unique('ssm-regions')
    const run = await act({
      'layer-name': layer,
      'aws-region': 'us-east-1, eu-west-1',
      'ssm-parameter': `/layers/${layer}/{region}`
    })
    expect(run.errors).toEqual([])
    const arns = JSON.parse(run.outputs['layer-version-arns']) as Record<string, string>
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(arns[region]).toContain(`:${region}:`)
      expect((await parameter(`/layers/${layer}/${region}`, region))?.value).toBe(arns[region])
      // The other region's name is not written here.
      const other = region === 'us-east-1' ? 'eu-west-1' : 'us-east-1'
      expect(await parameter(`/layers/${layer}/${other}`, region)).toBeUndefined()
    }
    expect(run.summary).toMatch(/Parameter Store \(eu-west-1\)/)
  })
})

describe('ssm-parameter failures', () => {
  it('refuses a bad name before anything is published', async () => {
    proxy.reset()
    const layer = unique('ssm-badname')
    const run = await act({ 'layer-name': layer, 'ssm-parameter': '/aws/my-deps' })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors.join('\n')).toMatch(
      /Input `ssm-parameter` is "\/aws\/my-deps", which is not a Parameter Store name: .*reserved by AWS/
    )
    expect(proxy.requests()).toEqual([])
    expect(await versionCount(layer)).toBe(0)
  })

  it('fails in the preflight, naming ssm:GetParameter, when the parameter cannot be read', async () => {
    proxy.reset()
    proxy.add({
      op: 'SSM:GetParameter',
      action: awsError(400, 'AccessDeniedException', 'not authorized to perform ssm:GetParameter')
    })
    const layer = unique('ssm-noread')
    const run = await act({ 'layer-name': layer, 'ssm-parameter': `/layers/${layer}` })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors.join('\n')).toMatch(
      /Reading parameter \/layers\/.* in us-east-1 \(input `ssm-parameter`\) failed \(the credentials need ssm:GetParameter on arn:aws:ssm:us-east-1:<account>:parameter\/layers\//
    )
    expect(proxy.requests().some(r => r.op === 'PublishLayerVersion')).toBe(false)
    expect(await versionCount(layer)).toBe(0)
  })

  it('says the layer and the functions are done when the write fails', async () => {
    proxy.reset()
    proxy.add({
      op: 'SSM:PutParameter',
      action: awsError(400, 'AccessDeniedException', 'not authorized to perform ssm:PutParameter')
    })
    const layer = unique('ssm-nowrite')
    const fn = unique('fn-ssm')
    await createFunction(fn)
    const run = await act({
      'layer-name': layer,
      functions: fn,
      'ssm-parameter': `/layers/${layer}`
    })
    expect(run.exitCode).not.toBe(0)
    const arn = run.outputs['layer-version-arn']
    expect(arn).toMatch(/:layer:.+:1$/)
    const error = run.errors.join('\n')
    expect(error).toContain(
      `The layer is published and the functions are done (us-east-1: ${arn}); the layer version ARN is not in Parameter Store in us-east-1`
    )
    expect(error).toContain('ssm:PutParameter on arn:aws:ssm:us-east-1:<account>:parameter/layers/')
    expect(await layersOf(fn)).toEqual([arn])
    expect(await parameter(`/layers/${layer}`)).toBeUndefined()
    expect(run.summary).toContain(`/layers/${layer}</code>: not written`)
  })
})
