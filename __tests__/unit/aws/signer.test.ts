import { beforeEach, describe, expect, it } from '@jest/globals'
import {
  DescribeSigningJobCommand,
  GetSigningProfileCommand,
  SignerClient,
  SignerServiceException,
  StartSigningJobCommand
} from '@aws-sdk/client-signer'
import { mockClient } from 'aws-sdk-client-mock'
import {
  LAMBDA_PLATFORM,
  readSigningProfile,
  signingToken,
  signZip
} from '../../../src/aws/signer.js'
import { parseSigningProfile } from '../../../src/aws-inputs/index.js'

const signer = mockClient(SignerClient)
const client = new SignerClient({ region: 'us-east-1' })
const limits = { callTimeoutMs: 5000 }
const PROFILE = {
  name: 'layers',
  versionArn: 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/layers/abc'
}
const SOURCE = { bucket: 'b', key: 'deps/00.zip', versionId: 'v1' }
const DESTINATION = { bucket: 'b', prefix: 'deps/signed/' }

const notFound = () =>
  new SignerServiceException({
    name: 'ResourceNotFoundException',
    $fault: 'client',
    $metadata: { httpStatusCode: 404 },
    message: 'no such profile'
  })

beforeEach(() => {
  signer.reset()
})

describe('parseSigningProfile', () => {
  it('takes a profile name, and nothing when empty', () => {
    expect(parseSigningProfile(' layers_prod ')).toBe('layers_prod')
    expect(parseSigningProfile('')).toBeUndefined()
  })

  it('refuses an ARN or a name with other characters, naming the input', () => {
    expect(() =>
      parseSigningProfile('arn:aws:signer:us-east-1:123456789012:/signing-profiles/layers')
    ).toThrow(/Input `signing-profile` is "arn:aws:signer.*the name, not an ARN/)
    expect(() => parseSigningProfile('my-profile')).toThrow(
      /2 to 64 letters, digits and underscores/
    )
    expect(() => parseSigningProfile('x')).toThrow(/signing-profile/)
  })
})

describe('readSigningProfile', () => {
  it('returns the version ARN of an Active Lambda profile', async () => {
    signer.on(GetSigningProfileCommand, { profileName: 'layers' }).resolves({
      profileName: 'layers',
      profileVersionArn: PROFILE.versionArn,
      platformId: LAMBDA_PLATFORM,
      status: 'Active'
    })
    await expect(readSigningProfile(client, 'layers', 'us-east-1', limits)).resolves.toEqual(
      PROFILE
    )
  })

  it('fails naming the input, the profile and the region when it is missing', async () => {
    signer.on(GetSigningProfileCommand).rejects(notFound())
    await expect(readSigningProfile(client, 'layers', 'eu-west-1', limits)).rejects.toThrow(
      /Input `signing-profile`: there is no signing profile "layers" in eu-west-1\. Nothing was built or published\..*put-signing-profile --profile-name layers --platform-id AWSLambda-SHA384-ECDSA --region eu-west-1/
    )
  })

  it('refuses a revoked profile, and one for another platform', async () => {
    signer.on(GetSigningProfileCommand).resolvesOnce({
      profileVersionArn: PROFILE.versionArn,
      platformId: LAMBDA_PLATFORM,
      status: 'Revoked',
      statusReason: 'key compromised'
    })
    await expect(readSigningProfile(client, 'layers', 'us-east-1', limits)).rejects.toThrow(
      /is Revoked \(key compromised\), so it cannot sign/
    )
    signer.on(GetSigningProfileCommand).resolves({
      profileVersionArn: PROFILE.versionArn,
      platformId: 'AWSIoTDeviceManagement-SHA256-ECDSA',
      status: 'Active'
    })
    await expect(readSigningProfile(client, 'layers', 'us-east-1', limits)).rejects.toThrow(
      /is for platform AWSIoTDeviceManagement-SHA256-ECDSA; Lambda accepts only AWSLambda-SHA384-ECDSA/
    )
  })
})

describe('signingToken', () => {
  it('is the same for the same object version, and differs for another', () => {
    const token = signingToken(PROFILE, SOURCE)
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(signingToken(PROFILE, { ...SOURCE })).toBe(token)
    expect(signingToken(PROFILE, { ...SOURCE, versionId: 'v2' })).not.toBe(token)
    expect(signingToken({ ...PROFILE, versionArn: `${PROFILE.versionArn}x` }, SOURCE)).not.toBe(
      token
    )
  })
})

describe('signZip', () => {
  const sleeps: number[] = []
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms)
  }
  beforeEach(() => {
    sleeps.length = 0
  })

  it('starts a job with the object version and a stable token, and waits until it succeeds', async () => {
    signer.on(StartSigningJobCommand).resolves({ jobId: 'job-1', jobOwner: '123456789012' })
    signer
      .on(DescribeSigningJobCommand, { jobId: 'job-1' })
      .resolvesOnce({ status: 'InProgress' })
      .resolvesOnce({ status: 'InProgress' })
      .resolves({
        status: 'Succeeded',
        jobOwner: '123456789012',
        signedObject: { s3: { bucketName: 'b', key: 'deps/signed/job-1.zip' } }
      })
    await expect(
      signZip(client, 'us-east-1', PROFILE, SOURCE, DESTINATION, { limits, sleep })
    ).resolves.toEqual({
      jobId: 'job-1',
      jobArn: 'arn:aws:signer:us-east-1:123456789012:/signing-jobs/job-1',
      bucket: 'b',
      key: 'deps/signed/job-1.zip'
    })
    const start = signer.commandCalls(StartSigningJobCommand)[0].args[0].input
    expect(start).toEqual({
      profileName: 'layers',
      source: { s3: { bucketName: 'b', key: 'deps/00.zip', version: 'v1' } },
      destination: { s3: { bucketName: 'b', prefix: 'deps/signed/' } },
      clientRequestToken: signingToken(PROFILE, SOURCE)
    })
    expect(sleeps).toEqual([1000, 2000])
  })

  it('fails with the reason of a failed job, saying nothing was published', async () => {
    signer.on(StartSigningJobCommand).resolves({ jobId: 'job-2' })
    signer
      .on(DescribeSigningJobCommand)
      .resolves({ status: 'Failed', statusReason: 'the zip already has a signature' })
    await expect(
      signZip(client, 'us-east-1', PROFILE, SOURCE, DESTINATION, { limits, sleep })
    ).rejects.toThrow(
      /Signing job job-2 \(profile layers, s3:\/\/b\/deps\/00\.zip\?versionId=v1\) failed: the zip already has a signature\. Nothing was published\./
    )
  })

  it('gives up after its time limit, naming the job and its status', async () => {
    let clock = 0
    signer.on(StartSigningJobCommand).resolves({ jobId: 'job-3' })
    signer.on(DescribeSigningJobCommand).resolves({ status: 'InProgress' })
    const ticking = async (ms: number): Promise<void> => {
      clock += ms
    }
    await expect(
      signZip(client, 'us-east-1', PROFILE, SOURCE, DESTINATION, {
        limits,
        sleep: ticking,
        now: () => clock,
        waitMs: 60_000
      })
    ).rejects.toThrow(
      /Signing job job-3 \(profile layers\) did not finish within 1 minute \(status InProgress\)\. Nothing was published/
    )
    expect(clock).toBeGreaterThanOrEqual(60_000)
    expect(clock).toBeLessThan(66_000)
  })

  it('names the permission when StartSigningJob is refused', async () => {
    signer.on(StartSigningJobCommand).rejects(
      new SignerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'denied'
      })
    )
    await expect(
      signZip(client, 'us-east-1', PROFILE, SOURCE, DESTINATION, { limits, sleep })
    ).rejects.toThrow(/the credentials need signer:StartSigningJob.*Nothing was published/)
  })
})
