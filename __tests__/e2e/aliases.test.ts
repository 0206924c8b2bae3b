/**
 * Production deploys through dist/index.js, against moto: an alias in
 * `functions` moves to a new published version that carries the new layer;
 * a weighted alias and a numbered version are refused before anything is
 * published; two overlapping runs never leave the alias on the older layer.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand
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

/** A function with version 1 published and alias `live` on it (weighted when asked). */
async function functionWithAlias(name: string, weights?: Record<string, number>): Promise<string> {
  const arn = await createFunction(name)
  await lambda().send(new PublishVersionCommand({ FunctionName: name }))
  if (weights) {
    await lambda().send(new PublishVersionCommand({ FunctionName: name, Description: 'v2' }))
  }
  await lambda().send(
    new CreateAliasCommand({
      FunctionName: name,
      Name: 'live',
      FunctionVersion: '1',
      ...(weights ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {})
    })
  )
  return arn
}

async function aliasVersion(name: string): Promise<string | undefined> {
  const alias = await lambda().send(new GetAliasCommand({ FunctionName: name, Name: 'live' }))
  return alias.FunctionVersion
}

async function layersOfVersion(name: string, version: string): Promise<string[]> {
  const config = await lambda().send(
    new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: version })
  )
  return (config.Layers ?? []).map(l => l.Arn ?? '')
}

const inputs = (layer: string, functions: string): Record<string, string> => ({
  'layer-name': layer,
  runtimes: 'python3.12',
  functions
})

describe('an alias in functions', () => {
  const layer = unique('alias-deps')
  const fn = unique('orders-api')
  let arn = ''
  let result: ActionRun

  beforeAll(async () => {
    arn = await functionWithAlias(fn)
    result = await runAction(inputs(layer, `${fn}:live`), {
      workspace: workspace('six==1.16.0\n'),
      toolCache,
      env: awsEnv()
    })
  }, 120_000)

  it('moves the alias to a new version that carries the new layer', async () => {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const version = await aliasVersion(fn)
    expect(version).toBe('2')
    expect(await layersOfVersion(fn, '2')).toEqual([result.outputs['layer-version-arn']])
    expect(await layersOf(fn)).toEqual([result.outputs['layer-version-arn']])
  })

  it('names the alias and its new version in the outputs and the summary', () => {
    expect(JSON.parse(result.outputs['function-versions'])).toEqual({ [`${arn}:live`]: `${arn}:2` })
    expect(JSON.parse(result.outputs['updated-functions'])).toEqual([arn, `${arn}:live`])
    const row = result.summary.split('<tr>').find(r => r.includes(`${arn}:live`)) ?? ''
    expect(row).toContain('version 1')
    expect(row).toMatch(/version 2 \(alias-deps-[^:]+:1\)/)
    expect(row).toContain('alias moved')
  })

  it('publishes no version and moves nothing on an unchanged rerun', async () => {
    const again = await runAction(inputs(layer, `${fn}:live`), {
      workspace: workspace('six==1.16.0\n'),
      toolCache,
      env: awsEnv()
    })
    expect(again.exitCode).toBe(0)
    expect(await aliasVersion(fn)).toBe('2')
    expect(JSON.parse(again.outputs['updated-functions'])).toEqual([])
  }, 120_000)
})

describe('refused before anything is published', () => {
  it('a weighted alias, naming the weights', async () => {
    const layer = unique('alias-weighted')
    const fn = unique('fn-weighted')
    await functionWithAlias(fn, { '2': 0.25 })
    const result = await runAction(inputs(layer, `${fn}:live`), {
      workspace: workspace('six==1.16.0\n'),
      toolCache,
      env: awsEnv()
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /alias live routes 75% to version 1, 25% to version 2 .*weighted-aliases: replace/
    )
    expect(await versionCount(layer)).toBe(0)
    expect(await aliasVersion(fn)).toBe('1')
  }, 120_000)

  it('a numbered version, which is immutable', async () => {
    const layer = unique('alias-numbered')
    const fn = unique('fn-numbered')
    await functionWithAlias(fn)
    const result = await runAction(inputs(layer, `${fn}:1`), {
      workspace: workspace('six==1.16.0\n'),
      toolCache,
      env: awsEnv()
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(/published version 1, which is immutable/)
    expect(await versionCount(layer)).toBe(0)
  }, 120_000)
})

describe('two overlapping runs', () => {
  it('never leave the alias on the older layer', async () => {
    const layer = unique('alias-race')
    const fn = unique('fn-race')
    await functionWithAlias(fn)
    const [a, b] = await Promise.all([
      runAction(inputs(layer, `${fn}:live`), {
        workspace: workspace('six==1.16.0\n'),
        toolCache,
        env: awsEnv()
      }),
      runAction(inputs(layer, `${fn}:live`), {
        workspace: workspace('six==1.17.0\n'),
        toolCache,
        env: awsEnv()
      })
    ])
    expect(a.errors).toEqual([])
    expect(b.errors).toEqual([])
    const newest = [a, b]
      .map(r => r.outputs['layer-version-arn'])
      .sort((x, y) => Number(x.split(':').at(-1)) - Number(y.split(':').at(-1)))
      .at(-1)
    const version = (await aliasVersion(fn)) ?? ''
    expect(await layersOfVersion(fn, version)).toEqual([newest])
    expect(await layersOf(fn)).toEqual([newest])
  }, 240_000)
})

describe('all-functions-using-layer', () => {
  it('finds the functions and aliases that use the layer, and leaves the others alone', async () => {
    const layer = unique('users-deps')
    const first = await publishLayer(layer)
    const other = await publishLayer(unique('other-deps'))
    const user = unique('fn-user')
    const aliased = unique('fn-aliased')
    const stranger = unique('fn-stranger')
    const userArn = await createFunction(user, [first])
    const aliasedArn = await createFunction(aliased, [first])
    await lambda().send(new PublishVersionCommand({ FunctionName: aliased }))
    await lambda().send(
      new CreateAliasCommand({ FunctionName: aliased, Name: 'live', FunctionVersion: '1' })
    )
    await createFunction(stranger, [other])
    const result = await runAction(
      { 'layer-name': layer, runtimes: 'python3.12', 'all-functions-using-layer': 'true' },
      { workspace: workspace('six==1.16.0\n'), toolCache, env: awsEnv() }
    )
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const arn = result.outputs['layer-version-arn']
    expect(arn).toMatch(/:2$/)
    expect(await layersOf(user)).toEqual([arn])
    expect(await layersOf(aliased)).toEqual([arn])
    expect(await layersOfVersion(aliased, (await aliasVersion(aliased)) ?? '')).toEqual([arn])
    expect(await layersOf(stranger)).toEqual([other])
    expect(result.summary).toContain('Found using the layer (all-functions-using-layer)')
    expect(result.summary).toContain(userArn)
    expect(result.summary).toContain(`${aliasedArn}:live`)
    expect(result.summary).not.toContain(stranger)
  }, 120_000)
})
