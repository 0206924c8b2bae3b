/**
 * The layer's lifecycle through the bundled action against moto_server (one
 * server serves every region): several regions in one run, sharing with
 * accounts and organizations, pruning old versions, and the inputs that
 * fail before anything is published.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import {
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  ListLayerVersionsCommand
} from '@aws-sdk/client-lambda'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import {
  awsEnv,
  createFunction,
  lambda,
  layersOf,
  publishLayer,
  unique,
  versionCount
} from '../helpers/aws.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])
const ws = workspace('six==1.16.0\n')

async function act(inputs: Record<string, string>): Promise<ActionRun> {
  return await runAction(
    { runtimes: 'python3.12', ...inputs },
    { workspace: ws, toolCache, env: awsEnv() }
  )
}

const pipRan = (run: ActionRun): boolean => /-m pip install/.test(run.log)

async function codeSha256(layerVersionArn: string): Promise<string | undefined> {
  const [, , , region, , , name, version] = layerVersionArn.split(':')
  const out = await lambda(region).send(
    new GetLayerVersionCommand({ LayerName: name, VersionNumber: Number(version) })
  )
  return out.Content?.CodeSha256
}

/** The statement IDs of a version's policy (none: no policy). */
async function statementIds(layerVersionArn: string): Promise<string[]> {
  const [, , , region, , , name, version] = layerVersionArn.split(':')
  try {
    const out = await lambda(region).send(
      new GetLayerVersionPolicyCommand({ LayerName: name, VersionNumber: Number(version) })
    )
    const policy = JSON.parse(out.Policy ?? '{}') as { Statement?: Array<{ Sid: string }> }
    return (policy.Statement ?? []).map(s => s.Sid).sort()
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return []
    throw error
  }
}

describe('several regions', () => {
  const layer = unique('multi')
  const east = unique('fn-east')
  const west = unique('fn-west')
  let run: ActionRun
  let arns: Record<string, string>

  beforeAll(async () => {
    const eastArn = await createFunction(east, [], 'python3.12', 'us-east-1')
    const westArn = await createFunction(west, [], 'python3.12', 'eu-west-1')
    run = await act({
      'layer-name': layer,
      'aws-region': 'us-east-1, eu-west-1',
      functions: `${eastArn}\n${westArn}`
    })
    arns = JSON.parse(run.outputs['layer-version-arns'] ?? '{}') as Record<string, string>
  })

  it('publishes the same zip in each region', async () => {
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(Object.keys(arns)).toEqual(['us-east-1', 'eu-west-1'])
    expect(arns['us-east-1']).toMatch(/^arn:aws:lambda:us-east-1:\d{12}:layer:.+:1$/)
    expect(arns['eu-west-1']).toMatch(/^arn:aws:lambda:eu-west-1:\d{12}:layer:.+:1$/)
    const shas = await Promise.all(Object.values(arns).map(codeSha256))
    expect(shas[0]).toBe(run.outputs['code-sha256'])
    expect(shas[1]).toBe(shas[0])
  })

  it('keeps the single-region outputs for the first region', () => {
    expect(run.outputs['layer-version-arn']).toBe(arns['us-east-1'])
    expect(run.outputs['layer-version']).toBe('1')
  })

  it("gives each function its own region's version", async () => {
    expect(await layersOf(east, 'us-east-1')).toEqual([arns['us-east-1']])
    expect(await layersOf(west, 'eu-west-1')).toEqual([arns['eu-west-1']])
  })

  it('has one summary row per region', () => {
    expect(run.summary).toMatch(/Layer version \(us-east-1\)/)
    expect(run.summary).toMatch(/Layer version \(eu-west-1\)/)
  })

  it('reuses both versions on a re-run', async () => {
    const again = await act({ 'layer-name': layer, 'aws-region': 'us-east-1 eu-west-1' })
    expect(again.errors).toEqual([])
    expect(again.outputs.published).toBe('false')
    expect(JSON.parse(again.outputs['layer-version-arns'])).toEqual(arns)
  })
})

describe('share-with', () => {
  const layer = unique('shared')
  const account = 'lambda-python-layer-account-111122223333'
  const org = 'lambda-python-layer-org-o-a1b2c3d4e5'
  const regions = 'us-east-1,eu-west-1'
  const runs: Record<string, ActionRun> = {}

  beforeAll(async () => {
    runs.first = await act({
      'layer-name': layer,
      'aws-region': regions,
      'share-with': '111122223333, o-a1b2c3d4e5'
    })
    runs.again = await act({
      'layer-name': layer,
      'aws-region': regions,
      'share-with': '111122223333, o-a1b2c3d4e5'
    })
  })

  it('grants both principals on the version in each region', async () => {
    expect(runs.first.errors).toEqual([])
    const arns = Object.values(JSON.parse(runs.first.outputs['layer-version-arns']) as object)
    expect(arns).toHaveLength(2)
    for (const arn of arns as string[]) expect(await statementIds(arn)).toEqual([account, org])
    expect(runs.first.summary).toMatch(/Shared \(us-east-1\)/)
  })

  it('is idempotent: a re-run reuses the versions and keeps the grants', async () => {
    expect(runs.again.errors).toEqual([])
    expect(runs.again.outputs.published).toBe('false')
    expect(runs.again.log).toMatch(
      /already granted to account 111122223333, organization o-a1b2c3d4e5/
    )
    for (const arn of Object.values(
      JSON.parse(runs.again.outputs['layer-version-arns']) as object
    ) as string[]) {
      expect(await statementIds(arn)).toEqual([account, org])
    }
  })

  it('removes a principal no longer listed', async () => {
    const run = await act({
      'layer-name': layer,
      'aws-region': regions,
      'share-with': '111122223333'
    })
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(/removed from organization o-a1b2c3d4e5/)
    for (const arn of Object.values(
      JSON.parse(run.outputs['layer-version-arns']) as object
    ) as string[]) {
      expect(await statementIds(arn)).toEqual([account])
    }
  })

  it('leaves a layer private without share-with', async () => {
    const other = unique('private')
    const run = await act({ 'layer-name': other })
    expect(run.errors).toEqual([])
    expect(await statementIds(run.outputs['layer-version-arn'])).toEqual([])
  })
})

describe('keep-versions', () => {
  it('keeps the newest, the one in use by a function not listed, and deletes the rest', async () => {
    const layer = unique('pruned')
    const v1 = await publishLayer(layer, 'one')
    await createFunction(unique('fn-on-v1'), [v1])
    const v2 = await publishLayer(layer, 'two')
    await publishLayer(layer, 'three')
    const run = await act({ 'layer-name': layer, 'keep-versions': '2' })
    expect(run.errors).toEqual([])
    expect(run.outputs['layer-version']).toBe('4')
    expect(JSON.parse(run.outputs['deleted-versions'])).toEqual([v2])
    const left = await lambda().send(new ListLayerVersionsCommand({ LayerName: layer }))
    expect((left.LayerVersions ?? []).map(v => v.Version).sort()).toEqual([1, 3, 4])
    expect(run.log).toMatch(/deleted 2; kept .*1 \(in use by .*fn-on-v1/)
    expect(run.summary).toMatch(/Old versions/)
  })
})

describe('inputs that fail before anything is published', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'a malformed account ID',
      { 'share-with': '11112222333' },
      /Input `share-with`.*"11112222333"/
    ],
    [
      '* mixed into a list',
      { 'share-with': '111122223333 *' },
      /lists \* together with 111122223333: \* makes the layer public to every AWS account/
    ],
    [
      'several regions with one bucket name',
      { 'aws-region': 'us-east-1 eu-west-1', 's3-bucket': 'my-layers' },
      /Input `s3-bucket` is "my-layers", one bucket for 2 regions.*\{region\}/
    ],
    [
      'a function ARN in a region that is not listed',
      { functions: 'arn:aws:lambda:ap-south-1:123456789012:function:f' },
      /a function in ap-south-1, but `aws-region` lists us-east-1/
    ],
    ['a bad keep-versions', { 'keep-versions': 'two' }, /Input `keep-versions`.*"two"/]
  ])('%s', async (_what, inputs, message) => {
    const layer = unique('refused')
    const run = await act({ 'layer-name': layer, ...inputs })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(message)
    expect(pipRan(run)).toBe(false)
    expect(await versionCount(layer)).toBe(0)
  })
})
