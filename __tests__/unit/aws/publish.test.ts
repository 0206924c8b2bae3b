import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  GetLayerVersionCommand,
  type GetLayerVersionCommandOutput,
  LambdaClient,
  LambdaServiceException,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  ResourceNotFoundException
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const {
  checkLayerAccess,
  codeSha256,
  findReusableVersion,
  publishLayerVersion,
  versionDescription
} = await import('../../../src/aws/publish.js')
const { LIMITS } = await import('../../../src/runtimes.js')

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })

const LAYER_ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:deps'
const ZIP = Buffer.from('PK\u0005\u0006 pretend zip')
const SHA = codeSha256(ZIP)

function latestVersion(overrides: Record<string, unknown> = {}): void {
  lambda.on(ListLayerVersionsCommand).resolves({
    LayerVersions: [{ LayerVersionArn: `${LAYER_ARN}:7`, Version: 7 }]
  })
  lambda.on(GetLayerVersionCommand, { LayerName: 'deps', VersionNumber: 7 }).resolves({
    LayerArn: LAYER_ARN,
    LayerVersionArn: `${LAYER_ARN}:7`,
    Version: 7,
    Content: { CodeSha256: SHA },
    CompatibleRuntimes: ['python3.12', 'python3.13'],
    CompatibleArchitectures: ['x86_64'],
    ...overrides
  })
}

const query = {
  layerName: 'deps',
  codeSha256: SHA,
  runtimes: ['python3.13', 'python3.12'] as const,
  architectures: ['x86_64'] as const
}

beforeEach(() => {
  lambda.reset()
})

describe('codeSha256', () => {
  it('is the base64 SHA-256 Lambda reports', () => {
    // sha256("abc"), base64
    expect(codeSha256(Buffer.from('abc'))).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=')
  })
})

describe('findReusableVersion', () => {
  it('reuses the latest version with the same content, runtimes and architectures', async () => {
    latestVersion()
    await expect(findReusableVersion(client, query)).resolves.toEqual({
      layerArn: LAYER_ARN,
      layerVersionArn: `${LAYER_ARN}:7`,
      version: 7
    })
  })

  it('asks for the newest version only', async () => {
    latestVersion()
    await findReusableVersion(client, query)
    expect(lambda.commandCalls(ListLayerVersionsCommand)[0].args[0].input).toEqual({
      LayerName: 'deps',
      MaxItems: 1
    })
  })

  it('takes the highest version when the list holds several (emulators ignore MaxItems)', async () => {
    latestVersion()
    lambda.on(ListLayerVersionsCommand).resolves({
      LayerVersions: [{ Version: 5 }, { Version: 7 }, { Version: 6 }]
    })
    await findReusableVersion(client, query)
    expect(lambda.commandCalls(GetLayerVersionCommand)[0].args[0].input.VersionNumber).toBe(7)
  })

  describe('of a signed layer', () => {
    const PROFILE = 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/layers/abc'
    const HEX = 'ab'.repeat(32)
    const signed = { ...query, signed: { profileVersionArn: PROFILE, zipSha256Hex: HEX } }
    const JOB = 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/job-1'

    it('reuses the latest version signed by the profile whose description names the zip', async () => {
      latestVersion({
        Content: {
          CodeSha256: 'signed-zip',
          SigningProfileVersionArn: PROFILE,
          SigningJobArn: JOB
        },
        Description: `six [sbom ${HEX}.cdx.json]`
      })
      await expect(findReusableVersion(client, signed)).resolves.toEqual({
        layerArn: LAYER_ARN,
        layerVersionArn: `${LAYER_ARN}:7`,
        version: 7,
        signingJobArn: JOB
      })
    })

    it('does not reuse one signed by another profile version, or unsigned, or of another zip', async () => {
      latestVersion({
        Content: { CodeSha256: 'signed-zip', SigningProfileVersionArn: `${PROFILE}2` },
        Description: `[sbom ${HEX}.cdx.json]`
      })
      await expect(findReusableVersion(client, signed)).resolves.toBeUndefined()
      latestVersion({ Description: `[sbom ${HEX}.cdx.json]` })
      await expect(findReusableVersion(client, signed)).resolves.toBeUndefined()
      latestVersion({
        Content: { CodeSha256: 'signed-zip', SigningProfileVersionArn: PROFILE },
        Description: `[sbom ${'cd'.repeat(32)}.cdx.json]`
      })
      await expect(findReusableVersion(client, signed)).resolves.toBeUndefined()
    })

    it('an unsigned run does not reuse a signed version of the same zip', async () => {
      latestVersion({
        Content: { CodeSha256: 'signed-zip', SigningProfileVersionArn: PROFILE },
        Description: `[sbom ${HEX}.cdx.json]`
      })
      await expect(findReusableVersion(client, query)).resolves.toBeUndefined()
    })
  })

  it('does not reuse a version with other content', async () => {
    latestVersion({ Content: { CodeSha256: codeSha256(Buffer.from('other')) } })
    await expect(findReusableVersion(client, query)).resolves.toBeUndefined()
  })

  it('does not reuse a version with the same content but other runtimes', async () => {
    latestVersion({ CompatibleRuntimes: ['python3.12'] })
    await expect(findReusableVersion(client, query)).resolves.toBeUndefined()
  })

  it('does not reuse a version with the same content but other architectures', async () => {
    latestVersion({ CompatibleArchitectures: ['x86_64', 'arm64'] })
    await expect(findReusableVersion(client, query)).resolves.toBeUndefined()
  })

  it('does not reuse a version published without architectures', async () => {
    latestVersion({ CompatibleArchitectures: undefined })
    await expect(findReusableVersion(client, query)).resolves.toBeUndefined()
  })

  it('finds nothing when the layer does not exist (ResourceNotFoundException)', async () => {
    lambda
      .on(ListLayerVersionsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Cannot find layer', $metadata: {} }))
    await expect(findReusableVersion(client, query)).resolves.toBeUndefined()
  })

  it('finds nothing when the layer has no versions', async () => {
    lambda.on(ListLayerVersionsCommand).resolves({ LayerVersions: [] })
    await expect(findReusableVersion(client, query)).resolves.toBeUndefined()
    expect(lambda.commandCalls(GetLayerVersionCommand)).toHaveLength(0)
  })

  it('names the missing permission when listing is denied', async () => {
    lambda.on(ListLayerVersionsCommand).rejects(
      new LambdaServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized',
        $metadata: { httpStatusCode: 403 }
      })
    )
    await expect(findReusableVersion(client, query)).rejects.toThrow(/lambda:ListLayerVersions/)
  })
})

describe('publishLayerVersion', () => {
  const published = {
    LayerArn: LAYER_ARN,
    LayerVersionArn: `${LAYER_ARN}:8`,
    Version: 8
  }

  it('returns the new version', async () => {
    lambda.on(PublishLayerVersionCommand).resolves(published)
    await expect(
      publishLayerVersion(client, {
        layerName: 'deps',
        codeSha256: SHA,
        content: { zip: ZIP },
        runtimes: ['python3.12'],
        architectures: ['arm64']
      })
    ).resolves.toEqual({
      layerArn: LAYER_ARN,
      layerVersionArn: `${LAYER_ARN}:8`,
      version: 8,
      adopted: false,
      duplicates: []
    })
  })

  it('sends the zip, runtimes, architectures, description and license', async () => {
    lambda.on(PublishLayerVersionCommand).resolves(published)
    await publishLayerVersion(client, {
      layerName: 'deps',
      codeSha256: SHA,
      content: { zip: ZIP },
      runtimes: ['python3.12', 'python3.13'],
      architectures: ['arm64'],
      description: 'requirements.txt abc123',
      licenseInfo: 'MIT'
    })
    expect(lambda.commandCalls(PublishLayerVersionCommand)[0].args[0].input).toEqual({
      LayerName: 'deps',
      Content: { ZipFile: ZIP },
      CompatibleRuntimes: ['python3.12', 'python3.13'],
      CompatibleArchitectures: ['arm64'],
      Description: 'requirements.txt abc123',
      LicenseInfo: 'MIT'
    })
  })

  it('leaves out an absent description and license', async () => {
    lambda.on(PublishLayerVersionCommand).resolves(published)
    await publishLayerVersion(client, {
      layerName: 'deps',
      codeSha256: SHA,
      content: { zip: ZIP },
      runtimes: ['python3.12'],
      architectures: ['x86_64']
    })
    const input = lambda.commandCalls(PublishLayerVersionCommand)[0].args[0].input
    expect(Object.keys(input).sort()).toEqual([
      'CompatibleArchitectures',
      'CompatibleRuntimes',
      'Content',
      'LayerName'
    ])
  })

  it('rejects a zip over the direct-upload limit without calling the API', async () => {
    const zip = Buffer.alloc(LIMITS.directUploadBytes + 1)
    await expect(
      publishLayerVersion(client, {
        layerName: 'deps',
        codeSha256: SHA,
        content: { zip },
        runtimes: ['python3.12'],
        architectures: ['x86_64']
      })
    ).rejects.toThrow(/over the 50\.0 MiB that Lambda accepts as a direct upload\. Set `s3-bucket`/)
    expect(lambda.commandCalls(PublishLayerVersionCommand)).toHaveLength(0)
  })

  it('publishes from S3 when the zip was uploaded there', async () => {
    lambda.on(PublishLayerVersionCommand).resolves(published)
    await publishLayerVersion(client, {
      layerName: 'deps',
      codeSha256: SHA,
      content: { s3Bucket: 'bucket', s3Key: 'layers/deps/abc.zip', bytes: 60_000_000 },
      runtimes: ['python3.12'],
      architectures: ['x86_64']
    })
    expect(lambda.commandCalls(PublishLayerVersionCommand)[0].args[0].input.Content).toEqual({
      S3Bucket: 'bucket',
      S3Key: 'layers/deps/abc.zip'
    })
  })

  it('names the missing permission when publishing is denied', async () => {
    lambda.on(PublishLayerVersionCommand).rejects(
      new LambdaServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized',
        $metadata: { httpStatusCode: 403 }
      })
    )
    await expect(
      publishLayerVersion(client, {
        layerName: 'deps',
        codeSha256: SHA,
        content: { zip: ZIP },
        runtimes: ['python3.12'],
        architectures: ['x86_64']
      })
    ).rejects.toThrow(/lambda:PublishLayerVersion/)
  })
})

describe('checkLayerAccess', () => {
  beforeEach(() => {
    lambda.reset()
  })

  it('accepts a layer that does not exist yet', async () => {
    lambda
      .on(ListLayerVersionsCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }))
    await expect(checkLayerAccess(client, 'deps')).resolves.toBeUndefined()
  })

  it('says what to add when there are no credentials', async () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError'
    })
    lambda.on(ListLayerVersionsCommand).rejects(error)
    await expect(checkLayerAccess(client, 'deps')).rejects.toThrow(
      /no AWS credentials found.*aws-actions\/configure-aws-credentials.*publish: false/
    )
  })

  it('names the permission on an access denial', async () => {
    lambda.on(ListLayerVersionsCommand).rejects(
      new LambdaServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'User is not authorized',
        $metadata: { httpStatusCode: 403 }
      })
    )
    await expect(checkLayerAccess(client, 'deps')).rejects.toThrow(/lambda:ListLayerVersions/)
  })
})

describe('publishLayerVersion never publishes twice blindly', () => {
  const request = {
    layerName: 'deps',
    codeSha256: SHA,
    content: { zip: ZIP },
    runtimes: ['python3.12'] as const,
    architectures: ['x86_64'] as const
  }
  const sleep = jest.fn(async (_ms: number): Promise<void> => {})
  const lost = () =>
    Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: {} })
  const version = (n: number, sha = SHA): GetLayerVersionCommandOutput => ({
    $metadata: {},
    LayerArn: LAYER_ARN,
    LayerVersionArn: `${LAYER_ARN}:${n}`,
    Version: n,
    Content: { CodeSha256: sha },
    CompatibleRuntimes: ['python3.12'],
    CompatibleArchitectures: ['x86_64']
  })
  /** The layer's versions as Lambda lists them, newest first. */
  const versions = (...numbers: number[]) => ({
    LayerVersions: numbers.sort((a, b) => b - a).map(n => ({ Version: n }))
  })

  beforeEach(() => {
    sleep.mockClear()
  })

  it('adopts the version a lost answer published, and does not publish again', async () => {
    lambda.on(ListLayerVersionsCommand).resolvesOnce(versions(5)).resolves(versions(5, 6))
    lambda.on(GetLayerVersionCommand, { VersionNumber: 6 }).resolves(version(6))
    lambda.on(PublishLayerVersionCommand).rejects(lost())
    await expect(publishLayerVersion(client, request, { sleep })).resolves.toEqual({
      layerArn: LAYER_ARN,
      layerVersionArn: `${LAYER_ARN}:6`,
      version: 6,
      adopted: true,
      duplicates: []
    })
    expect(lambda.commandCalls(PublishLayerVersionCommand)).toHaveLength(1)
    // Only versions above the one seen before publishing are read.
    expect(
      lambda.commandCalls(GetLayerVersionCommand).map(c => c.args[0].input.VersionNumber)
    ).toEqual([6])
  })

  it('recognises the version a lost answer published from a signed zip by its signing job', async () => {
    const JOB = 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/job-1'
    lambda
      .on(ListLayerVersionsCommand)
      .resolvesOnce(versions(5))
      .resolves(versions(5, 6, 7))
    // 7: the same unsigned zip signed by another run's job; 6: ours.
    lambda.on(GetLayerVersionCommand, { VersionNumber: 7 }).resolves({
      ...version(7, 'signed-by-job-2'),
      Content: { CodeSha256: 'signed-by-job-2', SigningJobArn: `${JOB}x` }
    })
    lambda.on(GetLayerVersionCommand, { VersionNumber: 6 }).resolves({
      ...version(6, 'signed-by-job-1'),
      Content: { CodeSha256: 'signed-by-job-1', SigningJobArn: JOB }
    })
    lambda.on(PublishLayerVersionCommand).rejects(lost())
    const signedRequest = {
      ...request,
      content: { s3Bucket: 'b', s3Key: 'deps/signed/job-1.zip', bytes: 100 },
      signingJobArn: JOB
    }
    await expect(publishLayerVersion(client, signedRequest, { sleep })).resolves.toEqual({
      layerArn: LAYER_ARN,
      layerVersionArn: `${LAYER_ARN}:6`,
      version: 6,
      signingJobArn: JOB,
      adopted: true,
      duplicates: []
    })
    expect(lambda.commandCalls(PublishLayerVersionCommand)).toHaveLength(1)
  })

  it('publishes again when the lost request published nothing, and reports duplicates found later', async () => {
    lambda
      .on(ListLayerVersionsCommand)
      .resolvesOnce(versions(5))
      .resolvesOnce(versions(5)) // after the first lost answer: nothing new
      .resolves(versions(5, 6, 7)) // after the success: 6 appeared late
    lambda.on(GetLayerVersionCommand, { VersionNumber: 6 }).resolves(version(6))
    lambda.on(GetLayerVersionCommand, { VersionNumber: 7 }).resolves(version(7))
    lambda
      .on(PublishLayerVersionCommand)
      .rejectsOnce(lost())
      .resolves({ LayerArn: LAYER_ARN, LayerVersionArn: `${LAYER_ARN}:7`, Version: 7 })
    const outcome = await publishLayerVersion(client, request, { sleep })
    expect(outcome).toMatchObject({ version: 7, adopted: false, duplicates: [6] })
    expect(lambda.commandCalls(PublishLayerVersionCommand)).toHaveLength(2)
  })

  it('ignores versions with other content, runtimes or architectures', async () => {
    lambda
      .on(ListLayerVersionsCommand)
      .resolvesOnce(versions(1))
      .resolves(versions(1, 2, 3, 4))
    lambda.on(GetLayerVersionCommand, { VersionNumber: 2 }).resolves(version(2, 'other'))
    lambda
      .on(GetLayerVersionCommand, { VersionNumber: 3 })
      .resolves({ ...version(3), CompatibleRuntimes: ['python3.13'] })
    lambda
      .on(GetLayerVersionCommand, { VersionNumber: 4 })
      .resolves({ ...version(4), CompatibleArchitectures: ['arm64'] })
    lambda.on(PublishLayerVersionCommand).rejects(lost())
    await expect(publishLayerVersion(client, request, { sleep, maxAttempts: 2 })).rejects.toThrow(
      /PublishLayerVersion \(layer deps\) failed 2 times without an answer, and no version with this content was published/
    )
    expect(lambda.commandCalls(PublishLayerVersionCommand)).toHaveLength(2)
  })

  it('treats a 5xx as a possibly applied request', async () => {
    lambda.on(ListLayerVersionsCommand).resolvesOnce(versions()).resolves(versions(1))
    lambda.on(GetLayerVersionCommand, { VersionNumber: 1 }).resolves(version(1))
    lambda.on(PublishLayerVersionCommand).rejects(
      new LambdaServiceException({
        name: 'ServiceException',
        $fault: 'server',
        message: 'internal',
        $metadata: { httpStatusCode: 500 }
      })
    )
    await expect(publishLayerVersion(client, request, { sleep })).resolves.toMatchObject({
      version: 1,
      adopted: true
    })
  })

  it('retries a refusal (throttling) after a pause, without looking for versions', async () => {
    lambda.on(ListLayerVersionsCommand).resolves(versions(5))
    lambda
      .on(PublishLayerVersionCommand)
      .rejectsOnce(
        new LambdaServiceException({
          name: 'TooManyRequestsException',
          $fault: 'client',
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 429 }
        })
      )
      .resolves({ LayerArn: LAYER_ARN, LayerVersionArn: `${LAYER_ARN}:6`, Version: 6 })
    await expect(publishLayerVersion(client, request, { sleep })).resolves.toMatchObject({
      version: 6,
      adopted: false,
      duplicates: []
    })
    expect(sleep).toHaveBeenCalledTimes(1)
    expect(lambda.commandCalls(GetLayerVersionCommand)).toHaveLength(0)
  })

  it('sends the publish through publishClient (no SDK retries), and reads through client', async () => {
    const once = new LambdaClient({ region: 'us-east-1', maxAttempts: 1 })
    lambda.on(ListLayerVersionsCommand).resolves(versions())
    lambda
      .on(PublishLayerVersionCommand)
      .resolves({ LayerArn: LAYER_ARN, LayerVersionArn: `${LAYER_ARN}:1`, Version: 1 })
    await publishLayerVersion(client, request, { sleep, publishClient: once })
    const [publishCall] = lambda.commandCalls(PublishLayerVersionCommand)
    expect(publishCall.thisValue).toBe(once)
    expect(lambda.commandCalls(ListLayerVersionsCommand)[0].thisValue).toBe(client)
  })
})

describe('versionDescription', () => {
  const HEX = 'c'.repeat(64)
  it('appends the name of the SBOM, which is the zip SHA-256, to the description', () => {
    expect(versionDescription('six for the API', HEX)).toEqual({
      text: `six for the API [sbom ${HEX}.cdx.json]`,
      suffixed: true
    })
    expect(versionDescription(undefined, HEX)).toEqual({
      text: `[sbom ${HEX}.cdx.json]`,
      suffixed: true
    })
  })

  it('fills up to 256 characters, and leaves a description with no room for it as it is', () => {
    const room = LIMITS.descriptionMaxLength - ` [sbom ${HEX}.cdx.json]`.length
    expect(versionDescription('x'.repeat(room), HEX).text).toHaveLength(256)
    expect(versionDescription('x'.repeat(room + 1), HEX)).toEqual({
      text: 'x'.repeat(room + 1),
      suffixed: false
    })
  })
})
