/**
 * The `ssm-parameter` input: the parameter's name in each region, checked
 * against Parameter Store's rules before anything runs.
 */
import { ActionError } from '../errors.js'
import type { Architecture, Runtime } from '../runtimes.js'

/** Parameter Store's limit on a name, counting the ARN before it (arn:aws:ssm:<region>:<account>:parameter). */
export const NAME_MAX_ARN_LENGTH = 1011
/** Parameter Store's deepest hierarchy: "/a/b/…/o" has 15 levels. */
export const MAX_LEVELS = 15

const PLACEHOLDERS = ['{region}', '{runtime}', '{architecture}'] as const

/** The partition of a region, for the length of the parameter's ARN. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  if (region.startsWith('us-iso-')) return 'aws-iso'
  if (region.startsWith('us-isob-')) return 'aws-iso-b'
  return 'aws'
}

/** The parameter's ARN; the account is a stand-in of the same length when unknown. */
export function parameterArn(region: string, name: string, account = '123456789012'): string {
  return `arn:${partitionOf(region)}:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`
}

/**
 * Why `name` (placeholders replaced) is not a Parameter Store name, or
 * undefined when it is one: letters, digits, `_ . - /`; a name with a
 * slash starts with one and has no empty level; at most 15 levels; no
 * "aws" or "ssm" prefix; at most 1011 characters counting its ARN.
 */
export function nameProblem(name: string, region: string): string | undefined {
  const bad = [...new Set(name.replace(/[a-zA-Z0-9_.\-/]/g, ''))]
  if (bad.length > 0) {
    return `it has ${bad.map(c => (c === ' ' ? 'a space' : `"${c}"`)).join(', ')}; a name has only letters, digits and _ . - /`
  }
  if (name.includes('/')) {
    if (!name.startsWith('/'))
      return 'a name with a slash (a path) starts with one: "/layers/my-deps"'
    if (name.slice(1).split('/').includes('')) {
      return 'it has an empty level (a doubled slash, or a slash at the end)'
    }
    const levels = name.split('/').length - 1
    if (levels > MAX_LEVELS) return `it has ${levels} levels; Parameter Store allows ${MAX_LEVELS}`
  }
  if (/^\/?(aws|ssm)/i.test(name)) {
    return 'names starting with "aws" or "ssm" (in any case) are reserved by AWS'
  }
  const arn = parameterArn(region, name)
  if (arn.length > NAME_MAX_ARN_LENGTH) {
    return `it is ${name.length} characters long; Parameter Store allows ${NAME_MAX_ARN_LENGTH} counting the ARN before it (${arn.length - name.length} characters in ${region}), so at most ${NAME_MAX_ARN_LENGTH - (arn.length - name.length)} here`
  }
  return undefined
}

/**
 * Parses `ssm-parameter` into the parameter's name in each region.
 * `{region}`, `{runtime}` and `{architecture}` are replaced; the last two
 * only when the layer has one runtime, one architecture. Every name is
 * checked against Parameter Store's rules before anything runs.
 */
export function parseSsmParameter(
  value: string,
  layer: { regions: string[]; runtimes: Runtime[]; architectures: Architecture[] }
): Map<string, string> | undefined {
  const v = value.trim()
  if (!v) return undefined
  const unknown = [...new Set(v.match(/\{[^}]*\}?/g) ?? [])].filter(
    p => !(PLACEHOLDERS as readonly string[]).includes(p)
  )
  if (unknown.length > 0) {
    throw new ActionError(
      `Input \`ssm-parameter\` is "${v}": ${unknown.join(', ')} is not a placeholder; use {region}, {runtime} or {architecture}, e.g. "/layers/my-deps/{region}".`
    )
  }
  const single = (placeholder: string, input: string, values: string[]): string => {
    if (values.length !== 1 && v.includes(placeholder)) {
      throw new ActionError(
        `Input \`ssm-parameter\` is "${v}": ${placeholder} names one ${placeholder.slice(1, -1)}, but \`${input}\` lists ${values.join(', ')}, so the one layer would be written under one name per ${placeholder.slice(1, -1)}. Remove ${placeholder}, or build one layer per ${placeholder.slice(1, -1)} (a matrix job).`
      )
    }
    return values[0] ?? ''
  }
  const runtime = single('{runtime}', 'runtimes', layer.runtimes)
  const architecture = single('{architecture}', 'architectures', layer.architectures)
  const names = new Map<string, string>()
  for (const region of layer.regions) {
    const name = v
      .replace(/\{region\}/g, region)
      .replace(/\{runtime\}/g, runtime)
      .replace(/\{architecture\}/g, architecture)
    const problem = nameProblem(name, region)
    if (problem) {
      const resolved = name === v ? '' : ` ("${name}" in ${region})`
      throw new ActionError(
        `Input \`ssm-parameter\` is "${v}"${resolved}, which is not a Parameter Store name: ${problem}.`
      )
    }
    names.set(region, name)
  }
  return names
}
