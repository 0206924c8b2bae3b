/**
 * The layer version ARN in Parameter Store (`ssm-parameter`): the name
 * checked against Parameter Store's rules before anything runs, the
 * parameter read in the preflight (so missing permissions fail before
 * publishing), and written in each region only when it does not hold the
 * version already, so an unchanged re-run makes no write.
 */
import {
  GetParameterCommand,
  type Parameter,
  PutParameterCommand,
  SSMClient
} from '@aws-sdk/client-ssm'
import { ActionError } from '../errors.js'
import { parameterArn } from '../aws-inputs/index.js'
import {
  awsErrorName,
  call,
  type CallLimits,
  callError,
  DEFAULT_LIMITS,
  recordAttempts,
  requestHandler,
  SDK_MAX_ATTEMPTS
} from './client.js'

export function createSsmClient(region: string, limits: CallLimits = DEFAULT_LIMITS): SSMClient {
  return recordAttempts(
    new SSMClient({
      region,
      retryMode: 'standard',
      maxAttempts: SDK_MAX_ATTEMPTS,
      requestHandler: requestHandler(limits)
    })
  )
}

/** The permission a call needs, with the parameter's ARN (any account). */
function permission(action: string, region: string, name: string): string {
  return `${action} on ${parameterArn(region, name, '<account>')}`
}

/** The parameter as it is now; undefined when there is none. */
async function readParameter(
  client: SSMClient,
  name: string,
  region: string,
  limits: CallLimits
): Promise<Parameter | undefined> {
  try {
    const out = await call(
      `SSM GetParameter (${name} in ${region})`,
      limits.callTimeoutMs,
      abortSignal => client.send(new GetParameterCommand({ Name: name }), { abortSignal }),
      { repeat: true }
    )
    return out.Parameter
  } catch (error) {
    if (awsErrorName(error) === 'ParameterNotFound') return undefined
    throw callError(
      `Reading parameter ${name} in ${region} (input \`ssm-parameter\`)`,
      permission('ssm:GetParameter', region, name),
      error
    )
  }
}

/**
 * The preflight: the parameter can be read (missing permissions fail here,
 * before anything is published), and when it exists it is a String, the
 * type this action writes.
 */
export async function checkParameter(
  client: SSMClient,
  name: string,
  region: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<void> {
  const current = await readParameter(client, name, region, limits)
  if (current?.Type !== undefined && current.Type !== 'String') {
    throw new ActionError(
      `Input \`ssm-parameter\`: parameter ${name} in ${region} is a ${current.Type}; the layer version ARN is written as a String, and this action does not replace a parameter of another type. Nothing was published. Delete it, or name another parameter.`
    )
  }
}

/** What writing the parameter did. */
export type ParameterOutcome = 'written' | 'already held it'

/**
 * Writes `value` to the parameter (String, overwrite) unless it holds it
 * already: an unchanged re-run makes no write, so the parameter's version
 * and modification date stay.
 */
export async function writeParameter(
  client: SSMClient,
  name: string,
  value: string,
  region: string,
  limits: CallLimits = DEFAULT_LIMITS
): Promise<ParameterOutcome> {
  const current = await readParameter(client, name, region, limits)
  if (current?.Value === value) return 'already held it'
  try {
    // The same name, value and type again changes nothing but the version: safe to repeat.
    await call(
      `SSM PutParameter (${name} in ${region})`,
      limits.callTimeoutMs,
      abortSignal =>
        client.send(
          new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
          { abortSignal }
        ),
      { repeat: true }
    )
  } catch (error) {
    throw callError(
      `Writing parameter ${name} in ${region} (input \`ssm-parameter\`)`,
      permission('ssm:PutParameter', region, name),
      error
    )
  }
  return 'written'
}
