/**
 * Attaching a layer version to functions: a preflight that reads every function
 * before anything is published, and the update itself, which swaps our layer in
 * each function's Layers list without touching the others.
 */
import * as core from '@actions/core'
import {
  GetFunctionConfigurationCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { ActionError, errorMessage } from '../errors.js'
import type { FunctionSize } from './function-size.js'
import {
  type AliasResult,
  type AliasState,
  moveAlias,
  readAlias,
  weightedAliasProblem,
  type WeightedAliases
} from './alias.js'
import { LIMITS, type Architecture, type Runtime } from '../runtimes.js'
import { mapConcurrent } from '../util/concurrency.js'
import { listOrNone } from '../util/format.js'
import {
  arnLocation,
  layerArnFor,
  layerArnOf,
  layerVersionOf,
  parseFunctionName,
  parseLayerName,
  type FunctionRef,
  type LayerName
} from '../aws-inputs/index.js'
import { cancellation, CancelledError } from '../util/cancel.js'
import { RegionPace } from './pace.js'
import {
  awsErrorName,
  backoffMs,
  call,
  CallTimeoutError,
  type CallLimits,
  DEFAULT_LIMITS,
  describeAwsError,
  isAccessDenied,
  isNotFound,
  isThrottling,
  isTransient
} from './client.js'

/** One function the layer will be attached to, as read by the preflight. */
/** A warning of the preflight; warnings of one kind are reported together. */
export interface PlanWarning {
  kind: 'runtime' | 'architecture' | 'duplicate'
  text: string
}

export interface FunctionPlan {
  /** The `functions` entry as the user wrote it. */
  input: string
  functionName: string
  functionArn: string
  /** Layer version ARNs attached now, in order. */
  currentLayers: string[]
  /** The version of our layer attached now, if any. */
  currentVersionArn?: string
  /** Things the user should know that do not stop the update. */
  warnings: PlanWarning[]
  /** The function's runtime and architecture, where they are not among the layer's. */
  mismatch?: { runtime?: string; architecture?: string }
  /** Unzipped sizes of its code and other layers (read by the preflight). */
  size?: FunctionSize
  /** Aliases the `functions` entries name, as the preflight read them. */
  aliases?: AliasState[]
  /** Whether an entry names the function itself (its $LATEST), not only aliases (default true). */
  latestNamed?: boolean
}

export interface PlanRequest {
  /** The `functions` entries, as parsed by the inputs (or as written, parsed here). */
  functions: ReadonlyArray<FunctionRef | string>
  /** The `layer-name` input, parsed (or as written: a name or a layer ARN). */
  layerName: LayerName | string
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
  /** The region the action publishes to. */
  region: string
  /** Concurrent GetFunctionConfiguration calls (default 4). */
  concurrency?: number
  limits?: CallLimits
  /** `weighted-aliases` (default refuse). */
  weightedAliases?: WeightedAliases
}

/**
 * - updated: now has our version;
 * - unchanged: already had it;
 * - newer-present: has a newer version of our layer, left alone (no `allow-downgrade`);
 * - failed: could not be updated, and was not;
 * - not-started: the run was cancelled before its update began;
 * - out-of-time: not changed: the attach phase reached its time limit first;
 * - unknown: its update was in flight when the run was cancelled.
 */
export type AttachStatus =
  'updated' | 'unchanged' | 'newer-present' | 'failed' | 'not-started' | 'out-of-time' | 'unknown'

export interface AttachResult {
  functionArn: string
  input: string
  /** Of $LATEST. */
  status: AttachStatus
  /** Of each alias the entries name. */
  aliases?: AliasResult[]
  /** The version of our layer the function had before (undefined when it had none). */
  previousVersionArn?: string
  /** Why the update failed; it names the function. */
  error?: string
}

export interface AttachOptions {
  /** Functions updated at the same time at first (default 8); adapted to throttling. */
  concurrency?: number
  /** The most updated at the same time as calls succeed (default 16). */
  maxConcurrency?: number
  /** When (Date.now()) the phase stops starting updates (default: ATTACH_LIMIT_CALLS × the call limit from now). */
  deadline?: number
  /** The region's pace, shared by its calls (default: a new one from concurrency). */
  pace?: RegionPace
  /** Update attempts per function on conflicts, throttling and concurrent edits (default 5). */
  maxAttempts?: number
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>
  /** How long to wait for an update in progress to finish, per wait (default 300). */
  waiterMaxWaitSeconds?: number
  /** Replace a newer version of our layer with this older one (default false: leave it, warn). */
  allowDowngrade?: boolean
  limits?: CallLimits
  /** `weighted-aliases` (default refuse). */
  weightedAliases?: WeightedAliases
}

const DEFAULT_CONCURRENCY = 4
/** The phase stops starting updates after this many times the limit of one call. */
export const ATTACH_LIMIT_CALLS = 10
/** Updates in flight per region at first, and at most (see pace.ts). */
const ATTACH_CONCURRENCY = 8
const ATTACH_MAX_CONCURRENCY = 16
const DEFAULT_MAX_ATTEMPTS = 5
const DEFAULT_WAIT_SECONDS = 300
const BACKOFF_BASE_MS = 1000
const BACKOFF_CAP_MS = 20_000
const POLL_FIRST_MS = 1000
const POLL_CAP_MS = 10_000

const GET_PERMISSION = 'lambda:GetFunctionConfiguration'
const UPDATE_PERMISSION = 'lambda:UpdateFunctionConfiguration'

/**
 * The function's new Layers list: our entry (same layer ARN, any version) is
 * replaced in place, every other layer keeps its position, and ours is appended
 * when absent. Should two versions of ours be present, the first position is
 * kept and the other dropped (Lambda rejects two versions of one layer).
 */
export function newLayerList(currentLayers: readonly string[], layerVersionArn: string): string[] {
  const ours = layerArnOf(layerVersionArn)
  const result: string[] = []
  let placed = false
  for (const arn of currentLayers) {
    if (layerArnOf(arn) !== ours) {
      result.push(arn)
    } else if (!placed) {
      result.push(layerVersionArn)
      placed = true
    }
  }
  if (!placed) result.push(layerVersionArn)
  return result
}

function layersOf(config: FunctionConfiguration): string[] {
  return (config.Layers ?? []).flatMap(layer => (layer.Arn ? [layer.Arn] : []))
}

type Checked = { plan: FunctionPlan; problem?: undefined } | { problem: string; plan?: undefined }

async function checkFunction(
  client: LambdaClient,
  ref: FunctionRef,
  layer: LayerName,
  request: PlanRequest
): Promise<Checked> {
  const quoted = `"${ref.input}"`
  let config: FunctionConfiguration
  try {
    config = await call(
      `GetFunctionConfiguration (${ref.input})`,
      (request.limits ?? DEFAULT_LIMITS).callTimeoutMs,
      abortSignal =>
        client.send(new GetFunctionConfigurationCommand({ FunctionName: ref.functionName }), {
          abortSignal
        }),
      { repeat: true }
    )
  } catch (error) {
    // Throttled, a 5xx, no answer within aws-timeout: a fault of the moment,
    // not of the input; the run fails with it as it is.
    if (
      error instanceof CallTimeoutError ||
      error instanceof CancelledError ||
      isTransient(error)
    ) {
      throw error
    }
    if (isNotFound(error)) {
      return { problem: `${quoted}: no such function in ${ref.arn?.region ?? request.region}` }
    }
    if (isAccessDenied(error)) {
      return {
        problem: `${quoted}: access denied; the credentials need ${GET_PERMISSION} (and ${UPDATE_PERMISSION}) on it (${describeAwsError(error)})`
      }
    }
    return { problem: `${quoted}: reading its configuration failed: ${describeAwsError(error)}` }
  }

  const functionArn = config.FunctionArn ?? ''
  const location = arnLocation(functionArn)
  if (!location) {
    return { problem: `${quoted}: GetFunctionConfiguration returned no function ARN` }
  }
  const functionName = config.FunctionName ?? ref.name
  const ours = layerArnFor(layer, location)
  const currentLayers = layersOf(config)
  const currentVersionArn = currentLayers.find(arn => layerArnOf(arn) === ours)

  if (config.PackageType === 'Image') {
    return {
      problem: `${quoted}: is a container image function, and Lambda does not support layers for those (install the packages into the image instead)`
    }
  }
  const others = currentLayers.filter(arn => layerArnOf(arn) !== ours)
  if (others.length + 1 > LIMITS.layersPerFunction) {
    return {
      problem: `${quoted}: already has ${others.length} other layers (${others.join(', ')}); Lambda allows ${LIMITS.layersPerFunction} per function, so ours cannot be added`
    }
  }

  const warnings: PlanWarning[] = []
  const mismatch: NonNullable<FunctionPlan['mismatch']> = {}
  if (config.Runtime && !(request.runtimes as readonly string[]).includes(config.Runtime)) {
    mismatch.runtime = config.Runtime
    warnings.push({
      kind: 'runtime',
      text: `${functionName} runs ${config.Runtime}, which is not among the layer's compatible runtimes (${request.runtimes.join(', ')}); its packages may fail to import`
    })
  }
  const architecture = config.Architectures?.[0] ?? 'x86_64'
  if (!(request.architectures as readonly string[]).includes(architecture)) {
    mismatch.architecture = architecture
    warnings.push({
      kind: 'architecture',
      text: `${functionName} runs on ${architecture}, which is not among the layer's compatible architectures (${request.architectures.join(', ')}); compiled packages will fail to load`
    })
  }
  core.info(
    `${functionName}: ${config.Runtime ?? 'no runtime'} on ${architecture}, layers: ${listOrNone(currentLayers)}`
  )
  const aliases: AliasState[] = []
  if (ref.alias) {
    let alias: AliasState
    try {
      alias = await readAlias(
        client,
        functionArn,
        ref.alias,
        ours,
        request.limits ?? DEFAULT_LIMITS
      )
    } catch (error) {
      if (error instanceof CallTimeoutError || error instanceof CancelledError) throw error
      if (isTransient(error)) throw error
      return { problem: `${quoted}: ${errorMessage(error)}` }
    }
    const weighted =
      (request.weightedAliases ?? 'refuse') === 'refuse' && weightedAliasProblem(alias)
    if (weighted) return { problem: `${quoted}: ${weighted}` }
    core.info(
      `${functionName}:${alias.name}: version ${alias.version}, layer ${alias.layerVersionArn ?? 'none of this one'}`
    )
    aliases.push(alias)
  }
  return {
    plan: {
      input: ref.input,
      functionName,
      functionArn,
      currentLayers,
      ...(currentVersionArn ? { currentVersionArn } : {}),
      warnings,
      ...(mismatch.runtime || mismatch.architecture ? { mismatch } : {}),
      ...(aliases.length > 0 ? { aliases } : {}),
      ...(ref.alias ? { latestNamed: false } : {})
    }
  }
}

/**
 * The preflight, run before anything is published: reads every function and
 * checks that the layer can be attached to it. Collects every problem (bad entry,
 * function not found, access denied, container image, too many layers) and throws
 * ONE ActionError listing them all. Entries naming the same function are merged.
 */
export async function planFunctions(
  client: LambdaClient,
  request: PlanRequest
): Promise<FunctionPlan[]> {
  const layer =
    typeof request.layerName === 'string'
      ? parseLayerName(request.layerName, request.region)
      : request.layerName
  const problems: string[] = []
  const refs: FunctionRef[] = []
  const seen = new Set<string>()
  for (const entry of request.functions) {
    const input = typeof entry === 'string' ? entry : entry.input
    if (seen.has(input)) continue
    seen.add(input)
    try {
      refs.push(typeof entry === 'string' ? parseFunctionName(entry, request.region) : entry)
    } catch (error) {
      problems.push(errorMessage(error))
    }
  }

  const checked = await mapConcurrent(
    refs,
    request.concurrency ?? DEFAULT_CONCURRENCY,
    async ref => await checkFunction(client, ref, layer, request)
  )

  const plans: FunctionPlan[] = []
  const byArn = new Map<string, FunctionPlan>()
  for (const result of checked) {
    if (result.problem !== undefined) {
      problems.push(result.problem)
      continue
    }
    const { plan } = result
    const first = byArn.get(plan.functionArn)
    // Entries for other aliases of one function: one update of $LATEST, each alias moved.
    const newAliases = (plan.aliases ?? []).filter(
      a => !first?.aliases?.some(b => b.name === a.name)
    )
    const latestNamed = (p: FunctionPlan): boolean => p.latestNamed !== false
    if (first && (newAliases.length > 0 || (latestNamed(plan) && !latestNamed(first)))) {
      first.aliases = [...(first.aliases ?? []), ...newAliases]
      first.latestNamed = latestNamed(first) || latestNamed(plan)
      continue
    }
    if (first) {
      first.warnings.push({
        kind: 'duplicate',
        text: `"${plan.input}" names the same function as "${first.input}"; it is updated once`
      })
      continue
    }
    byArn.set(plan.functionArn, plan)
    plans.push(plan)
  }

  if (problems.length > 0) {
    const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`
    throw new ActionError(
      `Cannot attach the layer: ${count} with the functions input:\n${problems.map(problem => `  - ${problem}`).join('\n')}`
    )
  }
  return plans
}

interface Settings {
  pace: RegionPace
  deadline: number
  maxAttempts: number
  sleep: (ms: number) => Promise<void>
  maxWaitMs: number
  allowDowngrade: boolean
  limits: CallLimits
}

function isIdle(config: FunctionConfiguration): boolean {
  return config.LastUpdateStatus !== 'InProgress' && config.State !== 'Pending'
}

/**
 * Reads the function until no update is in progress and returns that fresh
 * configuration. Polls GetFunctionConfiguration (the permission the preflight
 * already needs) rather than the SDK's waitUntilFunctionUpdatedV2, which polls
 * GetFunction: that needs lambda:GetFunction, retries an access denial silently
 * until it times out, and its failure message embeds the response, including the
 * presigned URL of the function's code.
 */
async function readWhenIdle(
  client: LambdaClient,
  functionArn: string,
  settings: Settings,
  waitingFor: string,
  /** Known to be busy (the update's own answer said so): wait before the first read. */
  busy = false
): Promise<FunctionConfiguration> {
  let waited = 0
  if (busy) {
    await settings.sleep(POLL_FIRST_MS)
    waited += POLL_FIRST_MS
    if (cancellation.requested) throw new CancelledError(cancellation.requested)
  }
  let throttled: unknown
  let throttledSince = 0
  let throttledAt = 0
  for (let poll = 0; ; poll++) {
    let config: FunctionConfiguration | undefined
    try {
      config = await call('GetFunctionConfiguration', settings.limits.callTimeoutMs, abortSignal =>
        client.send(new GetFunctionConfigurationCommand({ FunctionName: functionArn }), {
          abortSignal
        })
      )
      throttled = undefined
    } catch (error) {
      // Polled anyway: a throttled read, a 5xx or a dropped answer is read again at the next poll.
      if (!isThrottling(error) && !isTransient(error)) {
        if (error instanceof CancelledError) throw error
        const hint = isAccessDenied(error) ? ` (the credentials need ${GET_PERMISSION})` : ''
        throw new Error(`reading its configuration failed${hint}: ${describeAwsError(error)}`)
      }
      if (!throttled) {
        throttledSince = waited
        throttledAt = Date.now()
      }
      throttled = error
      if (isThrottling(error)) settings.pace.throttled()
      // Throttled for longer than a call may take: say so rather than wait on.
      const throttledFor = Math.max(waited - throttledSince, Date.now() - throttledAt)
      if (throttledFor >= settings.limits.callTimeoutMs) {
        throw new Error(
          `reading its configuration ${isThrottling(error) ? 'was throttled' : 'kept failing'} for ${Math.round(throttledFor / 1000)} s (${describeAwsError(error)})`
        )
      }
    }
    if (config && isIdle(config)) return config
    const delay = Math.min(POLL_FIRST_MS * 2 ** poll, POLL_CAP_MS)
    if (waited + delay > settings.maxWaitMs) {
      throw new Error(
        throttled
          ? `reading its configuration was throttled for ${settings.maxWaitMs / 1000} s (${describeAwsError(throttled)})`
          : `${waitingFor} was still in progress after ${settings.maxWaitMs / 1000} s`
      )
    }
    await settings.sleep(delay)
    waited += delay
    // Cancelled while waiting: the caller reports what it knows now.
    if (cancellation.requested) throw new CancelledError(cancellation.requested)
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index])
}

async function attachOne(
  client: LambdaClient,
  plan: FunctionPlan,
  layerVersionArn: string,
  settings: Settings
): Promise<AttachResult> {
  const label = plan.functionName
  const base = { functionArn: plan.functionArn, input: plan.input }
  // What is known of its version of our layer: the preflight's reading until a fresher one.
  let previousVersionArn = plan.currentVersionArn
  const result = (status: AttachStatus, error?: string): AttachResult => ({
    ...base,
    status,
    ...(previousVersionArn ? { previousVersionArn } : {}),
    ...(error ? { error: `${label}: ${error}` } : {})
  })
  const failed = (error: string): AttachResult => {
    core.info(`${label}: failed: ${error}`)
    return result('failed', error)
  }
  const unchanged = (): AttachResult => {
    core.info(`${label}: already has ${layerVersionArn}`)
    previousVersionArn = layerVersionArn
    return result('unchanged')
  }
  const outOfTime = (): AttachResult => {
    core.info(`${label}: not changed (the attach phase reached its time limit)`)
    return result(
      'out-of-time',
      'not changed: the attach phase reached its time limit before its update began'
    )
  }
  const notStarted = (): AttachResult => {
    core.info(`${label}: not changed (the run was cancelled before its update began)`)
    return result('not-started', 'not changed: the run was cancelled before its update began')
  }

  if (sameList(plan.currentLayers, newLayerList(plan.currentLayers, layerVersionArn))) {
    return unchanged()
  }

  const ours = layerArnOf(layerVersionArn)
  const ourVersion = layerVersionOf(layerVersionArn) ?? 0
  let lastError: unknown
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    if (cancellation.requested) return notStarted()
    if (Date.now() > settings.deadline) return outOfTime()
    // Read again: the list may have changed since the preflight or the last attempt.
    let config: FunctionConfiguration
    try {
      config = await readWhenIdle(client, plan.functionArn, settings, 'an earlier update')
    } catch (error) {
      if (error instanceof CancelledError) return notStarted()
      return failed(errorMessage(error))
    }
    const current = layersOf(config)
    previousVersionArn = current.find(arn => layerArnOf(arn) === ours)
    const present = previousVersionArn ? (layerVersionOf(previousVersionArn) ?? 0) : 0
    if (present > ourVersion && !settings.allowDowngrade) {
      const message = `has ${previousVersionArn}, newer than ${layerVersionArn}: left alone (another run attached it; set \`allow-downgrade: true\` to roll back on purpose)`
      // Warned about by the caller, together with the others left alone.
      core.info(`${label} ${message}`)
      return result('newer-present', message)
    }
    const layers = newLayerList(current, layerVersionArn)
    if (sameList(current, layers)) return unchanged()
    if (layers.length > LIMITS.layersPerFunction) {
      return failed(
        `its layers changed since the preflight and it now has ${current.length} (${current.join(', ')}); Lambda allows ${LIMITS.layersPerFunction} per function`
      )
    }
    await settings.pace.ready()
    if (cancellation.requested) return notStarted()
    if (Date.now() > settings.deadline) return outOfTime()

    let updated: FunctionConfiguration
    try {
      updated = await call(
        `UpdateFunctionConfiguration (${label})`,
        settings.limits.callTimeoutMs,
        abortSignal =>
          client.send(
            new UpdateFunctionConfigurationCommand({
              FunctionName: plan.functionArn,
              Layers: layers,
              ...(config.RevisionId ? { RevisionId: config.RevisionId } : {})
            }),
            { abortSignal }
          )
      )
    } catch (error) {
      lastError = error
      if (error instanceof CancelledError) {
        return result(
          'unknown',
          `its update to ${layerVersionArn} was in flight when the run was cancelled: it may or may not have been applied`
        )
      }
      const name = awsErrorName(error)
      if (name === 'PreconditionFailedException') {
        core.info(`${label}: changed by someone else since it was read; reading it again`)
        continue
      }
      // A 5xx or a dropped answer too: the RevisionId makes sending it again safe
      // (an update that did apply is then refused with 412, and read again).
      // Throttling slows the whole region down (one pause for all its
      // updates), and does not use up this function's attempts: the
      // phase's time limit bounds it.
      if (isThrottling(error)) {
        settings.pace.throttled()
        attempt--
        continue
      }
      if (
        name === 'ResourceConflictException' ||
        (config.RevisionId !== undefined && isTransient(error))
      ) {
        if (attempt < settings.maxAttempts) {
          const delay = backoffMs(attempt - 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS)
          core.info(
            `${label}: ${name ?? 'throttled'}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt} of ${settings.maxAttempts})`
          )
          await settings.sleep(delay)
        }
        continue
      }
      if (error instanceof CallTimeoutError) {
        // The RevisionId makes a repeat safe, but whether this one applied is unknown.
        return result(
          'unknown',
          `${errorMessage(error)} It may or may not have been applied; re-run the workflow to converge.`
        )
      }
      const hint = isAccessDenied(error) ? ` (the credentials need ${UPDATE_PERMISSION})` : ''
      return failed(`UpdateFunctionConfiguration failed${hint}: ${describeAwsError(error)}`)
    }

    settings.pace.succeeded()
    let final = updated
    if (!isIdle(updated)) {
      try {
        final = await readWhenIdle(client, plan.functionArn, settings, 'the layer update', true)
      } catch (error) {
        const why = error instanceof CancelledError ? 'the run was cancelled' : errorMessage(error)
        return result(
          'unknown',
          `Lambda accepted the update to ${layerVersionArn}, but its outcome could not be read (${why})`
        )
      }
    }
    if (final.LastUpdateStatus === 'Failed') {
      const code = final.LastUpdateStatusReasonCode ? ` (${final.LastUpdateStatusReasonCode})` : ''
      return failed(
        `Lambda could not apply the update: ${final.LastUpdateStatusReason ?? 'no reason given'}${code}`
      )
    }
    core.info(
      `${label}: attached ${layerVersionArn}${previousVersionArn ? ` in place of ${previousVersionArn}` : ''}`
    )
    return result('updated')
  }
  return failed(`gave up after ${settings.maxAttempts} attempts: ${describeAwsError(lastError)}`)
}

const realSleep = async (ms: number): Promise<void> => await cancellation.sleep(ms)

/**
 * Moves an alias once $LATEST has the layer: reads $LATEST again (its
 * RevisionId guards the publish), then publishes a version and moves the
 * alias (alias.ts). An alias is never moved when $LATEST was not updated.
 */
async function aliasAfterLatest(
  client: LambdaClient,
  plan: FunctionPlan,
  alias: AliasState,
  latest: AttachResult,
  layerVersionArn: string,
  settings: Settings & { weightedAliases: WeightedAliases }
): Promise<AliasResult> {
  const label = `${plan.functionName}:${alias.name}`
  const base = {
    name: alias.name,
    aliasArn: alias.aliasArn,
    before: {
      version: alias.version,
      ...(alias.layerVersionArn ? { layerVersionArn: alias.layerVersionArn } : {})
    }
  }
  if (latest.status === 'newer-present') {
    return { ...base, status: 'newer-present', error: `${label}: left alone, as $LATEST is` }
  }
  if (latest.status === 'not-started') {
    return { ...base, status: 'not-started', error: `${label}: not moved: the run was cancelled` }
  }
  if (latest.status !== 'updated' && latest.status !== 'unchanged') {
    return {
      ...base,
      status: 'failed',
      error: `${label}: not moved (still version ${alias.version}): $LATEST could not be updated`
    }
  }
  let config: FunctionConfiguration
  try {
    config = await readWhenIdle(client, plan.functionArn, settings, 'the layer update')
  } catch (error) {
    if (error instanceof CancelledError) {
      return { ...base, status: 'not-started', error: `${label}: not moved: the run was cancelled` }
    }
    return {
      ...base,
      status: 'failed',
      error: `${label}: not moved (still version ${alias.version}): ${errorMessage(error)}`
    }
  }
  if (!layersOf(config).includes(layerVersionArn)) {
    // Another run attached a newer version meanwhile: its run moves the alias.
    const present = layersOf(config).find(arn => layerArnOf(arn) === layerArnOf(layerVersionArn))
    const newer =
      present !== undefined &&
      (layerVersionOf(present) ?? 0) > (layerVersionOf(layerVersionArn) ?? 0)
    if (newer && !settings.allowDowngrade) {
      return {
        ...base,
        status: 'newer-present',
        error: `${label}: left alone: $LATEST has ${present}, newer than ${layerVersionArn} (another run attached it)`
      }
    }
    return {
      ...base,
      status: 'failed',
      error: `${label}: not moved (still version ${alias.version}): $LATEST no longer has ${layerVersionArn} (changed by someone else meanwhile)`
    }
  }
  return await moveAlias(client, plan.functionArn, alias, layerVersionArn, {
    ...(config.RevisionId ? { latestRevisionId: config.RevisionId } : {}),
    allowDowngrade: settings.allowDowngrade,
    weightedAliases: settings.weightedAliases,
    limits: settings.limits
  })
}

/**
 * Attaches the layer version to every planned function, a few at a time. A
 * function already at this version is left alone, and so is one with a newer
 * version of the layer (unless `allowDowngrade`). Per-function failures do
 * not stop the others and are returned, not thrown: the caller reports them.
 * Once the run is cancelled, no new update starts.
 */
export async function attachToFunctions(
  client: LambdaClient,
  plans: readonly FunctionPlan[],
  layerVersionArn: string,
  options: AttachOptions = {}
): Promise<AttachResult[]> {
  if (layerVersionOf(layerVersionArn) === undefined) {
    throw new Error(`Not a layer version ARN: ${layerVersionArn}`)
  }
  const settings: Settings = {
    pace:
      options.pace ??
      new RegionPace(
        options.concurrency ?? ATTACH_CONCURRENCY,
        Math.max(options.concurrency ?? 0, options.maxConcurrency ?? ATTACH_MAX_CONCURRENCY),
        options.sleep
      ),
    deadline:
      options.deadline ??
      Date.now() + ATTACH_LIMIT_CALLS * (options.limits ?? DEFAULT_LIMITS).callTimeoutMs,
    maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
    sleep: options.sleep ?? realSleep,
    maxWaitMs: (options.waiterMaxWaitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000,
    allowDowngrade: options.allowDowngrade ?? false,
    limits: options.limits ?? DEFAULT_LIMITS
  }
  const attach = async (plan: FunctionPlan): Promise<AttachResult> => {
    try {
      const result = await attachOne(client, plan, layerVersionArn, settings)
      if (!plan.aliases || plan.aliases.length === 0) return result
      const aliases: AliasResult[] = []
      for (const alias of plan.aliases) {
        aliases.push(
          await aliasAfterLatest(client, plan, alias, result, layerVersionArn, {
            ...settings,
            weightedAliases: options.weightedAliases ?? 'refuse'
          })
        )
      }
      return { ...result, aliases }
    } catch (error) {
      const message = `${plan.functionName}: ${errorMessage(error)}`
      core.info(`${plan.functionName}: failed: ${errorMessage(error)}`)
      return {
        functionArn: plan.functionArn,
        input: plan.input,
        status: 'failed',
        ...(plan.currentVersionArn ? { previousVersionArn: plan.currentVersionArn } : {}),
        error: message
      }
    }
  }
  return await Promise.all(plans.map(async plan => await settings.pace.run(() => attach(plan))))
}

/** What the built layer holds, for judging a runtime or architecture mismatch. */
export interface LayerTraits {
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
  /** Compiled code (shared objects) anywhere in the layer. */
  compiled: boolean
  /** python/lib/python3.X/site-packages per version (several runtimes). */
  perVersion: boolean
}

/**
 * The mismatches that would break a function rather than merely look odd: a
 * runtime the layer has no folder for (several-version layout) or no compiled
 * code for, an architecture its compiled code cannot run on. A pure-Python
 * layer in python/ works on any Python 3 runtime and architecture, so those
 * stay warnings.
 */
export function breakingMismatches(plans: readonly FunctionPlan[], layer: LayerTraits): string[] {
  const problems: string[] = []
  for (const plan of plans) {
    const { runtime, architecture } = plan.mismatch ?? {}
    if (runtime && runtime.startsWith('python') && (layer.compiled || layer.perVersion)) {
      const why = layer.perVersion
        ? `the layer has site-packages folders for ${layer.runtimes.join(', ')} only, so ${runtime} finds none of its packages`
        : `its compiled packages are built for ${layer.runtimes.join(', ')} and will not import on ${runtime}`
      problems.push(
        `${plan.functionName} runs ${runtime}: ${why}. Add ${runtime} to \`runtimes\`, or leave the function out of \`functions\`.`
      )
    }
    if (architecture && layer.compiled) {
      problems.push(
        `${plan.functionName} runs on ${architecture}, but the layer's compiled packages are built for ${layer.architectures.join(', ')} and will not load there. Build a layer for ${architecture} (\`architectures: ${architecture}\`), or leave the function out of \`functions\`.`
      )
    }
  }
  return problems
}
