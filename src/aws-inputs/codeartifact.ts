/** The `codeartifact` input: the repository it names, checked before anything runs. */
import { ActionError } from '../errors.js'

/** A CodeArtifact repository, as named by the `codeartifact` input. */
export interface CodeArtifactRepository {
  domain: string
  repository: string
  /** The 12-digit account that owns the domain; absent: the credentials' own account. */
  domainOwner?: string
}

const INPUT = 'Input `codeartifact`'
const EXAMPLES = '"my-domain/my-repo" or "111122223333/my-domain/my-repo"'

const DOMAIN = /^[a-z][a-z0-9-]{1,49}$/
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$/
const ACCOUNT = /^\d{12}$/

/**
 * Parses `codeartifact`: `domain/repository`, or `owner/domain/repository`
 * with the 12-digit account that owns the domain first. Empty: undefined.
 */
export function parseCodeArtifact(value: string): CodeArtifactRepository | undefined {
  const plain = value.trim()
  if (plain === '') return undefined
  const arn = /^arn:aws[a-z-]*:codeartifact:[^:]*:(\d{12}):repository\/([^/]+)\/([^/]+)$/.exec(
    plain
  )
  if (arn) {
    throw new ActionError(
      `${INPUT} is "${value}": a repository ARN is not accepted. Write it as "${arn[1]}/${arn[2]}/${arn[3]}" (owner/domain/repository); the region is the action's \`region\`.`
    )
  }
  const parts = plain.split('/')
  if (
    (parts.length !== 2 && parts.length !== 3) ||
    parts.some(part => part === '' || part.includes(':'))
  ) {
    throw new ActionError(
      `${INPUT} is "${value}": expected "domain/repository", or "owner/domain/repository" with the 12-digit account that owns the domain first, e.g. ${EXAMPLES}.`
    )
  }
  const domainOwner = parts.length === 3 ? parts[0] : undefined
  const [domain, repository] = parts.slice(-2) as [string, string]
  if (domainOwner !== undefined && !ACCOUNT.test(domainOwner)) {
    throw new ActionError(
      `${INPUT} is "${value}": "${domainOwner}" is not an AWS account ID (exactly 12 digits) for the domain owner. Use e.g. "111122223333/${domain}/${repository}", or leave the owner out for a domain of the credentials' own account ("${domain}/${repository}").`
    )
  }
  if (!DOMAIN.test(domain)) {
    throw new ActionError(
      `${INPUT} is "${value}": "${domain}" is not a CodeArtifact domain name (2-50 lowercase letters, digits and "-", starting with a lowercase letter). Use e.g. ${EXAMPLES}.`
    )
  }
  if (!REPOSITORY.test(repository)) {
    throw new ActionError(
      `${INPUT} is "${value}": "${repository}" is not a CodeArtifact repository name (2-100 letters, digits, ".", "-" and "_", starting with a letter or digit). Use e.g. ${EXAMPLES}.`
    )
  }
  return domainOwner === undefined ? { domain, repository } : { domain, repository, domainOwner }
}
