/**
 * scripts/lambda-emulator.mjs with the real AWS SDK against moto_server:
 * functions run for real (layers on sys.path, Lambda's environment, errors,
 * timeouts, logs), and the code behind Code.Location / Content.Location can
 * be fetched, ranges included; AWS Signer's signing jobs write signed zips
 * that layers published from carry, and a function enforcing signatures
 * refuses an unsigned layer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import {
  CreateCodeSigningConfigCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  InvokeCommand,
  LambdaClient,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  ResourceNotFoundException,
  ServiceException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type Architecture,
  type InvokeCommandOutput
} from '@aws-sdk/client-lambda'
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import {
  DescribeSigningJobCommand,
  GetSigningProfileCommand,
  PutSigningProfileCommand,
  SignerClient,
  StartSigningJobCommand
} from '@aws-sdk/client-signer'
import AdmZip from 'adm-zip'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REGION, unique } from '../helpers/aws.js'
import { startLambdaEmulator, type LambdaEmulator } from '../helpers/lambda-emulator.js'
import { makeToolCache } from '../helpers/toolcache.js'

const RUNTIME = 'python3.12'
const CANARY = 'LAMBDA_EMULATOR_TEST_CANARY'

function zipOf(files: Record<string, string>): Buffer {
  const zip = new AdmZip()
  for (const [name, text] of Object.entries(files)) zip.addFile(name, Buffer.from(text))
  return zip.toBuffer()
}

const HANDLERS = `
import os, subprocess, sys, time
import greet, shared

def handler(event, context):
    print('hello from the handler')
    return {
        'greeting': greet.hello(event['who']),
        'shared': shared.VALUE,
        'functionName': os.environ.get('AWS_LAMBDA_FUNCTION_NAME'),
        'functionVersion': os.environ.get('AWS_LAMBDA_FUNCTION_VERSION'),
        'executionEnv': os.environ.get('AWS_EXECUTION_ENV'),
        'custom': os.environ.get('GREETING_STYLE'),
        'canary': os.environ.get('${CANARY}'),
        'path': sys.path[:3],
        'taskRoot': os.environ.get('LAMBDA_TASK_ROOT'),
        'cwd': os.getcwd(),
        'context': [context.function_name, context.memory_limit_in_mb, context.aws_request_id,
                    context.log_group_name, context.invoked_function_arn],
        'remaining': context.get_remaining_time_in_millis(),
    }

def fail(event, context):
    raise ValueError('the handler failed on purpose')

def slow(event, context):
    child = subprocess.Popen(['sleep', '60'])
    print('left behind: %d' % child.pid)
    time.sleep(30)

def leave(event, context):
    os._exit(3)
`

const layerOne = zipOf({
  'python/greet/__init__.py': 'def hello(who):\n    return "hello, " + who\n',
  'python/shared.py': 'VALUE = "from the first layer"\n'
})
const layerTwo = zipOf({ 'python/shared.py': 'VALUE = "from the second layer"\n' })
const code = zipOf({ 'app.py': HANDLERS })
const codeV2 = zipOf({ 'app.py': 'def handler(event, context):\n    return "v2"\n' })

/** True once `pid` is gone or a zombie waiting to be reaped. */
function dead(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return true
  }
}

describe('lambda emulator', () => {
  const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
  const names = {
    main: unique('emu-main'),
    fail: unique('emu-fail'),
    slow: unique('emu-slow'),
    leave: unique('emu-leave'),
    updated: unique('emu-updated'),
    foreign: unique('emu-foreign'),
    otherArch: unique('emu-arch')
  }
  const layerName = unique('emu-layer')
  const otherArch: Architecture = process.arch === 'arm64' ? 'x86_64' : 'arm64'
  let emulator: LambdaEmulator
  let client: LambdaClient
  let layerArns: string[]
  let roleArn: string | undefined
  /** How the SDK clients reach the emulator. */
  let config: {
    region: string
    endpoint: string
    credentials: { accessKeyId: string; secretAccessKey: string }
    maxAttempts: number
  }
  let publishedLocation: string | undefined

  const payloadOf = (out: InvokeCommandOutput): unknown =>
    JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'))
  const invoke = (name: string, extra: Partial<InvokeCommand['input']> = {}) =>
    client.send(
      new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ who: 'moto' }), ...extra })
    )

  beforeAll(async () => {
    if (!makeToolCache(toolCache, ['3.12'])['3.12'])
      throw new Error('no Python 3.12 on this machine')
    // moto itself (the globalSetup puts another emulator in front of it for the other tests).
    const moto = process.env.E2E_MOTO_URL ?? process.env.E2E_AWS_ENDPOINT_URL
    if (!moto) throw new Error('E2E_MOTO_URL is not set: the e2e globalSetup starts moto')
    emulator = await startLambdaEmulator({
      moto,
      env: { RUNNER_TOOL_CACHE: toolCache, [CANARY]: 'the emulator environment leaked' }
    })
    config = {
      region: REGION,
      endpoint: emulator.url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1
    }
    client = new LambdaClient(config)

    // moto's CreateFunction refuses a role that does not exist.
    const role = await new IAMClient(config).send(
      new CreateRoleCommand({
        RoleName: unique('emu-role'),
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
              Action: 'sts:AssumeRole'
            }
          ]
        })
      })
    )
    roleArn = role.Role?.Arn
    layerArns = []
    for (const zip of [layerOne, layerTwo]) {
      const out = await client.send(
        new PublishLayerVersionCommand({
          LayerName: layerName,
          Content: { ZipFile: zip },
          CompatibleRuntimes: [RUNTIME]
        })
      )
      layerArns.push(out.LayerVersionArn ?? '')
      publishedLocation ??= out.Content?.Location
    }
    const create = (name: string, handler: string, more: object = {}, via = client) =>
      via.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: RUNTIME,
          Role: role.Role?.Arn,
          Handler: handler,
          Code: { ZipFile: code },
          Layers: layerArns,
          Architectures: [process.arch === 'arm64' ? 'arm64' : 'x86_64'],
          ...more
        })
      )
    await create(names.main, 'app.handler', {
      Environment: { Variables: { GREETING_STYLE: 'plain' } },
      MemorySize: 256
    })
    await create(names.fail, 'app.fail')
    await create(names.slow, 'app.slow', { Timeout: 1 })
    await create(names.leave, 'app.leave')
    await create(names.updated, 'app.handler')
    await create(names.otherArch, 'app.handler', { Architectures: [otherArch] })
    await create(
      names.foreign,
      'app.handler',
      {},
      new LambdaClient({
        region: REGION,
        endpoint: process.env.E2E_MOTO_URL ?? process.env.E2E_AWS_ENDPOINT_URL,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
      })
    )
  })

  afterAll(async () => {
    await emulator?.stop()
    fs.rmSync(toolCache, { recursive: true, force: true })
  })

  it('runs the handler with the layers on sys.path, later layers winning', async () => {
    const out = await invoke(names.main)
    expect(out.StatusCode).toBe(200)
    expect(out.FunctionError).toBeUndefined()
    expect(out.ExecutedVersion).toBe('$LATEST')
    const payload = payloadOf(out) as Record<string, unknown>
    expect(payload).toMatchObject({
      greeting: 'hello, moto',
      shared: 'from the second layer',
      functionName: names.main,
      functionVersion: '$LATEST',
      executionEnv: 'AWS_Lambda_python3.12',
      custom: 'plain'
    })
    const [task, sitePackages, optPython] = payload.path as string[]
    expect(task).toBe(payload.taskRoot)
    expect(payload.cwd).toBe(payload.taskRoot)
    expect(sitePackages).toMatch(/\/opt\/python\/lib\/python3\.12\/site-packages$/)
    expect(optPython).toMatch(/\/opt\/python$/)
    const [fn, memory, requestId, logGroup, arn] = payload.context as string[]
    expect([fn, memory, logGroup]).toEqual([names.main, '256', `/aws/lambda/${names.main}`])
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(arn).toBe(`arn:aws:lambda:${REGION}:123456789012:function:${names.main}`)
    expect(payload.remaining).toBeGreaterThan(0)
    expect(payload.remaining).toBeLessThanOrEqual(3000)
  })

  it('gives the handler nothing of the emulator environment', async () => {
    const payload = payloadOf(await invoke(names.main)) as Record<string, unknown>
    expect(payload.canary).toBeNull()
  })

  it('returns the printed text with LogType Tail', async () => {
    const out = await invoke(names.main, { LogType: 'Tail' })
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8')
    expect(log).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/)
    expect(log).toContain('hello from the handler\n')
    expect(log).toMatch(/\nEND RequestId: [0-9a-f-]{36}\nREPORT RequestId: .*Duration: [\d.]+ ms/)
  })

  it('answers an exception as an unhandled function error', async () => {
    const out = await invoke(names.fail)
    expect(out.StatusCode).toBe(200)
    expect(out.FunctionError).toBe('Unhandled')
    const payload = payloadOf(out) as Record<string, unknown>
    expect(payload).toMatchObject({
      errorType: 'ValueError',
      errorMessage: 'the handler failed on purpose'
    })
    expect((payload.stackTrace as string[]).join('')).toContain('app.py')
  })

  it('times out after the Timeout and kills what the handler left running', async () => {
    const started = Date.now()
    const out = await invoke(names.slow, { LogType: 'Tail' })
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(out.FunctionError).toBe('Unhandled')
    expect((payloadOf(out) as { errorMessage: string }).errorMessage).toMatch(
      /^\S+ [0-9a-f-]{36} Task timed out after 1\.00 seconds$/
    )
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8')
    const pid = Number(/left behind: (\d+)/.exec(log)?.[1])
    expect(pid).toBeGreaterThan(0)
    const deadline = Date.now() + 5000
    while (!dead(pid) && Date.now() < deadline) await new Promise(r => setTimeout(r, 100))
    expect(dead(pid)).toBe(true)
  })

  it('reports a process that exits as Runtime.ExitError', async () => {
    const out = await invoke(names.leave)
    expect(out.FunctionError).toBe('Unhandled')
    expect(payloadOf(out)).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringMatching(/Runtime exited with error: exit status 3$/)
    })
  })

  it('says why it cannot run a function of the other architecture', async () => {
    const out = await invoke(names.otherArch)
    expect(out.FunctionError).toBe('Unhandled')
    expect((payloadOf(out) as { errorMessage: string }).errorMessage).toBe(
      `the emulator cannot run ${otherArch} on ${otherArch === 'arm64' ? 'x86_64' : 'arm64'}`
    )
  })

  it('answers Event with 202 and DryRun with 204', async () => {
    expect((await invoke(names.main, { InvocationType: 'Event' })).StatusCode).toBe(202)
    expect((await invoke(names.main, { InvocationType: 'DryRun' })).StatusCode).toBe(204)
  })

  it('runs a published version under its number', async () => {
    await client.send(new PublishVersionCommand({ FunctionName: names.main }))
    const out = await invoke(names.main, { Qualifier: '1' })
    expect(out.ExecutedVersion).toBe('1')
    expect(payloadOf(out)).toMatchObject({ functionVersion: '1' })
  })

  it('runs code updated from S3, and serves the new zip', async () => {
    const s3 = new S3Client({
      region: REGION,
      endpoint: emulator.url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      forcePathStyle: true
    })
    const bucket = unique('emu-code')
    await s3.send(new CreateBucketCommand({ Bucket: bucket }))
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'code/v2 final.zip', Body: codeV2 }))
    await client.send(
      new UpdateFunctionCodeCommand({
        FunctionName: `arn:aws:lambda:${REGION}:123456789012:function:${names.updated}`,
        S3Bucket: bucket,
        S3Key: 'code/v2 final.zip'
      })
    )
    expect(payloadOf(await invoke(names.updated))).toBe('v2')
    const out = await client.send(new GetFunctionCommand({ FunctionName: names.updated }))
    const served = await fetch(out.Code?.Location ?? '')
    expect(Buffer.from(await served.arrayBuffer()).equals(codeV2)).toBe(true)
  })

  it('serves the function code behind GetFunction Code.Location, with ranges', async () => {
    const out = await client.send(new GetFunctionCommand({ FunctionName: names.main }))
    const location = out.Code?.Location ?? ''
    expect(location.startsWith(`${emulator.url}/_emulator/function?`)).toBe(true)
    const part = await fetch(location, { headers: { Range: 'bytes=0-9' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 0-9/${code.length}`)
    expect(part.headers.get('accept-ranges')).toBe('bytes')
    expect(Buffer.from(await part.arrayBuffer()).equals(code.subarray(0, 10))).toBe(true)
    const whole = await fetch(location)
    expect(whole.status).toBe(200)
    expect(Buffer.from(await whole.arrayBuffer()).equals(code)).toBe(true)
  })

  it('serves the layer content behind GetLayerVersion Content.Location, with ranges', async () => {
    const out = await client.send(
      new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: 1 })
    )
    const location = out.Content?.Location ?? ''
    expect(location).toBe(publishedLocation)
    const tail = await fetch(location, { headers: { Range: 'bytes=-5' } })
    expect(tail.status).toBe(206)
    expect(tail.headers.get('content-range')).toBe(
      `bytes ${layerOne.length - 5}-${layerOne.length - 1}/${layerOne.length}`
    )
    expect(Buffer.from(await tail.arrayBuffer()).equals(layerOne.subarray(-5))).toBe(true)
    const beyond = await fetch(location, { headers: { Range: `bytes=${layerOne.length}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${layerOne.length}`)
    const byArn = await client.send(new GetLayerVersionByArnCommand({ Arn: layerArns[1] }))
    const second = await fetch(byArn.Content?.Location ?? '')
    expect(Buffer.from(await second.arrayBuffer()).equals(layerTwo)).toBe(true)
    expect((await fetch(`${emulator.url}/_emulator/layer?arn=nothing`)).status).toBe(404)
  })

  it('passes on moto ResourceNotFoundException for a missing function', async () => {
    await expect(invoke(unique('emu-missing'))).rejects.toBeInstanceOf(ResourceNotFoundException)
  })

  it('refuses code it never saw', async () => {
    const error = await invoke(names.foreign).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServiceException)
    expect((error as Error).message).toMatch(/was not created through the emulator/)
  })

  describe('AWS Signer', () => {
    const bucket = unique('emu-signing')
    let signer: SignerClient
    let s3: S3Client
    let profile: string
    let version: string | undefined

    beforeAll(async () => {
      signer = new SignerClient(config)
      s3 = new S3Client({ ...config, forcePathStyle: true })
      await s3.send(new CreateBucketCommand({ Bucket: bucket }))
      await s3.send(
        new PutBucketVersioningCommand({
          Bucket: bucket,
          VersioningConfiguration: { Status: 'Enabled' }
        })
      )
      version = (
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'layer.zip', Body: layerOne }))
      ).VersionId
      const made = await signer.send(
        new PutSigningProfileCommand({
          profileName: unique('emu').replaceAll('-', '_'),
          platformId: 'AWSLambda-SHA384-ECDSA'
        })
      )
      profile = made.profileVersionArn ?? ''
    })

    /** A signing job of `key` at version `v` (null: no version). */
    const start = (token: string, key = 'layer.zip', v: string | null | undefined = version) =>
      signer.send(
        new StartSigningJobCommand({
          profileName: profile.split('/')[2],
          source: { s3: { bucketName: bucket, key, version: v ?? undefined } },
          destination: { s3: { bucketName: bucket, prefix: 'signed/' } },
          clientRequestToken: token
        })
      )

    it('signs a version of an object into the destination, InProgress then Succeeded, once per token', async () => {
      const { jobId } = await start('token-1')
      expect((await start('token-1')).jobId).toBe(jobId)
      expect((await signer.send(new DescribeSigningJobCommand({ jobId }))).status).toBe(
        'InProgress'
      )
      await new Promise(resolve => setTimeout(resolve, 400))
      const done = await signer.send(new DescribeSigningJobCommand({ jobId }))
      expect(done.status).toBe('Succeeded')
      expect(done.signedObject?.s3).toEqual({ bucketName: bucket, key: `signed/${jobId}.zip` })
      const signedZip = Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `signed/${jobId}.zip` }))
        ).Body!.transformToByteArray()
      )
      const comment = new AdmZip(signedZip).getZipComment()
      expect(JSON.parse(comment.replace('lambda-emulator-signature ', ''))).toEqual({
        profileVersionArn: profile,
        jobArn: `arn:aws:signer:${REGION}:123456789012:/signing-jobs/${jobId}`
      })
      expect(new AdmZip(signedZip).getEntries().map(e => e.entryName)).toEqual(
        new AdmZip(layerOne).getEntries().map(e => e.entryName)
      )

      // Published from the signed object, the version names the profile and the job.
      const published = await client.send(
        new PublishLayerVersionCommand({
          LayerName: unique('emu-signed'),
          Content: { S3Bucket: bucket, S3Key: `signed/${jobId}.zip` }
        })
      )
      expect(published.Content?.SigningProfileVersionArn).toBe(profile)
      expect(published.Content?.SigningJobArn).toMatch(new RegExp(`/signing-jobs/${jobId}$`))
    })

    it('fails a job whose source is already signed, and refuses a source without a version', async () => {
      const first = await start('token-2')
      await new Promise(resolve => setTimeout(resolve, 400))
      const again = await start('token-3', `signed/${first.jobId}.zip`, null).catch(
        (e: unknown) => e
      )
      expect(again).toBeInstanceOf(Error)
      expect((again as Error).name).toBe('ValidationException')
      const signedVersion = (
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `signed/${first.jobId}.zip` }))
      ).VersionId
      const twice = await start('token-4', `signed/${first.jobId}.zip`, signedVersion)
      await new Promise(resolve => setTimeout(resolve, 400))
      const job = await signer.send(new DescribeSigningJobCommand({ jobId: twice.jobId }))
      expect(job.status).toBe('Failed')
      expect(job.statusReason).toBe('the source object already has a signature')
    })

    it('answers a missing profile with ResourceNotFoundException', async () => {
      const error = await signer
        .send(new GetSigningProfileCommand({ profileName: 'no_such_profile' }))
        .catch((e: unknown) => e)
      expect((error as Error).name).toBe('ResourceNotFoundException')
    })

    it('refuses an unsigned layer on a function that enforces signatures, as Lambda does', async () => {
      const config = await client.send(
        new CreateCodeSigningConfigCommand({
          AllowedPublishers: { SigningProfileVersionArns: [profile] },
          CodeSigningPolicies: { UntrustedArtifactOnDeployment: 'Enforce' }
        })
      )
      const name = unique('emu-enforcing')
      await client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: RUNTIME,
          Role: roleArn,
          Handler: 'app.handler',
          Code: { ZipFile: code },
          CodeSigningConfigArn: config.CodeSigningConfig?.CodeSigningConfigArn
        })
      )
      const error = await client
        .send(
          new UpdateFunctionConfigurationCommand({ FunctionName: name, Layers: [layerArns[0]] })
        )
        .catch((e: unknown) => e)
      expect((error as Error).name).toBe('CodeVerificationFailedException')
      expect((error as Error).message).toContain(layerArns[0])
    })
  })

  it('records each request with its operation', () => {
    const ops = emulator.requests().map(r => `${r.op} ${r.method} ${r.status}`)
    for (const expected of [
      'PublishLayerVersion POST 201',
      'CreateFunction POST 201',
      'Invoke POST 200',
      'Invoke POST 202',
      'Invoke POST 204',
      'Invoke POST 404',
      'GetFunction GET 200',
      'GetLayerVersion GET 200',
      'GetLayerVersionByArn GET 200',
      'Emulator:Layer GET 206',
      'Emulator:Function GET 200',
      'S3:PUT PUT 200'
    ])
      expect(ops).toContain(expected)
  })
})
