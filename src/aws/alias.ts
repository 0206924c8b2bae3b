/**
 * Aliases in `functions` (`orders-api:live`): the alias serves traffic from a
 * published version, so once $LATEST has the layer, a version is published
 * from exactly that configuration (PublishVersion guarded by $LATEST's
 * RevisionId), waited for until it is Active (its SnapStart snapshot ready),
 * and the alias moves to it (UpdateAlias guarded by the alias's RevisionId).
 * An alias whose version already carries a newer version of the layer is
 * left alone, as $LATEST is; a weighted alias is refused unless
 * `weighted-aliases: replace`.
 */
import * as core from '@actions/core'
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient,
  PublishVersionCommand,
  UpdateAliasCommand
} from '@aws-sdk/client-lambda'
import { errorMessage } from '../errors.js'
import { cancellation, CancelledError } from '../util/cancel.js'
import { layerArnOf, layerVersionOf } from '../aws-inputs/index.js'
import {
  awsErrorName,
  call,
  type CallLimits,
  describeAwsError,
  isAccessDenied,
  isNotFound
} from './client.js'

/** `weighted-aliases`: what to do with an alias that splits traffic between two versions. */
export type WeightedAliases = 'refuse' | 'replace'

/** An alias as the preflight (or a fresh read) found it. */
export interface AliasState {
  name: string
  aliasArn: string
  /** The version it points at. */
  version: string
  revisionId?: string
  /** Additional versions and their weights (weighted routing), when any. */
  weights?: Record<string, number>
  /** The version of our layer its version carries, when any. */
  layerVersionArn?: string
}

/** What became of one alias. */
export interface AliasResult {
  name: string
  aliasArn: string
  status: 'moved' | 'unchanged' | 'newer-present' | 'failed' | 'not-started'
  /** Its version and that version's layer before, and after when it moved. */
  before: { version: string; layerVersionArn?: string }
  after?: { version: string; versionArn: string; layerVersionArn: string; snapStart?: string }
  error?: string
}

const UPDATE_ATTEMPTS = 5
const PUBLISH_WAIT_MS = 15 * 60 * 1000
const POLL_MS = 2000

function weightsText(weights: Record<string, number>, version: string): string {
  const extra = Object.entries(weights)
  const rest = 1 - extra.reduce((sum, [, w]) => sum + w, 0)
  return [
    `${Math.round(rest * 100)}% to version ${version}`,
    ...extra.map(([v, w]) => `${Math.round(w * 100)}% to version ${v}`)
  ].join(', ')
}

/** The refusal of a weighted alias, naming its weights. */
export function weightedAliasProblem(state: AliasState): string | undefined {
  if (!state.weights || Object.keys(state.weights).length === 0) return undefined
  return `alias ${state.name} routes ${weightsText(state.weights, state.version)} (weighted routing: a gradual deployment in progress); it is not overwritten. Finish or undo that deployment, or set \`weighted-aliases: replace\` to point the alias at the new version alone`
}

/** The configuration of a published version of the function. */
async function readVersion(
  client: LambdaClient,
  functionArn: string,
  version: string,
  limits: CallLimits
): Promise<FunctionConfiguration> {
  return await call(
    `GetFunctionConfiguration (${functionArn}:${version})`,
    limits.callTimeoutMs,
    async abortSignal =>
      await client.send(
        new GetFunctionConfigurationCommand({ FunctionName: functionArn, Qualifier: version }),
        { abortSignal }
      ),
    { repeat: true }
  )
}

/** Our layer's version on a published version of the function. */
async function layerOnVersion(
  client: LambdaClient,
  functionArn: string,
  version: string,
  ourLayerArn: string,
  limits: CallLimits
): Promise<string | undefined> {
  const config = await readVersion(client, functionArn, version, limits)
  return (config.Layers ?? []).map(l => l.Arn ?? '').find(arn => layerArnOf(arn) === ourLayerArn)
}

/**
 * Reads an alias and the layer its version carries. Throws a message for
 * the user when it does not exist or cannot be read.
 */
export async function readAlias(
  client: LambdaClient,
  functionArn: string,
  name: string,
  ourLayerArn: string,
  limits: CallLimits
): Promise<AliasState> {
  let alias
  try {
    alias = await call(
      `GetAlias (${functionArn}:${name})`,
      limits.callTimeoutMs,
      async abortSignal =>
        await client.send(new GetAliasCommand({ FunctionName: functionArn, Name: name }), {
          abortSignal
        }),
      { repeat: true }
    )
  } catch (error) {
    if (isNotFound(error)) {
      throw new Error(
        `has no alias ${name}: create it (aws lambda create-alias) or drop ":${name}" to update $LATEST only`
      )
    }
    if (isAccessDenied(error)) {
      throw new Error(
        `reading alias ${name} was denied; the credentials need lambda:GetAlias, lambda:PublishVersion and lambda:UpdateAlias on it (${describeAwsError(error)})`
      )
    }
    throw error
  }
  const version = alias.FunctionVersion ?? '$LATEST'
  const weights = alias.RoutingConfig?.AdditionalVersionWeights
  const layerVersionArn =
    version === '$LATEST'
      ? undefined
      : await layerOnVersion(client, functionArn, version, ourLayerArn, limits)
  return {
    name,
    aliasArn: alias.AliasArn ?? `${functionArn}:${name}`,
    version,
    ...(alias.RevisionId ? { revisionId: alias.RevisionId } : {}),
    ...(weights && Object.keys(weights).length > 0 ? { weights } : {}),
    ...(layerVersionArn ? { layerVersionArn } : {})
  }
}

/** Waits until a new version is Active (with SnapStart: its snapshot is ready). */
async function waitForVersion(
  client: LambdaClient,
  functionArn: string,
  version: string,
  limits: CallLimits
): Promise<FunctionConfiguration> {
  const deadline = Date.now() + PUBLISH_WAIT_MS
  for (;;) {
    const config = await readVersion(client, functionArn, version, limits)
    if (config.State === 'Failed') {
      throw new Error(
        `version ${version} failed to become active: ${config.StateReasonCode ?? ''} ${config.StateReason ?? ''}`.trim()
      )
    }
    if (config.State === undefined || config.State === 'Active') return config
    if (Date.now() > deadline) {
      throw new Error(
        `version ${version} was still ${config.State} after ${PUBLISH_WAIT_MS / 60000} minutes${config.SnapStart?.ApplyOn === 'PublishedVersions' ? ' (its SnapStart snapshot is not ready)' : ''}`
      )
    }
    await cancellation.sleep(POLL_MS)
    cancellation.throwIfCancelled()
  }
}

function versionNumber(version: string): number {
  return /^\d+$/.test(version) ? Number(version) : 0
}

/**
 * Publishes a version from $LATEST (guarded by `latestRevisionId`, the
 * RevisionId read once $LATEST had the layer) and moves the alias to it.
 * `start` is the alias as the preflight read it; it is read again before
 * anything is done.
 */
export async function moveAlias(
  client: LambdaClient,
  functionArn: string,
  start: AliasState,
  layerVersionArn: string,
  options: {
    latestRevisionId?: string
    allowDowngrade: boolean
    weightedAliases: WeightedAliases
    limits: CallLimits
  }
): Promise<AliasResult> {
  const { limits } = options
  const ours = layerArnOf(layerVersionArn)
  const ourVersion = layerVersionOf(layerVersionArn) ?? 0
  const label = `${functionArn.split(':').at(-1) ?? functionArn}:${start.name}`
  const before = {
    version: start.version,
    ...(start.layerVersionArn ? { layerVersionArn: start.layerVersionArn } : {})
  }
  const base = { name: start.name, aliasArn: start.aliasArn, before }
  let published: { version: string; versionArn: string; snapStart?: string } | undefined
  const failed = (error: string): AliasResult => {
    const where = published
      ? `version ${published.version} was published with ${layerVersionArn}, but the alias still points at version ${before.version}: ${error}`
      : `the alias still points at version ${before.version}: ${error}`
    core.info(`${label}: ${where}`)
    return { ...base, status: 'failed', error: `${label}: ${where}` }
  }
  try {
    for (let attempt = 1; ; attempt++) {
      if (cancellation.requested) {
        return {
          ...base,
          status: 'not-started',
          error: `${label}: not moved: the run was cancelled`
        }
      }
      const alias = await readAlias(client, functionArn, start.name, ours, limits)
      const present = alias.layerVersionArn ? (layerVersionOf(alias.layerVersionArn) ?? 0) : 0
      if (alias.layerVersionArn === layerVersionArn && !alias.weights) {
        core.info(`${label}: version ${alias.version} already has ${layerVersionArn}`)
        return { ...base, status: 'unchanged' }
      }
      if (present > ourVersion && !options.allowDowngrade) {
        const message = `${label}: version ${alias.version} has ${alias.layerVersionArn}, newer than ${layerVersionArn}: left alone (set \`allow-downgrade: true\` to roll back on purpose)`
        core.info(message)
        return { ...base, status: 'newer-present', error: message }
      }
      if (options.weightedAliases === 'refuse') {
        const problem = weightedAliasProblem(alias)
        if (problem) return failed(problem)
      }
      if (!published) {
        // Not repeated by the action; the SDK's own retries are safe: Lambda
        // answers a publish of an unchanged $LATEST with the version it has.
        const answer = await call(
          `PublishVersion (${label})`,
          limits.callTimeoutMs,
          async abortSignal =>
            await client.send(
              new PublishVersionCommand({
                FunctionName: functionArn,
                ...(options.latestRevisionId ? { RevisionId: options.latestRevisionId } : {}),
                Description: `With layer ${layerVersionArn.split(':').slice(-2).join(':')}`
              }),
              { abortSignal }
            )
        )
        const version = answer.Version ?? ''
        const active = await waitForVersion(client, functionArn, version, limits)
        const carried = (active.Layers ?? []).some(l => l.Arn === layerVersionArn)
        const newer = (active.Layers ?? []).some(
          l =>
            l.Arn !== undefined &&
            layerArnOf(l.Arn) === ours &&
            (layerVersionOf(l.Arn) ?? 0) > ourVersion
        )
        if (!carried && newer && !options.allowDowngrade) {
          // Another run attached a newer version meanwhile: its run moves the alias.
          const message = `${label}: left alone: $LATEST had a newer version of the layer than ${layerVersionArn} when version ${version} was published (another run attached it)`
          core.info(message)
          return { ...base, status: 'newer-present', error: message }
        }
        if (!carried) {
          return failed(
            `the version published from $LATEST (${version}) does not carry ${layerVersionArn}: $LATEST changed meanwhile`
          )
        }
        const snapStart =
          active.SnapStart?.ApplyOn === 'PublishedVersions'
            ? `SnapStart ${active.SnapStart.OptimizationStatus === 'On' ? 'snapshot ready' : (active.SnapStart.OptimizationStatus ?? 'state unknown')}`
            : undefined
        published = {
          version,
          versionArn: answer.FunctionArn ?? `${functionArn}:${version}`,
          ...(snapStart ? { snapStart } : {})
        }
        core.info(
          `${label}: published version ${version} with ${layerVersionArn}${snapStart ? ` (${snapStart})` : ''}`
        )
      }
      // Never backwards: a version published after ours (by another run or
      // another deployment) stays where it is.
      if (versionNumber(alias.version) > versionNumber(published.version)) {
        const message = `${label}: points at version ${alias.version}, published after version ${published.version}: left alone`
        core.info(message)
        return { ...base, status: 'newer-present', error: message }
      }
      try {
        await call(
          `UpdateAlias (${label})`,
          limits.callTimeoutMs,
          async abortSignal =>
            await client.send(
              new UpdateAliasCommand({
                FunctionName: functionArn,
                Name: start.name,
                FunctionVersion: published?.version,
                ...(alias.revisionId ? { RevisionId: alias.revisionId } : {}),
                ...(alias.weights ? { RoutingConfig: { AdditionalVersionWeights: {} } } : {})
              }),
              { abortSignal }
            ),
          { repeat: true }
        )
      } catch (error) {
        // Moved by someone else since it was read: read it again and decide again.
        if (awsErrorName(error) === 'PreconditionFailedException' && attempt < UPDATE_ATTEMPTS) {
          continue
        }
        throw error
      }
      core.info(
        `${label}: moved from version ${alias.version} to ${published.version}${alias.weights ? ' (its weighted routing removed)' : ''}`
      )
      return {
        ...base,
        status: 'moved',
        after: { ...published, layerVersionArn }
      }
    }
  } catch (error) {
    if (error instanceof CancelledError) {
      return published
        ? failed('the run was cancelled before the alias moved')
        : { ...base, status: 'not-started', error: `${label}: not moved: the run was cancelled` }
    }
    const hint = isAccessDenied(error)
      ? ' (the credentials need lambda:PublishVersion and lambda:UpdateAlias on the function)'
      : ''
    return failed(`${errorMessage(error)}${hint}`)
  }
}
