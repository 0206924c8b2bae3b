/**
 * The AWS inputs, parsed and checked without the AWS SDK, so that a run that
 * publishes nothing never loads it: layer and function names and ARNs, the
 * CodeArtifact repository, the S3 location, the principals to share with,
 * the Parameter Store names, how many versions to keep, and the signing
 * profile.
 */
export {
  type ArnLocation,
  arnLocation,
  type FunctionRef,
  layerArnFor,
  type LayerName,
  layerArnOf,
  layerVersionOf,
  parseFunctionName,
  parseLayerName
} from './arn.js'
export { type CodeArtifactRepository, parseCodeArtifact } from './codeartifact.js'
export { KEEP_VERSIONS_MAX, parseKeepVersions } from './keep-versions.js'
export { parseS3Location, type S3Location } from './s3-location.js'
export { ACCOUNT_ID, IAM_ROOT, parseShareWith, type Principal, principalKey } from './share-with.js'
export { nameProblem, parameterArn, parseSsmParameter } from './ssm-parameter.js'
export { descriptionMarker, parseSigningProfile } from './signing-profile.js'
