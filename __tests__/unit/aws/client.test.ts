import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  call,
  CallTimeoutError,
  createLambdaClient,
  isThrottling,
  isTransient
} from '../../../src/aws/client.js'

describe('a call that runs out of time while throttled', () => {
  let server: http.Server
  const saved = { ...process.env }

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(429, {
        'Content-Type': 'application/json',
        'x-amzn-ErrorType': 'TooManyRequestsException'
      })
      res.end('{"message":"Rate exceeded"}')
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    process.env.AWS_ACCESS_KEY_ID = 'testing'
    process.env.AWS_SECRET_ACCESS_KEY = 'testing'
  })

  afterAll(async () => {
    process.env = saved
    await new Promise(resolve => server.close(resolve))
  })

  it('names the call and what its attempts met, and counts as throttling', async () => {
    const client = createLambdaClient('us-east-1', { limits: { callTimeoutMs: 1500 } })
    const error = await call('GetFunctionConfiguration (api)', 1500, abortSignal =>
      client.send(new GetFunctionConfigurationCommand({ FunctionName: 'api' }), { abortSignal })
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CallTimeoutError)
    expect((error as Error).message).toMatch(
      /^GetFunctionConfiguration \(api\) got no answer within 2 s \(`aws-timeout`\), retries included; the last attempt met TooManyRequestsException: Rate exceeded\.$/
    )
    expect(isThrottling(error)).toBe(true)
  })
})

describe('a call that is safe to repeat (repeat: true)', () => {
  const failure = (name: string, status?: number, code?: string): Error =>
    Object.assign(new Error(`${name} happened`), {
      name,
      ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}),
      ...(code !== undefined ? { code } : {})
    })

  /** A send that fails with each of `failures` in turn, then answers 'ok'. */
  function flaky(...failures: Error[]): { send: () => Promise<string>; sent: () => number } {
    let sent = 0
    return {
      send: async () => {
        const failure = failures[sent++]
        if (failure) throw failure
        return 'ok'
      },
      sent: () => sent
    }
  }

  it('is sent again after throttling, a 5xx and a reset connection, until it answers', async () => {
    const f = flaky(
      failure('TooManyRequestsException', 429),
      failure('ServiceException', 500),
      failure('Error', undefined, 'ECONNRESET')
    )
    await expect(
      call('GetFunctionConfiguration (api)', 20_000, f.send, { repeat: true })
    ).resolves.toBe('ok')
    expect(f.sent()).toBe(4)
  })

  it('is not sent again without repeat, nor after an answer that refuses it', async () => {
    const throttled = flaky(failure('TooManyRequestsException', 429))
    await expect(call('PublishLayerVersion', 20_000, throttled.send)).rejects.toThrow(
      'TooManyRequestsException happened'
    )
    expect(throttled.sent()).toBe(1)
    const denied = flaky(failure('AccessDeniedException', 403))
    await expect(call('ListFunctions', 20_000, denied.send, { repeat: true })).rejects.toThrow(
      'AccessDeniedException happened'
    )
    expect(denied.sent()).toBe(1)
  })

  it('stops at the call limit, naming what the last attempt met', async () => {
    let sent = 0
    const error = await call(
      'ListLayerVersions (layer deps)',
      1200,
      async () => {
        sent++
        throw failure('TooManyRequestsException', 429)
      },
      { repeat: true }
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CallTimeoutError)
    expect(String(error)).toMatch(
      /ListLayerVersions \(layer deps\) got no answer within 1 s .*the last attempt met TooManyRequestsException/
    )
    expect(isThrottling(error)).toBe(true)
    expect(sent).toBeGreaterThan(1)
  })

  it.each([
    ['TooManyRequestsException', 429, undefined, true],
    ['ServiceException', 500, undefined, true],
    ['ServiceUnavailableException', 503, undefined, true],
    ['Error', undefined, 'ECONNRESET', true],
    ['TimeoutError', undefined, undefined, true],
    ['ResourceNotFoundException', 404, undefined, false],
    ['InvalidParameterValueException', 400, undefined, false],
    ['ResourceConflictException', 409, undefined, false]
  ])('%s (%s, %s) is transient: %s', (name, status, code, expected) => {
    expect(isTransient(failure(name, status, code))).toBe(expected)
  })
})
