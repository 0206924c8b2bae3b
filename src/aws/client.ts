/**
 * The Lambda client, the time limits of every AWS call, and the
 * classification of the errors the SDK throws, shared by publish.ts,
 * attach.ts and s3.ts.
 */
import { LambdaClient } from '@aws-sdk/client-lambda'
import { AsyncLocalStorage } from 'node:async_hooks'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { ActionError } from '../errors.js'
import { cancellation, CancelledError, pause } from '../util/cancel.js'

/** Attempts per API call made by the SDK itself (throttling, 5xx, network errors). */
export const SDK_MAX_ATTEMPTS = 5

/** Default `aws-timeout`: how long one AWS call may take, the SDK's retries included. */
export const DEFAULT_CALL_TIMEOUT_MS = 120_000
/** Opening a connection. */
export const CONNECT_TIMEOUT_MS = 10_000
/** A connection with no bytes moving either way for this long is dropped (the attempt fails). */
export const IDLE_TIMEOUT_MS = 60_000
/** Calls that upload the zip get this much more time per MiB (1 MiB/s). */
export const UPLOAD_MS_PER_MIB = 1000

/** The time limits of AWS calls. */
export interface CallLimits {
  /** One call, retries included. */
  callTimeoutMs: number
}

export const DEFAULT_LIMITS: CallLimits = { callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS }

/** The limit of a call that uploads `bytes`. */
export function uploadTimeoutMs(limits: CallLimits, bytes: number): number {
  return limits.callTimeoutMs + Math.ceil((bytes / (1024 * 1024)) * UPLOAD_MS_PER_MIB)
}

/**
 * The HTTP handler of every client: bounded connection set-up and idle time
 * (`socketTimeout`; the handler's `requestTimeout` only logs a warning unless
 * told to throw). The whole call, retries included, is bounded by call().
 */
export function requestHandler(
  limits: CallLimits = DEFAULT_LIMITS,
  idleTimeoutMs = IDLE_TIMEOUT_MS
): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, limits.callTimeoutMs),
    socketTimeout: Math.min(idleTimeoutMs, limits.callTimeoutMs)
  })
}

/**
 * A Lambda client for `region` with the default credential chain and the SDK's
 * `standard` retry mode (`maxAttempts: 1` for calls that must never be sent
 * twice blindly). The SDK itself honours `AWS_ENDPOINT_URL_LAMBDA` and
 * `AWS_ENDPOINT_URL` (and `endpoint_url` in a shared config profile), which is how
 * the end-to-end tests point it at moto.
 */
export function createLambdaClient(
  region: string,
  options: {
    maxAttempts?: number
    limits?: CallLimits
    /** For calls that keep the connection silent longer (Invoke): the default is IDLE_TIMEOUT_MS. */
    idleTimeoutMs?: number
  } = {}
): LambdaClient {
  return recordAttempts(
    new LambdaClient({
      region,
      retryMode: 'standard',
      maxAttempts: options.maxAttempts ?? SDK_MAX_ATTEMPTS,
      requestHandler: requestHandler(options.limits, options.idleTimeoutMs)
    })
  )
}

/** The call in progress (see call()): what its last failed attempt threw. */
const attempts = new AsyncLocalStorage<{ lastError?: unknown }>()

interface MiddlewareHost {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'finalizeRequest'; priority: 'low'; name: string }
    ): void
  }
}

/**
 * Records each failed attempt of a call, inside the SDK's retry loop, so that
 * a call that ran out of time can say what its attempts met (throttling, a
 * 5xx, a dropped connection) instead of only that time ran out.
 */
export function recordAttempts<C>(client: C): C {
  ;(client as unknown as MiddlewareHost).middlewareStack.add(
    next => async args => {
      try {
        return await next(args)
      } catch (error) {
        const store = attempts.getStore()
        // An abort is call()'s own doing, not what the attempts met.
        if (store && awsErrorName(error) !== 'AbortError') store.lastError = error
        throw error
      }
    },
    // Inside the retry middleware (finalizeRequest, high) and outside the
    // deserializer, which turns an error response into the error thrown.
    { step: 'finalizeRequest', priority: 'low', name: 'recordAttempts' }
  )
  return client
}

/** A call that got no complete answer within its limit. */
export class CallTimeoutError extends ActionError {
  constructor(
    readonly call: string,
    readonly timeoutMs: number,
    /** What the last failed attempt threw, if an attempt failed before time ran out. */
    readonly lastAttempt?: unknown
  ) {
    super(
      `${call} got no answer within ${Math.round(timeoutMs / 1000)} s (\`aws-timeout\`), retries included${lastAttempt === undefined ? '' : `; the last attempt met ${describeAwsError(lastAttempt)}`}.`
    )
    this.name = 'CallTimeoutError'
  }
}

/** How a call may be sent again after the SDK's own attempts failed. */
export interface CallOptions {
  /**
   * The call is safe to send again (a read, or an update guarded by a
   * RevisionId): after throttling, a 5xx or a dropped connection it is
   * sent again, with backoff, until `aws-timeout` runs out. A call that is
   * not (PublishLayerVersion) never sets it.
   */
  repeat?: boolean
}

/**
 * Exponential backoff with jitter: a random delay in [half, full] of
 * `baseMs` doubled `step` times, capped at `capMs`.
 */
export function backoffMs(step: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(baseMs * 2 ** step, capMs)
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
}

/**
 * Whether a failed call may succeed when sent again as it was: throttled,
 * a 5xx, or no answer (a reset, refused or timed-out connection).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof CallTimeoutError || error instanceof CancelledError) return false
  if (isThrottling(error)) return true
  const status = httpStatus(error)
  if (status !== undefined) return status >= 500
  const code = (error as { code?: unknown } | null)?.code
  return (
    ['TimeoutError', 'RequestTimeout', 'NetworkingError'].includes(awsErrorName(error) ?? '') ||
    (typeof code === 'string' &&
      ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code))
  )
}

/**
 * Runs one AWS call (`send` gets the abort signal to pass to the SDK) within
 * `timeoutMs`, retries included; with `repeat`, sends it again after a
 * transient failure until then. A call past its limit throws
 * CallTimeoutError naming `what`; a call still in flight when the grace
 * period of a cancellation ends throws CancelledError.
 */
export async function call<T>(
  what: string,
  timeoutMs: number,
  send: (abortSignal: AbortSignal) => Promise<T>,
  options: CallOptions = {}
): Promise<T> {
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), timeoutMs)
  const onCancel = (): void => deadline.abort()
  // Started after the grace period of a cancellation: aborted at once (an
  // abort listener added after the event would never fire).
  if (cancellation.signal.aborted) deadline.abort()
  else cancellation.signal.addEventListener('abort', onCancel)
  const record: { lastError?: unknown } = {}
  const ended = (error?: unknown): Error => {
    if (cancellation.signal.aborted) return new CancelledError(cancellation.requested ?? 'signal')
    const last = record.lastError
    return new CallTimeoutError(what, timeoutMs, last === error ? undefined : last)
  }
  try {
    for (let repeat = 0; ; repeat++) {
      try {
        return await attempts.run(record, async () => await send(deadline.signal))
      } catch (error) {
        if (deadline.signal.aborted) throw ended(error)
        if (!options.repeat || !isTransient(error)) throw error
        record.lastError = error
        // Between repeats: 0.5 s doubling to 8 s.
        await pause(backoffMs(repeat, 500, 8000), deadline.signal)
        if (deadline.signal.aborted) throw ended()
      }
    }
  } finally {
    clearTimeout(timer)
    cancellation.signal.removeEventListener('abort', onCancel)
  }
}

/**
 * The request reached AWS and was refused with an error of its own (throttling,
 * a conflict, validation): nothing was done. Anything else (no answer, a
 * dropped connection, a 5xx) leaves it open whether the call took effect.
 */
export function wasRefused(error: unknown): boolean {
  const status = httpStatus(error)
  return status !== undefined && status >= 400 && status < 500
}

interface AwsErrorShape {
  name?: unknown
  message?: unknown
  $metadata?: { httpStatusCode?: number }
}

function shape(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {}
}

/** The AWS error code (`ResourceNotFoundException`, …), or undefined. */
export function awsErrorName(error: unknown): string | undefined {
  const name = shape(error).name
  return typeof name === 'string' ? name : undefined
}

/** The HTTP status of an AWS error, when it came with one. */
export function httpStatus(error: unknown): number | undefined {
  return shape(error).$metadata?.httpStatusCode
}

export function isNotFound(error: unknown): boolean {
  return awsErrorName(error) === 'ResourceNotFoundException'
}

/** The SDK found no credentials at all (no env vars, profile, OIDC or instance role). */
export function isMissingCredentials(error: unknown): boolean {
  return awsErrorName(error) === 'CredentialsProviderError'
}

export function isAccessDenied(error: unknown): boolean {
  const name = awsErrorName(error)
  return name === 'AccessDeniedException' || name === 'AccessDenied' || httpStatus(error) === 403
}

const THROTTLING = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded'
])

export function isThrottling(error: unknown): boolean {
  // A call that ran out of time while its attempts were throttled.
  if (error instanceof CallTimeoutError) return isThrottling(error.lastAttempt)
  const name = awsErrorName(error)
  return (name !== undefined && THROTTLING.has(name)) || httpStatus(error) === 429
}

/** `ResourceConflictException: The operation cannot be performed at this time…` */
export function describeAwsError(error: unknown): string {
  const name = awsErrorName(error)
  const message = shape(error).message
  const text = typeof message === 'string' && message !== '' ? message : String(error)
  return name && name !== 'Error' && !text.startsWith(name) ? `${name}: ${text}` : text
}

/**
 * A failed AWS call as the user reads it: what failed, the permission it
 * needs when access was denied, what to add when there are no credentials
 * at all. A cancellation stays a cancellation.
 */
export function callError(
  what: string,
  permission: string,
  error: unknown,
  noCredentials = 'Add aws-actions/configure-aws-credentials before this step.'
): ActionError {
  if (error instanceof CancelledError) return error
  if (isMissingCredentials(error)) {
    return new ActionError(`${what} failed: no AWS credentials found. ${noCredentials}`)
  }
  const hint = isAccessDenied(error) ? ` (the credentials need ${permission})` : ''
  return new ActionError(`${what} failed${hint}: ${describeAwsError(error)}`)
}
