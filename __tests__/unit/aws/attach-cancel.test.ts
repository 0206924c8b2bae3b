/**
 * A cancelled run is not held up by a wait: the pauses between polls and
 * retries end on the signal, and a call started after the grace period is
 * aborted at once. Its own file: the run's cancellation is one per process.
 */
import { describe, expect, it, jest } from '@jest/globals'
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  type FunctionConfiguration
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { attachToFunctions } = await import('../../../src/aws/attach.js')
const { call } = await import('../../../src/aws/client.js')
const { cancellation, CancelledError } = await import('../../../src/util/cancel.js')

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })
const arn = 'arn:aws:lambda:us-east-1:123456789012:function:api'
const layer = (v: number): string => `arn:aws:lambda:us-east-1:123456789012:layer:deps:${v}`

describe('a run cancelled while a function is busy', () => {
  it('stops waiting at the signal, reports the function not changed, and aborts later calls', async () => {
    // An earlier update that never finishes: the attach polls, pausing up to 10 s between reads.
    const busy: FunctionConfiguration = {
      FunctionName: 'api',
      FunctionArn: arn,
      Layers: [{ Arn: layer(3) }],
      State: 'Active',
      LastUpdateStatus: 'InProgress',
      RevisionId: 'r1'
    }
    lambda.on(GetFunctionConfigurationCommand).resolves(busy)
    const started = Date.now()
    setTimeout(() => cancellation.request('SIGINT', 300), 1500)
    const [result] = await attachToFunctions(
      client,
      [
        {
          input: 'api',
          functionName: 'api',
          functionArn: arn,
          currentLayers: [layer(3)],
          currentVersionArn: layer(3),
          warnings: []
        }
      ],
      layer(4),
      { waiterMaxWaitSeconds: 600 }
    )
    const tookMs = Date.now() - started
    expect(result.status).toBe('not-started')
    // The signal came at 1.5 s; the next pause would have ended later.
    expect(tookMs).toBeLessThan(4000)

    // After the grace period, a call does not even start.
    await new Promise(resolve => setTimeout(resolve, 400))
    let abortedAtStart: boolean | undefined
    const error = await call('GetFunctionConfiguration', 60_000, async signal => {
      // As the SDK does with an aborted signal.
      abortedAtStart = signal.aborted
      if (signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' })
      return 'answer'
    }).catch((e: unknown) => e)
    expect(abortedAtStart).toBe(true)
    expect(error).toBeInstanceOf(CancelledError)
  })
})
