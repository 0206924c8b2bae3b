/**
 * Publishing through S3: Lambda takes at most 50 MiB inline, so larger zips
 * (and every zip, when `s3-bucket` is set) are uploaded to S3 first and
 * published from there. Keys are content-addressed, so a re-upload of the
 * same zip overwrites the same object.
 */
import * as core from '@actions/core'
import {
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import crypto from 'node:crypto'
import fs from 'node:fs'
import type { S3Location } from '../aws-inputs/index.js'
import { ActionError } from '../errors.js'
import {
  awsErrorName,
  call,
  type CallLimits,
  DEFAULT_LIMITS,
  describeAwsError,
  httpStatus,
  isAccessDenied,
  isMissingCredentials,
  isNotFound,
  recordAttempts,
  requestHandler,
  uploadTimeoutMs
} from './client.js'

/** Where a zip goes: <prefix><layer name>/<sha256 hex>.zip */
export function objectKey(location: S3Location, layerName: string, zip: Buffer): string {
  const name = layerName.split(':').pop() ?? layerName
  const digest = crypto.createHash('sha256').update(zip).digest('hex')
  return `${location.prefix}${name}/${digest}.zip`
}

export function createS3Client(region: string, limits: CallLimits = DEFAULT_LIMITS): S3Client {
  return recordAttempts(
    new S3Client({
      region,
      retryMode: 'standard',
      maxAttempts: 5,
      requestHandler: requestHandler(limits)
    })
  )
}

/** An uploaded object: its key, and its version in a bucket with versioning. */
export interface UploadedObject {
  key: string
  versionId?: string
}

/**
 * One PutObject of a whole file's bytes. PutObject of the same key and bytes
 * is idempotent: the SDK may retry it. Errors name the object, the input and
 * the permission.
 */
async function putObject(
  client: S3Client,
  location: S3Location,
  key: string,
  body: Buffer,
  what: { label: string; contentType: string; timeoutMs: number }
): Promise<UploadedObject> {
  try {
    const put = await call(
      `S3 PutObject (s3://${location.bucket}/${key})`,
      what.timeoutMs,
      abortSignal =>
        client.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: key,
            Body: body,
            ContentType: what.contentType,
            ChecksumAlgorithm: 'SHA256'
          }),
          { abortSignal }
        )
    )
    return { key, ...(put?.VersionId ? { versionId: put.VersionId } : {}) }
  } catch (error) {
    const hint = isMissingCredentials(error)
      ? ': no AWS credentials found'
      : isAccessDenied(error)
        ? ` (the credentials need s3:PutObject on arn:aws:s3:::${location.bucket}/${location.prefix}*)`
        : ''
    throw new ActionError(
      `Uploading ${what.label} to s3://${location.bucket}/${key} (input \`s3-bucket\`) failed${hint}: ${describeAwsError(error)}. Nothing was published.`
    )
  }
}

/** Uploads the zip; returns its key (and version, in a bucket with versioning). */
export async function uploadZip(
  client: S3Client,
  location: S3Location,
  layerName: string,
  zipPath: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<UploadedObject> {
  const zip = fs.readFileSync(zipPath)
  const key = objectKey(location, layerName, zip)
  core.info(`Uploading ${zip.length} bytes to s3://${location.bucket}/${key}`)
  return await putObject(client, location, key, zip, {
    label: 'the layer zip',
    contentType: 'application/zip',
    timeoutMs: uploadTimeoutMs(limits, zip.length)
  })
}

/**
 * Uploads the layer's SBOM next to its zip: <prefix><layer name>/<zip
 * sha256 hex>.cdx.json, the name the version's description gives. Returns
 * the key.
 */
export async function uploadSbom(
  client: S3Client,
  location: S3Location,
  layerName: string,
  sbomPath: string,
  zipSha256Hex: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<string> {
  const name = layerName.split(':').pop() ?? layerName
  const key = `${location.prefix}${name}/${zipSha256Hex}.cdx.json`
  const body = fs.readFileSync(sbomPath)
  core.info(`Uploading the SBOM (${body.length} bytes) to s3://${location.bucket}/${key}`)
  await putObject(client, location, key, body, {
    label: "the layer's SBOM",
    contentType: 'application/vnd.cyclonedx+json',
    timeoutMs: limits.callTimeoutMs
  })
  return key
}

/** Where signed zips go: <prefix><layer name>/signed/ in the same bucket. */
export function signedPrefix(location: S3Location, layerName: string): string {
  const name = layerName.split(':').pop() ?? layerName
  return `${location.prefix}${name}/signed/`
}

/**
 * With `signing-profile`, before anything is built: Signer reads a
 * versioned object, so the bucket must have versioning Enabled. When
 * s3:GetBucketVersioning is refused, the upload tells (it returns no
 * version), so that is not an error here.
 */
export async function checkBucketVersioning(
  client: S3Client,
  location: S3Location,
  region: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<void> {
  let status: string | undefined
  try {
    const got = await call(
      `S3 GetBucketVersioning (${location.bucket})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(new GetBucketVersioningCommand({ Bucket: location.bucket }), { abortSignal }),
      { repeat: true }
    )
    status = got?.Status
  } catch (error) {
    if (isAccessDenied(error)) return
    throw new ActionError(
      `Reading the versioning of bucket ${location.bucket} (input \`s3-bucket\`, for \`signing-profile\`) failed: ${describeAwsError(error)}. Nothing was built or published.`
    )
  }
  if (status !== 'Enabled') {
    throw new ActionError(versioningProblem(location.bucket, region, status ?? 'never enabled'))
  }
}

/** Why signing needs versioning, and how to turn it on. */
export function versioningProblem(bucket: string, region: string, status: string): string {
  return `Input \`signing-profile\` needs versioning on bucket ${bucket} (input \`s3-bucket\`; versioning is ${status}): AWS Signer signs one version of an object. Nothing was built or published. Enable it with \`aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled --region ${region}\`.`
}

/**
 * Before anything is published anywhere: the bucket exists, in `region`.
 * HeadBucket needs s3:ListBucket, which publishing does not: when it is
 * refused, the upload itself will say what is wrong, so that is not an error.
 */
export async function checkBucket(
  client: S3Client,
  location: S3Location,
  region: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<void> {
  let bucketRegion: string | undefined
  try {
    const head = await call(
      `S3 HeadBucket (${location.bucket})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(new HeadBucketCommand({ Bucket: location.bucket }), { abortSignal }),
      { repeat: true }
    )
    bucketRegion = head.BucketRegion
  } catch (error) {
    if (isAccessDenied(error)) return
    const status = httpStatus(error)
    if (isNotFound(error) || awsErrorName(error) === 'NotFound' || status === 404) {
      throw new ActionError(
        `Input \`s3-bucket\`: bucket ${location.bucket} does not exist (looked in ${region}). Nothing was published. Create it in ${region}, or correct the name.`
      )
    }
    if (status === 301) {
      throw new ActionError(
        `Input \`s3-bucket\`: bucket ${location.bucket} is not in ${region}; Lambda reads the zip from a bucket in the layer's region. Nothing was published. Use a bucket in ${region} (with several regions, put \`{region}\` in the name).`
      )
    }
    throw new ActionError(
      `Checking bucket ${location.bucket} (input \`s3-bucket\`) failed: ${describeAwsError(error)}. Nothing was published.`
    )
  }
  if (bucketRegion && bucketRegion !== region) {
    throw new ActionError(
      `Input \`s3-bucket\`: bucket ${location.bucket} is in ${bucketRegion}, not ${region}; Lambda reads the zip from a bucket in the layer's region. Nothing was published. Use a bucket in ${region} (with several regions, put \`{region}\` in the name).`
    )
  }
}
