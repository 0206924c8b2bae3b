import { beforeEach, describe, expect, it } from '@jest/globals'
import {
  GetCodeSigningConfigCommand,
  GetFunctionCodeSigningConfigCommand,
  LambdaClient,
  LambdaServiceException
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import {
  type CodeSigning,
  readCodeSigning,
  signingProblems
} from '../../../src/aws/code-signing.js'

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })
const limits = { callTimeoutMs: 5000 }
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:orders'
const CSC = 'arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-1'
const PROFILE = 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/layers/abc'

const denied = () =>
  new LambdaServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
    message: 'not allowed'
  })

beforeEach(() => {
  lambda.reset()
})

describe('readCodeSigning', () => {
  it('reads the configuration a function names, once for the functions that share it', async () => {
    lambda.on(GetFunctionCodeSigningConfigCommand).resolves({ CodeSigningConfigArn: CSC })
    lambda.on(GetCodeSigningConfigCommand).resolves({
      CodeSigningConfig: {
        CodeSigningConfigId: 'csc-1',
        CodeSigningConfigArn: CSC,
        AllowedPublishers: { SigningProfileVersionArns: [PROFILE] },
        CodeSigningPolicies: { UntrustedArtifactOnDeployment: 'Enforce' },
        LastModified: ''
      }
    })
    const configs = new Map<string, Promise<CodeSigning>>()
    const expected = { kind: 'config', arn: CSC, mode: 'Enforce', profiles: [PROFILE] }
    expect(await readCodeSigning(client, FN, limits, configs)).toEqual(expected)
    expect(await readCodeSigning(client, `${FN}-2`, limits, configs)).toEqual(expected)
    expect(lambda.commandCalls(GetCodeSigningConfigCommand)).toHaveLength(1)
  })

  it('is none for a function without one', async () => {
    lambda.on(GetFunctionCodeSigningConfigCommand).resolves({ FunctionName: 'orders' })
    expect(await readCodeSigning(client, FN, limits, new Map())).toEqual({ kind: 'none' })
  })

  it('leaves it to Lambda when the permission is refused', async () => {
    lambda.on(GetFunctionCodeSigningConfigCommand).rejects(denied())
    expect(await readCodeSigning(client, FN, limits, new Map())).toEqual({
      kind: 'unreadable',
      why: 'lambda:GetFunctionCodeSigningConfig was refused'
    })
  })
})

describe('signingProblems', () => {
  it('refuses an enforcing function, naming its profiles; warns of one in Warn mode', () => {
    const problems = signingProblems([
      {
        functionArn: FN,
        signing: { kind: 'config', arn: CSC, mode: 'Enforce', profiles: [PROFILE] }
      },
      {
        functionArn: `${FN}-warn`,
        signing: { kind: 'config', arn: CSC, mode: 'Warn', profiles: [] }
      },
      { functionArn: `${FN}-plain`, signing: { kind: 'none' } }
    ])
    expect(problems.refused).toEqual([
      `${FN}: its code signing configuration ${CSC} enforces signatures (allowed signing profiles: ${PROFILE}), and this layer is not signed (set \`signing-profile\` to one of them, with \`s3-bucket\`), so Lambda would refuse it`
    ])
    expect(problems.warned).toHaveLength(1)
    expect(problems.warned[0]).toMatch(/-warn: .* Warn mode/)
    expect(problems.unreadable).toEqual([])
  })
})

describe('signingProblems with signing-profile', () => {
  const enforce = (profiles: string[]): CodeSigning => ({
    kind: 'config',
    arn: CSC,
    mode: 'Enforce',
    profiles
  })
  const ours = { name: 'layers', versionArn: PROFILE }

  it('accepts a function that allows the profile, in either mode', () => {
    const problems = signingProblems([
      { functionArn: FN, signing: enforce([`${PROFILE}-old`, PROFILE]), signedBy: ours },
      {
        functionArn: `${FN}-warn`,
        signing: { kind: 'config', arn: CSC, mode: 'Warn', profiles: [PROFILE] },
        signedBy: ours
      }
    ])
    expect(problems).toEqual({ refused: [], warned: [], unreadable: [] })
  })

  it('refuses one that enforces other profiles, naming both', () => {
    const other = `${PROFILE}-other`
    const problems = signingProblems([
      { functionArn: FN, signing: enforce([other]), signedBy: ours }
    ])
    expect(problems.refused).toEqual([
      `${FN}: its code signing configuration ${CSC} enforces signatures (allowed signing profiles: ${other}), and the layer is signed by \`signing-profile\` layers (${PROFILE}), which is not among them, so Lambda would refuse it`
    ])
  })
})
