/**
 * Publishing through S3: Lambda takes at most 50 MiB inline, so larger zips
 * (and every zip, when `s3-bucket` is set) are uploaded to S3 first and
 * published from there. Keys are content-addressed, so a re-upload of the
 * same zip overwrites the same object.
 */
import * as core from '@actions/core'
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
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

/** Uploads the zip; returns the key. Errors name the bucket and the permission. */
export async function uploadZip(
  client: S3Client,
  location: S3Location,
  layerName: string,
  zipPath: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<string> {
  const zip = fs.readFileSync(zipPath)
  const key = objectKey(location, layerName, zip)
  core.info(`Uploading ${zip.length} bytes to s3://${location.bucket}/${key}`)
  try {
    // PutObject of the same key and bytes is idempotent: the SDK may retry it.
    await call(
      `S3 PutObject (s3://${location.bucket}/${key})`,
      uploadTimeoutMs(limits, zip.length),
      abortSignal =>
        client.send(
          new PutObjectCommand({
            Bucket: location.bucket,
            Key: key,
            Body: zip,
            ContentType: 'application/zip',
            ChecksumAlgorithm: 'SHA256'
          }),
          { abortSignal }
        )
    )
  } catch (error) {
    const hint = isMissingCredentials(error)
      ? ': no AWS credentials found'
      : isAccessDenied(error)
        ? ` (the credentials need s3:PutObject on arn:aws:s3:::${location.bucket}/${location.prefix}*)`
        : ''
    throw new ActionError(
      `Uploading the layer zip to s3://${location.bucket}/${key} (input \`s3-bucket\`) failed${hint}: ${describeAwsError(error)}. Nothing was published.`
    )
  }
  return key
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
  try {
    await call(`S3 PutObject (s3://${location.bucket}/${key})`, limits.callTimeoutMs, abortSignal =>
      client.send(
        new PutObjectCommand({
          Bucket: location.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/vnd.cyclonedx+json',
          ChecksumAlgorithm: 'SHA256'
        }),
        { abortSignal }
      )
    )
  } catch (error) {
    const hint = isMissingCredentials(error)
      ? ': no AWS credentials found'
      : isAccessDenied(error)
        ? ` (the credentials need s3:PutObject on arn:aws:s3:::${location.bucket}/${location.prefix}*)`
        : ''
    throw new ActionError(
      `Uploading the layer's SBOM to s3://${location.bucket}/${key} (input \`s3-bucket\`) failed${hint}: ${describeAwsError(error)}. Nothing was published.`
    )
  }
  return key
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
