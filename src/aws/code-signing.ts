/**
 * The code signing configurations of the functions a layer is attached to,
 * read in the preflight. Lambda checks every layer of a function whose
 * configuration enforces signatures (UntrustedArtifactOnDeployment
 * Enforce) and refuses one not signed by an allowed profile at
 * UpdateFunctionConfiguration, after the layer is published; so such a
 * function is refused before anything is built or published, unless
 * `signing-profile` is one of its allowed profiles. In Warn mode Lambda
 * attaches it and logs a warning: so does the action.
 */
import {
  GetCodeSigningConfigCommand,
  GetFunctionCodeSigningConfigCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { call, type CallLimits, describeAwsError, isAccessDenied, isNotFound } from './client.js'

/** A function's code signing configuration, as the preflight read it. */
export type CodeSigning =
  | { kind: 'none' }
  | {
      kind: 'config'
      arn: string
      /** UntrustedArtifactOnDeployment: Enforce refuses an unsigned layer, Warn logs it. */
      mode: 'Enforce' | 'Warn'
      /** The signing profile version ARNs it allows. */
      profiles: string[]
    }
  /** Not readable (permissions): left to Lambda. */
  | { kind: 'unreadable'; why: string }

/**
 * Reads a function's code signing configuration; `configs` shares the
 * reading of one configuration between the functions that name it.
 */
export async function readCodeSigning(
  client: LambdaClient,
  functionArn: string,
  limits: CallLimits,
  configs: Map<string, Promise<CodeSigning>>
): Promise<CodeSigning> {
  let arn: string | undefined
  try {
    const found = await call(
      `GetFunctionCodeSigningConfig (${functionArn})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: functionArn }), {
          abortSignal
        }),
      { repeat: true }
    )
    arn = found?.CodeSigningConfigArn
  } catch (error) {
    if (isNotFound(error)) return { kind: 'none' }
    if (isAccessDenied(error)) {
      return { kind: 'unreadable', why: 'lambda:GetFunctionCodeSigningConfig was refused' }
    }
    throw error
  }
  if (!arn) return { kind: 'none' }
  const config = arn
  let reading = configs.get(config)
  if (!reading) {
    reading = readConfig(client, config, limits)
    configs.set(config, reading)
  }
  return await reading
}

async function readConfig(
  client: LambdaClient,
  arn: string,
  limits: CallLimits
): Promise<CodeSigning> {
  try {
    const got = await call(
      `GetCodeSigningConfig (${arn})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }), {
          abortSignal
        }),
      { repeat: true }
    )
    const config = got?.CodeSigningConfig
    return {
      kind: 'config',
      arn,
      mode:
        config?.CodeSigningPolicies?.UntrustedArtifactOnDeployment === 'Enforce'
          ? 'Enforce'
          : 'Warn',
      profiles: config?.AllowedPublishers?.SigningProfileVersionArns ?? []
    }
  } catch (error) {
    if (isAccessDenied(error)) {
      return { kind: 'unreadable', why: `lambda:GetCodeSigningConfig on ${arn} was refused` }
    }
    if (isNotFound(error)) return { kind: 'unreadable', why: `${arn} was not found` }
    return { kind: 'unreadable', why: `GetCodeSigningConfig failed: ${describeAwsError(error)}` }
  }
}

/**
 * What the code signing of the functions means for this layer: unsigned, or
 * signed by `signedBy` (the signing-profile, as read in the function's
 * region). Refused: a function that enforces signatures and does not allow
 * the layer's signer. Warned: the same in Warn mode.
 */
export function signingProblems(
  functions: ReadonlyArray<{
    functionArn: string
    signing: CodeSigning
    signedBy?: { name: string; versionArn: string }
  }>
): {
  refused: string[]
  warned: string[]
  unreadable: string[]
} {
  const refused: string[] = []
  const warned: string[] = []
  const unreadable: string[] = []
  for (const { functionArn, signing, signedBy } of functions) {
    if (signing.kind === 'unreadable') {
      unreadable.push(`${functionArn}: ${signing.why}`)
      continue
    }
    if (signing.kind !== 'config') continue
    if (signedBy && signing.profiles.includes(signedBy.versionArn)) continue
    const allowed = signing.profiles.length > 0 ? signing.profiles.join(', ') : 'none listed'
    const layer = signedBy
      ? `the layer is signed by \`signing-profile\` ${signedBy.name} (${signedBy.versionArn}), which is not among them`
      : 'this layer is not signed (set `signing-profile` to one of them, with `s3-bucket`)'
    if (signing.mode === 'Enforce') {
      refused.push(
        `${functionArn}: its code signing configuration ${signing.arn} enforces signatures (allowed signing profiles: ${allowed}), and ${layer}, so Lambda would refuse it`
      )
    } else {
      warned.push(
        `${functionArn}: its code signing configuration ${signing.arn} is in Warn mode (allowed signing profiles: ${allowed}), and ${layer}; Lambda attaches it and logs a signature warning`
      )
    }
  }
  return { refused, warned, unreadable }
}
