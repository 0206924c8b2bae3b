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
  type ListLayerVersionsCommandOutput,
  PublishLayerVersionCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { descriptionMarker } from '../aws-inputs/index.js'
import { directUploadProblem } from '../checks/index.js'
import { ActionError } from '../errors.js'
import { LIMITS, type Architecture, type Runtime } from '../runtimes.js'
import { cancellation, CancelledError } from '../util/cancel.js'
import { listOrNone, plural } from '../util/format.js'
import {
  awsErrorName,
  call,
  type CallLimits,
  DEFAULT_LIMITS,
  describeAwsError,
  isNotFound,
  isThrottling,
  uploadTimeoutMs,
  wasRefused,
  callError
} from './client.js'

/** A layer version, published now or reused. */
export interface PublishedLayerVersion {
  /** `arn:aws:lambda:<region>:<account>:layer:<name>` */
  layerArn: string
  /** `arn:aws:lambda:<region>:<account>:layer:<name>:<version>` */
  layerVersionArn: string
  version: number
  /** The signing job whose signed zip the version holds (Content.SigningJobArn); unsigned: none. */
  signingJobArn?: string
}

export interface ReuseQuery {
  /** The `layer-name` input as given: a name or a layer ARN. */
  layerName: string
  /** Base64 SHA-256 of the zip, as Lambda reports it (see codeSha256). */
  codeSha256: string
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
  /**
   * With `signing-profile`: Lambda holds the signed zip, whose CodeSha256
   * is not ours, so a version is ours when that profile signed it and its
   * description names our (unsigned) zip's SHA-256 (descriptionMarker).
   */
  signed?: { profileVersionArn: string; zipSha256Hex: string }
}

export interface PublishRequest {
  /** The `layer-name` input as given: a name or a layer ARN. */
  layerName: string
  /** Base64 SHA-256 of the zip: how a version published by a request whose answer was lost is recognised. */
  codeSha256: string
  /** The zip, uploaded inline; or where it was uploaded in S3. */
  content: { zip: Buffer } | { s3Bucket: string; s3Key: string; bytes: number }
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
  description?: string
  licenseInfo?: string
  /**
   * The signing job of a signed zip: how a version published by a request
   * whose answer was lost is recognised instead of the CodeSha256.
   */
  signingJobArn?: string
}

/** How the versions of one content are recognised, for messages. */
function identity(request: PublishRequest): string {
  return request.signingJobArn
    ? `signed by ${request.signingJobArn}`
    : `with CodeSha256 ${request.codeSha256}`
}

/** Whether a version read with GetLayerVersion holds the request's content. */
function holdsContent(
  got: { Content?: { CodeSha256?: string; SigningJobArn?: string } },
  request: PublishRequest
): boolean {
  return request.signingJobArn
    ? got.Content?.SigningJobArn === request.signingJobArn
    : got.Content?.CodeSha256 === request.codeSha256
}

/**
 * The description a new version gets: the user's `description`, then
 * ` [sbom <zip sha256 hex>.cdx.json]`, the name of the version's SBOM (in S3
 * next to the zip, with `s3-bucket`) and its zip's SHA-256 at once. Lambda
 * allows 256 characters: when the user's text leaves no room, it stays as it
 * is, without the suffix (`suffixed` false). An unsigned version is reused
 * on its content alone (CodeSha256, runtimes, architectures), never on this
 * text; a signed one on its profile and this text (ReuseQuery.signed), so
 * with `signing-profile` the suffix must fit (checked with the inputs).
 */
export function versionDescription(
  description: string | undefined,
  zipSha256Hex: string
): { text: string; suffixed: boolean } {
  const suffix = descriptionMarker(zipSha256Hex)
  const user = description ?? ''
  const text = user === '' ? suffix : `${user} ${suffix}`
  if (text.length <= LIMITS.descriptionMaxLength) return { text, suffixed: true }
  return { text: user, suffixed: false }
}

/** Base64 SHA-256 of the zip: the form of Lambda's `Content.CodeSha256`. */
export function codeSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64')
}

function apiError(what: string, permission: string, error: unknown): ActionError {
  return callError(
    what,
    permission,
    error,
    'Add aws-actions/configure-aws-credentials before this step (OIDC: `permissions: id-token: write`), or set `publish: false` to only build the zip.'
  )
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
export async function checkLayerAccess(
  client: LambdaClient,
  layerName: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<void> {
  try {
    await newestVersion(client, layerName, limits)
  } catch (error) {
    if (isNotFound(error)) return
    throw apiError(`Reading layer ${layerName}`, 'lambda:ListLayerVersions', error)
  }
}

/**
 * The layer's latest version when it has our content (same CodeSha256, or
 * for a signed layer the same profile and zip: ReuseQuery.signed) and the
 * same compatible runtimes and architectures; otherwise undefined. Only the latest
 * version counts: reusing an older identical version (after a revert) would leave
 * the layer's latest version different from what is deployed. A layer that does
 * not exist yet yields undefined.
 */
export async function findReusableVersion(
  client: LambdaClient,
  query: ReuseQuery,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<PublishedLayerVersion | undefined> {
  const { layerName } = query
  const latest = await latestVersionNumber(client, layerName, limits)
  if (latest === 0) {
    core.info(`Layer ${layerName} has no versions yet.`)
    return undefined
  }

  let found
  try {
    found = await call(
      `GetLayerVersion (layer ${layerName}, version ${latest})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: latest }), {
          abortSignal
        }),
      { repeat: true }
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
  if (query.signed) {
    const marker = descriptionMarker(query.signed.zipSha256Hex)
    if (found.Content?.SigningProfileVersionArn !== query.signed.profileVersionArn) {
      core.info(
        `The latest version, ${label}, is ${found.Content?.SigningProfileVersionArn ? `signed by ${found.Content.SigningProfileVersionArn}` : 'not signed'}, not by ${query.signed.profileVersionArn}.`
      )
      return undefined
    }
    if (!(found.Description ?? '').includes(marker)) {
      core.info(
        `The latest version, ${label}, is signed by our profile but holds another zip (its description does not name ${marker}).`
      )
      return undefined
    }
  } else if (found.Content?.CodeSha256 !== query.codeSha256) {
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
  core.info(
    `The latest version, ${label}, already holds this content${query.signed ? ', signed by our profile' : ''}: reusing it.`
  )
  return {
    layerArn: found.LayerArn,
    layerVersionArn: found.LayerVersionArn,
    version: found.Version,
    ...(found.Content?.SigningJobArn ? { signingJobArn: found.Content.SigningJobArn } : {})
  }
}

export interface PublishOptions {
  limits?: CallLimits
  /**
   * The client that sends PublishLayerVersion: one without the SDK's own
   * retries (maxAttempts 1), since a retried publish whose first answer was
   * lost creates a second version. Defaults to `client`.
   */
  publishClient?: LambdaClient
  /** Publish attempts, each after checking that the previous one took no effect (default 3). */
  maxAttempts?: number
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>
}

/** A version published now: possibly adopted from a request whose answer was lost. */
export interface PublishOutcome extends PublishedLayerVersion {
  /** Published by an earlier attempt whose answer was lost, found by its CodeSha256. */
  adopted: boolean
  /** Other versions with the same content that lost answers created; left in place, reported. */
  duplicates: number[]
}

const DEFAULT_PUBLISH_ATTEMPTS = 3
const PUBLISH_BACKOFF_MS = 2000

const realSleep = async (ms: number): Promise<void> => await cancellation.sleep(ms)

/** ListLayerVersions for the newest version only (sent again while throttled, within the limit). */
async function newestVersion(
  client: LambdaClient,
  layerName: string,
  limits: CallLimits
): Promise<ListLayerVersionsCommandOutput> {
  return await call(
    `ListLayerVersions (layer ${layerName})`,
    limits.callTimeoutMs,
    abortSignal =>
      client.send(new ListLayerVersionsCommand({ LayerName: layerName, MaxItems: 1 }), {
        abortSignal
      }),
    { repeat: true }
  )
}

/** The layer's highest version number; 0 when it has none or does not exist. */
async function latestVersionNumber(
  client: LambdaClient,
  layerName: string,
  limits: CallLimits
): Promise<number> {
  try {
    const listed = await newestVersion(client, layerName, limits)
    return Math.max(0, ...(listed?.LayerVersions ?? []).map(v => v.Version ?? 0))
  } catch (error) {
    if (isNotFound(error)) return 0
    throw apiError(`Listing the versions of layer ${layerName}`, 'lambda:ListLayerVersions', error)
  }
}

/**
 * The versions above `after` that hold our content (same CodeSha256, runtimes
 * and architectures), newest first: what publish requests with lost answers
 * (ours, or a concurrent run's with the same content) created.
 */
async function versionsWithContent(
  client: LambdaClient,
  request: PublishRequest,
  after: number,
  limits: CallLimits
): Promise<PublishedLayerVersion[]> {
  const { layerName } = request
  const numbers: number[] = []
  let marker: string | undefined
  do {
    const page = await call(
      `ListLayerVersions (layer ${layerName})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(
          new ListLayerVersionsCommand({ LayerName: layerName, MaxItems: 50, Marker: marker }),
          { abortSignal }
        ),
      { repeat: true }
    ).catch(error => {
      if (isNotFound(error)) return { LayerVersions: [], NextMarker: undefined }
      throw error
    })
    const versions = (page.LayerVersions ?? []).map(v => v.Version ?? 0)
    numbers.push(...versions.filter(v => v > after))
    // Newest first: a page reaching `after` is the last one needed.
    marker = versions.some(v => v <= after) ? undefined : page.NextMarker
  } while (marker)
  const found: PublishedLayerVersion[] = []
  for (const version of [...new Set(numbers)].sort((a, b) => b - a)) {
    const got = await call(
      `GetLayerVersion (layer ${layerName}, version ${version})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: version }), {
          abortSignal
        }),
      { repeat: true }
    ).catch(error => {
      if (isNotFound(error)) return undefined
      throw error
    })
    if (
      got &&
      holdsContent(got, request) &&
      sameSet(got.CompatibleRuntimes, request.runtimes) &&
      sameSet(got.CompatibleArchitectures, request.architectures) &&
      got.LayerArn &&
      got.LayerVersionArn &&
      got.Version !== undefined
    ) {
      found.push({
        layerArn: got.LayerArn,
        layerVersionArn: got.LayerVersionArn,
        version: got.Version,
        ...(request.signingJobArn ? { signingJobArn: request.signingJobArn } : {})
      })
    }
  }
  return found
}

/**
 * Publishes a new version of the layer from the zip inline (at most
 * LIMITS.directUploadBytes, checked before any API call) or from S3.
 *
 * PublishLayerVersion is not idempotent: a request that reached Lambda but
 * whose answer was lost (a dropped connection, a timeout, a 5xx) may have
 * created a version. So it is never retried blindly: after such a failure,
 * the versions published since the attempt began are read, and one holding
 * our CodeSha256 is adopted; only when there is none is the request sent
 * again. A refusal (throttling, a conflict) did nothing and is retried after
 * a pause. Duplicates that lost answers left behind are reported.
 */
export async function publishLayerVersion(
  client: LambdaClient,
  request: PublishRequest,
  options: PublishOptions = {}
): Promise<PublishOutcome> {
  const { layerName, content } = request
  if ('zip' in content && content.zip.length > LIMITS.directUploadBytes) {
    throw new ActionError(directUploadProblem(content.zip.length))
  }
  const limits = options.limits ?? DEFAULT_LIMITS
  const publishClient = options.publishClient ?? client
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_PUBLISH_ATTEMPTS)
  const sleep = options.sleep ?? realSleep
  const bytes = 'zip' in content ? content.zip.length : content.bytes
  const what = `PublishLayerVersion (layer ${layerName})`

  const before = await latestVersionNumber(client, layerName, limits)
  let lost = 0
  let lastError: unknown
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    cancellation.throwIfCancelled()
    let published
    try {
      published = await call(
        what,
        'zip' in content ? uploadTimeoutMs(limits, bytes) : limits.callTimeoutMs,
        abortSignal =>
          publishClient.send(
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
            }),
            { abortSignal }
          )
      )
    } catch (error) {
      lastError = error
      if (wasRefused(error)) {
        const retryable = isThrottling(error) || awsErrorName(error) === 'ResourceConflictException'
        if (!retryable || attempt === maxAttempts) {
          throw apiError(
            `Publishing a version of layer ${layerName}`,
            'lambda:PublishLayerVersion',
            error
          )
        }
        const delay = PUBLISH_BACKOFF_MS * 2 ** (attempt - 1)
        core.info(
          `${what}: refused (${describeAwsError(error)}), nothing was published; trying again in ${delay / 1000} s (attempt ${attempt} of ${maxAttempts}).`
        )
        await sleep(delay)
        continue
      }
      if (error instanceof CancelledError) {
        throw new CancelledError(
          error.signal,
          `The run was cancelled (${error.signal}) while ${what} was in flight: a new version of layer ${layerName} may or may not have been published (look for versions above ${before} ${identity(request)}). No function was changed.`
        )
      }
      // No definite answer: the request may have taken effect.
      lost++
      core.warning(
        `${what} ended without an answer (${describeAwsError(error)}). It may have published a version anyway: looking for one above version ${before} ${identity(request)}.`
      )
      const found = await versionsWithContent(client, request, before, limits)
      if (found.length > 0) {
        const [chosen, ...others] = found
        core.warning(
          `${chosen.layerVersionArn} holds this content: the request took effect although its answer was lost. Using it instead of publishing again.`
        )
        return finish(chosen, true, others)
      }
      if (attempt < maxAttempts) {
        core.info(
          `No version was published by that request; publishing again (attempt ${attempt + 1} of ${maxAttempts}).`
        )
      }
      continue
    }
    const { LayerArn, LayerVersionArn, Version } = published
    if (!LayerArn || !LayerVersionArn || Version === undefined) {
      throw new ActionError(`PublishLayerVersion returned no ARN for layer ${layerName}.`)
    }
    core.info(
      `Published ${LayerVersionArn} (${bytes} bytes${'zip' in content ? '' : `, from s3://${content.s3Bucket}/${content.s3Key}`}).`
    )
    const version = {
      layerArn: LayerArn,
      layerVersionArn: LayerVersionArn,
      version: Version,
      ...(request.signingJobArn ? { signingJobArn: request.signingJobArn } : {})
    }
    if (lost === 0) return { ...version, adopted: false, duplicates: [] }
    const others = (await versionsWithContent(client, request, before, limits)).filter(
      v => v.version !== Version
    )
    return finish(version, false, others)
  }
  throw new ActionError(
    `${what} failed ${maxAttempts} times without an answer, and no version with this content was published (checked after each attempt): ${describeAwsError(lastError)}`
  )

  function finish(
    version: PublishedLayerVersion,
    adopted: boolean,
    others: PublishedLayerVersion[]
  ): PublishOutcome {
    const duplicates = others.map(v => v.version).sort((a, b) => a - b)
    if (duplicates.length > 0) {
      core.info(
        `Layer ${layerName} has ${plural(duplicates.length, 'other version')} with this same content (${duplicates.join(', ')}), published by requests whose answers were lost. Version ${version.version} is the one used; the others are left in place (a concurrent run may use them): delete them with \`aws lambda delete-layer-version --layer-name ${layerName} --version-number N\` if you wish.`
      )
    }
    return { ...version, adopted, duplicates }
  }
}
