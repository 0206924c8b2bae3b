/**
 * AWS as phases, in every listed region: the preflight (before anything is
 * built), publishing (or reusing) the layer version, sharing it, attaching
 * it to the functions, writing its ARN to Parameter Store, and pruning old
 * versions.
 */
import * as core from '@actions/core'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import type { S3Client } from '@aws-sdk/client-s3'
import type { SignerClient } from '@aws-sdk/client-signer'
import fs from 'node:fs'
import { ActionError, errorMessage } from '../errors.js'
import type { BuiltLayer } from '../layer/built.js'
import { hexSha256 } from '../layer/zip.js'
import type { RunReport } from '../report/run-report.js'
import { type Architecture, LIMITS, type Runtime } from '../runtimes.js'
import { cancellation, CancelledError } from '../util/cancel.js'
import { mapConcurrent } from '../util/concurrency.js'
import { listOrNone, plural } from '../util/format.js'
import {
  type AttachResult,
  type AttachStatus,
  ATTACH_LIMIT_CALLS,
  attachToFunctions,
  breakingMismatches,
  type FunctionPlan,
  type PlanWarning,
  planFunctions
} from './attach.js'
import {
  type FunctionRef,
  type LayerName,
  parseFunctionName,
  type Principal,
  type S3Location
} from '../aws-inputs/index.js'
import { type CallLimits, createLambdaClient } from './client.js'
import { type CodeSigning, readCodeSigning, signingProblems } from './code-signing.js'
import { enforce, type Finding } from '../checks/index.js'
import { type FunctionPart, readFunctionSize, tooLarge } from './function-size.js'
import type { WeightedAliases } from './alias.js'
import { functionsUsingLayer } from './discover.js'
import {
  checkProbeNames,
  PROBE_TIMEOUT_S,
  type ProbeOutcome,
  probeTargets,
  runProbe
} from './probe.js'
import { pruneVersions } from './prune.js'
import {
  checkLayerAccess,
  findReusableVersion,
  publishLayerVersion,
  type PublishedLayerVersion,
  type PublishRequest,
  versionDescription
} from './publish.js'
import {
  checkBucket,
  checkBucketVersioning,
  createS3Client,
  signedPrefix,
  uploadSbom,
  uploadZip,
  versioningProblem
} from './s3.js'
import {
  createSignerClient,
  readSigningProfile,
  type SignedZip,
  type SigningProfile,
  signZip
} from './signer.js'
import { principalLabel, syncLayerPermissions } from './share.js'
import { checkParameter, createSsmClient, type ParameterOutcome, writeParameter } from './ssm.js'

export { codeArtifactIndex, createCodeArtifactClient } from './codeartifact.js'
export type { WeightedAliases } from './alias.js'

/** What the AWS phases read of the inputs (the rest of them: inputs.ts). */
export interface DeploySettings {
  /** `layer-name` as given (a name or a layer ARN): what the API calls take. */
  layerName: string
  /** `layer-name`, parsed. */
  layer: LayerName
  runtimes: Runtime[]
  architectures: Architecture[]
  publish: boolean
  reuseUnchanged: boolean
  /** `functions`, parsed; duplicates as written are dropped. */
  functions: FunctionRef[]
  /** aws-region: every region the layer is published in (the first is the primary). */
  regions: string[]
  description?: string
  licenseInfo?: string
  /** Where to upload the zip before publishing (s3-bucket), per region. */
  s3?: Map<string, S3Location>
  /** share-with: who gets lambda:GetLayerVersion on the version (empty: private). */
  shareWith: Principal[]
  /** keep-versions: how many of the newest versions to keep in each region (undefined: all). */
  keepVersions?: number
  /** Replace a newer version of the layer on a function with this one (allow-downgrade). */
  allowDowngrade: boolean
  /** all-functions-using-layer: also update every function of each region that uses the layer. */
  allFunctionsUsingLayer: boolean
  /** weighted-aliases: refuse an alias with weighted routing, or point it at the new version alone. */
  weightedAliases: WeightedAliases
  /** How long one AWS call may take, retries included (aws-timeout, in seconds → ms). */
  awsTimeoutMs: number
  /**
   * lambda-smoke-test-role: the execution role of the probes that import the
   * layer on Lambda; `strict` (smoke-test: true) makes every import failure fatal.
   */
  lambdaSmokeTest?: { role: string; strict: boolean }
  /** ssm-parameter: the parameter each region's layer version ARN is written to, per region. */
  ssmParameter?: Map<string, string>
  /** signing-profile: the AWS Signer profile (a name, in every region) that signs the zip; needs s3. */
  signingProfile?: string
}

/** Regions worked on at the same time. */
const REGION_CONCURRENCY = 4
/** Functions whose sizes are read at the same time, in one region. */
const FUNCTION_CONCURRENCY = 4

/** One region of the deployment: its clients and the functions read there. */
export interface RegionDeployment {
  region: string
  client: LambdaClient
  /**
   * The same without the SDK's retries: for PublishLayerVersion, which must
   * not be repeated blindly, and for attaching, whose retries share the
   * region's pace.
   */
  publishClient: LambdaClient
  plans: FunctionPlan[]
  /** Entries found by all-functions-using-layer that `functions` did not name. */
  discovered: string[]
  /** s3-bucket in this region, and the client that reaches it. */
  s3?: { location: S3Location; client: S3Client }
  /** signing-profile as read in this region, and the client that starts its jobs. */
  signer?: { profile: SigningProfile; client: SignerClient }
}

/** What the preflight established, in every region (the first is the primary). */
export interface Deployment {
  regions: RegionDeployment[]
  limits: CallLimits
}

/** The version a region ended up with. */
export interface RegionVersion extends PublishedLayerVersion {
  region: string
  published: boolean
}

/**
 * Reads what the layer and the functions need, in every region, before
 * anything is built or published anywhere: credentials, layer access, the
 * S3 bucket, every function.
 */
export async function preflight(
  settings: DeploySettings,
  report: RunReport
): Promise<Deployment | undefined> {
  if (!settings.publish || settings.regions.length === 0) return undefined
  const limits: CallLimits = { callTimeoutMs: settings.awsTimeoutMs }
  const several = settings.regions.length > 1
  const signing: Array<{
    functionArn: string
    signing: CodeSigning
    signedBy?: SigningProfile
  }> = []
  const regions = await report.phase(
    'Preflight',
    async () =>
      await mapConcurrent(settings.regions, REGION_CONCURRENCY, async region => {
        const client = createLambdaClient(region, { limits })
        const publishClient = createLambdaClient(region, { limits, maxAttempts: 1 })
        const where = several ? ` in ${region}` : ''
        try {
          await checkLayerAccess(client, settings.layerName, limits)
          const location = settings.s3?.get(region)
          const s3 = location && { location, client: createS3Client(region, limits) }
          if (s3) await checkBucket(s3.client, s3.location, region, limits)
          let signer: RegionDeployment['signer']
          if (settings.signingProfile && s3) {
            const signerClient = createSignerClient(region, limits)
            signer = {
              profile: await readSigningProfile(
                signerClient,
                settings.signingProfile,
                region,
                limits
              ),
              client: signerClient
            }
            await checkBucketVersioning(s3.client, s3.location, region, limits)
          }
          const parameter = settings.ssmParameter?.get(region)
          if (parameter)
            await checkParameter(createSsmClient(region, limits), parameter, region, limits)
          const named = settings.functions.filter(f => (f.region ?? settings.regions[0]) === region)
          const discovered = settings.allFunctionsUsingLayer
            ? (await functionsUsingLayer(client, settings.layer, region, limits))
                .filter(arn => !named.some(f => f.input === arn))
                .map(arn => ({ ...parseFunctionName(arn), region }))
            : []
          const functions = [...named, ...discovered]
          const plans =
            functions.length === 0
              ? []
              : await planFunctions(client, {
                  functions,
                  layerName: settings.layer,
                  runtimes: settings.runtimes,
                  architectures: settings.architectures,
                  region,
                  limits,
                  weightedAliases: settings.weightedAliases
                })
          if (functions.length > 0) {
            core.info(`Preflight${where}: read ${plural(functions.length, 'function')}`)
            await measureFunctions(client, plans, limits)
            const configs = new Map<string, Promise<CodeSigning>>()
            await mapConcurrent(plans, FUNCTION_CONCURRENCY, async plan => {
              signing.push({
                functionArn: plan.functionArn,
                signing: await readCodeSigning(client, plan.functionArn, limits, configs),
                ...(signer ? { signedBy: signer.profile } : {})
              })
            })
          }
          if (settings.lambdaSmokeTest && region === settings.regions[0]) {
            await checkProbeNames(
              client,
              probeTargets(settings.layer.name, settings.runtimes, settings.architectures),
              settings.layer.name,
              functions.map(f => f.name),
              limits
            )
          }
          return {
            region,
            client,
            publishClient,
            plans,
            discovered: discovered.map(f => f.input),
            ...(s3 ? { s3 } : {}),
            ...(signer ? { signer } : {})
          }
        } catch (error) {
          if (!several || error instanceof CancelledError) throw error
          throw new ActionError(`${region}: ${errorMessage(error)}`)
        }
      })
  )
  refuseCodeSigning(signing, report)
  report.warnTogether(
    regions.flatMap(r =>
      r.plans.flatMap(p =>
        [p.size?.code, ...(p.size?.others ?? [])]
          .filter(part => part?.unreadable !== undefined)
          .map(
            part =>
              `${p.functionName}: the unzipped size of ${part?.what === 'code' ? 'its code' : part?.what} could not be read (${part?.unreadable}), so whether it stays within ${LIMITS.unzippedBytes.toLocaleString('en-US')} bytes with the layer is left to Lambda`
          )
      )
    ),
    n =>
      `${n} sizes of functions' code or other layers could not be read (lambda:GetFunction, lambda:GetLayerVersion); whether those functions stay within ${LIMITS.unzippedBytes.toLocaleString('en-US')} bytes unzipped is left to Lambda`
  )
  if (settings.allFunctionsUsingLayer) {
    const found = regions.flatMap(r => r.discovered)
    report.summary.discovered = found
    core.info(
      `all-functions-using-layer: ${found.length === 0 ? 'no function beyond `functions` uses the layer' : `found ${plural(found.length, 'function or alias', 'functions or aliases')} using the layer: ${found.join(', ')}`}`
    )
  }
  const warnings = regions.flatMap(r => r.plans.flatMap(p => p.warnings))
  const HEADLINES: Record<PlanWarning['kind'], (n: number) => string> = {
    runtime: n => `${n} functions run a runtime the layer is not built for`,
    architecture: n => `${n} functions run on an architecture the layer is not built for`,
    duplicate: n => `${n} entries of \`functions\` name a function already listed`
  }
  for (const kind of Object.keys(HEADLINES) as Array<PlanWarning['kind']>) {
    report.warnTogether(
      warnings.filter(w => w.kind === kind).map(w => w.text),
      HEADLINES[kind]
    )
  }
  return { regions, limits }
}

/**
 * Refuses, before anything is built, a function whose code signing
 * configuration enforces signatures and does not allow the layer's signer
 * (none, without `signing-profile`); warns of one in Warn mode.
 */
function refuseCodeSigning(
  signing: Parameters<typeof signingProblems>[0],
  report: RunReport
): void {
  const sorted = [...signing].sort((a, b) => a.functionArn.localeCompare(b.functionArn, 'en'))
  const { refused, warned, unreadable } = signingProblems(sorted)
  if (refused.length > 0) {
    throw new ActionError(
      `${refused.length === 1 ? 'A function enforces' : `${refused.length} functions enforce`} code signing; nothing was built or published:\n${refused.map(r => `- ${r}`).join('\n')}\nSet \`signing-profile\` to an allowed profile (with \`s3-bucket\`), remove ${refused.length === 1 ? 'the function' : 'them'} from \`functions\`, or set the configuration's UntrustedArtifactOnDeployment to Warn.`
    )
  }
  report.warnTogether(
    warned,
    n =>
      `${n} functions have code signing in Warn mode and do not allow this layer's signer; Lambda attaches it with a warning`
  )
  for (const line of unreadable) {
    core.info(`Code signing of ${line}: whether it accepts an unsigned layer is left to Lambda.`)
  }
}

/**
 * Reads the unzipped size of each function's code and other layers, for
 * the check that the function still fits with the new layer (publishLayer).
 */
async function measureFunctions(
  client: LambdaClient,
  plans: FunctionPlan[],
  limits: CallLimits
): Promise<void> {
  const layers = new Map<string, Promise<FunctionPart>>()
  await mapConcurrent(plans, FUNCTION_CONCURRENCY, async plan => {
    const others = plan.currentLayers.filter(arn => arn !== plan.currentVersionArn)
    plan.size = await readFunctionSize(client, plan.functionArn, others, layers, limits)
  })
}

/** The new version's description: the user's, and the name of its SBOM where it fits. */
function describe(description: string | undefined, zipHex: string): string {
  const { text, suffixed } = versionDescription(description, zipHex)
  if (!suffixed) {
    core.info(
      `The description leaves no room for " [sbom ${zipHex}.cdx.json]" within Lambda's ${LIMITS.descriptionMaxLength} characters: the version gets the description alone.`
    )
  }
  return text
}

/**
 * What PublishLayerVersion is given: the zip inline; with `s3-bucket`, the
 * uploaded object; with `signing-profile` too, the object Signer signed.
 */
async function publishedContent(
  layerName: string,
  target: RegionDeployment,
  zip: BuiltLayer['zip'],
  limits: CallLimits
): Promise<{ content: PublishRequest['content']; signed?: SignedZip }> {
  if (!target.s3) return { content: { zip: fs.readFileSync(zip.path) } }
  const { location } = target.s3
  const uploaded = await uploadZip(target.s3.client, location, layerName, zip.path, limits)
  if (!target.signer) {
    return { content: { s3Bucket: location.bucket, s3Key: uploaded.key, bytes: zip.bytes } }
  }
  if (!uploaded.versionId) {
    throw new ActionError(
      versioningProblem(location.bucket, target.region, 'off: the upload returned no version')
    )
  }
  cancellation.throwIfCancelled()
  const signed = await signZip(
    target.signer.client,
    target.region,
    target.signer.profile,
    { bucket: location.bucket, key: uploaded.key, versionId: uploaded.versionId },
    { bucket: location.bucket, prefix: signedPrefix(location, layerName) },
    { limits }
  )
  return { content: { s3Bucket: signed.bucket, s3Key: signed.key, bytes: zip.bytes }, signed }
}

/** Publishes (or reuses) the layer in one region. */
async function publishIn(
  settings: DeploySettings,
  target: RegionDeployment,
  limits: CallLimits,
  layer: BuiltLayer,
  report: RunReport
): Promise<RegionVersion> {
  const { client, publishClient, region } = target
  const { zip } = layer
  const zipHex = hexSha256(zip.sha256)
  // Reused or new, the version's SBOM is next to its zip.
  if (target.s3 && layer.sbom) {
    await uploadSbom(
      target.s3.client,
      target.s3.location,
      settings.layerName,
      layer.sbom,
      zipHex,
      limits
    )
  }
  const profile = target.signer?.profile
  const reused = settings.reuseUnchanged
    ? await findReusableVersion(
        client,
        {
          layerName: settings.layerName,
          codeSha256: zip.sha256,
          runtimes: settings.runtimes,
          architectures: settings.architectures,
          ...(profile
            ? { signed: { profileVersionArn: profile.versionArn, zipSha256Hex: zipHex } }
            : {})
        },
        limits
      )
    : undefined
  if (reused) return { ...reused, region, published: false }
  cancellation.throwIfCancelled()
  const { content, signed } = await publishedContent(settings.layerName, target, zip, limits)
  const published = await publishLayerVersion(
    client,
    {
      layerName: settings.layerName,
      codeSha256: zip.sha256,
      ...(signed ? { signingJobArn: signed.jobArn } : {}),
      content,
      runtimes: settings.runtimes,
      architectures: settings.architectures,
      description: describe(settings.description, zipHex),
      licenseInfo: settings.licenseInfo
    },
    { limits, publishClient }
  )
  if (published.duplicates.length > 0) {
    const one = published.duplicates.length === 1
    report.warn(
      `Layer ${settings.layerName}${settings.regions.length > 1 ? ` in ${region}` : ''} has ${one ? 'version' : 'versions'} ${published.duplicates.join(', ')} with the same content as version ${published.version}, which this run uses: a publish request whose answer was lost created ${one ? 'it' : 'them'}. Left in place (a concurrent run may use ${one ? 'it' : 'them'}); delete with \`aws lambda delete-layer-version\` if nothing does.`
    )
  }
  return {
    layerArn: published.layerArn,
    layerVersionArn: published.layerVersionArn,
    version: published.version,
    ...(published.signingJobArn ? { signingJobArn: published.signingJobArn } : {}),
    region,
    published: true
  }
}

/**
 * Publishes the layer (or reuses the identical latest version) in every
 * region, after refusing a layer that would break one of the functions.
 * The same zip (same CodeSha256) goes everywhere.
 */
export async function publishLayer(
  settings: DeploySettings,
  deployment: Deployment,
  layer: BuiltLayer,
  report: RunReport
): Promise<RegionVersion[]> {
  const breaking = breakingMismatches(
    deployment.regions.flatMap(r => r.plans),
    {
      runtimes: settings.runtimes,
      architectures: settings.architectures,
      compiled: layer.machineCode,
      perVersion: layer.sites.length > 1
    }
  )
  const plans = deployment.regions.flatMap(r => r.plans)
  for (const plan of plans) {
    const problem = plan.size && tooLarge(plan.size, layer.zip.unzippedBytes)
    if (problem) breaking.push(`${plan.functionArn}: ${problem}`)
  }
  if (breaking.length > 0) {
    throw new ActionError(
      `The layer would break ${breaking.length === 1 ? 'a function' : `${breaking.length} functions`}; nothing was published or changed:\n${breaking.map(b => `- ${b}`).join('\n')}`
    )
  }
  const { limits } = deployment
  // Each region's outcome is kept, so a failure in one still reports the others.
  const outcomes = await report.phase(
    'Publish',
    async () =>
      await mapConcurrent(deployment.regions, REGION_CONCURRENCY, async target => {
        try {
          return {
            ok: true as const,
            value: await publishIn(settings, target, limits, layer, report)
          }
        } catch (error) {
          return { ok: false as const, region: target.region, error }
        }
      })
  )
  const versions: RegionVersion[] = []
  const failures: Array<{ region: string; error: unknown }> = []
  for (const o of outcomes) {
    if (o.ok) versions.push(o.value)
    else failures.push({ region: o.region, error: o.error })
  }
  report.summary.layers = versions.map(v => ({
    region: v.region,
    layerVersionArn: v.layerVersionArn,
    published: v.published,
    ...(v.signingJobArn ? { signingJobArn: v.signingJobArn } : {})
  }))
  const primary = versions.find(v => v.region === deployment.regions[0].region)
  if (primary) {
    report.output('layer-arn', primary.layerArn)
    report.output('layer-version-arn', primary.layerVersionArn)
    report.output('layer-version', String(primary.version))
    report.output('published', String(primary.published))
    report.output('signing-job-arn', primary.signingJobArn ?? '')
  }
  report.output(
    'layer-version-arns',
    JSON.stringify(Object.fromEntries(versions.map(v => [v.region, v.layerVersionArn])))
  )
  if (failures.length > 0) {
    const cancelled = failures.find(f => f.error instanceof CancelledError)
    if (cancelled) throw cancelled.error
    if (deployment.regions.length === 1) throw failures[0].error
    throw new ActionError(
      `Publishing failed in ${failures.map(f => f.region).join(', ')}; no function was changed anywhere:\n${failures.map(f => `- ${f.region}: ${errorMessage(f.error)}`).join('\n')}\n${versions.length > 0 ? `Done: ${versions.map(v => `${v.region}: ${v.layerVersionArn} (${v.published ? 'published' : 'reused'})`).join(', ')}. A re-run reuses ${versions.length === 1 ? 'it' : 'them'}.` : 'Nothing was published.'}`
    )
  }
  return versions
}

/**
 * With `lambda-smoke-test-role`: imports every top-level module of the
 * layer on Lambda, for each runtime × architecture, in the primary region
 * (the zip is the same everywhere), before the layer is shared or attached.
 * Fails like the smoke test, saying it happened on Lambda.
 */
export async function testOnLambda(
  settings: Pick<DeploySettings, 'lambdaSmokeTest' | 'layer' | 'runtimes' | 'architectures'>,
  deployment: Deployment,
  versions: readonly RegionVersion[],
  report: RunReport
): Promise<void> {
  const test = settings.lambdaSmokeTest
  if (!test) return
  const primary = deployment.regions[0]
  const version = versions.find(v => v.region === primary.region)
  if (!version) return
  cancellation.throwIfCancelled()
  const targets = probeTargets(settings.layer.name, settings.runtimes, settings.architectures)
  const invokeClient = createLambdaClient(primary.region, {
    limits: deployment.limits,
    idleTimeoutMs: (PROBE_TIMEOUT_S + 30) * 1000
  })
  const outcomes: ProbeOutcome[] = await report.phase(
    'Lambda import test',
    async () =>
      await mapConcurrent(
        targets,
        REGION_CONCURRENCY,
        async target =>
          await runProbe(
            { client: primary.client, invokeClient },
            target,
            { name: settings.layer.name, versionArn: version.layerVersionArn },
            { role: test.role, strict: test.strict, limits: deployment.limits }
          )
      ),
    `Import the layer on Lambda (${plural(targets.length, 'probe')})`
  )
  const findings: Finding[] = []
  for (const o of outcomes) {
    const target = `${o.target.runtime}/${o.target.architecture}`
    const errors = o.findings.filter(f => f.severity === 'error').length
    const text =
      errors > 0
        ? `${errors} of ${plural(o.modules, 'module')} failed`
        : `${plural(o.modules, 'module')} imported${o.findings.length > 0 ? ` (${plural(o.findings.length, 'warning')})` : ''}`
    report.summary.lambdaTest.push({ target, text: `${text}${o.ranOn ? `, ${o.ranOn}` : ''}` })
    core.info(`${target}: ${text}${o.ranOn ? ` (${o.ranOn})` : ''}`)
    if (o.leftBehind) {
      report.warn(
        `The import-test probe ${o.leftBehind} could not be deleted; the next run replaces it.`
      )
    }
    findings.push(...o.findings)
  }
  report.summary.findings.push(...findings)
  try {
    enforce(findings, 'The import test on Lambda')
  } catch (error) {
    throw new ActionError(
      `${errorMessage(error).replace('the layer was not published', `no function was changed; ${version.layerVersionArn} is ${version.published ? 'published' : 'the reused version'} and attached to nothing by this run`)}`
    )
  }
}

/**
 * Gives each principal of `share-with` lambda:GetLayerVersion on the version
 * of every region, and removes the action's grants to principals no longer
 * listed. Nothing is done when `share-with` is empty (layers stay private).
 */
export async function shareLayer(
  settings: Pick<DeploySettings, 'shareWith' | 'layerName'>,
  deployment: Deployment,
  versions: readonly RegionVersion[],
  report: RunReport
): Promise<void> {
  if (settings.shareWith.length === 0) return
  const byRegion = new Map(deployment.regions.map(r => [r.region, r]))
  const results = await report.phase(
    'Share',
    async () =>
      await mapConcurrent(versions, REGION_CONCURRENCY, async v => {
        const target = byRegion.get(v.region)
        if (!target) throw new Error(`no deployment for ${v.region}`)
        const result = await syncLayerPermissions(
          target.client,
          { layerName: settings.layerName, version: v.version, principals: settings.shareWith },
          deployment.limits
        )
        return { region: v.region, arn: v.layerVersionArn, result }
      }),
    `Share with ${settings.shareWith.map(principalLabel).join(', ')}`
  )
  for (const { region, arn, result } of results) {
    const parts = [
      result.added.length ? `granted to ${result.added.join(', ')}` : '',
      result.kept.length ? `already granted to ${result.kept.join(', ')}` : '',
      result.removed.length ? `removed from ${result.removed.join(', ')}` : ''
    ].filter(Boolean)
    core.info(`${arn}: ${parts.join('; ')}`)
    report.summary.sharing.push({ region, text: parts.join('; ') })
  }
}

/** The statuses that fail the step. */
function isFailure(status: AttachStatus): boolean {
  return status === 'failed' || status === 'unknown' || status === 'out-of-time'
}

/** How each status reads in the job summary. */
const STATUS_TEXT: Record<AttachStatus, string> = {
  updated: 'updated',
  unchanged: 'unchanged',
  'newer-present': 'newer version present: left alone',
  failed: 'failed',
  'not-started': 'not changed: run cancelled',
  'out-of-time': 'not changed: the attach phase reached its time limit',
  unknown: 'unknown'
}

/**
 * Attaches each region's version to that region's functions. Fails naming
 * each function that could not be updated; a cancelled run fails saying
 * which functions were changed, which were not, and which are unknown.
 */
export async function attachLayer(
  settings: Pick<DeploySettings, 'allowDowngrade' | 'weightedAliases'>,
  deployment: Deployment,
  versions: readonly RegionVersion[],
  report: RunReport
): Promise<void> {
  const targets = deployment.regions.filter(r => r.plans.length > 0)
  const count = targets.reduce((n, r) => n + r.plans.length, 0)
  if (count === 0) return
  cancellation.throwIfCancelled()
  const versionIn = new Map(versions.map(v => [v.region, v.layerVersionArn]))
  // The phase as a whole stops starting updates after ATTACH_LIMIT_CALLS × aws-timeout.
  const deadline = Date.now() + ATTACH_LIMIT_CALLS * deployment.limits.callTimeoutMs
  const perRegion = await report.phase(
    'Attach',
    async () =>
      await mapConcurrent(targets, REGION_CONCURRENCY, async target => {
        const arn = versionIn.get(target.region) ?? ''
        // Without the SDK's own retries: throttling reaches the region's pace
        // (attach.ts retries each update itself, guarded by its RevisionId).
        const results = await attachToFunctions(target.publishClient, target.plans, arn, {
          deadline,
          allowDowngrade: settings.allowDowngrade,
          weightedAliases: settings.weightedAliases,
          limits: deployment.limits
        })
        return results.map(r => ({ ...r, layerVersionArn: arn }))
      }),
    `Attach to ${plural(count, 'function')}`
  )
  const results: Array<AttachResult & { layerVersionArn: string }> = perRegion.flat()
  const aliases = results.flatMap(r => r.aliases ?? [])
  report.warnTogether(
    [
      ...results.filter(r => r.status === 'newer-present').map(r => r.error ?? r.functionArn),
      ...aliases.filter(a => a.status === 'newer-present').map(a => a.error ?? a.aliasArn)
    ],
    n =>
      `${n} functions or aliases have a newer version of the layer than this run's and were left alone`
  )
  const updated = [
    ...results.filter(r => r.status === 'updated').map(r => r.functionArn),
    ...aliases.filter(a => a.status === 'moved').map(a => a.aliasArn)
  ]
  report.output('updated-functions', JSON.stringify(updated))
  report.output(
    'function-versions',
    JSON.stringify(
      Object.fromEntries(aliases.flatMap(a => (a.after ? [[a.aliasArn, a.after.versionArn]] : [])))
    )
  )
  // Failures first: at scale they are the rows to read.
  const failedFirst = [
    ...results.filter(r => isFailure(r.status)),
    ...results.filter(r => !isFailure(r.status))
  ]
  for (const r of failedFirst) {
    report.summary.functions.push({
      function: r.functionArn,
      before: r.previousVersionArn,
      after:
        r.status === 'updated' || r.status === 'unchanged'
          ? r.layerVersionArn
          : r.status === 'unknown'
            ? 'unknown'
            : r.previousVersionArn,
      status: isFailure(r.status)
        ? `${STATUS_TEXT[r.status]}: ${r.error ?? ''}`
        : STATUS_TEXT[r.status]
    })
  }
  const aliasFailures = aliases.filter(a => a.status === 'failed')
  for (const a of [...aliasFailures, ...aliases.filter(a => a.status !== 'failed')]) {
    const version = (v: { version: string; layerVersionArn?: string }): string =>
      `version ${v.version}${v.layerVersionArn ? ` (${v.layerVersionArn.split(':').slice(-2).join(':')})` : ''}`
    report.summary.functions.push({
      function: a.aliasArn,
      before: version(a.before),
      after: a.after ? version(a.after) : version(a.before),
      status:
        a.status === 'moved'
          ? `alias moved${a.after?.snapStart ? `; ${a.after.snapStart}` : ''}`
          : a.status === 'unchanged'
            ? 'unchanged'
            : a.status === 'newer-present'
              ? 'newer version present: left alone'
              : a.status === 'not-started'
                ? 'not moved: run cancelled'
                : `failed: ${a.error ?? ''}`
    })
  }
  const describe = (status: AttachStatus): string[] =>
    results.filter(r => r.status === status).map(r => r.functionArn)
  const what = [...new Set(versions.map(v => v.layerVersionArn))].join(', ')
  if (cancellation.requested) {
    const lines = [
      `The run was cancelled (${cancellation.requested}) while attaching ${what}.`,
      `Changed: ${listOrNone(describe('updated'))}.`,
      `Not changed: ${listOrNone([...describe('not-started'), ...describe('failed'), ...describe('newer-present')])}.`,
      `Already at this version: ${listOrNone(describe('unchanged'))}.`
    ]
    const unknown = describe('unknown')
    if (unknown.length > 0) {
      lines.push(`Unknown (update in flight when cancelled): ${unknown.join(', ')}.`)
    }
    throw new CancelledError(cancellation.requested, lines.join('\n'))
  }
  const failed = results.filter(r => isFailure(r.status))
  if (failed.length === 0 && aliasFailures.length > 0) {
    throw new ActionError(
      `${aliasFailures.length} of ${aliases.length} alias(es) could not be moved to a version with ${what}:\n${aliasFailures.map(a => `- ${a.error ?? a.aliasArn}`).join('\n')}\nEvery function's $LATEST has the layer (each is in the job summary).`
    )
  }
  if (failed.length > 0) {
    // The others are counted, not listed: the job summary has each of them.
    const counts = new Map<string, number>()
    for (const r of results) {
      if (isFailure(r.status)) continue
      counts.set(STATUS_TEXT[r.status], (counts.get(STATUS_TEXT[r.status]) ?? 0) + 1)
    }
    const others = results.length - failed.length
    const done =
      others === 0
        ? ''
        : `\nThe other ${others}: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')} (each is in the job summary).`
    const late = failed.some(f => f.status === 'out-of-time')
      ? `\nThe attach phase stops starting updates after ${ATTACH_LIMIT_CALLS} × aws-timeout (${Math.round((ATTACH_LIMIT_CALLS * deployment.limits.callTimeoutMs) / 1000)} s), which the API's throttling used up; a re-run updates the functions not changed.`
      : ''
    throw new ActionError(
      `${failed.length} of ${results.length} function(s) could not be updated to ${what}:\n${failed.map(f => `- ${f.error ?? f.functionArn}`).join('\n')}${done}${late}`
    )
  }
}

/**
 * With `ssm-parameter`, writes each region's layer version ARN to the
 * parameter there, after the functions are attached, unless the parameter
 * holds it already (a reused version included). A failure fails the step,
 * saying that the layer and the functions are done and the parameter is not.
 */
export async function writeLayerParameter(
  settings: Pick<DeploySettings, 'ssmParameter' | 'functions'>,
  deployment: Deployment,
  versions: readonly RegionVersion[],
  report: RunReport
): Promise<void> {
  const names = settings.ssmParameter
  if (!names) return
  const targets = versions.flatMap(v => {
    const name = names.get(v.region)
    return name ? [{ ...v, name }] : []
  })
  if (targets.length === 0) return
  const done =
    settings.functions.length > 0
      ? 'The layer is published and the functions are done'
      : 'The layer is published'
  const arns = targets.map(t => `${t.region}: ${t.layerVersionArn}`).join(', ')
  if (cancellation.requested) {
    throw new CancelledError(
      cancellation.requested,
      `The run was cancelled (${cancellation.requested}) before the layer version ARN was written to Parameter Store. ${done} (${arns}); parameter ${[...new Set(targets.map(t => t.name))].join(', ')} was not written. A re-run writes it.`
    )
  }
  const outcomes = await report.phase(
    'Parameter Store',
    async () =>
      await mapConcurrent(targets, REGION_CONCURRENCY, async t => {
        try {
          const outcome = await writeParameter(
            createSsmClient(t.region, deployment.limits),
            t.name,
            t.layerVersionArn,
            t.region,
            deployment.limits
          )
          return { ...t, outcome, error: undefined }
        } catch (error) {
          return { ...t, outcome: undefined, error }
        }
      }),
    `Write the layer version ARN to ${[...new Set(targets.map(t => t.name))].join(', ')}`
  )
  const several = versions.length > 1
  const written: Array<(typeof outcomes)[number] & { outcome: ParameterOutcome }> = []
  for (const o of outcomes) {
    if (o.outcome === undefined) continue
    written.push({ ...o, outcome: o.outcome })
    core.info(`${o.name}${several ? ` in ${o.region}` : ''}: ${o.outcome} (${o.layerVersionArn})`)
    report.summary.parameters.push({ region: o.region, name: o.name, text: o.outcome })
  }
  report.output('ssm-parameter-written', String(written.some(w => w.outcome === 'written')))
  const failed = outcomes.filter(o => o.outcome === undefined)
  if (failed.length === 0) return
  for (const f of failed) {
    report.summary.parameters.push({ region: f.region, name: f.name, text: 'not written' })
  }
  const elsewhere =
    written.length > 0
      ? `\nElsewhere: ${written.map(w => `${w.name} in ${w.region}: ${w.outcome}`).join('; ')}.`
      : ''
  const what = `${done} (${arns}); the layer version ARN is not in Parameter Store in ${failed.map(f => f.region).join(', ')}:\n${failed.map(f => `- ${errorMessage(f.error)}`).join('\n')}${elsewhere}\nA re-run writes it.`
  const cancelled = failed.find(f => f.error instanceof CancelledError)
  if (cancelled) {
    throw new CancelledError(
      cancellation.requested ?? (cancelled.error as CancelledError).signal,
      `The run was cancelled while writing to Parameter Store. ${what}`
    )
  }
  throw new ActionError(what)
}

/**
 * With `keep-versions`, deletes in each region the versions older than the
 * newest N, never the one this run uses nor any a function of the region
 * still references. A failed delete warns; it does not fail the step.
 */
export async function pruneLayer(
  settings: Pick<DeploySettings, 'keepVersions' | 'layerName' | 'shareWith'>,
  deployment: Deployment,
  versions: readonly RegionVersion[],
  report: RunReport
): Promise<void> {
  const keep = settings.keepVersions
  if (keep === undefined) return
  cancellation.throwIfCancelled()
  if (settings.shareWith.length > 0) {
    report.warn(
      `keep-versions (${keep}) with share-with: functions of the accounts the layer is shared with are invisible here, so only the ${keep} newest versions are sure to stay for them.`
    )
  }
  const byRegion = new Map(deployment.regions.map(r => [r.region, r]))
  const results = await report.phase(
    'Prune',
    async () =>
      await mapConcurrent(versions, REGION_CONCURRENCY, async v => {
        const target = byRegion.get(v.region)
        if (!target) throw new Error(`no deployment for ${v.region}`)
        try {
          const result = await pruneVersions(
            target.client,
            { layerName: settings.layerName, keep, current: v.version, region: v.region },
            deployment.limits
          )
          return { region: v.region, result, skipped: undefined }
        } catch (error) {
          // The layer is published and attached: pruning that cannot tell which
          // versions are unused deletes nothing, and the run still succeeds.
          if (error instanceof CancelledError) throw error
          return { region: v.region, result: undefined, skipped: errorMessage(error) }
        }
      }),
    `Keep the ${keep} newest versions`
  )
  const deleted: string[] = []
  for (const outcome of results) {
    const { region } = outcome
    if (outcome.skipped !== undefined || outcome.result === undefined) {
      const why = (outcome.skipped ?? 'no result').replace(/\.$/, '')
      const text = `skipped: ${why}; nothing was deleted`
      report.summary.pruning.push({ region, text })
      report.warn(
        `keep-versions: pruning in ${region} was skipped (${why}); nothing was deleted there. The layer is published and attached; the next run prunes again.`
      )
      continue
    }
    const { result } = outcome
    deleted.push(...result.deleted.map(d => d.arn))
    const kept = result.kept.map(
      k =>
        `${k.version} (${k.reason === 'in use' ? `in use by ${(k.usedBy ?? []).join(', ')}` : k.reason === 'current' ? 'this run' : 'newest'})`
    )
    const text = `deleted ${listOrNone(result.deleted.map(d => String(d.version)))}; kept ${listOrNone(kept)}`
    core.info(`${region}: ${text}`)
    report.summary.pruning.push({ region, text })
    for (const f of result.failed) {
      report.warn(`Could not delete ${f.arn}: ${f.error}. It stays; the step goes on.`)
    }
  }
  report.output('deleted-versions', JSON.stringify(deleted))
}
