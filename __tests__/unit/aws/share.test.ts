import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  AddLayerVersionPermissionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  LambdaServiceException,
  RemoveLayerVersionPermissionCommand,
  ResourceConflictException,
  ResourceNotFoundException
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { grantOf, principalLabel, STATEMENT_ID_PREFIX, statementId, syncLayerPermissions } =
  await import('../../../src/aws/share.js')
const { parseShareWith } = await import('../../../src/aws-inputs/index.js')
const { ActionError } = await import('../../../src/errors.js')
type Principal = import('../../../src/aws-inputs/index.js').Principal

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })

const LAYER_VERSION_ARN = 'arn:aws:lambda:us-east-1:123456789012:layer:deps:7'
const ACCOUNT: Principal = { kind: 'account', id: '111122223333' }
const OTHER_ACCOUNT: Principal = { kind: 'account', id: '444455556666' }
const ORG: Principal = { kind: 'organization', id: 'o-a1b2c3d4e5' }
const PUBLIC: Principal = { kind: 'public' }

/** A statement the way Lambda writes it into a layer version policy. */
function awsStatement(sid: string, principal: Principal): Record<string, unknown> {
  const base = {
    Sid: sid,
    Effect: 'Allow',
    Action: 'lambda:GetLayerVersion',
    Resource: LAYER_VERSION_ARN
  }
  switch (principal.kind) {
    case 'account':
      return { ...base, Principal: { AWS: `arn:aws:iam::${principal.id}:root` } }
    case 'organization':
      return {
        ...base,
        Principal: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': principal.id } }
      }
    case 'public':
      return { ...base, Principal: '*' }
  }
}

function policy(...statements: Array<Record<string, unknown>>) {
  return {
    Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }),
    RevisionId: 'rev-1'
  }
}

const noPolicy = () =>
  new ResourceNotFoundException({
    message: 'No policy is associated with the given resource.',
    $metadata: { httpStatusCode: 404 }
  })

const denied = () =>
  new LambdaServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: 'not authorized',
    $metadata: { httpStatusCode: 403 }
  })

const request = (principals: Principal[]) => ({ layerName: 'deps', version: 7, principals })

function addedSids(): string[] {
  return lambda
    .commandCalls(AddLayerVersionPermissionCommand)
    .map(c => c.args[0].input.StatementId ?? '')
}

function removedSids(): string[] {
  return lambda
    .commandCalls(RemoveLayerVersionPermissionCommand)
    .map(c => c.args[0].input.StatementId ?? '')
}

/** The changes sent, in order: "<command> <statement ID>". */
function changes(): string[] {
  return lambda
    .calls()
    .map(c => c.args[0] as { constructor: { name: string }; input: { StatementId?: string } })
    .filter(command => command.constructor.name !== 'GetLayerVersionPolicyCommand')
    .map(command => `${command.constructor.name} ${command.input.StatementId ?? ''}`)
}

beforeEach(() => {
  lambda.reset()
})

describe('parseShareWith', () => {
  it.each([
    ['', []],
    ['   \n ', []],
    ['111122223333', [ACCOUNT]],
    ['o-a1b2c3d4e5', [ORG]],
    ['*', [PUBLIC]],
    ['* *', [PUBLIC]],
    [
      '111122223333, o-a1b2c3d4e5\n444455556666',
      [ACCOUNT, ORG, { kind: 'account', id: '444455556666' }]
    ],
    ['111122223333 111122223333,o-a1b2c3d4e5 o-a1b2c3d4e5', [ACCOUNT, ORG]],
    [`o-${'a'.repeat(32)}`, [{ kind: 'organization', id: `o-${'a'.repeat(32)}` }]]
  ])('parses %j', (value, expected) => {
    expect(parseShareWith(value)).toEqual(expected)
  })

  it.each([
    ['11112222333', /"11112222333": it has 11 digits, an AWS account ID has 12.*quote it/],
    ['1111222233334', /"1111222233334": it has 13 digits/],
    [
      '1111-2222-3333',
      /"1111-2222-3333": write the account ID as 12 digits without dashes \(111122223333\)/
    ],
    ['arn:aws:iam::111122223333:root', /write the account ID alone \(111122223333\)/],
    ['o-A1B2C3D4E5', /"o-A1B2C3D4E5": AWS Organizations IDs are lowercase \(o-a1b2c3d4e5\)/],
    ['o-a1b2', /"o-a1b2": an AWS Organizations ID is "o-" and 10 to 32 lowercase letters/],
    [
      'everyone',
      /"everyone": expected a 12-digit AWS account ID.*AWS Organizations ID.*\* to make the layer public/
    ],
    ['r-ab12', /"r-ab12": expected/]
  ])('refuses %j naming the input and the entry', (value, message) => {
    let thrown: unknown
    try {
      parseShareWith(`111122223333 ${value}`)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ActionError)
    expect((thrown as Error).message).toMatch(/^Input `share-with` has an invalid entry /)
    expect((thrown as Error).message).toMatch(message)
  })

  it('refuses * together with other entries, saying what * means', () => {
    expect(() => parseShareWith('111122223333 *')).toThrow(
      /Input `share-with` lists \* together with 111122223333: \* makes the layer public to every AWS account.*Write `\*` alone/
    )
    expect(() => parseShareWith('*,o-a1b2c3d4e5')).toThrow(ActionError)
  })
})

describe('statementId', () => {
  const longestOrg: Principal = { kind: 'organization', id: `o-${'z9'.repeat(16)}` }

  it.each([ACCOUNT, ORG, PUBLIC, longestOrg])(
    'is a valid StatementId with our prefix for %j',
    principal => {
      const sid = statementId(principal)
      expect(sid).toMatch(/^[a-zA-Z0-9_-]{1,100}$/)
      expect(sid.startsWith(STATEMENT_ID_PREFIX)).toBe(true)
    }
  )

  it('is stable and distinct per principal', () => {
    expect(statementId({ kind: 'account', id: '111122223333' })).toBe(statementId(ACCOUNT))
    const sids = [ACCOUNT, OTHER_ACCOUNT, ORG, PUBLIC].map(statementId)
    expect(new Set(sids).size).toBe(4)
  })
})

describe('principalLabel', () => {
  it.each([
    [ACCOUNT, 'account 111122223333'],
    [ORG, 'organization o-a1b2c3d4e5'],
    [PUBLIC, 'everyone (public)']
  ])('labels %j', (principal, label) => {
    expect(principalLabel(principal)).toBe(label)
  })
})

describe('grantOf', () => {
  it.each([ACCOUNT, ORG, PUBLIC])('reads what Lambda writes for %j', principal => {
    expect(grantOf(awsStatement('x', principal))).toEqual(principal)
  })

  it('reads the form moto returns (the request fields as sent)', () => {
    const base = { Sid: 'x', Effect: 'Allow', Action: 'lambda:GetLayerVersion' }
    expect(grantOf({ ...base, Principal: '111122223333' })).toEqual(ACCOUNT)
    expect(grantOf({ ...base, Principal: '*', OrganizationId: 'o-a1b2c3d4e5' })).toEqual(ORG)
  })

  it.each([
    ['a Deny', { ...awsStatement('x', ACCOUNT), Effect: 'Deny' }],
    ['another action', { ...awsStatement('x', ACCOUNT), Action: 'lambda:*' }],
    [
      'a service principal',
      { ...awsStatement('x', PUBLIC), Principal: { Service: 's3.amazonaws.com' } }
    ],
    [
      'another condition',
      { ...awsStatement('x', PUBLIC), Condition: { StringEquals: { 'aws:SourceAccount': '1' } } }
    ],
    ['two principals', { ...awsStatement('x', PUBLIC), Principal: { AWS: ['1', '2'] } }]
  ])('reads nothing from %s', (_name, statement) => {
    expect(grantOf(statement)).toBeUndefined()
  })
})

describe('syncLayerPermissions', () => {
  it('adds a statement for each principal on a version without a policy', async () => {
    lambda.on(GetLayerVersionPolicyCommand).rejects(noPolicy())
    lambda.on(AddLayerVersionPermissionCommand).resolves({})
    const result = await syncLayerPermissions(client, request([ACCOUNT, ORG]))
    expect(result).toEqual({
      added: ['account 111122223333', 'organization o-a1b2c3d4e5'],
      removed: [],
      kept: []
    })
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand).map(c => c.args[0].input)).toEqual(
      [
        {
          LayerName: 'deps',
          VersionNumber: 7,
          StatementId: statementId(ACCOUNT),
          Action: 'lambda:GetLayerVersion',
          Principal: '111122223333'
        },
        {
          LayerName: 'deps',
          VersionNumber: 7,
          StatementId: statementId(ORG),
          Action: 'lambda:GetLayerVersion',
          Principal: '*',
          OrganizationId: 'o-a1b2c3d4e5'
        }
      ]
    )
    expect(lambda.commandCalls(RemoveLayerVersionPermissionCommand)).toHaveLength(0)
  })

  it('grants everyone with Principal * and no OrganizationId', async () => {
    lambda.on(GetLayerVersionPolicyCommand).rejects(noPolicy())
    lambda.on(AddLayerVersionPermissionCommand).resolves({})
    await expect(syncLayerPermissions(client, request([PUBLIC]))).resolves.toEqual({
      added: ['everyone (public)'],
      removed: [],
      kept: []
    })
    const input = lambda.commandCalls(AddLayerVersionPermissionCommand)[0].args[0].input
    expect(input.Principal).toBe('*')
    expect(input).not.toHaveProperty('OrganizationId')
  })

  it('changes nothing when every statement is already there (a re-run)', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .resolves(
        policy(awsStatement(statementId(ACCOUNT), ACCOUNT), awsStatement(statementId(ORG), ORG))
      )
    await expect(syncLayerPermissions(client, request([ACCOUNT, ORG]))).resolves.toEqual({
      added: [],
      removed: [],
      kept: ['account 111122223333', 'organization o-a1b2c3d4e5']
    })
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand)).toHaveLength(0)
    expect(lambda.commandCalls(RemoveLayerVersionPermissionCommand)).toHaveLength(0)
  })

  it('removes our statements for principals no longer listed, and only those', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .resolves(
        policy(awsStatement(statementId(ACCOUNT), ACCOUNT), awsStatement(statementId(ORG), ORG))
      )
    lambda.on(RemoveLayerVersionPermissionCommand).resolves({})
    await expect(syncLayerPermissions(client, request([ACCOUNT]))).resolves.toEqual({
      added: [],
      removed: ['organization o-a1b2c3d4e5'],
      kept: ['account 111122223333']
    })
    expect(lambda.commandCalls(RemoveLayerVersionPermissionCommand)[0].args[0].input).toEqual({
      LayerName: 'deps',
      VersionNumber: 7,
      StatementId: statementId(ORG)
    })
  })

  it('never touches statements without our prefix', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .resolves(
        policy(
          awsStatement('xaccount', OTHER_ACCOUNT),
          awsStatement('engineering-org', ORG),
          awsStatement('lambda-python-layerpublic', PUBLIC)
        )
      )
    lambda.on(AddLayerVersionPermissionCommand).resolves({})
    await expect(syncLayerPermissions(client, request([]))).resolves.toEqual({
      added: [],
      removed: [],
      kept: []
    })
    await expect(syncLayerPermissions(client, request([ORG]))).resolves.toEqual({
      added: ['organization o-a1b2c3d4e5'],
      removed: [],
      kept: []
    })
    expect(lambda.commandCalls(RemoveLayerVersionPermissionCommand)).toHaveLength(0)
    expect(addedSids()).toEqual([statementId(ORG)])
  })

  it('removes a statement of ours it cannot read, labelled by its ID', async () => {
    const sid = `${STATEMENT_ID_PREFIX}something-old`
    lambda
      .on(GetLayerVersionPolicyCommand)
      .resolves(policy({ ...awsStatement(sid, ACCOUNT), Effect: 'Deny' }))
    lambda.on(RemoveLayerVersionPermissionCommand).resolves({})
    await expect(syncLayerPermissions(client, request([]))).resolves.toEqual({
      added: [],
      removed: [`statement ${sid}`],
      kept: []
    })
    expect(removedSids()).toEqual([sid])
  })

  it('replaces a statement with our ID that grants someone else: remove, then add', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .resolves(policy(awsStatement(statementId(ACCOUNT), OTHER_ACCOUNT)))
    lambda.on(RemoveLayerVersionPermissionCommand).resolves({})
    lambda.on(AddLayerVersionPermissionCommand).resolves({})
    await expect(syncLayerPermissions(client, request([ACCOUNT]))).resolves.toEqual({
      added: ['account 111122223333'],
      removed: [],
      kept: []
    })
    expect(changes()).toEqual([
      `RemoveLayerVersionPermissionCommand ${statementId(ACCOUNT)}`,
      `AddLayerVersionPermissionCommand ${statementId(ACCOUNT)}`
    ])
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand)[0].args[0].input.Principal).toBe(
      '111122223333'
    )
  })

  it('replaces an organization statement limited to another organization', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .resolves(
        policy(awsStatement(statementId(ORG), { kind: 'organization', id: 'o-zzzzzzzzzz' }))
      )
    lambda.on(RemoveLayerVersionPermissionCommand).resolves({})
    lambda.on(AddLayerVersionPermissionCommand).resolves({})
    await expect(syncLayerPermissions(client, request([ORG]))).resolves.toEqual({
      added: ['organization o-a1b2c3d4e5'],
      removed: [],
      kept: []
    })
    expect(removedSids()).toEqual([statementId(ORG)])
  })

  it('grants the new principals before revoking the old ones', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .resolves(policy(awsStatement(statementId(PUBLIC), PUBLIC)))
    lambda.on(RemoveLayerVersionPermissionCommand).resolves({})
    lambda.on(AddLayerVersionPermissionCommand).resolves({})
    await expect(syncLayerPermissions(client, request([ACCOUNT]))).resolves.toEqual({
      added: ['account 111122223333'],
      removed: ['everyone (public)'],
      kept: []
    })
    expect(changes()).toEqual([
      `AddLayerVersionPermissionCommand ${statementId(ACCOUNT)}`,
      `RemoveLayerVersionPermissionCommand ${statementId(PUBLIC)}`
    ])
  })

  it('counts a statement that already exists (a conflict on add) as kept, after reading it again', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .rejectsOnce(noPolicy())
      .resolves(policy(awsStatement(statementId(ACCOUNT), ACCOUNT)))
    lambda.on(AddLayerVersionPermissionCommand).rejects(
      new ResourceConflictException({
        message: `The statement id (${statementId(ACCOUNT)}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        $metadata: { httpStatusCode: 409 }
      })
    )
    await expect(syncLayerPermissions(client, request([ACCOUNT]))).resolves.toEqual({
      added: [],
      removed: [],
      kept: ['account 111122223333']
    })
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand)).toHaveLength(1)
    expect(lambda.commandCalls(GetLayerVersionPolicyCommand)).toHaveLength(2)
  })

  it('fails when the conflicting statement grants something else', async () => {
    lambda
      .on(GetLayerVersionPolicyCommand)
      .rejectsOnce(noPolicy())
      .resolves(policy(awsStatement(statementId(ACCOUNT), OTHER_ACCOUNT)))
    lambda.on(AddLayerVersionPermissionCommand).rejects(
      new ResourceConflictException({
        message: 'The statement id provided already exists.',
        $metadata: { httpStatusCode: 409 }
      })
    )
    await expect(syncLayerPermissions(client, request([ACCOUNT]))).rejects.toThrow(
      /already exists, but it grants something else.*Another run/
    )
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand)).toHaveLength(1)
  })

  it('does not take another conflict for an existing statement', async () => {
    lambda.on(GetLayerVersionPolicyCommand).rejects(noPolicy())
    lambda.on(AddLayerVersionPermissionCommand).rejects(
      new ResourceConflictException({
        message: 'The operation cannot be performed at this time.',
        $metadata: { httpStatusCode: 409 }
      })
    )
    await expect(syncLayerPermissions(client, request([ACCOUNT]))).rejects.toThrow(
      /Granting account 111122223333 access to version 7 of layer deps failed: ResourceConflictException/
    )
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand)).toHaveLength(1)
  })

  it('names lambda:GetLayerVersionPolicy when reading the policy is denied', async () => {
    lambda.on(GetLayerVersionPolicyCommand).rejects(denied())
    const error = await syncLayerPermissions(client, request([ACCOUNT])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toMatch(/lambda:GetLayerVersionPolicy/)
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand)).toHaveLength(0)
  })

  it('names lambda:AddLayerVersionPermission, and says what was done before, when adding is denied', async () => {
    lambda.on(GetLayerVersionPolicyCommand).rejects(noPolicy())
    lambda.on(AddLayerVersionPermissionCommand).resolvesOnce({}).rejects(denied())
    await expect(syncLayerPermissions(client, request([ACCOUNT, ORG]))).rejects.toThrow(
      /Granting organization o-a1b2c3d4e5 access .* \(the credentials need lambda:AddLayerVersionPermission\).*Already done on version 7 of layer deps: granted account 111122223333\./
    )
  })

  it('names lambda:RemoveLayerVersionPermission when removing is denied', async () => {
    lambda.on(GetLayerVersionPolicyCommand).resolves(policy(awsStatement(statementId(ORG), ORG)))
    lambda.on(RemoveLayerVersionPermissionCommand).rejects(denied())
    await expect(syncLayerPermissions(client, request([]))).rejects.toThrow(
      /lambda:RemoveLayerVersionPermission/
    )
  })

  it('takes a statement removed meanwhile as removed', async () => {
    lambda.on(GetLayerVersionPolicyCommand).resolves(policy(awsStatement(statementId(ORG), ORG)))
    lambda.on(RemoveLayerVersionPermissionCommand).rejects(noPolicy())
    await expect(syncLayerPermissions(client, request([]))).resolves.toEqual({
      added: [],
      removed: ['organization o-a1b2c3d4e5'],
      kept: []
    })
  })

  it('passes the layer ARN through as the layer name', async () => {
    const layerArn = 'arn:aws:lambda:us-east-1:123456789012:layer:deps'
    lambda.on(GetLayerVersionPolicyCommand).rejects(noPolicy())
    lambda.on(AddLayerVersionPermissionCommand).resolves({})
    await syncLayerPermissions(client, { layerName: layerArn, version: 7, principals: [ACCOUNT] })
    expect(lambda.commandCalls(GetLayerVersionPolicyCommand)[0].args[0].input.LayerName).toBe(
      layerArn
    )
    expect(lambda.commandCalls(AddLayerVersionPermissionCommand)[0].args[0].input.LayerName).toBe(
      layerArn
    )
  })
})
