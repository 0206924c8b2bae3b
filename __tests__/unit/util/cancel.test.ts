import { describe, expect, it, jest } from '@jest/globals'

const warning = jest.fn()
jest.unstable_mockModule('@actions/core', () => ({ info: jest.fn(), debug: jest.fn(), warning }))

const { Cancellation, CancelledError } = await import('../../../src/util/cancel.js')

describe('Cancellation', () => {
  it('records the first signal, warns once, and calls listeners', () => {
    const c = new Cancellation()
    const heard: string[] = []
    c.onCancel(s => heard.push(s))
    expect(c.requested).toBeUndefined()
    expect(() => c.throwIfCancelled()).not.toThrow()
    c.request('SIGINT', 10_000)
    c.request('SIGTERM', 10_000)
    expect(c.requested).toBe('SIGINT')
    expect(heard).toEqual(['SIGINT'])
    expect(warning).toHaveBeenCalledTimes(1)
    expect(String(warning.mock.calls[0][0])).toMatch(/Received SIGINT: .*Nothing new is started/)
    expect(() => c.throwIfCancelled()).toThrow(CancelledError)
    // A listener added later hears it at once.
    c.onCancel(s => heard.push(`late ${s}`))
    expect(heard).toEqual(['SIGINT', 'late SIGINT'])
  })

  it('aborts its signal when the grace period ends', async () => {
    const c = new Cancellation()
    c.request('SIGTERM', 20)
    expect(c.signal.aborted).toBe(false)
    await new Promise(resolve => setTimeout(resolve, 60))
    expect(c.signal.aborted).toBe(true)
  })

  it('listens to SIGTERM while installed, and no longer once removed', () => {
    const c = new Cancellation()
    const before = process.listenerCount('SIGTERM')
    const remove = c.install()
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
    // The listener as the signal would call it (a real signal would also reach Jest).
    process.listeners('SIGTERM').at(-1)?.('SIGTERM')
    expect(c.requested).toBe('SIGTERM')
    remove()
    expect(process.listenerCount('SIGTERM')).toBe(before)
  })
})

describe('call', () => {
  it('names the call that got no answer within its limit', async () => {
    const { call, CallTimeoutError } = await import('../../../src/aws/client.js')
    const never = (signal: AbortSignal) =>
      new Promise<never>((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted')))
      )
    const error = await call('PublishLayerVersion (layer deps)', 30, never).catch(e => e)
    expect(error).toBeInstanceOf(CallTimeoutError)
    expect(String(error.message)).toBe(
      'PublishLayerVersion (layer deps) got no answer within 0 s (`aws-timeout`), retries included.'
    )
  })

  it('passes through what the call returns or throws', async () => {
    const { call } = await import('../../../src/aws/client.js')
    await expect(call('x', 1000, async () => 42)).resolves.toBe(42)
    await expect(
      call('x', 1000, async () => {
        throw new Error('refused')
      })
    ).rejects.toThrow('refused')
  })
})

describe('a cancelled run', () => {
  it('starts no new program', async () => {
    const { cancellation } = await import('../../../src/util/cancel.js')
    const { run } = await import('../../../src/util/process.js')
    const { attachToFunctions } = await import('../../../src/aws/attach.js')
    cancellation.request('SIGINT', 60_000)
    await expect(run('true', [], { silent: true })).rejects.toThrow(CancelledError)
    // and no function update: every function is reported as not started, with no AWS call.
    const send = jest.fn()
    const client = { send } as unknown as import('@aws-sdk/client-lambda').LambdaClient
    const [result] = await attachToFunctions(
      client,
      [
        {
          input: 'api',
          functionName: 'api',
          functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api',
          currentLayers: [],
          warnings: []
        }
      ],
      'arn:aws:lambda:us-east-1:123456789012:layer:deps:4'
    )
    expect(result.status).toBe('not-started')
    expect(send).not.toHaveBeenCalled()
  })
})
