import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  LambdaServiceException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { attachToFunctions, breakingMismatches, newLayerList, planFunctions } =
  await import('../../../src/aws/attach.js')
const { ActionError } = await import('../../../src/errors.js')
type FunctionPlan = import('../../../src/aws/attach.js').FunctionPlan

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })

const ACCOUNT = '123456789012'
const OTHER_ACCOUNT = '210987654321'
const fnArn = (name: string, account = ACCOUNT): string =>
  `arn:aws:lambda:us-east-1:${account}:function:${name}`
const layer = (name: string, version: number, account = ACCOUNT): string =>
  `arn:aws:lambda:us-east-1:${account}:layer:${name}:${version}`
const OURS_V3 = layer('deps', 3)
const OURS_V4 = layer('deps', 4)

function config(
  name: string,
  layers: string[],
  overrides: Partial<FunctionConfiguration> = {}
): FunctionConfiguration {
  return {
    FunctionName: name,
    FunctionArn: fnArn(name),
    Runtime: 'python3.12',
    Architectures: ['x86_64'],
    PackageType: 'Zip',
    Layers: layers.map(Arn => ({ Arn })),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    RevisionId: `rev-${name}`,
    ...overrides
  }
}

function plan(name: string, currentLayers: string[], currentVersionArn?: string): FunctionPlan {
  return {
    input: name,
    functionName: name,
    functionArn: fnArn(name),
    currentLayers,
    ...(currentVersionArn ? { currentVersionArn } : {}),
    warnings: []
  }
}

const sleep = jest.fn(async (_ms: number): Promise<void> => {})
const options = { sleep, maxAttempts: 4 }

const conflict = (): ResourceConflictException =>
  new ResourceConflictException({ message: 'An update is in progress', $metadata: {} })

function updateCalls(): Array<{ FunctionName?: string; Layers?: string[]; RevisionId?: string }> {
  return lambda.commandCalls(UpdateFunctionConfigurationCommand).map(call => call.args[0].input)
}

beforeEach(() => {
  lambda.reset()
  sleep.mockClear()
})

describe('newLayerList', () => {
  const a = layer('a', 1)
  const b = layer('b', 2)
  it.each([
    { name: 'appends to an empty list', current: [], expected: [OURS_V4] },
    { name: 'appends after the other layers', current: [a, b], expected: [a, b, OURS_V4] },
    { name: 'replaces ours in place', current: [a, OURS_V3, b], expected: [a, OURS_V4, b] },
    { name: 'replaces ours when first', current: [OURS_V3, a], expected: [OURS_V4, a] },
    { name: 'keeps the list when ours is current', current: [a, OURS_V4], expected: [a, OURS_V4] },
    {
      name: 'keeps the first of two versions of ours and drops the other',
      current: [OURS_V3, a, layer('deps', 2), b],
      expected: [OURS_V4, a, b]
    },
    {
      name: 'treats a layer of the same name in another account as another layer',
      current: [layer('deps', 9, OTHER_ACCOUNT)],
      expected: [layer('deps', 9, OTHER_ACCOUNT), OURS_V4]
    },
    {
      name: 'treats a layer whose name starts like ours as another layer',
      current: [layer('deps-extra', 1)],
      expected: [layer('deps-extra', 1), OURS_V4]
    }
  ])('$name', ({ current, expected }) => {
    expect(newLayerList(current, OURS_V4)).toEqual(expected)
  })

  it('does not modify its argument', () => {
    const current = [OURS_V3]
    newLayerList(current, OURS_V4)
    expect(current).toEqual([OURS_V3])
  })
})

describe('planFunctions', () => {
  const request = {
    layerName: 'deps',
    runtimes: ['python3.12', 'python3.13'] as const,
    architectures: ['x86_64'] as const,
    region: 'us-east-1'
  }

  it('reads a function again when the read is throttled or meets a 5xx', async () => {
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'api' })
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .rejectsOnce(
        Object.assign(new Error('We encountered an internal error.'), {
          name: 'ServiceException',
          $metadata: { httpStatusCode: 500 }
        })
      )
      .resolves(config('api', [OURS_V3]))
    const [plan] = await planFunctions(client, { ...request, functions: ['api'] })
    expect(plan.currentVersionArn).toBe(OURS_V3)
  })

  it('never blames the functions input for a read throttled until aws-timeout', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
    const error = await planFunctions(client, {
      ...request,
      functions: ['api'],
      limits: { callTimeoutMs: 1200 }
    }).catch((e: unknown) => e)
    expect(String(error)).toMatch(
      /GetFunctionConfiguration \(api\) got no answer within 1 s .*TooManyRequestsException: Rate exceeded/
    )
    expect(String(error)).not.toMatch(/functions input/)
  })

  it('returns the current layers and the attached version of ours', async () => {
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'api' })
      .resolves(config('api', [layer('a', 1), OURS_V3]))
    await expect(planFunctions(client, { ...request, functions: ['api'] })).resolves.toEqual([
      {
        input: 'api',
        functionName: 'api',
        functionArn: fnArn('api'),
        currentLayers: [layer('a', 1), OURS_V3],
        currentVersionArn: OURS_V3,
        warnings: []
      }
    ])
  })

  it("finds a plain-named layer in the function's own account", async () => {
    const arn = fnArn('api', OTHER_ACCOUNT)
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: arn })
      .resolves(config('api', [OURS_V3, layer('deps', 5, OTHER_ACCOUNT)], { FunctionArn: arn }))
    const [result] = await planFunctions(client, { ...request, functions: [arn] })
    expect(result.currentVersionArn).toBe(layer('deps', 5, OTHER_ACCOUNT))
  })

  it('finds a layer given as an ARN in that account', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(config('api', [layer('deps', 5, OTHER_ACCOUNT)]))
    const [result] = await planFunctions(client, {
      ...request,
      layerName: `arn:aws:lambda:us-east-1:${OTHER_ACCOUNT}:layer:deps`,
      functions: ['api']
    })
    expect(result.currentVersionArn).toBe(layer('deps', 5, OTHER_ACCOUNT))
  })

  it('reads a function named with $LATEST without the qualifier', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', []))
    await planFunctions(client, { ...request, functions: ['api:$LATEST'] })
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)[0].args[0].input).toEqual({
      FunctionName: 'api'
    })
  })

  it('warns when the function runtime is not among the layer runtimes', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(config('api', [], { Runtime: 'python3.11' }))
    const [result] = await planFunctions(client, { ...request, functions: ['api'] })
    expect(result.warnings.map(w => w.text)).toEqual([
      expect.stringMatching(/api runs python3\.11.*python3\.12, python3\.13/)
    ])
  })

  it('warns when the function architecture is not among the layer architectures', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(config('api', [], { Architectures: ['arm64'] }))
    const [result] = await planFunctions(client, { ...request, functions: ['api'] })
    expect(result.warnings.map(w => w.text)).toEqual([
      expect.stringMatching(/api runs on arm64.*x86_64/)
    ])
  })

  it('names the function that does not exist', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }))
    await expect(planFunctions(client, { ...request, functions: ['ghost'] })).rejects.toThrow(
      '"ghost": no such function in us-east-1'
    )
  })

  it('names the function and the permission when access is denied', async () => {
    lambda.on(GetFunctionConfigurationCommand).rejects(
      new LambdaServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized',
        $metadata: { httpStatusCode: 403 }
      })
    )
    await expect(planFunctions(client, { ...request, functions: ['secret'] })).rejects.toThrow(
      /"secret": access denied; the credentials need lambda:GetFunctionConfiguration/
    )
  })

  it('lists the current layers of a function that has no room for ours', async () => {
    const five = [1, 2, 3, 4, 5].map(n => layer(`l${n}`, 1))
    lambda.on(GetFunctionConfigurationCommand).resolves(config('full', five))
    await expect(planFunctions(client, { ...request, functions: ['full'] })).rejects.toThrow(
      `"full": already has 5 other layers (${five.join(', ')})`
    )
  })

  it('accepts a full function when ours is one of its layers', async () => {
    const layers = [1, 2, 3, 4].map(n => layer(`l${n}`, 1)).concat(OURS_V3)
    lambda.on(GetFunctionConfigurationCommand).resolves(config('full', layers))
    await expect(planFunctions(client, { ...request, functions: ['full'] })).resolves.toHaveLength(
      1
    )
  })

  it('rejects a container image function', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(config('img', [], { PackageType: 'Image', Runtime: undefined }))
    await expect(planFunctions(client, { ...request, functions: ['img'] })).rejects.toThrow(
      /"img": is a container image function/
    )
  })

  it('collects every problem into one error', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('ok', []))
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: 'ghost' })
      .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }))
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'full' }).resolves(
      config(
        'full',
        [1, 2, 3, 4, 5].map(n => layer(`l${n}`, 1))
      )
    )
    const error = await planFunctions(client, {
      ...request,
      functions: ['ok', 'ghost', 'api:7', 'full']
    }).then(
      () => undefined,
      (caught: unknown) => caught
    )
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message.split('\n').filter(line => line.startsWith('  - '))).toEqual([
      expect.stringContaining('"api:7"'),
      expect.stringContaining('"ghost"'),
      expect.stringContaining('"full"')
    ])
  })

  it('reads a function listed twice only once and says so', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', []))
    const plans = await planFunctions(client, { ...request, functions: ['api', fnArn('api')] })
    expect(plans).toEqual([
      expect.objectContaining({
        input: 'api',
        warnings: [{ kind: 'duplicate', text: expect.stringMatching(/same function/) }]
      })
    ])
  })

  it('reads at most `concurrency` functions at a time', async () => {
    let inFlight = 0
    let most = 0
    lambda
      .on(GetFunctionConfigurationCommand)
      .callsFake(async (input: { FunctionName: string }) => {
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise(resolve => setTimeout(resolve, 5))
        inFlight--
        return config(input.FunctionName, [])
      })
    await planFunctions(client, {
      ...request,
      functions: ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'],
      concurrency: 2
    })
    expect(most).toBe(2)
  })

  it('rejects an invalid layer-name before any call', async () => {
    await expect(
      planFunctions(client, { ...request, layerName: 'bad name', functions: ['api'] })
    ).rejects.toThrow(/layer-name/)
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(0)
  })
})

describe('attachToFunctions', () => {
  it('updates the Layers from a fresh read, with its RevisionId', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolves(config('api', [layer('a', 1), OURS_V3, layer('b', 1)]))
    lambda.on(UpdateFunctionConfigurationCommand).resolves(config('api', []))
    await attachToFunctions(client, [plan('api', [layer('a', 1)])], OURS_V4, options)
    expect(updateCalls()).toEqual([
      {
        FunctionName: fnArn('api'),
        Layers: [layer('a', 1), OURS_V4, layer('b', 1)],
        RevisionId: 'rev-api'
      }
    ])
  })

  it('reports the update and the version it replaced', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', [OURS_V3]))
    lambda.on(UpdateFunctionConfigurationCommand).resolves(config('api', [OURS_V4]))
    await expect(
      attachToFunctions(client, [plan('api', [OURS_V3], OURS_V3)], OURS_V4, options)
    ).resolves.toEqual([
      { functionArn: fnArn('api'), input: 'api', status: 'updated', previousVersionArn: OURS_V3 }
    ])
  })

  it('leaves a function already at this version alone, without any call', async () => {
    const results = await attachToFunctions(
      client,
      [plan('api', [layer('a', 1), OURS_V4], OURS_V4)],
      OURS_V4,
      options
    )
    expect(results[0].status).toBe('unchanged')
    expect(lambda.calls()).toHaveLength(0)
  })

  it('does not update when the fresh read already has this version', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', [OURS_V4]))
    const results = await attachToFunctions(
      client,
      [plan('api', [OURS_V3], OURS_V3)],
      OURS_V4,
      options
    )
    expect(results[0].status).toBe('unchanged')
    expect(updateCalls()).toHaveLength(0)
  })

  it('waits for an update in progress before updating', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(config('api', [], { LastUpdateStatus: 'InProgress' }))
      .resolvesOnce(config('api', [], { LastUpdateStatus: 'InProgress' }))
      .resolves(config('api', []))
    lambda.on(UpdateFunctionConfigurationCommand).resolves(config('api', [OURS_V4]))
    const results = await attachToFunctions(client, [plan('api', [])], OURS_V4, options)
    expect(results[0].status).toBe('updated')
    expect(sleep).toHaveBeenCalledTimes(2)
  })

  it('retries ResourceConflictException and then succeeds', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', []))
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .resolves(config('api', [OURS_V4]))
    const results = await attachToFunctions(client, [plan('api', [])], OURS_V4, options)
    expect(results[0].status).toBe('updated')
    expect(updateCalls()).toHaveLength(3)
  })

  it('backs off exponentially between conflicts', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', []))
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .rejectsOnce(conflict())
      .resolves(config('api', [OURS_V4]))
    await attachToFunctions(client, [plan('api', [])], OURS_V4, options)
    const within = sleep.mock.calls.map(
      ([ms], index) => ms >= 500 * 2 ** index && ms <= 1000 * 2 ** index
    )
    expect(within).toEqual([true, true, true])
  })

  it('retries throttling and then succeeds', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', []))
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves(config('api', [OURS_V4]))
    const results = await attachToFunctions(client, [plan('api', [])], OURS_V4, options)
    expect(results[0].status).toBe('updated')
  })

  it('re-reads the function after PreconditionFailedException and sends the new list', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(config('api', []))
      .resolves(config('api', [layer('new', 1)], { RevisionId: 'rev-2' }))
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .rejectsOnce(
        new PreconditionFailedException({ message: 'RevisionId mismatch', $metadata: {} })
      )
      .resolves(config('api', [layer('new', 1), OURS_V4]))
    await attachToFunctions(client, [plan('api', [])], OURS_V4, options)
    expect(updateCalls()[1]).toEqual({
      FunctionName: fnArn('api'),
      Layers: [layer('new', 1), OURS_V4],
      RevisionId: 'rev-2'
    })
  })

  it('gives up after maxAttempts with an error naming the function', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', []))
    lambda.on(UpdateFunctionConfigurationCommand).rejects(conflict())
    const [result] = await attachToFunctions(client, [plan('api', [])], OURS_V4, {
      ...options,
      maxAttempts: 3
    })
    expect(result).toEqual({
      functionArn: fnArn('api'),
      input: 'api',
      status: 'failed',
      error: expect.stringMatching(/^api: gave up after 3 attempts: ResourceConflictException/)
    })
    expect(updateCalls()).toHaveLength(3)
  })

  it("reports Lambda's reason when the update fails", async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(config('api', []))
      .resolves(
        config('api', [OURS_V4], {
          LastUpdateStatus: 'Failed',
          LastUpdateStatusReason: 'Layer size exceeds the unzipped limit',
          LastUpdateStatusReasonCode: 'InvalidConfiguration'
        })
      )
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .resolves(config('api', [OURS_V4], { LastUpdateStatus: 'InProgress' }))
    const [result] = await attachToFunctions(client, [plan('api', [])], OURS_V4, options)
    expect(result.error).toMatch(/^api: .*Layer size exceeds the unzipped limit/)
  })

  it('reports an update Lambda accepted but that does not finish in time as unknown', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce(config('api', []))
      .resolves(config('api', [OURS_V4], { LastUpdateStatus: 'InProgress' }))
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .resolves(config('api', [OURS_V4], { LastUpdateStatus: 'InProgress' }))
    const [result] = await attachToFunctions(client, [plan('api', [])], OURS_V4, {
      ...options,
      waiterMaxWaitSeconds: 30
    })
    expect(result.status).toBe('unknown')
    expect(result.error).toMatch(
      /^api: Lambda accepted the update to .*:deps:4, but its outcome could not be read \(the layer update was still in progress after 30 s\)/
    )
  })

  it('says the reads were throttled, not that an update was in progress', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
    const [result] = await attachToFunctions(client, [plan('api', [], OURS_V3)], OURS_V4, {
      ...options,
      waiterMaxWaitSeconds: 30
    })
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(
      /^api: reading its configuration was throttled for 30 s \(TooManyRequestsException: Rate exceeded\)/
    )
    expect(result.error).not.toMatch(/in progress/)
    // What the preflight read is still what is known.
    expect(result.previousVersionArn).toBe(OURS_V3)
    expect(updateCalls()).toHaveLength(0)
  })

  describe('a newer version of the layer on the function', () => {
    const OURS_V5 = layer('deps', 5)

    it('is left alone, reported as newer-present, with a warning', async () => {
      lambda.on(GetFunctionConfigurationCommand).resolves(config('api', [OURS_V5]))
      const [result] = await attachToFunctions(
        client,
        [plan('api', [OURS_V3], OURS_V3)],
        OURS_V4,
        options
      )
      expect(result).toMatchObject({ status: 'newer-present', previousVersionArn: OURS_V5 })
      expect(result.error).toMatch(/newer than .*:deps:4: left alone .*allow-downgrade: true/)
      expect(updateCalls()).toHaveLength(0)
    })

    it('is replaced with allowDowngrade', async () => {
      lambda.on(GetFunctionConfigurationCommand).resolves(config('api', [OURS_V5]))
      lambda.on(UpdateFunctionConfigurationCommand).resolves(config('api', [OURS_V4]))
      const [result] = await attachToFunctions(client, [plan('api', [OURS_V5], OURS_V5)], OURS_V4, {
        ...options,
        allowDowngrade: true
      })
      expect(result).toMatchObject({ status: 'updated', previousVersionArn: OURS_V5 })
      expect(updateCalls()[0].Layers).toEqual([OURS_V4])
    })

    it('an older one is replaced as usual', async () => {
      lambda.on(GetFunctionConfigurationCommand).resolves(config('api', [OURS_V3]))
      lambda.on(UpdateFunctionConfigurationCommand).resolves(config('api', [OURS_V4]))
      const [result] = await attachToFunctions(
        client,
        [plan('api', [OURS_V3], OURS_V3)],
        OURS_V4,
        options
      )
      expect(result.status).toBe('updated')
    })
  })

  it('updates the other functions when one fails', async () => {
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: fnArn('a') })
      .resolves(config('a', []))
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: fnArn('b') })
      .resolves(config('b', []))
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: fnArn('c') })
      .resolves(config('c', []))
    lambda.on(UpdateFunctionConfigurationCommand).resolves(config('x', [OURS_V4]))
    lambda
      .on(UpdateFunctionConfigurationCommand, { FunctionName: fnArn('b') })
      .rejects(
        new InvalidParameterValueException({ message: 'Layer is not compatible', $metadata: {} })
      )
    const results = await attachToFunctions(
      client,
      [plan('a', []), plan('b', []), plan('c', [])],
      OURS_V4,
      options
    )
    expect(results.map(result => [result.input, result.status])).toEqual([
      ['a', 'updated'],
      ['b', 'failed'],
      ['c', 'updated']
    ])
  })

  it('does not retry an error that retrying cannot fix', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves(config('api', []))
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .rejects(
        new InvalidParameterValueException({ message: 'Layer is not compatible', $metadata: {} })
      )
    await attachToFunctions(client, [plan('api', [])], OURS_V4, options)
    expect(updateCalls()).toHaveLength(1)
  })

  it('rejects a layer ARN without a version', async () => {
    await expect(
      attachToFunctions(client, [plan('api', [])], `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:deps`)
    ).rejects.toThrow(/Not a layer version ARN/)
  })
})

describe('breakingMismatches', () => {
  const plan = (mismatch?: { runtime?: string; architecture?: string }) => ({
    input: 'fn',
    functionName: 'fn',
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
    currentLayers: [],
    warnings: [],
    ...(mismatch ? { mismatch } : {})
  })
  const layer = {
    runtimes: ['python3.12'] as const,
    architectures: ['x86_64'] as const,
    compiled: false,
    perVersion: false
  }

  it.each([
    ['no mismatch', plan(), layer, 0],
    ['another Python, pure python/ layer: works', plan({ runtime: 'python3.13' }), layer, 0],
    ['another CPU, pure layer: works', plan({ architecture: 'arm64' }), layer, 0],
    [
      'another Python, compiled layer',
      plan({ runtime: 'python3.13' }),
      { ...layer, compiled: true },
      1
    ],
    [
      'another Python, per-version layout',
      plan({ runtime: 'python3.13' }),
      { ...layer, perVersion: true },
      1
    ],
    [
      'another CPU, compiled layer',
      plan({ architecture: 'arm64' }),
      { ...layer, compiled: true },
      1
    ],
    [
      'both, compiled layer',
      plan({ runtime: 'python3.13', architecture: 'arm64' }),
      { ...layer, compiled: true },
      2
    ],
    [
      'a non-Python runtime stays a warning',
      plan({ runtime: 'nodejs22.x' }),
      { ...layer, compiled: true },
      0
    ]
  ])('%s', (_what, p, traits, count) => {
    const problems = breakingMismatches([p], traits)
    expect(problems).toHaveLength(count)
    for (const problem of problems) expect(problem).toMatch(/^fn runs /)
  })
})
