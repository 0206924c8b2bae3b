/**
 * Deleting old layer versions (`keep-versions`): every version beyond the
 * newest few goes, except the one this run published or reused and any
 * version a function of the region still holds. Old versions count against the
 * region's code storage, and a layer's version list only grows otherwise.
 */
import * as core from '@actions/core'
import {
  DeleteLayerVersionCommand,
  type FunctionConfiguration,
  type LambdaClient,
  ListFunctionsCommand,
  ListLayerVersionsCommand
} from '@aws-sdk/client-lambda'
import { CancelledError, cancellation } from '../util/cancel.js'
import { listOrNone, plural } from '../util/format.js'
import { layerArnOf, layerVersionOf, parseLayerName } from '../aws-inputs/index.js'
import { call, type CallLimits, DEFAULT_LIMITS, isNotFound, callError } from './client.js'

/** Items per page of the list calls (ListFunctions returns at most 50 whatever is asked). */
const PAGE_SIZE = 50

export interface PruneRequest {
  /** The `layer-name` input as given: a name or a layer ARN. */
  layerName: string
  /** How many of the newest versions to keep (at least 1). */
  keep: number
  /** The version this run published or reused: never deleted. */
  current: number
  /** The region the action publishes to: the functions listed are this region's. */
  region: string
}

export interface LayerVersionRef {
  version: number
  /** `arn:aws:lambda:<region>:<account>:layer:<name>:<version>` */
  arn: string
}

/** Why a version older than the newest few was not deleted, or that it is one of them. */
export type KeepReason = 'newest' | 'current' | 'in use'

export interface KeptVersion extends LayerVersionRef {
  reason: KeepReason
  /** The functions (with their published versions, `…:function:name:3`) holding it, if any. */
  usedBy?: string[]
}

export interface PruneResult {
  /** Deleted now, oldest first. */
  deleted: LayerVersionRef[]
  /** Kept, newest first. */
  kept: KeptVersion[]
  /** Could not be deleted, and were not; `error` says why. */
  failed: Array<LayerVersionRef & { error: string }>
}

/** Every version of the layer, newest first; none when the layer does not exist. */
async function listLayerVersions(
  client: LambdaClient,
  layerName: string,
  limits: CallLimits
): Promise<LayerVersionRef[]> {
  const found = new Map<number, string>()
  let marker: string | undefined
  do {
    let page
    try {
      page = await call(
        `ListLayerVersions (layer ${layerName})`,
        limits.callTimeoutMs,
        abortSignal =>
          client.send(
            new ListLayerVersionsCommand({
              LayerName: layerName,
              MaxItems: PAGE_SIZE,
              Marker: marker
            }),
            { abortSignal }
          ),
        { repeat: true }
      )
    } catch (error) {
      if (isNotFound(error)) return []
      throw callError(
        `Listing the versions of layer ${layerName}`,
        'lambda:ListLayerVersions',
        error
      )
    }
    for (const v of page.LayerVersions ?? []) {
      if (v.Version !== undefined && v.LayerVersionArn) found.set(v.Version, v.LayerVersionArn)
    }
    marker = page.NextMarker || undefined
  } while (marker)
  return [...found]
    .map(([version, arn]) => ({ version, arn }))
    .sort((a, b) => b.version - a.version)
}

/** The function a configuration is, qualified by its published version (not for $LATEST). */
function functionLabel(fn: FunctionConfiguration): string {
  const arn = (fn.FunctionArn ?? fn.FunctionName ?? 'unknown function').replace(/:\$LATEST$/, '')
  const version = fn.Version
  if (version === undefined || version === '$LATEST' || arn.endsWith(`:${version}`)) return arn
  return `${arn}:${version}`
}

/**
 * The versions of `layerArn` the region's functions hold, each with the
 * functions holding it.
 *
 * FunctionVersion `ALL` lists every published version of every function beside
 * its $LATEST. A published version is immutable and keeps the layer versions
 * it was published with; an alias may route traffic to it, and rolling back to
 * it means deploying its configuration again, which refers to those layer
 * versions by ARN. So a layer version held only by a published function version
 * is protected too. The price is a longer list to read.
 */
async function versionsInUse(
  client: LambdaClient,
  layerArn: string,
  region: string,
  limits: CallLimits
): Promise<Map<number, string[]>> {
  const users = new Map<number, Set<string>>()
  let marker: string | undefined
  do {
    let page
    try {
      page = await call(
        `ListFunctions (${region})`,
        limits.callTimeoutMs,
        abortSignal =>
          client.send(
            new ListFunctionsCommand({
              FunctionVersion: 'ALL',
              MaxItems: PAGE_SIZE,
              Marker: marker
            }),
            { abortSignal }
          ),
        { repeat: true }
      )
    } catch (error) {
      throw callError(
        `Listing the functions of ${region} (to find the layer versions they use)`,
        'lambda:ListFunctions',
        error
      )
    }
    for (const fn of page.Functions ?? []) {
      for (const layer of fn.Layers ?? []) {
        if (!layer.Arn || layerArnOf(layer.Arn) !== layerArn) continue
        const version = layerVersionOf(layer.Arn)
        if (version === undefined) continue
        const set = users.get(version) ?? new Set<string>()
        set.add(functionLabel(fn))
        users.set(version, set)
      }
    }
    marker = page.NextMarker || undefined
  } while (marker)
  return new Map([...users].map(([version, set]) => [version, [...set].sort()]))
}

/**
 * Deletes the layer's versions older than the `keep` newest, except `current`
 * and every version a function of the region holds ($LATEST or a published
 * version). Everything is read before anything is deleted; deletions go from
 * the oldest up.
 *
 * Functions of other accounts that were granted the layer (`share-with`) are
 * not visible to ListFunctions: their versions are protected only by `keep`.
 * A function keeps running after its layer version is deleted, but any later
 * update that sends that version's ARN fails.
 *
 * A failed delete is recorded in `failed` and the others go on. Failing to list
 * the versions or the functions throws, naming the missing permission, before
 * anything is deleted. A cancelled run deletes nothing more and throws a
 * CancelledError saying what was deleted.
 */
export async function pruneVersions(
  client: LambdaClient,
  request: PruneRequest,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<PruneResult> {
  const { layerName, keep, current, region } = request
  if (!Number.isInteger(keep) || keep < 1) {
    throw new Error(`pruneVersions: keep must be a whole number of at least 1, got ${keep}`)
  }
  // A layer ARN of another region is refused here: its versions are not this region's to prune.
  parseLayerName(layerName, region)

  const result: PruneResult = { deleted: [], kept: [], failed: [] }
  const versions = await listLayerVersions(client, layerName, limits)
  if (versions.length === 0) {
    core.info(`Layer ${layerName} has no versions to prune.`)
    return result
  }
  const layerArn = layerArnOf(versions[0].arn)
  const inUse = await versionsInUse(client, layerArn, region, limits)

  const doomed: LayerVersionRef[] = []
  versions.forEach((v, index) => {
    const usedBy = inUse.get(v.version)
    const reason: KeepReason | undefined =
      index < keep ? 'newest' : v.version === current ? 'current' : usedBy ? 'in use' : undefined
    if (reason === undefined) doomed.push(v)
    else result.kept.push({ ...v, reason, ...(usedBy ? { usedBy } : {}) })
  })
  if (!versions.some(v => v.version === current)) {
    core.info(
      `Version ${current} of layer ${layerName} is not among the versions listed yet; it is not deleted either way.`
    )
  }
  for (const kept of result.kept.filter(k => k.reason === 'in use')) {
    core.info(
      `Keeping version ${kept.version} of layer ${layerName}: in use by ${listOrNone(kept.usedBy)}.`
    )
  }

  doomed.sort((a, b) => a.version - b.version)
  for (const [index, v] of doomed.entries()) {
    if (cancellation.requested) {
      const left = doomed.slice(index).map(d => d.version)
      throw new CancelledError(
        cancellation.requested,
        `The run was cancelled (${cancellation.requested}) while pruning layer ${layerName}. Deleted: ${listOrNone(result.deleted.map(d => String(d.version)))}. Not deleted: ${left.join(', ')}.`
      )
    }
    try {
      await call(
        `DeleteLayerVersion (layer ${layerName}, version ${v.version})`,
        limits.callTimeoutMs,
        abortSignal =>
          client.send(
            new DeleteLayerVersionCommand({ LayerName: layerName, VersionNumber: v.version }),
            { abortSignal }
          )
      )
      core.info(`Deleted ${v.arn}.`)
      result.deleted.push(v)
    } catch (error) {
      if (error instanceof CancelledError) {
        throw new CancelledError(
          error.signal,
          `The run was cancelled (${error.signal}) while deleting ${v.arn}: it may or may not be deleted. Deleted before: ${listOrNone(result.deleted.map(d => String(d.version)))}.`
        )
      }
      const message = callError(`Deleting ${v.arn}`, 'lambda:DeleteLayerVersion', error).message
      core.info(message)
      result.failed.push({ ...v, error: message })
    }
  }
  core.info(
    `Layer ${layerName}: ${plural(result.deleted.length, 'version')} deleted, ${result.kept.length} kept${result.failed.length ? `, ${result.failed.length} could not be deleted` : ''}.`
  )
  return result
}
