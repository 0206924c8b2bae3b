/**
 * AWS CodeArtifact as a pip index: the `codeartifact` input, a short-lived
 * authorization token, and the repository's PEP 503 simple index URL with
 * that token as basic-auth credentials.
 */
import * as core from '@actions/core'
import {
  CodeartifactClient,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand
} from '@aws-sdk/client-codeartifact'
import type { CodeArtifactRepository } from '../aws-inputs/index.js'
import { ActionError } from '../errors.js'
import {
  call,
  type CallLimits,
  DEFAULT_LIMITS,
  describeAwsError,
  isAccessDenied,
  isMissingCredentials,
  isNotFound,
  recordAttempts,
  requestHandler,
  SDK_MAX_ATTEMPTS
} from './client.js'

/** A repository's pip index, ready for `--index-url`. */
export interface CodeArtifactIndex {
  /** `https://aws:<token>@<host>/pypi/<repository>/simple/`: give to pip, never log. */
  url: string
  /** The same without credentials: for logs and the cache key. */
  publicUrl: string
  token: string
  expiresAt?: Date
}

/**
 * How long a token is valid. CodeArtifact accepts 900 (its minimum) to 43200
 * seconds, or 0 for the lifetime of the role session. An hour covers the
 * longest builds (source builds included) with little to spare.
 */
export const TOKEN_DURATION_SECONDS = 3600

/** The repository as the input writes it: `[owner/]domain/repository`. */
export function codeArtifactLabel(repo: CodeArtifactRepository): string {
  return [repo.domainOwner, repo.domain, repo.repository].filter(Boolean).join('/')
}

/**
 * A CodeArtifact client for `region` with the default credential chain and
 * the SDK's `standard` retry mode. The SDK itself honours
 * `AWS_ENDPOINT_URL_CODEARTIFACT` and `AWS_ENDPOINT_URL`.
 */
export function createCodeArtifactClient(
  region: string,
  limits: CallLimits = DEFAULT_LIMITS
): CodeartifactClient {
  return recordAttempts(
    new CodeartifactClient({
      region,
      retryMode: 'standard',
      maxAttempts: SDK_MAX_ATTEMPTS,
      requestHandler: requestHandler(limits)
    })
  )
}

/**
 * The simple index under a repository endpoint (`…/pypi/<repository>/`, with
 * or without the trailing slash): with the token as basic-auth password
 * (user `aws`, token percent-encoded), and without credentials.
 */
export function indexUrls(
  repositoryEndpoint: string,
  token: string
): { url: string; publicUrl: string } {
  let endpoint: URL | undefined
  try {
    endpoint = new URL(repositoryEndpoint)
  } catch {
    endpoint = undefined
  }
  if (endpoint?.protocol !== 'https:' && endpoint?.protocol !== 'http:') {
    throw new ActionError(
      `CodeArtifact GetRepositoryEndpoint answered "${repositoryEndpoint}", which is not an http(s) URL.`
    )
  }
  const where = `${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}/simple/`
  return {
    url: `${endpoint.protocol}//aws:${encodeURIComponent(token)}@${where}`,
    publicUrl: `${endpoint.protocol}//${where}`
  }
}

async function regionOf(client: CodeartifactClient): Promise<string | undefined> {
  try {
    return await client.config.region()
  } catch {
    return undefined
  }
}

/** How every error of codeArtifactIndex() starts. */
function reading(repo: CodeArtifactRepository): string {
  return `Reading CodeArtifact repository ${codeArtifactLabel(repo)} (input \`codeartifact\`)`
}

/** Removes the token from a text that is about to be shown. */
function redact(text: string, token: string | undefined): string {
  if (!token) return text
  return text.split(token).join('***').split(encodeURIComponent(token)).join('***')
}

async function apiError(
  client: CodeartifactClient,
  repo: CodeArtifactRepository,
  step: 'token' | 'endpoint',
  error: unknown,
  token?: string
): Promise<unknown> {
  const operation = step === 'token' ? 'GetAuthorizationToken' : 'GetRepositoryEndpoint'
  const what = `${reading(repo)}: ${operation}`
  const detail = redact(describeAwsError(error), token)
  if (isMissingCredentials(error)) {
    return new ActionError(
      `${what} failed: no AWS credentials found. Add aws-actions/configure-aws-credentials before this step (OIDC: \`permissions: id-token: write\`) with a role that may read the repository.`
    )
  }
  if (isAccessDenied(error)) {
    const crossAccount = repo.domainOwner
      ? ` Domain ${repo.domain} belongs to account ${repo.domainOwner}: its domain and repository policies must also allow the role.`
      : ''
    return new ActionError(
      `${what} was refused: the credentials need codeartifact:GetAuthorizationToken on domain ${repo.domain}, codeartifact:GetRepositoryEndpoint and codeartifact:ReadFromRepository on repository ${repo.repository}, and sts:GetServiceBearerToken (condition sts:AWSServiceName = codeartifact.amazonaws.com).${crossAccount} ${detail}`
    )
  }
  if (isNotFound(error)) {
    const region = await regionOf(client)
    const account = repo.domainOwner ? `account ${repo.domainOwner}` : "the credentials' account"
    const missing =
      step === 'token'
        ? `domain ${repo.domain} does not exist`
        : `repository ${repo.repository} does not exist in domain ${repo.domain}`
    return new ActionError(
      `${what} failed: ${missing} in ${region ? `region ${region}` : 'this region'} and ${account}. Check the input and the \`region\` the action runs in. ${detail}`
    )
  }
  // CallTimeoutError, CancelledError and every other ActionError already say what happened.
  if (error instanceof ActionError) return error
  return new ActionError(`${what} failed: ${detail}`)
}

/**
 * Gets an authorization token and the repository's pip endpoint, and returns
 * the index URL with the token as credentials. The token is registered as a
 * secret so that it is masked wherever it is logged.
 */
export async function codeArtifactIndex(
  client: CodeartifactClient,
  repo: CodeArtifactRepository,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<CodeArtifactIndex> {
  const owner = repo.domainOwner ? { domainOwner: repo.domainOwner } : {}
  const label = codeArtifactLabel(repo)

  let authorization
  try {
    authorization = await call(
      `CodeArtifact GetAuthorizationToken (domain ${repo.domain})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(
          new GetAuthorizationTokenCommand({
            domain: repo.domain,
            ...owner,
            durationSeconds: TOKEN_DURATION_SECONDS
          }),
          { abortSignal }
        ),
      { repeat: true }
    )
  } catch (error) {
    throw await apiError(client, repo, 'token', error)
  }
  const token = authorization.authorizationToken
  if (!token) {
    throw new ActionError(`${reading(repo)}: GetAuthorizationToken answered without a token.`)
  }
  core.setSecret(token)
  const encoded = encodeURIComponent(token)
  if (encoded !== token) core.setSecret(encoded)

  let endpoint
  try {
    endpoint = await call(
      `CodeArtifact GetRepositoryEndpoint (${label})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(
          new GetRepositoryEndpointCommand({
            domain: repo.domain,
            ...owner,
            repository: repo.repository,
            format: 'pypi'
          }),
          { abortSignal }
        ),
      { repeat: true }
    )
  } catch (error) {
    throw await apiError(client, repo, 'endpoint', error, token)
  }
  const repositoryEndpoint = endpoint.repositoryEndpoint
  if (!repositoryEndpoint) {
    throw new ActionError(`${reading(repo)}: GetRepositoryEndpoint answered without an endpoint.`)
  }
  const { url, publicUrl } = indexUrls(repositoryEndpoint, token)
  const expiresAt = authorization.expiration
  core.info(
    `CodeArtifact index for ${label}: ${publicUrl}${expiresAt ? ` (token valid until ${expiresAt.toISOString()})` : ''}`
  )
  return expiresAt ? { url, publicUrl, token, expiresAt } : { url, publicUrl, token }
}
