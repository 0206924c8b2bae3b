import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  GetLayerVersionCommand,
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

const { checkLayerAccess, codeSha256, findReusableVersion, publishLayerVersion } =
  await import('../../../src/aws/publish.js')
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
        content: { zip: ZIP },
        runtimes: ['python3.12'],
        architectures: ['arm64']
      })
    ).resolves.toEqual({ layerArn: LAYER_ARN, layerVersionArn: `${LAYER_ARN}:8`, version: 8 })
  })

  it('sends the zip, runtimes, architectures, description and license', async () => {
    lambda.on(PublishLayerVersionCommand).resolves(published)
    await publishLayerVersion(client, {
      layerName: 'deps',
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
