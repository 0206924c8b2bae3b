/**
 * Sharing a layer version with other AWS accounts, an organization or everyone
 * (`share-with`): the parsing of the input, and the sync of the version's
 * resource-based policy. Only statements whose ID starts with
 * STATEMENT_ID_PREFIX belong to the action; any other statement is left alone.
 */
import * as core from '@actions/core'
import {
  AddLayerVersionPermissionCommand,
  GetLayerVersionPolicyCommand,
  type LambdaClient,
  RemoveLayerVersionPermissionCommand
} from '@aws-sdk/client-lambda'
import { ACCOUNT_ID, IAM_ROOT, type Principal, principalKey } from '../aws-inputs/index.js'
import { ActionError } from '../errors.js'
import { CancelledError, cancellation } from '../util/cancel.js'
import { listOrNone } from '../util/format.js'
import {
  awsErrorName,
  call,
  type CallLimits,
  DEFAULT_LIMITS,
  describeAwsError,
  isNotFound,
  callError
} from './client.js'

/** The start of every statement ID the action writes; statements without it are never touched. */
export const STATEMENT_ID_PREFIX = 'lambda-python-layer-'

/** The only action a layer version policy grants. */
const GET_LAYER_VERSION = 'lambda:GetLayerVersion'

/**
 * The ID of the statement that grants `principal`: derived from the principal
 * alone, so a re-run finds the statement it wrote. Matches the StatementId
 * pattern of AddLayerVersionPermission ([a-zA-Z0-9-_]+, at most 100
 * characters): an organization ID has at most 34 characters.
 */
export function statementId(principal: Principal): string {
  switch (principal.kind) {
    case 'account':
      return `${STATEMENT_ID_PREFIX}account-${principal.id}`
    case 'organization':
      return `${STATEMENT_ID_PREFIX}org-${principal.id}`
    case 'public':
      return `${STATEMENT_ID_PREFIX}public`
  }
}

/** "account 111122223333", "organization o-a1b2c3d4e5", "everyone (public)". */
export function principalLabel(principal: Principal): string {
  switch (principal.kind) {
    case 'account':
      return `account ${principal.id}`
    case 'organization':
      return `organization ${principal.id}`
    case 'public':
      return 'everyone (public)'
  }
}

function samePrincipal(a: Principal | undefined, b: Principal): boolean {
  return a !== undefined && principalKey(a) === principalKey(b)
}

/** One statement of a layer version policy, as far as this module reads it. */
export interface PolicyStatement {
  Sid?: unknown
  Effect?: unknown
  Action?: unknown
  Principal?: unknown
  Condition?: unknown
  OrganizationId?: unknown
}

/** A value that IAM lets be a string or a list of strings, when it holds exactly one string. */
function single(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0]
  return undefined
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/**
 * The organization a statement is limited to: undefined when it has no
 * condition, null when its condition is anything but one
 * `StringEquals aws:PrincipalOrgID`.
 */
function organizationOf(statement: PolicyStatement): string | undefined | null {
  if (statement.Condition === undefined) {
    if (statement.OrganizationId === undefined) return undefined
    return single(statement.OrganizationId) ?? null
  }
  if (statement.OrganizationId !== undefined) return null
  const operators = Object.entries(record(statement.Condition) ?? {})
  if (operators.length !== 1 || operators[0][0] !== 'StringEquals') return null
  const keys = Object.entries(record(operators[0][1]) ?? {})
  if (keys.length !== 1 || keys[0][0].toLowerCase() !== 'aws:principalorgid') return null
  return single(keys[0][1]) ?? null
}

/**
 * Who a statement lets use the layer version, or undefined when it is not a
 * plain `Allow lambda:GetLayerVersion` to one principal. Lambda writes an
 * account as `{"AWS": "arn:aws:iam::<account>:root"}` and an organization as
 * Principal `*` with the condition `StringEquals aws:PrincipalOrgID`. A bare
 * account ID, and an `OrganizationId` field beside Principal `*` (the
 * request's fields kept as sent, which is what moto 5.2.1 returns), are read
 * too.
 */
export function grantOf(statement: PolicyStatement): Principal | undefined {
  if (statement.Effect !== 'Allow' || single(statement.Action) !== GET_LAYER_VERSION) {
    return undefined
  }
  const principal = single(record(statement.Principal)?.AWS ?? statement.Principal)
  if (principal === undefined) return undefined
  const organization = organizationOf(statement)
  if (organization === null) return undefined
  const account = ACCOUNT_ID.test(principal) ? principal : IAM_ROOT.exec(principal)?.[1]
  if (account !== undefined) {
    return organization === undefined ? { kind: 'account', id: account } : undefined
  }
  if (principal !== '*') return undefined
  return organization === undefined
    ? { kind: 'public' }
    : { kind: 'organization', id: organization }
}

/** The sync of one layer version's sharing. */
export interface ShareRequest {
  /** The `layer-name` input as given: a name or a layer ARN. */
  layerName: string
  /** The layer version whose policy is synced (the one published or reused). */
  version: number
  /** Everyone who should be able to use the version, as parsed by parseShareWith. */
  principals: readonly Principal[]
}

/** What the sync did, as principal labels ("account 111122223333", …). */
export interface ShareResult {
  /** Granted now; includes a statement of ours that granted something else and was replaced. */
  added: string[]
  /** Statements of ours for principals no longer listed, removed. */
  removed: string[]
  /** Already granted by a statement of ours. */
  kept: string[]
}

/** The statements of the version's policy; none when it has no policy yet. */
async function readStatements(
  client: LambdaClient,
  layerName: string,
  version: number,
  limits: CallLimits
): Promise<PolicyStatement[]> {
  let policy: string | undefined
  try {
    const got = await call(
      `GetLayerVersionPolicy (layer ${layerName}, version ${version})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(
          new GetLayerVersionPolicyCommand({ LayerName: layerName, VersionNumber: version }),
          { abortSignal }
        ),
      { repeat: true }
    )
    policy = got.Policy
  } catch (error) {
    // A version nobody was granted anything on has no policy at all.
    if (isNotFound(error)) return []
    throw callError(
      `Reading the policy of version ${version} of layer ${layerName}`,
      'lambda:GetLayerVersionPolicy',
      error
    )
  }
  if (policy === undefined || policy === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(policy)
  } catch {
    throw new ActionError(
      `GetLayerVersionPolicy returned a policy that is not JSON for version ${version} of layer ${layerName}.`
    )
  }
  const statements = record(parsed)?.Statement
  if (Array.isArray(statements)) return statements.filter(s => record(s) !== undefined)
  return record(statements) ? [statements as PolicyStatement] : []
}

function isOurs(statement: PolicyStatement): statement is PolicyStatement & { Sid: string } {
  return typeof statement.Sid === 'string' && statement.Sid.startsWith(STATEMENT_ID_PREFIX)
}

/** A statement is added only when missing: a conflict saying it already exists means it is there. */
function alreadyExists(error: unknown): boolean {
  return (
    awsErrorName(error) === 'ResourceConflictException' &&
    /already exists/i.test(describeAwsError(error))
  )
}

/**
 * Makes the version's policy grant `lambda:GetLayerVersion` to exactly the
 * listed principals, as far as the action's own statements go:
 *
 * - a listed principal without its statement gets one (AddLayerVersionPermission);
 * - a statement of ours for a principal no longer listed is removed
 *   (RemoveLayerVersionPermission), after every addition, so that a principal
 *   still listed never loses access on the way;
 * - a statement with our ID that grants something else than its ID says is
 *   replaced (removed, then added);
 * - statements without our prefix are never touched.
 *
 * AddLayerVersionPermission is not idempotent: when it is refused because the
 * statement already exists (an attempt whose answer was lost, or a concurrent
 * run), the policy is read again and the statement counts as kept if it grants
 * the expected principal. No RevisionId is sent: each statement is written or
 * removed by its own ID.
 *
 * Errors are ActionErrors naming the permission that is missing and saying what
 * was already changed.
 */
export async function syncLayerPermissions(
  client: LambdaClient,
  request: ShareRequest,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<ShareResult> {
  const { layerName, version } = request
  const target = `version ${version} of layer ${layerName}`
  const result: ShareResult = { added: [], removed: [], kept: [] }
  const wanted = new Map<string, Principal>()
  for (const principal of request.principals) wanted.set(statementId(principal), principal)

  const statements = (await readStatements(client, layerName, version, limits)).filter(isOurs)
  const bySid = new Map<string, PolicyStatement[]>()
  for (const statement of statements) {
    bySid.set(statement.Sid, [...(bySid.get(statement.Sid) ?? []), statement])
  }

  const describeDone = (): string => {
    const parts = [
      result.added.length ? `granted ${result.added.join(', ')}` : '',
      result.removed.length ? `revoked ${result.removed.join(', ')}` : ''
    ].filter(Boolean)
    return parts.length ? ` Already done on ${target}: ${parts.join('; ')}.` : ''
  }
  const beforeChange = (): void => {
    if (cancellation.requested) {
      throw new CancelledError(
        cancellation.requested,
        `The run was cancelled (${cancellation.requested}) while sharing ${target}.${describeDone() || ' Nothing was changed.'}`
      )
    }
  }
  const failed = (error: ActionError): ActionError =>
    error instanceof CancelledError ? error : new ActionError(`${error.message}${describeDone()}`)

  const remove = async (sid: string): Promise<void> => {
    beforeChange()
    try {
      await call(
        `RemoveLayerVersionPermission (layer ${layerName}, version ${version}, statement ${sid})`,
        limits.callTimeoutMs,
        abortSignal =>
          client.send(
            new RemoveLayerVersionPermissionCommand({
              LayerName: layerName,
              VersionNumber: version,
              StatementId: sid
            }),
            { abortSignal }
          )
      )
    } catch (error) {
      // Removed meanwhile (a concurrent run): the goal is reached all the same.
      if (isNotFound(error)) return
      throw failed(
        callError(
          `Removing statement ${sid} from ${target}`,
          'lambda:RemoveLayerVersionPermission',
          error
        )
      )
    }
  }

  /** Adds the statement; true when it was added now, false when it already existed. */
  const add = async (sid: string, principal: Principal): Promise<boolean> => {
    beforeChange()
    try {
      await call(
        `AddLayerVersionPermission (layer ${layerName}, version ${version}, statement ${sid})`,
        limits.callTimeoutMs,
        abortSignal =>
          client.send(
            new AddLayerVersionPermissionCommand({
              LayerName: layerName,
              VersionNumber: version,
              StatementId: sid,
              Action: GET_LAYER_VERSION,
              Principal: principal.kind === 'account' ? principal.id : '*',
              ...(principal.kind === 'organization' ? { OrganizationId: principal.id } : {})
            }),
            { abortSignal }
          )
      )
      return true
    } catch (error) {
      if (!alreadyExists(error)) {
        throw failed(
          callError(
            `Granting ${principalLabel(principal)} access to ${target}`,
            'lambda:AddLayerVersionPermission',
            error
          )
        )
      }
    }
    const now = (await readStatements(client, layerName, version, limits)).filter(
      s => s.Sid === sid
    )
    if (now.length > 0 && now.every(s => samePrincipal(grantOf(s), principal))) return false
    throw failed(
      new ActionError(
        `Granting ${principalLabel(principal)} access to ${target}: Lambda says statement ${sid} already exists, but ${now.length === 0 ? 'the policy read again has no such statement' : 'it grants something else'}. Another run may be changing this layer's sharing at the same time; run again.`
      )
    )
  }

  for (const [sid, principal] of wanted) {
    const label = principalLabel(principal)
    const present = bySid.get(sid) ?? []
    if (present.length > 0 && present.every(s => samePrincipal(grantOf(s), principal))) {
      result.kept.push(label)
      continue
    }
    if (present.length > 0) {
      const was = present.map(s => grantOf(s))
      core.info(
        `Statement ${sid} on ${target} grants ${listOrNone(was.map(p => (p ? principalLabel(p) : 'something else')))}, not ${label}: replacing it.`
      )
      await remove(sid)
    }
    if (await add(sid, principal)) {
      core.info(`Granted ${label} ${GET_LAYER_VERSION} on ${target} (statement ${sid}).`)
      result.added.push(label)
    } else {
      core.info(`${label} already has ${GET_LAYER_VERSION} on ${target} (statement ${sid}).`)
      result.kept.push(label)
    }
  }

  for (const [sid, present] of bySid) {
    if (wanted.has(sid)) continue
    const granted = grantOf(present[0])
    const label = granted ? principalLabel(granted) : `statement ${sid}`
    await remove(sid)
    core.info(`Revoked ${label}'s access to ${target} (statement ${sid}).`)
    result.removed.push(label)
  }
  return result
}
