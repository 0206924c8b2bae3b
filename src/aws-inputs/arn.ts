/**
 * Pure parsing of the `layer-name` and `functions` inputs, and the ARN helpers
 * publish.ts and attach.ts share. No SDK calls here.
 */
import { ActionError } from '../errors.js'
import { LIMITS } from '../runtimes.js'

/** Where an ARN points: partition, region and account. */
export interface ArnLocation {
  partition: string
  region: string
  account: string
}

/** A parsed `layer-name`: the bare name, plus where it lives when given as an ARN. */
export interface LayerName {
  name: string
  arn?: ArnLocation
}

/** A parsed entry of `functions`. */
export interface FunctionRef {
  /** The entry exactly as the user wrote it. */
  input: string
  /** What to pass as `FunctionName` to the API: the entry without a `:$LATEST` qualifier. */
  functionName: string
  /** The bare function name. */
  name: string
  /** Present for partial (`123456789012:function:name`) and full ARNs. */
  account?: string
  /** Present for full ARNs only. */
  arn?: ArnLocation
  /** The region the function is in: its ARN's, else the first listed region (set by the inputs). */
  region?: string
  /**
   * An alias the entry names (`name:live`): $LATEST gets the layer, a version
   * is published from it, and the alias moves to that version.
   */
  alias?: string
}

const FUNCTION_NAME_MAX = 64
/** An alias name: Lambda's pattern, which a version number does not match. */
const ALIAS = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/
const NAME = /^[a-zA-Z0-9_-]+$/
const PARTITION = 'aws(?:-[a-z]+)*'
const REGION = '[a-z]+(?:-[a-z]+)+-\\d+'
const ACCOUNT = '\\d{12}'

const LAYER_ARN = new RegExp(
  `^arn:(${PARTITION}):lambda:(${REGION}):(${ACCOUNT}):layer:([a-zA-Z0-9_-]+)(?::(\\d+))?$`
)
const FUNCTION_ARN = new RegExp(
  `^arn:(${PARTITION}):lambda:(${REGION}):(${ACCOUNT}):function:([a-zA-Z0-9_-]+)(?::([^:]+))?$`
)
const PARTIAL_FUNCTION_ARN = new RegExp(`^(${ACCOUNT}):function:([a-zA-Z0-9_-]+)(?::([^:]+))?$`)
const QUALIFIED_NAME = /^([a-zA-Z0-9_-]+)(?::([^:]+))?$/
/** A layer version ARN: group 1 is the layer ARN, group 2 the version. */
const LAYER_VERSION_ARN = /^(arn:[^:]+:lambda:[^:]+:[^:]+:layer:[^:]+):(\d+)$/

function layerNameError(value: string, reason: string): ActionError {
  return new ActionError(`Invalid layer-name "${value}": ${reason}`)
}

/**
 * Parses `layer-name`: a name of 1–140 characters from [a-zA-Z0-9-_], or a layer
 * ARN `arn:<partition>:lambda:<region>:<account>:layer:<name>` without a version.
 * When `region` is given, an ARN in another region is rejected (layers are regional).
 */
export function parseLayerName(value: string, region?: string): LayerName {
  if (value.startsWith('arn:')) {
    const match = LAYER_ARN.exec(value)
    if (!match) {
      throw layerNameError(
        value,
        'expected a layer name or a layer ARN like arn:aws:lambda:us-east-1:123456789012:layer:my-layer'
      )
    }
    const [, partition, arnRegion, account, name, version] = match
    if (version !== undefined) {
      throw layerNameError(
        value,
        `a layer version ARN is not a layer: drop ":${version}" (the action publishes the versions)`
      )
    }
    checkLayerNameLength(value, name)
    if (region !== undefined && arnRegion !== region) {
      throw layerNameError(
        value,
        `the layer is in ${arnRegion} but the action runs in ${region}; layers are regional. Set \`aws-region: ${arnRegion}\`, or give the plain name to publish it in ${region}`
      )
    }
    return { name, arn: { partition, region: arnRegion, account } }
  }
  if (!NAME.test(value)) {
    throw layerNameError(
      value,
      value === ''
        ? 'it is empty'
        : 'a layer name may only contain letters, digits, "-" and "_" (or give a layer ARN)'
    )
  }
  checkLayerNameLength(value, value)
  return { name: value }
}

function checkLayerNameLength(value: string, name: string): void {
  if (name.length > LIMITS.layerNameMaxLength) {
    throw layerNameError(
      value,
      `the name is ${name.length} characters long, over the limit of ${LIMITS.layerNameMaxLength}`
    )
  }
}

function functionError(value: string, reason: string): ActionError {
  return new ActionError(`Invalid functions entry "${value}": ${reason}`)
}

/**
 * Parses one entry of `functions`: a function name (1–64 characters from
 * [a-zA-Z0-9-_]), a partial ARN `123456789012:function:name` or a full ARN
 * `arn:aws:lambda:us-east-1:123456789012:function:name`.
 *
 * Qualifiers: `:$LATEST` is accepted and stripped (configuration updates always
 * apply to $LATEST). An alias (`:live`) is kept in `alias`: a version published
 * from $LATEST with the layer is what the alias moves to. A published version
 * (`:3`) is rejected: versions are immutable, so their layers cannot change.
 *
 * When `region` is given, a full ARN in another region is rejected: a function can
 * only use layer versions from its own region.
 */
export function parseFunctionName(value: string, region?: string): FunctionRef {
  const parsed = splitFunctionIdentifier(value)
  if (!parsed) {
    throw functionError(
      value,
      value === ''
        ? 'it is empty'
        : 'expected a function name, a partial ARN (123456789012:function:name) or a function ARN (arn:aws:lambda:us-east-1:123456789012:function:name)'
    )
  }
  const { name, qualifier, account, arn } = parsed
  if (name.length > FUNCTION_NAME_MAX) {
    throw functionError(
      value,
      `the function name is ${name.length} characters long, over the limit of ${FUNCTION_NAME_MAX}`
    )
  }
  if (qualifier !== undefined && /^\d+$/.test(qualifier)) {
    throw functionError(
      value,
      `":${qualifier}" names published version ${qualifier}, which is immutable: its layers cannot change. Name the alias that serves traffic (${name}:live) to publish a new version with the layer and move the alias to it, or drop ":${qualifier}" to update $LATEST only`
    )
  }
  if (qualifier !== undefined && qualifier !== '$LATEST' && !ALIAS.test(qualifier)) {
    throw functionError(
      value,
      `":${qualifier}" is neither $LATEST nor an alias name (1-128 characters from [a-zA-Z0-9-_], not only digits)`
    )
  }
  const alias = qualifier !== undefined && qualifier !== '$LATEST' ? qualifier : undefined
  if (arn && region !== undefined && arn.region !== region) {
    throw functionError(
      value,
      `the function is in ${arn.region} but the action runs in ${region}; layers are regional, so a layer published in ${region} cannot be attached to it`
    )
  }
  const functionName =
    qualifier === undefined ? value : value.slice(0, value.length - qualifier.length - 1)
  return {
    input: value,
    functionName,
    name,
    ...(account ? { account } : {}),
    ...(arn ? { arn } : {}),
    ...(alias ? { alias } : {})
  }
}

interface SplitFunction {
  name: string
  qualifier?: string
  account?: string
  arn?: ArnLocation
}

function splitFunctionIdentifier(value: string): SplitFunction | undefined {
  const full = FUNCTION_ARN.exec(value)
  if (full) {
    const [, partition, region, account, name, qualifier] = full
    return { name, qualifier, account, arn: { partition, region, account } }
  }
  const partial = PARTIAL_FUNCTION_ARN.exec(value)
  if (partial) {
    const [, account, name, qualifier] = partial
    return { name, qualifier, account }
  }
  const plain = value.startsWith('arn:') ? null : QUALIFIED_NAME.exec(value)
  // "function:name" is a partial ARN missing its account, not a qualified name.
  if (plain && !(plain[1] === 'function' && plain[2] !== undefined)) {
    const [, name, qualifier] = plain
    return { name, qualifier }
  }
  return undefined
}

/** Partition, region and account of any ARN, or undefined when it is not an ARN. */
export function arnLocation(arn: string): ArnLocation | undefined {
  const parts = arn.split(':')
  if (parts.length < 6 || parts[0] !== 'arn') return undefined
  const [, partition, , region, account] = parts
  if (!partition || !region || !account) return undefined
  return { partition, region, account }
}

/** `arn:…:layer:name:7` → `arn:…:layer:name`; anything else is returned unchanged. */
export function layerArnOf(layerVersionArn: string): string {
  const match = LAYER_VERSION_ARN.exec(layerVersionArn)
  return match ? match[1] : layerVersionArn
}

/** `arn:…:layer:name:7` → 7; undefined when the ARN carries no version. */
export function layerVersionOf(layerVersionArn: string): number | undefined {
  const match = LAYER_VERSION_ARN.exec(layerVersionArn)
  return match ? Number(match[2]) : undefined
}

/**
 * The unversioned ARN of our layer as seen from a function at `location`: a plain
 * layer name lives in the function's own partition, region and account; a layer
 * ARN is taken as given.
 */
export function layerArnFor(layer: LayerName, location: ArnLocation): string {
  const { partition, region, account } = layer.arn ?? location
  return `arn:${partition}:lambda:${region}:${account}:layer:${layer.name}`
}
