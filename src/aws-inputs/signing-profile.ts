/**
 * `signing-profile`, parsed without the AWS SDK: an AWS Signer profile name
 * (read in the preflight of every region by aws/signer.ts). And the part of
 * a version's description that names its SBOM and its unsigned zip: with
 * signing, it is how an unchanged re-run recognises the signed version, so
 * `description` must leave room for it.
 */
import { ActionError } from '../errors.js'

const PROFILE_NAME = /^[a-zA-Z0-9_]{2,64}$/

/** Parses `signing-profile`: a signing profile name of this account, or undefined when empty. */
export function parseSigningProfile(value: string): string | undefined {
  const name = value.trim()
  if (name === '') return undefined
  if (!PROFILE_NAME.test(name)) {
    throw new ActionError(
      `Input \`signing-profile\` is "${name}": a signing profile name has 2 to 64 letters, digits and underscores (the name, not an ARN), e.g. "layers_prod".`
    )
  }
  return name
}

/** The part of a version's description that names its SBOM and its (unsigned) zip's SHA-256. */
export function descriptionMarker(zipSha256Hex: string): string {
  return `[sbom ${zipSha256Hex}.cdx.json]`
}
