/** The `share-with` input: the accounts and organizations a layer version is shared with, or everyone. */
import { ActionError } from '../errors.js'

/** Who may use the layer version: one account, every account of an organization, or everyone. */
export type Principal =
  { kind: 'account'; id: string } | { kind: 'organization'; id: string } | { kind: 'public' }

const INPUT = 'Input `share-with`'
export const ACCOUNT_ID = /^\d{12}$/
/** AWS Organizations IDs, as AddLayerVersionPermission's `OrganizationId` accepts them. */
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/
/** How an IAM policy names a whole account. */
export const IAM_ROOT = /^arn:aws[a-zA-Z-]*:iam::(\d{12}):root$/
const ACCEPTED =
  'a 12-digit AWS account ID (111122223333), an AWS Organizations ID ("o-" and 10 to 32 lowercase letters or digits, like o-a1b2c3d4e5), or * to make the layer public'

function entryError(entry: string, reason: string): ActionError {
  return new ActionError(`${INPUT} has an invalid entry "${entry}": ${reason}.`)
}

/** Why `entry` is not a principal, with a hint where the mistake is a common one. */
function entryProblem(entry: string): string {
  if (/^\d[\d-]*\d$/.test(entry) && entry.includes('-') && entry.replace(/-/g, '').length === 12) {
    return `write the account ID as 12 digits without dashes (${entry.replace(/-/g, '')})`
  }
  if (/^\d+$/.test(entry)) {
    const hint =
      entry.length < 12
        ? '; an ID that starts with 0 loses its leading zeros when the workflow gives it as a YAML number: quote it'
        : ''
    return `it has ${entry.length} digits, an AWS account ID has 12${hint}`
  }
  const iamRoot = IAM_ROOT.exec(entry)
  if (iamRoot) return `write the account ID alone (${iamRoot[1]})`
  if (/^o-[a-zA-Z0-9]{10,32}$/i.test(entry) && entry !== entry.toLowerCase()) {
    return `AWS Organizations IDs are lowercase (${entry.toLowerCase()})`
  }
  if (/^o-/i.test(entry)) {
    return `an AWS Organizations ID is "o-" and 10 to 32 lowercase letters or digits, like o-a1b2c3d4e5`
  }
  return `expected ${ACCEPTED}`
}

export function principalKey(principal: Principal): string {
  return principal.kind === 'public' ? '*' : `${principal.kind}:${principal.id}`
}

/**
 * Parses `share-with`: entries separated by spaces, commas or newlines, each a
 * 12-digit account ID, an AWS Organizations ID or `*` (public). Duplicates are
 * dropped, the order of the rest is kept. `*` with other entries is refused:
 * it already includes them, and writing it alone says that public is meant.
 * An empty value yields no principals.
 */
export function parseShareWith(value: string): Principal[] {
  const principals: Principal[] = []
  const seen = new Set<string>()
  for (const entry of value.split(/[\s,]+/).filter(Boolean)) {
    let principal: Principal
    if (entry === '*') principal = { kind: 'public' }
    else if (ACCOUNT_ID.test(entry)) principal = { kind: 'account', id: entry }
    else if (ORGANIZATION_ID.test(entry)) principal = { kind: 'organization', id: entry }
    else throw entryError(entry, entryProblem(entry))
    const key = principalKey(principal)
    if (seen.has(key)) continue
    seen.add(key)
    principals.push(principal)
  }
  if (principals.length > 1 && seen.has('*')) {
    const others = principals.flatMap(p => (p.kind === 'public' ? [] : [p.id]))
    throw new ActionError(
      `${INPUT} lists * together with ${others.join(', ')}: * makes the layer public to every AWS account, so the other entries say nothing more. Write \`*\` alone if a public layer is meant; otherwise remove the *.`
    )
  }
  return principals
}
