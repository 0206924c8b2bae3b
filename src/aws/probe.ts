/**
 * The import test on Lambda (input `lambda-smoke-test-role`): for each
 * runtime × architecture of the layer, a probe function with only the new
 * layer version attached imports every top-level module of the layer on
 * Lambda itself, before any function is changed. The probe is created,
 * invoked and deleted by the run; one left behind by a killed run is
 * replaced by the next.
 */
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { createHash } from 'node:crypto'
import { type Finding, type ImportResult, importFindings } from '../checks/index.js'
import { ActionError } from '../errors.js'
import type { Architecture, Runtime } from '../runtimes.js'
import { cancellation } from '../util/cancel.js'
import {
  awsErrorName,
  call,
  type CallLimits,
  callError,
  describeAwsError,
  isNotFound
} from './client.js'
import { PROBE_HANDLER, PROBE_LAYER_VARIABLE, PROBE_START_MARK, probeZip } from './probe-handler.js'

/** The probe's limits: sized for importing large packages (torch, pandas) once. */
export const PROBE_TIMEOUT_S = 120
export const PROBE_MEMORY_MB = 2048
/** The tag that marks a function as this action's probe; its value is the layer name. */
export const PROBE_TAG = 'lambda-layer-import-probe'
/** Invocations after a crash, each importing the modules after the one that crashed. */
const MAX_CRASHES = 5
/** How long a new role may take to be usable by Lambda (IAM propagation). */
const ROLE_PROPAGATION_MS = 30_000

/** One probe: the layer's runtime and architecture it tests, and its function. */
export interface ProbeTarget {
  runtime: Runtime
  architecture: Architecture
  functionName: string
}

/** What one probe found. */
export interface ProbeOutcome {
  target: ProbeTarget
  /** Modules imported (failed ones included). */
  modules: number
  findings: Finding[]
  /** Python version and machine the probe ran on, as it reported them. */
  ranOn?: string
  /** A probe left behind (its delete failed): warned about, replaced by the next run. */
  leftBehind?: string
}

const FUNCTION_NAME_MAX = 64

/**
 * The probe's function name: derived from the layer name, runtime and
 * architecture, so a rerun reuses it (and replaces one a killed run left).
 * A layer name too long to fit is cut and made unique by its hash.
 */
export function probeFunctionName(layerName: string, runtime: Runtime, arch: Architecture): string {
  const suffix = `-import-probe-py${runtime.slice('python'.length).replace('.', '')}-${arch}`
  const room = FUNCTION_NAME_MAX - suffix.length
  if (layerName.length <= room) return `${layerName}${suffix}`
  const hash = createHash('sha256').update(layerName).digest('hex').slice(0, 8)
  return `${layerName.slice(0, room - 9)}-${hash}${suffix}`
}

export function probeTargets(
  layerName: string,
  runtimes: readonly Runtime[],
  architectures: readonly Architecture[]
): ProbeTarget[] {
  return runtimes.flatMap(runtime =>
    architectures.map(architecture => ({
      runtime,
      architecture,
      functionName: probeFunctionName(layerName, runtime, architecture)
    }))
  )
}

/** Whose the function of that name is: none, this layer's probe, or someone else's. */
async function probeOwner(
  client: LambdaClient,
  functionName: string,
  layerName: string,
  limits: CallLimits
): Promise<'none' | 'probe' | 'other'> {
  try {
    const found = await call(
      `GetFunction ${functionName}`,
      limits.callTimeoutMs,
      async abortSignal =>
        await client.send(new GetFunctionCommand({ FunctionName: functionName }), { abortSignal }),
      { repeat: true }
    )
    return found.Tags?.[PROBE_TAG] === layerName ? 'probe' : 'other'
  } catch (error) {
    if (isNotFound(error)) return 'none'
    throw callError(
      `Reading the import-test probe ${functionName}`,
      'lambda:GetFunction on it',
      error
    )
  }
}

/**
 * Preflight: each probe's name is free or this layer's probe, and none is a
 * function the run attaches the layer to.
 */
export async function checkProbeNames(
  client: LambdaClient,
  targets: readonly ProbeTarget[],
  layerName: string,
  attachTo: readonly string[],
  limits: CallLimits
): Promise<void> {
  for (const target of targets) {
    if (attachTo.includes(target.functionName)) {
      throw new ActionError(
        `Input \`functions\` lists ${target.functionName}, the name of the import-test probe of \`lambda-smoke-test-role\`, which is created and deleted by each run. Rename the function or the layer.`
      )
    }
    if ((await probeOwner(client, target.functionName, layerName, limits)) === 'other') {
      throw new ActionError(
        `A function named ${target.functionName} exists and is not the import-test probe of layer ${layerName} (it has no ${PROBE_TAG}=${layerName} tag). \`lambda-smoke-test-role\` creates and deletes a function of that name: rename or delete that function. Nothing was published or changed.`
      )
    }
  }
}

async function deleteProbe(
  client: LambdaClient,
  functionName: string,
  limits: CallLimits
): Promise<void> {
  try {
    await call(
      `DeleteFunction ${functionName}`,
      limits.callTimeoutMs,
      async abortSignal =>
        await client.send(new DeleteFunctionCommand({ FunctionName: functionName }), {
          abortSignal
        }),
      { repeat: true }
    )
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
}

async function createProbe(
  client: LambdaClient,
  target: ProbeTarget,
  layer: { name: string; versionArn: string },
  role: string,
  limits: CallLimits
): Promise<void> {
  const command = new CreateFunctionCommand({
    FunctionName: target.functionName,
    Description: `Import test of layer ${layer.name}; deleted when the test ends`.slice(0, 256),
    Runtime: target.runtime,
    Architectures: [target.architecture],
    Role: role,
    Handler: PROBE_HANDLER,
    Code: { ZipFile: probeZip() },
    Layers: [layer.versionArn],
    Timeout: PROBE_TIMEOUT_S,
    MemorySize: PROBE_MEMORY_MB,
    Environment: { Variables: { [PROBE_LAYER_VARIABLE]: layer.versionArn } },
    Tags: { [PROBE_TAG]: layer.name }
  })
  const started = Date.now()
  for (let attempt = 0; ; attempt++) {
    try {
      await call(
        `CreateFunction ${target.functionName}`,
        limits.callTimeoutMs,
        async abortSignal => await client.send(command, { abortSignal })
      )
      return
    } catch (error) {
      // A role created moments ago is refused until IAM has propagated it;
      // a refused create created nothing, so it is sent again.
      const propagating =
        awsErrorName(error) === 'InvalidParameterValueException' &&
        /cannot be assumed|role/i.test(describeAwsError(error)) &&
        Date.now() - started < ROLE_PROPAGATION_MS
      if (!propagating) {
        throw callError(
          `Creating the import-test probe ${target.functionName} with role ${role}`,
          'lambda:CreateFunction, lambda:TagResource and iam:PassRole on the role',
          error
        )
      }
      await cancellation.sleep(Math.min(1000 * 2 ** attempt, 8000))
    }
  }
}

/** Waits until the new function can be invoked (State Active). */
async function waitActive(
  client: LambdaClient,
  functionName: string,
  limits: CallLimits
): Promise<void> {
  const deadline = Date.now() + limits.callTimeoutMs
  for (;;) {
    const config = await call(
      `GetFunctionConfiguration ${functionName}`,
      limits.callTimeoutMs,
      async abortSignal =>
        await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }), {
          abortSignal
        }),
      { repeat: true }
    )
    if (config.State === undefined || config.State === 'Active') return
    if (config.State === 'Failed') {
      throw new ActionError(
        `The import-test probe ${functionName} could not be created: ${config.StateReasonCode ?? 'Failed'}: ${config.StateReason ?? ''}`.trim()
      )
    }
    if (Date.now() > deadline) {
      throw new ActionError(
        `The import-test probe ${functionName} was still ${config.State} after ${Math.round(limits.callTimeoutMs / 1000)} s (\`aws-timeout\`).`
      )
    }
    await cancellation.sleep(1000)
  }
}

/** What the probe's handler returns. */
interface ProbeAnswer {
  probe?: number
  layer?: string | null
  python?: string
  machine?: string
  site?: string | null
  modules?: string[]
  failed?: Array<{ module: string; type: string; message: string; traceback: string[] }>
}

interface Invocation {
  answer?: ProbeAnswer
  /** The function failed (errorType: errorMessage). */
  error?: { type: string; message: string }
  log: string[]
}

async function invokeProbe(
  client: LambdaClient,
  functionName: string,
  event: Record<string, unknown>,
  limits: CallLimits
): Promise<Invocation> {
  const answer = await call(
    `Invoke ${functionName}`,
    Math.max(limits.callTimeoutMs, (PROBE_TIMEOUT_S + 60) * 1000),
    async abortSignal =>
      await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          Payload: Buffer.from(JSON.stringify(event)),
          LogType: 'Tail'
        }),
        { abortSignal }
      ),
    { repeat: true }
  )
  const log = answer.LogResult
    ? Buffer.from(answer.LogResult, 'base64').toString('utf8').trimEnd().split(/\r?\n/)
    : []
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8'))
  } catch {
    payload = undefined
  }
  if (answer.FunctionError) {
    const p = (payload ?? {}) as { errorType?: unknown; errorMessage?: unknown }
    return {
      error: {
        type: typeof p.errorType === 'string' ? p.errorType : answer.FunctionError,
        message: typeof p.errorMessage === 'string' ? p.errorMessage : ''
      },
      log
    }
  }
  return { answer: (payload ?? {}) as ProbeAnswer, log }
}

/** The module the log shows the probe was importing when it stopped. */
function lastStarted(log: readonly string[]): string | undefined {
  const line = [...log].reverse().find(l => l.includes(PROBE_START_MARK))
  return line?.slice(line.indexOf(PROBE_START_MARK) + PROBE_START_MARK.length).trim()
}

/** The end of the log without the probe's own lines. */
function logTail(log: readonly string[]): string[] {
  return log.filter(l => l.trim() !== '' && !l.includes(PROBE_START_MARK)).slice(-8)
}

/**
 * Creates the probe (replacing one a killed run left), invokes it until
 * every module was tried, and deletes it, even when the test fails.
 */
export async function runProbe(
  clients: { client: LambdaClient; invokeClient: LambdaClient },
  target: ProbeTarget,
  layer: { name: string; versionArn: string },
  options: { role: string; strict: boolean; limits: CallLimits }
): Promise<ProbeOutcome> {
  const { client, invokeClient } = clients
  const { limits } = options
  const name = target.functionName
  const where = `${target.runtime} on Lambda (${target.architecture})`
  let outcome: ProbeOutcome | undefined
  let failure: unknown
  try {
    if ((await probeOwner(client, name, layer.name, limits)) === 'probe') {
      await deleteProbe(client, name, limits)
    }
    await createProbe(client, target, layer, options.role, limits)
    await waitActive(client, name, limits)
    const results: ImportResult[] = []
    let ranOn: string | undefined
    let after: string | undefined
    for (let crashes = 0; ;) {
      cancellation.throwIfCancelled()
      const invocation = await invokeProbe(invokeClient, name, after ? { after } : {}, limits)
      if (invocation.answer) {
        const a = invocation.answer
        if (a.probe !== 1) {
          throw new ActionError(
            `The import-test probe ${name} answered with something else than the probe's result: ${JSON.stringify(a).slice(0, 300)}`
          )
        }
        if (a.layer !== layer.versionArn) {
          throw new ActionError(
            `The import-test probe ${name} ran with layer ${a.layer ?? 'none'}, not ${layer.versionArn}: another run of this layer replaced it meanwhile. Run again (and give concurrent runs of one layer a concurrency group).`
          )
        }
        ranOn = `Python ${a.python ?? '?'} on ${a.machine ?? '?'}`
        if (!a.site) {
          results.push({
            module: '(layer)',
            ok: false,
            type: 'ModuleNotFoundError',
            message: `no folder of the layer is on sys.path (Lambda adds /opt/python and /opt/python/lib/python${target.runtime.slice(6)}/site-packages)`
          })
        }
        const failed = new Map((a.failed ?? []).map(f => [f.module, f]))
        for (const module of a.modules ?? []) {
          const f = failed.get(module)
          results.push(
            f
              ? { module, ok: false, type: f.type, message: f.message, traceback: f.traceback }
              : { module, ok: true }
          )
        }
        break
      }
      // The function failed: a crash, a timeout or an out-of-memory, while
      // importing the module the log names last.
      const error = invocation.error ?? { type: 'Unknown', message: '' }
      const module = lastStarted(invocation.log)
      const timedOut = /timed out/i.test(error.message)
      if (module === undefined) {
        throw new ActionError(
          `The import-test probe ${name} failed before importing anything: ${error.type}: ${error.message}${invocation.log.length > 0 ? `\nIts log ends:\n${logTail(invocation.log).join('\n')}` : ''}`
        )
      }
      results.push({
        module,
        ok: false,
        type: timedOut ? 'Timeout' : 'Crash',
        message: timedOut
          ? `the import did not finish within the probe's ${PROBE_TIMEOUT_S} s`
          : `the runtime died (${error.type}: ${error.message})`,
        traceback: logTail(invocation.log)
      })
      crashes += 1
      if (timedOut || crashes >= MAX_CRASHES) break
      after = module
    }
    outcome = {
      target,
      modules: results.length,
      findings: importFindings(results, { where, strict: options.strict }),
      ...(ranOn ? { ranOn } : {})
    }
  } catch (error) {
    failure = error
  }
  // Deleted however the test ended; a probe left behind is replaced by the next run.
  let leftBehind: string | undefined
  try {
    await deleteProbe(client, name, limits)
  } catch (error) {
    leftBehind = `${name} (${describeAwsError(error)})`
  }
  if (failure !== undefined) {
    if (leftBehind && failure instanceof Error) {
      failure.message += `\nThe probe ${leftBehind} could not be deleted; the next run replaces it.`
    }
    throw failure
  }
  if (!outcome) throw new Error(`the probe ${name} ended without a result`)
  return leftBehind ? { ...outcome, leftBehind } : outcome
}
