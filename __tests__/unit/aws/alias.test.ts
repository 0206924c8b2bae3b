/**
 * Aliases in `functions` against a mocked Lambda: the preflight refuses a
 * weighted alias naming its weights; once $LATEST has the layer a version
 * is published with $LATEST's RevisionId and the alias moved with its own;
 * SnapStart's snapshot is waited for (moto has no SnapStart states, so these
 * are covered here); an alias on a newer layer or a later version stays;
 * a failure after publishing says the alias still points at the old version.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { attachToFunctions, planFunctions } = await import('../../../src/aws/attach.js')

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:orders-api'
const layer = (v: number): string => `arn:aws:lambda:us-east-1:123456789012:layer:deps:${v}`
const sleep = async (): Promise<void> => {}

/** $LATEST with `latest`, published versions with their layers, the alias at `aliasAt`. */
function world(options: {
  latest: number
  versions: Record<string, number>
  aliasAt: string
  weights?: Record<string, number>
  snapStart?: string[]
}): void {
  let latest = layer(options.latest)
  let revision = 1
  const versions = { ...options.versions }
  let alias = { version: options.aliasAt, revision: 'a1' }
  const snap = [...(options.snapStart ?? [])]
  lambda.on(GetFunctionConfigurationCommand).callsFake(input => {
    const q = (input as { Qualifier?: string }).Qualifier
    if (q && q !== '$LATEST') {
      // The versions published by the run come up through the SnapStart states given.
      const state = !(q in options.versions) && snap.length > 0 ? snap.shift() : 'Active'
      return {
        FunctionArn: `${FN}:${q}`,
        Version: q,
        State: state,
        Layers: [{ Arn: layer(versions[q]) }],
        SnapStart: { ApplyOn: 'PublishedVersions', OptimizationStatus: 'On' }
      }
    }
    return {
      FunctionName: 'orders-api',
      FunctionArn: FN,
      Runtime: 'python3.12',
      Architectures: ['x86_64'],
      State: 'Active',
      LastUpdateStatus: 'Successful',
      RevisionId: `r${revision}`,
      Layers: [{ Arn: latest }]
    }
  })
  lambda.on(UpdateFunctionConfigurationCommand).callsFake(input => {
    latest = (input as { Layers: string[] }).Layers[0]
    revision += 1
    return { FunctionArn: FN, State: 'Active', LastUpdateStatus: 'Successful' }
  })
  lambda.on(PublishVersionCommand).callsFake(() => {
    const next = String(Math.max(...Object.keys(versions).map(Number)) + 1)
    versions[next] = Number(latest.split(':').at(-1))
    return { FunctionArn: `${FN}:${next}`, Version: next }
  })
  lambda.on(GetAliasCommand).callsFake(() => ({
    AliasArn: `${FN}:live`,
    Name: 'live',
    FunctionVersion: alias.version,
    RevisionId: alias.revision,
    ...(options.weights ? { RoutingConfig: { AdditionalVersionWeights: options.weights } } : {})
  }))
  lambda.on(UpdateAliasCommand).callsFake(input => {
    alias = { version: (input as { FunctionVersion: string }).FunctionVersion, revision: 'a2' }
    return { AliasArn: `${FN}:live` }
  })
}

const request = {
  layerName: 'deps',
  runtimes: ['python3.12'] as const,
  architectures: ['x86_64'] as const,
  region: 'us-east-1'
}

beforeEach(() => {
  lambda.reset()
})

describe('an alias in functions', () => {
  it('publishes a version from $LATEST with the layer and moves the alias to it', async () => {
    world({ latest: 3, versions: { '4': 3 }, aliasAt: '4' })
    const plans = await planFunctions(client, { ...request, functions: ['orders-api:live'] })
    expect(plans[0].aliases).toEqual([
      expect.objectContaining({ name: 'live', version: '4', layerVersionArn: layer(3) })
    ])
    const [result] = await attachToFunctions(client, plans, layer(5), { sleep })
    expect(result.status).toBe('updated')
    expect(result.aliases).toEqual([
      expect.objectContaining({
        status: 'moved',
        before: { version: '4', layerVersionArn: layer(3) },
        after: expect.objectContaining({
          version: '5',
          versionArn: `${FN}:5`,
          layerVersionArn: layer(5),
          snapStart: 'SnapStart snapshot ready'
        })
      })
    ])
    const publish = lambda.commandCalls(PublishVersionCommand)[0].args[0].input
    expect(publish.RevisionId).toBe('r2')
    const update = lambda.commandCalls(UpdateAliasCommand)[0].args[0].input
    expect(update).toMatchObject({ Name: 'live', FunctionVersion: '5', RevisionId: 'a1' })
  })

  it('waits for the SnapStart snapshot before moving the alias', async () => {
    world({ latest: 3, versions: { '4': 3 }, aliasAt: '4', snapStart: ['Pending', 'Pending'] })
    const plans = await planFunctions(client, { ...request, functions: ['orders-api:live'] })
    const [result] = await attachToFunctions(client, plans, layer(5), { sleep })
    expect(result.aliases?.[0].status).toBe('moved')
    expect(
      lambda
        .commandCalls(GetFunctionConfigurationCommand)
        .filter(c => (c.args[0].input as { Qualifier?: string }).Qualifier === '5').length
    ).toBe(3)
  })

  it('refuses a weighted alias in the preflight, naming the weights', async () => {
    world({ latest: 3, versions: { '4': 3, '5': 3 }, aliasAt: '4', weights: { '5': 0.1 } })
    await expect(
      planFunctions(client, { ...request, functions: ['orders-api:live'] })
    ).rejects.toThrow(
      /alias live routes 90% to version 4, 10% to version 5 .*weighted-aliases: replace/
    )
  })

  it('replaces the weights with weighted-aliases: replace', async () => {
    world({ latest: 3, versions: { '4': 3, '5': 3 }, aliasAt: '4', weights: { '5': 0.1 } })
    const plans = await planFunctions(client, {
      ...request,
      functions: ['orders-api:live'],
      weightedAliases: 'replace'
    })
    const [result] = await attachToFunctions(client, plans, layer(6), {
      sleep,
      weightedAliases: 'replace'
    })
    expect(result.aliases?.[0].status).toBe('moved')
    const update = lambda.commandCalls(UpdateAliasCommand)[0].args[0].input
    expect(update.RoutingConfig).toEqual({ AdditionalVersionWeights: {} })
  })

  it('leaves an alias whose version has a newer layer, as $LATEST is', async () => {
    world({ latest: 3, versions: { '4': 7 }, aliasAt: '4' })
    const plans = await planFunctions(client, { ...request, functions: ['orders-api:live'] })
    const [result] = await attachToFunctions(client, plans, layer(5), { sleep })
    expect(result.aliases?.[0]).toMatchObject({ status: 'newer-present' })
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0)
  })

  it('moves nothing for an alias already on a version with this layer', async () => {
    world({ latest: 5, versions: { '4': 5 }, aliasAt: '4' })
    const plans = await planFunctions(client, { ...request, functions: ['orders-api:live'] })
    const [result] = await attachToFunctions(client, plans, layer(5), { sleep })
    expect(result.status).toBe('unchanged')
    expect(result.aliases?.[0].status).toBe('unchanged')
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0)
  })

  it('says the alias still points at the old version when moving it fails after publishing', async () => {
    world({ latest: 3, versions: { '4': 3 }, aliasAt: '4' })
    lambda.on(UpdateAliasCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: lambda:UpdateAlias'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 }
      })
    )
    const plans = await planFunctions(client, { ...request, functions: ['orders-api:live'] })
    const [result] = await attachToFunctions(client, plans, layer(5), { sleep })
    expect(result.aliases?.[0].status).toBe('failed')
    expect(result.aliases?.[0].error).toMatch(
      /orders-api:live: version 5 was published with .*layer:deps:5, but the alias still points at version 4: .*lambda:UpdateAlias/
    )
  })

  it('merges entries for two aliases of one function into one update of $LATEST', async () => {
    world({ latest: 3, versions: { '4': 3 }, aliasAt: '4' })
    const plans = await planFunctions(client, {
      ...request,
      functions: ['orders-api:live', 'orders-api', `${FN}:live`]
    })
    expect(plans).toHaveLength(1)
    expect(plans[0].aliases?.map(a => a.name)).toEqual(['live'])
    expect(plans[0].warnings.map(w => w.kind)).toEqual(['duplicate'])
  })
})
