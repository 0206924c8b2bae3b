/**
 * Signed layers (`signing-profile`): the zip is uploaded to the versioned
 * `s3-bucket`, signed by an AWS Signer job with the profile, and the signed
 * object is what Lambda publishes. A function whose code signing
 * configuration enforces signatures accepts the layer when the profile is
 * among its allowed publishers.
 *
 * The profile is read in the preflight of every region (profiles, like
 * buckets, are regional: Signer does not sign across regions), so a missing
 * or revoked profile, one for another platform, or a bucket without
 * versioning fails before anything is built.
 *
 * StartSigningJob carries a client request token derived from the profile
 * and the uploaded object's version: Signer answers a repeated request with
 * the first one's job, so the call may be retried safely. The input itself
 * is parsed in aws-inputs/signing-profile.ts.
 */
import {
  DescribeSigningJobCommand,
  GetSigningProfileCommand,
  SignerClient,
  StartSigningJobCommand
} from '@aws-sdk/client-signer'
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { ActionError } from '../errors.js'
import { cancellation, CancelledError } from '../util/cancel.js'
import { plural } from '../util/format.js'
import {
  call,
  type CallLimits,
  callError,
  DEFAULT_LIMITS,
  describeAwsError,
  isNotFound,
  recordAttempts,
  requestHandler,
  SDK_MAX_ATTEMPTS
} from './client.js'

/** The only Signer platform Lambda accepts. */
export const LAMBDA_PLATFORM = 'AWSLambda-SHA384-ECDSA'
/** How long a signing job may take before the step gives up on it. */
export const SIGNING_WAIT_MS = 10 * 60_000

/** A signing profile as the preflight read it in one region. */
export interface SigningProfile {
  name: string
  /** What a code signing configuration lists in AllowedPublishers. */
  versionArn: string
}

/** A finished signing job: where the signed zip is. */
export interface SignedZip {
  jobId: string
  /** As Lambda reports it in a layer version's Content.SigningJobArn. */
  jobArn: string
  bucket: string
  key: string
}

export function createSignerClient(
  region: string,
  limits: CallLimits = DEFAULT_LIMITS
): SignerClient {
  return recordAttempts(
    new SignerClient({
      region,
      retryMode: 'standard',
      maxAttempts: SDK_MAX_ATTEMPTS,
      requestHandler: requestHandler(limits)
    })
  )
}

/**
 * Reads the profile in `region`: it must exist, be Active and sign for
 * Lambda. Fails naming the input, the profile and the region.
 */
export async function readSigningProfile(
  client: SignerClient,
  name: string,
  region: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<SigningProfile> {
  let got
  try {
    got = await call(
      `Signer GetSigningProfile (${name})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(new GetSigningProfileCommand({ profileName: name }), { abortSignal }),
      { repeat: true }
    )
  } catch (error) {
    if (isNotFound(error)) {
      throw new ActionError(
        `Input \`signing-profile\`: there is no signing profile "${name}" in ${region}. Nothing was built or published. Signer signs only with a profile of the bucket's region: create it with \`aws signer put-signing-profile --profile-name ${name} --platform-id ${LAMBDA_PLATFORM} --region ${region}\`.`
      )
    }
    throw failure(
      `Reading signing profile ${name} (input \`signing-profile\`) in ${region}`,
      'signer:GetSigningProfile',
      error,
      'Nothing was built or published.'
    )
  }
  if (got.status && got.status !== 'Active') {
    throw new ActionError(
      `Input \`signing-profile\`: signing profile "${name}" in ${region} is ${got.status}${got.statusReason ? ` (${got.statusReason})` : ''}, so it cannot sign. Nothing was built or published. Use an Active profile.`
    )
  }
  if (got.platformId !== LAMBDA_PLATFORM) {
    throw new ActionError(
      `Input \`signing-profile\`: signing profile "${name}" in ${region} is for platform ${got.platformId ?? 'unknown'}; Lambda accepts only ${LAMBDA_PLATFORM}. Nothing was built or published.`
    )
  }
  if (!got.profileVersionArn) {
    throw new ActionError(
      `Signer GetSigningProfile (${name}, ${region}) returned no profileVersionArn.`
    )
  }
  return { name, versionArn: got.profileVersionArn }
}

/** A failed call's error, followed by what state things are in. */
function failure(what: string, permission: string, error: unknown, after: string): Error {
  const base = callError(what, permission, error)
  if (base instanceof CancelledError) return base
  return new ActionError(`${base.message.replace(/\.?$/, '.')} ${after}`)
}

/** The token that makes a repeated StartSigningJob for this object return the first job. */
export function signingToken(profile: SigningProfile, source: SigningSource): string {
  const hex = createHash('sha256')
    .update(
      JSON.stringify([profile.versionArn, source.bucket, source.key, source.versionId ?? null])
    )
    .digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** The uploaded, unsigned zip. */
export interface SigningSource {
  bucket: string
  key: string
  versionId: string
}

/** The job's ARN, as Lambda reports it: arn:<partition>:signer:<region>:<owner>:/signing-jobs/<id>. */
export function signingJobArn(region: string, owner: string, jobId: string): string {
  const partition = region.startsWith('cn-')
    ? 'aws-cn'
    : region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws'
  return `arn:${partition}:signer:${region}:${owner}:/signing-jobs/${jobId}`
}

export interface SignOptions {
  limits?: CallLimits
  /** How long the job may take (SIGNING_WAIT_MS). */
  waitMs?: number
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

/**
 * Signs the uploaded zip with the profile: StartSigningJob, then
 * DescribeSigningJob every 1-5 s until it Succeeded or Failed, at most
 * `waitMs`. The signed zip goes to `destination` (bucket and key prefix).
 */
export async function signZip(
  client: SignerClient,
  region: string,
  profile: SigningProfile,
  source: SigningSource,
  destination: { bucket: string; prefix: string },
  options: SignOptions = {}
): Promise<SignedZip> {
  const limits = options.limits ?? DEFAULT_LIMITS
  const sleep = options.sleep ?? (async (ms: number) => await cancellation.sleep(ms))
  const now = options.now ?? Date.now
  const waitMs = options.waitMs ?? SIGNING_WAIT_MS
  const object = `s3://${source.bucket}/${source.key}?versionId=${source.versionId}`
  let started
  try {
    // The token makes a repeat return the first request's job: safe to retry.
    started = await call(
      `Signer StartSigningJob (${profile.name})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(
          new StartSigningJobCommand({
            profileName: profile.name,
            source: {
              s3: { bucketName: source.bucket, key: source.key, version: source.versionId }
            },
            destination: { s3: { bucketName: destination.bucket, prefix: destination.prefix } },
            clientRequestToken: signingToken(profile, source)
          }),
          { abortSignal }
        ),
      { repeat: true }
    )
  } catch (error) {
    throw failure(
      `Starting a signing job for ${object} with profile ${profile.name} (input \`signing-profile\`)`,
      'signer:StartSigningJob',
      error,
      `Nothing was published. Signer also needs s3:GetObject and s3:GetObjectVersion on the zip and s3:PutObject on s3://${destination.bucket}/${destination.prefix}*, with the credentials of this step.`
    )
  }
  const jobId = started.jobId
  if (!jobId) throw new ActionError('Signer StartSigningJob returned no jobId.')
  core.info(`Signing ${object} with profile ${profile.name}: job ${jobId}`)
  const deadline = now() + waitMs
  for (let poll = 0; ; poll++) {
    const job = await call(
      `Signer DescribeSigningJob (${jobId})`,
      limits.callTimeoutMs,
      abortSignal => client.send(new DescribeSigningJobCommand({ jobId }), { abortSignal }),
      { repeat: true }
    ).catch(error => {
      throw new ActionError(
        `Reading signing job ${jobId} (signer:DescribeSigningJob) failed: ${describeAwsError(error)}. Nothing was published.`
      )
    })
    if (job.status === 'Succeeded') {
      const signed = job.signedObject?.s3
      if (!signed?.bucketName || !signed.key) {
        throw new ActionError(`Signing job ${jobId} succeeded but names no signed object.`)
      }
      const owner = job.jobOwner ?? started.jobOwner ?? ''
      return {
        jobId,
        jobArn: signingJobArn(region, owner, jobId),
        bucket: signed.bucketName,
        key: signed.key
      }
    }
    if (job.status === 'Failed') {
      throw new ActionError(
        `Signing job ${jobId} (profile ${profile.name}, ${object}) failed: ${job.statusReason ?? 'no reason given'}. Nothing was published.`
      )
    }
    if (now() >= deadline) {
      throw new ActionError(
        `Signing job ${jobId} (profile ${profile.name}) did not finish within ${plural(Math.round(waitMs / 60_000), 'minute')} (status ${job.status ?? 'unknown'}). Nothing was published; a re-run signs again.`
      )
    }
    await sleep(Math.min(1000 * (poll + 1), 5000))
  }
}
