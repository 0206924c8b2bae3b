/**
 * Publishing layer versions, and finding the latest one when it already holds
 * exactly what we built (PublishLayerVersion always creates a new version, even
 * for identical bytes).
 */
import { createHash } from 'node:crypto'
import * as core from '@actions/core'
import {
  GetLayerVersionCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { directUploadProblem } from '../checks/sizes.js'
import { ActionError } from '../errors.js'
import { LIMITS, type Architecture, type Runtime } from '../runtimes.js'
import { listOrNone } from '../util/format.js'
import { describeAwsError, isAccessDenied, isMissingCredentials, isNotFound } from './client.js'

/** A layer version, published now or reused. */
export interface PublishedLayerVersion {
  /** `arn:aws:lambda:<region>:<account>:layer:<name>` */
  layerArn: string
  /** `arn:aws:lambda:<region>:<account>:layer:<name>:<version>` */
  layerVersionArn: string
  version: number
}

export interface ReuseQuery {
  /** The `layer-name` input as given: a name or a layer ARN. */
  layerName: string
  /** Base64 SHA-256 of the zip, as Lambda reports it (see codeSha256). */
  codeSha256: string
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
}

export interface PublishRequest {
  /** The `layer-name` input as given: a name or a layer ARN. */
  layerName: string
  /** The zip, uploaded inline; or where it was uploaded in S3. */
  content: { zip: Buffer } | { s3Bucket: string; s3Key: string; bytes: number }
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
  description?: string
  licenseInfo?: string
}

/** Base64 SHA-256 of the zip: the form of Lambda's `Content.CodeSha256`. */
export function codeSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64')
}

function apiError(what: string, permission: string, error: unknown): ActionError {
  if (isMissingCredentials(error)) {
    return new ActionError(
      `${what} failed: no AWS credentials found. Add aws-actions/configure-aws-credentials before this step (OIDC: \`permissions: id-token: write\`), or set \`publish: false\` to only build the zip.`
    )
  }
  const hint = isAccessDenied(error) ? ` (the credentials need ${permission})` : ''
  return new ActionError(`${what} failed${hint}: ${describeAwsError(error)}`)
}

function sameSet(a: readonly string[] | undefined, b: readonly string[]): boolean {
  const left = new Set(a ?? [])
  const right = new Set(b)
  return left.size === right.size && [...left].every(item => right.has(item))
}

/**
 * Runs before anything is built: the credentials work, the region answers and
 * they may list the layer's versions. A layer that does not exist yet is fine.
 */
export async function checkLayerAccess(client: LambdaClient, layerName: string): Promise<void> {
  try {
    await client.send(new ListLayerVersionsCommand({ LayerName: layerName, MaxItems: 1 }))
  } catch (error) {
    if (isNotFound(error)) return
    throw apiError(`Reading layer ${layerName}`, 'lambda:ListLayerVersions', error)
  }
}

/**
 * The layer's latest version when it has our content (same CodeSha256) and the
 * same compatible runtimes and architectures; otherwise undefined. Only the latest
 * version counts: reusing an older identical version (after a revert) would leave
 * the layer's latest version different from what is deployed. A layer that does
 * not exist yet yields undefined.
 */
export async function findReusableVersion(
  client: LambdaClient,
  query: ReuseQuery
): Promise<PublishedLayerVersion | undefined> {
  const { layerName } = query
  let versions
  try {
    const listed = await client.send(
      new ListLayerVersionsCommand({ LayerName: layerName, MaxItems: 1 })
    )
    versions = listed.LayerVersions ?? []
  } catch (error) {
    if (isNotFound(error)) {
      core.info(`Layer ${layerName} does not exist yet.`)
      return undefined
    }
    throw apiError(`Listing the versions of layer ${layerName}`, 'lambda:ListLayerVersions', error)
  }
  // Lambda lists newest first; take the highest number anyway, as emulators
  // may ignore MaxItems or order differently.
  const latest = versions.reduce<number | undefined>(
    (max, item) =>
      item.Version !== undefined && (max === undefined || item.Version > max) ? item.Version : max,
    undefined
  )
  if (latest === undefined) {
    core.info(`Layer ${layerName} has no versions yet.`)
    return undefined
  }

  let found
  try {
    found = await client.send(
      new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: latest })
    )
  } catch (error) {
    if (isNotFound(error)) {
      core.info(`Version ${latest} of layer ${layerName} was deleted meanwhile.`)
      return undefined
    }
    throw apiError(
      `Reading version ${latest} of layer ${layerName}`,
      'lambda:GetLayerVersion',
      error
    )
  }

  const label = `${layerName} version ${latest}`
  if (found.Content?.CodeSha256 !== query.codeSha256) {
    core.info(
      `The latest version, ${label}, has other content (CodeSha256 ${found.Content?.CodeSha256 ?? 'unknown'}, ours ${query.codeSha256}).`
    )
    return undefined
  }
  if (!sameSet(found.CompatibleRuntimes, query.runtimes)) {
    core.info(
      `The latest version, ${label}, has our content but other compatible runtimes (${listOrNone(found.CompatibleRuntimes)}; ours ${listOrNone(query.runtimes)}).`
    )
    return undefined
  }
  if (!sameSet(found.CompatibleArchitectures, query.architectures)) {
    core.info(
      `The latest version, ${label}, has our content but other compatible architectures (${listOrNone(found.CompatibleArchitectures)}; ours ${listOrNone(query.architectures)}).`
    )
    return undefined
  }
  if (!found.LayerArn || !found.LayerVersionArn || found.Version === undefined) {
    throw new ActionError(`GetLayerVersion returned no ARN for ${label}.`)
  }
  core.info(`The latest version, ${label}, already holds this content: reusing it.`)
  return {
    layerArn: found.LayerArn,
    layerVersionArn: found.LayerVersionArn,
    version: found.Version
  }
}

/**
 * Publishes a new version of the layer from the zip inline (at most
 * LIMITS.directUploadBytes, checked before any API call) or from S3.
 */
export async function publishLayerVersion(
  client: LambdaClient,
  request: PublishRequest
): Promise<PublishedLayerVersion> {
  const { layerName, content } = request
  if ('zip' in content && content.zip.length > LIMITS.directUploadBytes) {
    throw new ActionError(directUploadProblem(content.zip.length))
  }
  let published
  try {
    published = await client.send(
      new PublishLayerVersionCommand({
        LayerName: layerName,
        Content:
          'zip' in content
            ? { ZipFile: content.zip }
            : { S3Bucket: content.s3Bucket, S3Key: content.s3Key },
        CompatibleRuntimes: [...request.runtimes],
        CompatibleArchitectures: [...request.architectures],
        ...(request.description ? { Description: request.description } : {}),
        ...(request.licenseInfo ? { LicenseInfo: request.licenseInfo } : {})
      })
    )
  } catch (error) {
    throw apiError(
      `Publishing a version of layer ${layerName}`,
      'lambda:PublishLayerVersion',
      error
    )
  }
  const { LayerArn, LayerVersionArn, Version } = published
  if (!LayerArn || !LayerVersionArn || Version === undefined) {
    throw new ActionError(`PublishLayerVersion returned no ARN for layer ${layerName}.`)
  }
  const bytes = 'zip' in content ? content.zip.length : content.bytes
  core.info(
    `Published ${LayerVersionArn} (${bytes} bytes${'zip' in content ? '' : `, from s3://${content.s3Bucket}/${content.s3Key}`}).`
  )
  return { layerArn: LayerArn, layerVersionArn: LayerVersionArn, version: Version }
}
