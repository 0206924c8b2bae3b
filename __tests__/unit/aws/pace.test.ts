/**
 * One pace per region: fewer updates in flight after throttling and more as
 * calls succeed, one pause for the whole region, and an attach phase that
 * stops starting updates at its time limit.
 */
import { describe, expect, it, jest } from '@jest/globals'
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  TooManyRequestsException,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { RegionPace } = await import('../../../src/aws/pace.js')
const { attachToFunctions } = await import('../../../src/aws/attach.js')

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })
const layer = (v: number): string => `arn:aws:lambda:us-east-1:123456789012:layer:deps:${v}`
const fn = (i: number): string => `arn:aws:lambda:us-east-1:123456789012:function:f${i}`
const plan = (i: number) => ({
  input: `f${i}`,
  functionName: `f${i}`,
  functionArn: fn(i),
  currentLayers: [layer(1)],
  currentVersionArn: layer(1),
  warnings: []
})

describe('RegionPace', () => {
  it('takes a quarter off on throttling, at most every 2 s, and adds one back per run of successes', async () => {
    const now = jest.spyOn(Date, 'now')
    let clock = 1_000_000
    now.mockImplementation(() => clock)
    try {
      const pace = new RegionPace(8, 16, async () => {})
      pace.throttled()
      expect(pace.stats.limit).toBe(6)
      // Answers to calls already in flight: no new information.
      pace.throttled()
      pace.throttled()
      expect(pace.stats.limit).toBe(6)
      for (const step of [4, 3, 2, 1, 1]) {
        clock += 2000
        pace.throttled()
        expect(pace.stats.limit).toBe(step)
      }
      pace.succeeded()
      expect(pace.stats.limit).toBe(2)
      pace.succeeded()
      expect(pace.stats.limit).toBe(3)
      pace.succeeded()
      pace.succeeded()
      expect(pace.stats.limit).toBe(4)
      expect(pace.stats.throttles).toBe(8)
    } finally {
      now.mockRestore()
    }
  })

  it('never runs more tasks at once than the limit, which can change meanwhile', async () => {
    const pace = new RegionPace(3, 3, async () => {})
    let running = 0
    let most = 0
    const task = async (): Promise<void> => {
      running++
      most = Math.max(most, running)
      await new Promise(resolve => setTimeout(resolve, 5))
      running--
    }
    await Promise.all(Array.from({ length: 12 }, async () => await pace.run(task)))
    expect(most).toBe(3)
    pace.throttled()
    most = 0
    await Promise.all(Array.from({ length: 6 }, async () => await pace.run(task)))
    expect(most).toBe(2)
  })

  it('makes every caller wait out the pause one throttled call set', async () => {
    const waits: number[] = []
    const pace = new RegionPace(4, 4, async ms => {
      waits.push(ms)
    })
    await pace.ready()
    expect(waits).toEqual([])
    pace.throttled()
    pace.throttled()
    pace.throttled()
    await pace.ready()
    await pace.ready()
    expect(waits).toHaveLength(2)
    // 0.25 s doubling with each throttled call in a row (with jitter).
    expect(waits[0]).toBeGreaterThan(400)
    expect(waits[0]).toBeLessThanOrEqual(1000)
    pace.succeeded()
  })
})

describe('attachToFunctions at scale', () => {
  it('slows the region down when one update is throttled', async () => {
    lambda.reset()
    lambda.on(GetFunctionConfigurationCommand).callsFake(input => ({
      FunctionArn: (input as { FunctionName: string }).FunctionName,
      Layers: [{ Arn: layer(1) }],
      State: 'Active',
      LastUpdateStatus: 'Successful',
      RevisionId: 'r1'
    }))
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ State: 'Active', LastUpdateStatus: 'Successful' })
    const pace = new RegionPace(8, 16, async () => {})
    const results = await attachToFunctions(
      client,
      Array.from({ length: 20 }, (_, i) => plan(i)),
      layer(2),
      { pace, sleep: async () => {} }
    )
    expect(results.every(r => r.status === 'updated')).toBe(true)
    expect(pace.stats.throttles).toBe(1)
    expect(pace.stats.peak).toBeLessThanOrEqual(16)
  })

  it('starts no update once the phase is past its time limit, and says so for each function', async () => {
    lambda.reset()
    lambda.on(GetFunctionConfigurationCommand).resolves({
      Layers: [{ Arn: layer(1) }],
      State: 'Active',
      LastUpdateStatus: 'Successful'
    })
    const results = await attachToFunctions(client, [plan(1), plan(2)], layer(2), {
      deadline: Date.now() - 1,
      sleep: async () => {}
    })
    expect(results.map(r => r.status)).toEqual(['out-of-time', 'out-of-time'])
    expect(results[0].error).toMatch(/attach phase reached its time limit/)
    expect(lambda.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(0)
  })
})
