import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  DeleteLayerVersionCommand,
  type FunctionConfiguration,
  LambdaClient,
  LambdaServiceException,
  ListFunctionsCommand,
  ListLayerVersionsCommand,
  ResourceNotFoundException
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { pruneVersions } = await import('../../../src/aws/prune.js')
const { parseKeepVersions } = await import('../../../src/aws-inputs/index.js')
const { ActionError } = await import('../../../src/errors.js')

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })

const LAYER_ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:deps'
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function'
const arn = (version: number): string => `${LAYER_ARN}:${version}`
const ref = (version: number) => ({ version, arn: arn(version) })

/** ListLayerVersions answers with these versions, newest first, in one page. */
function layerVersions(...versions: number[]): void {
  lambda.on(ListLayerVersionsCommand).resolves({
    LayerVersions: [...versions]
      .sort((a, b) => b - a)
      .map(v => ({ Version: v, LayerVersionArn: arn(v) }))
  })
}

function fn(name: string, layers: string[], version = '$LATEST'): FunctionConfiguration {
  return {
    FunctionName: name,
    FunctionArn: `${FUNCTION_ARN}:${name}:${version}`,
    Version: version,
    Layers: layers.map(Arn => ({ Arn, CodeSize: 1 }))
  }
}

function functions(...configs: FunctionConfiguration[]): void {
  lambda.on(ListFunctionsCommand).resolves({ Functions: configs })
}

function deletedVersions(): Array<number | undefined> {
  return lambda.commandCalls(DeleteLayerVersionCommand).map(c => c.args[0].input.VersionNumber)
}

const denied = () =>
  new LambdaServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: 'not authorized',
    $metadata: { httpStatusCode: 403 }
  })

const request = { layerName: 'deps', keep: 2, current: 4, region: 'us-east-1' }

beforeEach(() => {
  lambda.reset()
  lambda.on(DeleteLayerVersionCommand).resolves({})
})

describe('parseKeepVersions', () => {
  it.each([
    ['', undefined],
    ['  ', undefined],
    ['1', 1],
    [' 5 ', 5],
    ['10000', 10000]
  ])('parses %j', (value, expected) => {
    expect(parseKeepVersions(value)).toBe(expected)
  })

  it.each(['0', '10001', '-1', '2.5', '1e3', '+3', 'five', '3 versions'])(
    'refuses %j naming the input and the value',
    value => {
      let thrown: unknown
      try {
        parseKeepVersions(value)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(ActionError)
      expect((thrown as Error).message).toMatch(
        /^Input `keep-versions` must be a whole number from 1 to 10000/
      )
      expect((thrown as Error).message).toContain(`got "${value}"`)
    }
  )

  it('says what 0 would do', () => {
    expect(() => parseKeepVersions('0')).toThrow(/0 would delete every version/)
  })
})

describe('pruneVersions', () => {
  it('deletes the versions older than the newest ones, oldest first', async () => {
    layerVersions(1, 2, 3, 4, 5)
    functions()
    const result = await pruneVersions(client, { ...request, current: 5 })
    expect(deletedVersions()).toEqual([1, 2, 3])
    expect(result).toEqual({
      deleted: [ref(1), ref(2), ref(3)],
      kept: [
        { ...ref(5), reason: 'newest' },
        { ...ref(4), reason: 'newest' }
      ],
      failed: []
    })
    expect(lambda.commandCalls(DeleteLayerVersionCommand)[0].args[0].input).toEqual({
      LayerName: 'deps',
      VersionNumber: 1
    })
  })

  it('deletes nothing when there are no more versions than it keeps', async () => {
    layerVersions(1, 2)
    functions()
    const result = await pruneVersions(client, { ...request, current: 2 })
    expect(deletedVersions()).toEqual([])
    expect(result.kept.map(k => k.version)).toEqual([2, 1])
  })

  it('never deletes the current version, even when it is not among the newest', async () => {
    layerVersions(1, 2, 3, 4)
    functions()
    const result = await pruneVersions(client, { ...request, keep: 1, current: 2 })
    expect(deletedVersions()).toEqual([1, 3])
    expect(result.kept).toEqual([
      { ...ref(4), reason: 'newest' },
      { ...ref(2), reason: 'current' }
    ])
  })

  it('keeps every version a function holds, in $LATEST or a published version', async () => {
    layerVersions(1, 2, 3, 4, 5)
    functions(
      fn('api', [arn(1)]),
      fn('api', [arn(2)], '3'),
      fn('worker', ['arn:aws:lambda:us-east-1:123456789012:layer:other:3', arn(1)]),
      fn('cron', [arn(5)])
    )
    const result = await pruneVersions(client, { ...request, current: 5 })
    expect(deletedVersions()).toEqual([3])
    expect(result.kept).toEqual([
      { ...ref(5), reason: 'newest', usedBy: [`${FUNCTION_ARN}:cron`] },
      { ...ref(4), reason: 'newest' },
      { ...ref(2), reason: 'in use', usedBy: [`${FUNCTION_ARN}:api:3`] },
      { ...ref(1), reason: 'in use', usedBy: [`${FUNCTION_ARN}:api`, `${FUNCTION_ARN}:worker`] }
    ])
  })

  it('lists the published versions of functions too (FunctionVersion ALL)', async () => {
    layerVersions(1)
    functions()
    await pruneVersions(client, { ...request, current: 1 })
    expect(lambda.commandCalls(ListFunctionsCommand)[0].args[0].input).toMatchObject({
      FunctionVersion: 'ALL'
    })
  })

  it('is not fooled by other layers with the same name elsewhere or a longer name', async () => {
    layerVersions(1, 2, 3, 4)
    functions(
      fn('a', ['arn:aws:lambda:us-east-1:123456789012:layer:deps-extra:1']),
      fn('b', ['arn:aws:lambda:us-east-1:999999999999:layer:deps:2']),
      fn('c', ['arn:aws:lambda:us-west-2:123456789012:layer:deps:1'])
    )
    const result = await pruneVersions(client, request)
    expect(deletedVersions()).toEqual([1, 2])
    expect(result.kept.every(k => k.usedBy === undefined)).toBe(true)
  })

  it('reads every page of versions and of functions before deleting', async () => {
    lambda
      .on(ListLayerVersionsCommand)
      .resolvesOnce({
        LayerVersions: [4, 3].map(v => ({ Version: v, LayerVersionArn: arn(v) })),
        NextMarker: 'v-page-2'
      })
      .resolvesOnce({
        LayerVersions: [2, 1].map(v => ({ Version: v, LayerVersionArn: arn(v) }))
      })
    lambda
      .on(ListFunctionsCommand)
      .resolvesOnce({ Functions: [fn('a', [])], NextMarker: 'f-page-2' })
      .resolvesOnce({ Functions: [fn('b', [arn(1)])] })
    const result = await pruneVersions(client, request)
    expect(lambda.commandCalls(ListLayerVersionsCommand).map(c => c.args[0].input.Marker)).toEqual([
      undefined,
      'v-page-2'
    ])
    expect(lambda.commandCalls(ListFunctionsCommand).map(c => c.args[0].input.Marker)).toEqual([
      undefined,
      'f-page-2'
    ])
    // Version 1 is held by a function on the second page; version 2 is on the versions' second page.
    expect(deletedVersions()).toEqual([2])
    expect(result.kept.map(k => [k.version, k.reason])).toEqual([
      [4, 'newest'],
      [3, 'newest'],
      [1, 'in use']
    ])
  })

  it('records a failed delete and goes on with the others', async () => {
    layerVersions(1, 2, 3, 4)
    functions()
    lambda.on(DeleteLayerVersionCommand, { VersionNumber: 1 }).rejects(denied())
    const result = await pruneVersions(client, request)
    expect(deletedVersions()).toEqual([1, 2])
    expect(result.deleted).toEqual([ref(2)])
    expect(result.failed).toEqual([
      {
        ...ref(1),
        error: expect.stringMatching(
          /^Deleting arn:aws:lambda:us-east-1:123456789012:layer:deps:1 failed \(the credentials need lambda:DeleteLayerVersion\): AccessDeniedException/
        )
      }
    ])
  })

  it('names lambda:ListLayerVersions when listing the versions is denied, and deletes nothing', async () => {
    lambda.on(ListLayerVersionsCommand).rejects(denied())
    functions()
    const error = await pruneVersions(client, request).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toMatch(/lambda:ListLayerVersions/)
    expect(deletedVersions()).toEqual([])
  })

  it('names lambda:ListFunctions when listing the functions is denied, and deletes nothing', async () => {
    layerVersions(1, 2, 3, 4)
    lambda.on(ListFunctionsCommand).rejects(denied())
    const error = await pruneVersions(client, request).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toMatch(
      /Listing the functions of us-east-1 .* failed \(the credentials need lambda:ListFunctions\)/
    )
    expect(deletedVersions()).toEqual([])
  })

  it('does nothing for a layer that does not exist', async () => {
    lambda
      .on(ListLayerVersionsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Cannot find layer', $metadata: {} }))
    await expect(pruneVersions(client, request)).resolves.toEqual({
      deleted: [],
      kept: [],
      failed: []
    })
    expect(lambda.commandCalls(ListFunctionsCommand)).toHaveLength(0)
  })

  it('takes a layer ARN as the layer name', async () => {
    layerVersions(1, 2, 3)
    functions(fn('api', [arn(1)]))
    const result = await pruneVersions(client, {
      ...request,
      layerName: LAYER_ARN,
      keep: 1,
      current: 3
    })
    expect(lambda.commandCalls(ListLayerVersionsCommand)[0].args[0].input.LayerName).toBe(LAYER_ARN)
    expect(lambda.commandCalls(DeleteLayerVersionCommand)[0].args[0].input).toEqual({
      LayerName: LAYER_ARN,
      VersionNumber: 2
    })
    expect(result.kept.map(k => [k.version, k.reason])).toEqual([
      [3, 'newest'],
      [1, 'in use']
    ])
  })

  it('refuses a layer ARN of another region before any call', async () => {
    await expect(
      pruneVersions(client, {
        ...request,
        layerName: 'arn:aws:lambda:eu-west-1:123456789012:layer:deps'
      })
    ).rejects.toThrow(/layers are regional/)
    expect(lambda.calls()).toHaveLength(0)
  })
})
