import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  call,
  CallTimeoutError,
  createLambdaClient,
  isThrottling
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
