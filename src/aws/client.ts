/**
 * The Lambda client and the classification of the errors it throws, shared by
 * publish.ts and attach.ts.
 */
import { LambdaClient } from '@aws-sdk/client-lambda'

/** Attempts per API call made by the SDK itself (throttling, 5xx, network errors). */
export const SDK_MAX_ATTEMPTS = 5

/**
 * A Lambda client for `region` with the default credential chain and the SDK's
 * `standard` retry mode. The SDK itself honours `AWS_ENDPOINT_URL_LAMBDA` and
 * `AWS_ENDPOINT_URL` (and `endpoint_url` in a shared config profile), which is how
 * the end-to-end tests point it at moto.
 */
export function createLambdaClient(region: string): LambdaClient {
  return new LambdaClient({ region, retryMode: 'standard', maxAttempts: SDK_MAX_ATTEMPTS })
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

function httpStatus(error: unknown): number | undefined {
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
