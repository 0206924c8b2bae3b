/**
 * The fault proxy (helpers/fault-proxy.ts) with the real AWS SDK v3 against
 * moto_server: each action proven end to end, with moto checked directly to
 * see whether a request reached it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand
} from '@aws-sdk/client-lambda'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import crypto from 'node:crypto'
import {
  createBucket,
  createFunction,
  dummyLayerZip,
  publishLayer,
  REGION,
  s3,
  unique,
  versionCount
} from '../helpers/aws.js'
import {
  awsError,
  classify,
  errors,
  startFaultProxy,
  type FaultProxy,
  type RecordedRequest
} from '../helpers/fault-proxy.js'

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }

/** A Lambda client through the proxy that never retries. */
function viaProxy(
  proxy: FaultProxy,
  requestHandler: { requestTimeout?: number; throwOnRequestTimeout?: boolean } = {}
): LambdaClient {
  return new LambdaClient({
    region: REGION,
    endpoint: proxy.url,
    credentials,
    maxAttempts: 1,
    requestHandler
  })
}

const publish = (client: LambdaClient, layer: string) =>
  client.send(
    new PublishLayerVersionCommand({
      LayerName: layer,
      Content: { ZipFile: dummyLayerZip(layer) },
      CompatibleRuntimes: ['python3.12']
    })
  )

const listVersions = (client: LambdaClient, layer: string) =>
  client.send(new ListLayerVersionsCommand({ LayerName: layer }))

/** What a failed send threw (fails the test if it did not throw). */
async function failure(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p
  } catch (e) {
    return e as Error & Record<string, unknown>
  }
  throw new Error('expected the call to fail')
}

/**
 * `name: message` of a network failure. Node's own errors come from outside
 * Jest's sandbox, so they fail the SDK's `instanceof Error` and it wraps them
 * in a plain Error ("AWS SDK error wrapper for TimeoutError: socket hang up");
 * in the action's own process the same failure is a TimeoutError.
 */
function describeFailure(e: Error): string {
  const wrapped = /^AWS SDK error wrapper for (.*)$/s.exec(e.message)
  return wrapped ? wrapped[1] : `${e.name}: ${e.message}`
}

describe('fault proxy', () => {
  let proxy: FaultProxy
  let client: LambdaClient

  beforeAll(async () => {
    proxy = await startFaultProxy()
    client = viaProxy(proxy)
  })
  afterEach(() => proxy.reset())
  afterAll(async () => {
    client.destroy()
    await proxy.stop()
  })

  it('passes calls through and records the operation and decoded resource', async () => {
    const layer = unique('fp-pass')
    await publishLayer(layer)
    const out = await listVersions(client, layer)
    expect(out.LayerVersions).toHaveLength(1)
    expect(proxy.requests()).toEqual([
      expect.objectContaining({
        op: 'ListLayerVersions',
        method: 'GET',
        resource: layer,
        action: 'pass',
        status: 200,
        upstreamStatus: 200
      })
    ])
    expect(proxy.env()).toEqual({ AWS_ENDPOINT_URL: proxy.url })
  })

  it('decodes a function ARN in the path', async () => {
    const fn = unique('fp-fn')
    const arn = await createFunction(fn)
    const out = await client.send(new GetFunctionConfigurationCommand({ FunctionName: arn }))
    expect(out.FunctionName).toBe(fn)
    const [req] = proxy.requests()
    expect(req).toMatchObject({ op: 'GetFunctionConfiguration', resource: arn, status: 200 })
    expect(req.path).toContain('%3A')
  })

  it('answers with an AWS error that never reaches moto', async () => {
    const layer = unique('fp-429')
    proxy.add({ op: 'PublishLayerVersion', action: errors.throttled() })
    const error = await failure(publish(client, layer))
    expect(error.name).toBe('TooManyRequestsException')
    expect(error.message).toBe('Rate exceeded')
    expect(error.$metadata).toMatchObject({ httpStatusCode: 429 })
    expect((error.$metadata as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(await versionCount(layer)).toBe(0)
    expect(proxy.requests()).toEqual([
      expect.objectContaining({ op: 'PublishLayerVersion', action: 'respond', status: 429 })
    ])
    expect(proxy.requests()[0].upstreamStatus).toBeUndefined()
  })

  it.each([
    ['service', errors.service(), 'ServiceException', 500],
    ['conflict', errors.conflict(), 'ResourceConflictException', 409],
    ['precondition', errors.precondition(), 'PreconditionFailedException', 412],
    [
      'throttled with Retry-After',
      awsError(429, 'TooManyRequestsException', 'Slow down', { retryAfter: 0 }),
      'TooManyRequestsException',
      429
    ]
  ])('maps the %s error to the SDK exception', async (_label, action, name, status) => {
    proxy.add({ op: 'ListLayerVersions', action })
    const error = await failure(listVersions(client, unique('fp-err')))
    expect(error.name).toBe(name)
    expect(error.$metadata).toMatchObject({ httpStatusCode: status })
    expect(error.$fault).toBe(status >= 500 ? 'server' : 'client')
  })

  it('drop-after: moto does the work, the client gets no answer', async () => {
    const layer = unique('fp-drop')
    proxy.add({ op: 'PublishLayerVersion', action: { kind: 'drop-after' } })
    const error = await failure(publish(client, layer))
    // The SDK's node handler renames ECONNRESET / EPIPE errors to TimeoutError.
    expect(describeFailure(error)).toBe('TimeoutError: socket hang up')
    expect(error.$metadata).toMatchObject({ attempts: 1 })
    expect(await versionCount(layer)).toBe(1)
    expect(proxy.requests()).toEqual([
      expect.objectContaining({ action: 'drop-after', upstreamStatus: 201 })
    ])
    expect(proxy.requests()[0].status).toBeUndefined()
    // The proxy keeps serving the client after the dropped connection.
    expect((await listVersions(client, layer)).LayerVersions).toHaveLength(1)
  })

  it('times: the rule applies that many times, then calls pass', async () => {
    const layer = unique('fp-times')
    await publishLayer(layer)
    proxy.add({ op: 'ListLayerVersions', action: errors.service(), times: 2 })
    expect((await failure(listVersions(client, layer))).name).toBe('ServiceException')
    expect((await failure(listVersions(client, layer))).name).toBe('ServiceException')
    expect((await listVersions(client, layer)).LayerVersions).toHaveLength(1)
    expect(proxy.requests().map(r => r.status)).toEqual([500, 500, 200])
  })

  it('after: the rule skips that many matching calls first', async () => {
    const layer = unique('fp-after')
    await publishLayer(layer)
    proxy.add({ op: 'ListLayerVersions', action: errors.conflict(), after: 1, times: 1 })
    await listVersions(client, layer)
    expect((await failure(listVersions(client, layer))).name).toBe('ResourceConflictException')
    await listVersions(client, layer)
    expect(proxy.requests().map(r => r.action)).toEqual(['pass', 'respond', 'pass'])
  })

  it('checks rules in order, matches predicates, and clear() removes them', async () => {
    const layer = unique('fp-order')
    const other = unique('fp-order-other')
    proxy.add({ op: r => r.resource === other, action: errors.conflict() })
    proxy.add({ op: 'ListLayerVersions', action: errors.service() })
    proxy.add({ op: 'ListLayerVersions', action: errors.throttled() })
    expect((await failure(listVersions(client, other))).name).toBe('ResourceConflictException')
    expect((await failure(listVersions(client, layer))).name).toBe('ServiceException')
    proxy.clear()
    expect((await listVersions(client, layer)).LayerVersions).toEqual([])
  })

  it('delay: the call is forwarded after the delay', async () => {
    const layer = unique('fp-delay')
    proxy.add({ op: 'PublishLayerVersion', action: { kind: 'delay', ms: 400 } })
    const started = Date.now()
    const out = await publish(client, layer)
    expect(Date.now() - started).toBeGreaterThanOrEqual(400)
    expect(out.Version).toBe(1)
    expect(proxy.requests()[0]).toMatchObject({ action: 'delay', status: 201 })
  })

  it('reset: the client gets a connection error and moto sees nothing', async () => {
    const layer = unique('fp-reset')
    proxy.add({ op: 'PublishLayerVersion', action: { kind: 'reset' } })
    const error = await failure(publish(client, layer))
    expect(describeFailure(error)).toBe('TimeoutError: read ECONNRESET')
    expect(await versionCount(layer)).toBe(0)
    expect(proxy.requests()).toEqual([
      expect.objectContaining({ op: 'PublishLayerVersion', action: 'reset' })
    ])
  })

  it('on(): the callback fires for the matching op before the action applies', async () => {
    const layer = unique('fp-on')
    const seen: RecordedRequest[] = []
    const snapshots: (number | undefined)[] = []
    proxy.add({ op: 'PublishLayerVersion', action: { kind: 'delay', ms: 50 } })
    proxy.on('PublishLayerVersion', req => {
      seen.push(req)
      snapshots.push(req.status)
    })
    const off = proxy.on('ListLayerVersions', () => {
      throw new Error('never registered for long')
    })
    off()
    await listVersions(client, layer)
    await publish(client, layer)
    expect(seen.map(r => [r.op, r.resource, r.action])).toEqual([
      ['PublishLayerVersion', layer, 'delay']
    ])
    expect(snapshots).toEqual([undefined])
    expect(JSON.parse(seen[0].body ?? '{}')).toMatchObject({
      CompatibleRuntimes: ['python3.12']
    })
    expect(seen[0].status).toBe(201)
  })

  it('forwards S3 uploads byte-exact and names S3 operations', async () => {
    const bucket = unique('fp-bucket')
    await createBucket(bucket)
    const key = 'dir/a file:1.zip'
    const data = crypto.randomBytes(6 * 1024 * 1024)
    const proxied = new S3Client({
      region: REGION,
      endpoint: proxy.url,
      credentials,
      forcePathStyle: true,
      maxAttempts: 1
    })
    try {
      await proxied.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }))
      const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? [])
      expect(bytes.equals(data)).toBe(true)
    } finally {
      proxied.destroy()
    }
    expect(proxy.requests()).toEqual([
      expect.objectContaining({ op: 'S3:PutObject', resource: `${bucket}/${key}`, status: 200 })
    ])
    expect(proxy.requests()[0].body).toBeUndefined()
  })
})

describe('fault proxy: hang', () => {
  it('a hung call fails on the client timeout; stop() closes the open socket', async () => {
    const proxy = await startFaultProxy()
    const client = viaProxy(proxy, { requestTimeout: 1000, throwOnRequestTimeout: true })
    const patient = viaProxy(proxy)
    try {
      const layer = unique('fp-hang')
      proxy.add({ op: 'ListLayerVersions', action: { kind: 'hang' } })
      const started = Date.now()
      const error = await failure(listVersions(client, layer))
      expect(error.name).toBe('TimeoutError')
      expect(Date.now() - started).toBeLessThan(4000)

      // A second hung call, still open when the proxy stops.
      const pending = failure(listVersions(patient, layer))
      while (proxy.requests().length < 2) await new Promise(r => setTimeout(r, 10))
      const stopping = Date.now()
      await proxy.stop()
      expect(Date.now() - stopping).toBeLessThan(1000)
      expect(describeFailure(await pending)).toBe('TimeoutError: socket hang up')
      expect(proxy.requests().map(r => r.action)).toEqual(['hang', 'hang'])
    } finally {
      client.destroy()
      patient.destroy()
      await proxy.stop()
    }
  })
})

describe('classify', () => {
  it.each([
    ['POST', '/2018-10-31/layers/my-layer/versions', 'PublishLayerVersion', 'my-layer'],
    ['GET', '/2018-10-31/layers/my-layer/versions?MaxItems=50', 'ListLayerVersions', 'my-layer'],
    ['GET', '/2018-10-31/layers/l/versions/3', 'GetLayerVersion', 'l'],
    ['DELETE', '/2018-10-31/layers/l/versions/3', 'DeleteLayerVersion', 'l'],
    ['POST', '/2018-10-31/layers/l/versions/3/policy', 'AddLayerVersionPermission', 'l'],
    ['GET', '/2018-10-31/layers/l/versions/3/policy', 'GetLayerVersionPolicy', 'l'],
    ['DELETE', '/2018-10-31/layers/l/versions/3/policy/s1', 'RemoveLayerVersionPermission', 'l'],
    ['GET', '/2015-03-31/functions/f/configuration', 'GetFunctionConfiguration', 'f'],
    ['PUT', '/2015-03-31/functions/f/configuration', 'UpdateFunctionConfiguration', 'f'],
    [
      'GET',
      '/2015-03-31/functions/arn%3Aaws%3Alambda%3Ax%3Af',
      'GetFunction',
      'arn:aws:lambda:x:f'
    ],
    ['GET', '/2015-03-31/functions/', 'ListFunctions', undefined],
    ['PUT', '/bucket/some%20key/x.zip', 'S3:PutObject', 'bucket/some key/x.zip'],
    ['HEAD', '/bucket/k', 'S3:HeadObject', 'bucket/k'],
    ['GET', '/bucket/k', 'S3:GetObject', 'bucket/k'],
    ['PUT', '/bucket', 'S3:PUT', 'bucket'],
    ['POST', '/bucket/k?uploads', 'S3:POST', 'bucket/k'],
    ['POST', '/', 'Other', undefined],
    ['GET', '/2015-03-31/functions/f/concurrency', 'Other', undefined]
  ])('%s %s -> %s', (method, path, op, resource) => {
    const found = classify(method, path)
    expect(found.op).toBe(op)
    expect(found.resource).toBe(resource)
  })

  it('reads the version, the signing service and virtual-host buckets', () => {
    expect(classify('GET', '/2018-10-31/layers/l/versions/7').version).toBe(7)
    const signed = (service: string) => ({
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`
    })
    expect(classify('POST', '/', signed('iam')).op).toBe('Other')
    expect(
      classify('POST', '/', { ...signed('ssm'), 'x-amz-target': 'AmazonSSM.PutParameter' }).op
    ).toBe('SSM:PutParameter')
    expect(classify('PUT', '/2018-10-31/x', signed('s3'))).toMatchObject({
      op: 'S3:PutObject',
      resource: '2018-10-31/x'
    })
    expect(
      classify('GET', '/k/v.zip', { ...signed('s3'), host: 'my-bucket.localhost:5000' })
    ).toMatchObject({ op: 'S3:GetObject', resource: 'my-bucket/k/v.zip' })
  })
})
