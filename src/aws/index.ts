/**
 * AWS as phases: the preflight (before anything is built), then publishing
 * (or reusing) the layer version and attaching it to the functions.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda'
import fs from 'node:fs'
import { ActionError } from '../errors.js'
import type { Inputs } from '../inputs.js'
import type { BuiltLayer } from '../layer/built.js'
import type { RunReport } from '../report/run-report.js'
import { cancellation, CancelledError } from '../util/cancel.js'
import { listOrNone } from '../util/format.js'
import {
  type AttachStatus,
  attachToFunctions,
  breakingMismatches,
  type FunctionPlan,
  planFunctions
} from './attach.js'
import { type CallLimits, createLambdaClient } from './client.js'
import {
  checkLayerAccess,
  findReusableVersion,
  publishLayerVersion,
  type PublishedLayerVersion
} from './publish.js'
import { createS3Client, uploadZip } from './s3.js'

/** What the preflight established: clients for the region, and every function read. */
export interface Deployment {
  client: LambdaClient
  /** The same without the SDK's retries: for PublishLayerVersion, which must not be repeated blindly. */
  publishClient: LambdaClient
  region: string
  plans: FunctionPlan[]
  limits: CallLimits
}

/** Reads what the layer and the functions need before anything is built or published. */
export async function preflight(
  inputs: Inputs,
  report: RunReport
): Promise<Deployment | undefined> {
  const region = inputs.region
  if (!inputs.publish || !region) return undefined
  const limits: CallLimits = { callTimeoutMs: inputs.awsTimeoutMs }
  const client = createLambdaClient(region, { limits })
  const publishClient = createLambdaClient(region, { limits, maxAttempts: 1 })
  await report.phase('Preflight (layer)', async () =>
    checkLayerAccess(client, inputs.layerName, limits)
  )
  const deployment = { client, publishClient, region, limits, plans: [] }
  if (inputs.functions.length === 0) return deployment
  const plans = await report.phase(
    'Preflight (functions)',
    async () =>
      planFunctions(client, {
        functions: inputs.functions,
        layerName: inputs.layer,
        runtimes: inputs.runtimes,
        architectures: inputs.architectures,
        region,
        limits
      }),
    `Preflight: read ${inputs.functions.length} function(s)`
  )
  for (const plan of plans) for (const w of plan.warnings) report.warn(w)
  return { ...deployment, plans }
}

/**
 * Publishes the layer (or reuses the identical latest version), after
 * refusing a layer that would break one of the functions.
 */
export async function publishLayer(
  inputs: Inputs,
  deployment: Deployment,
  layer: BuiltLayer,
  report: RunReport
): Promise<PublishedLayerVersion> {
  const breaking = breakingMismatches(deployment.plans, {
    runtimes: inputs.runtimes,
    architectures: inputs.architectures,
    compiled: layer.machineCode,
    perVersion: layer.sites.length > 1
  })
  if (breaking.length > 0) {
    throw new ActionError(
      `The layer would break ${breaking.length === 1 ? 'a function' : `${breaking.length} functions`}; nothing was published or changed:\n${breaking.map(b => `- ${b}`).join('\n')}`
    )
  }
  const { client, publishClient, region, limits } = deployment
  const { zip } = layer
  const version = await report.phase('Publish', async () => {
    const reused = inputs.reuseUnchanged
      ? await findReusableVersion(
          client,
          {
            layerName: inputs.layerName,
            codeSha256: zip.sha256,
            runtimes: inputs.runtimes,
            architectures: inputs.architectures
          },
          limits
        )
      : undefined
    if (reused) return { ...reused, published: false }
    cancellation.throwIfCancelled()
    const content = inputs.s3
      ? {
          s3Bucket: inputs.s3.bucket,
          s3Key: await uploadZip(
            createS3Client(region, limits),
            inputs.s3,
            inputs.layerName,
            zip.path,
            limits
          ),
          bytes: zip.bytes
        }
      : { zip: fs.readFileSync(zip.path) }
    const published = await publishLayerVersion(
      client,
      {
        layerName: inputs.layerName,
        codeSha256: zip.sha256,
        content,
        runtimes: inputs.runtimes,
        architectures: inputs.architectures,
        description: inputs.description,
        licenseInfo: inputs.licenseInfo
      },
      { limits, publishClient }
    )
    if (published.duplicates.length > 0) {
      report.warn(
        `Layer ${inputs.layerName} has ${published.duplicates.length === 1 ? 'version' : 'versions'} ${published.duplicates.join(', ')} with the same content as version ${published.version}, which this run uses: a publish request whose answer was lost created ${published.duplicates.length === 1 ? 'it' : 'them'}. Left in place (a concurrent run may use ${published.duplicates.length === 1 ? 'it' : 'them'}); delete with \`aws lambda delete-layer-version\` if nothing does.`
      )
    }
    return { ...published, published: true }
  })
  report.output('layer-arn', version.layerArn)
  report.output('layer-version-arn', version.layerVersionArn)
  report.output('layer-version', String(version.version))
  report.output('published', String(version.published))
  report.summary.publish = {
    layerVersionArn: version.layerVersionArn,
    published: version.published
  }
  return version
}

/** How each status reads in the job summary. */
const STATUS_TEXT: Record<AttachStatus, string> = {
  updated: 'updated',
  unchanged: 'unchanged',
  'newer-present': 'newer version present: left alone',
  failed: 'failed',
  'not-started': 'not changed: run cancelled',
  unknown: 'unknown'
}

/**
 * Attaches the version to every planned function. Fails naming each function
 * that could not be updated; a cancelled run fails saying which functions
 * were changed, which were not, and which are unknown.
 */
export async function attachLayer(
  inputs: Pick<Inputs, 'allowDowngrade'>,
  deployment: Deployment,
  version: PublishedLayerVersion,
  report: RunReport
): Promise<void> {
  const { plans, client, limits } = deployment
  if (plans.length === 0) return
  cancellation.throwIfCancelled()
  const layerVersionArn = version.layerVersionArn
  const results = await report.phase(
    'Attach',
    async () =>
      attachToFunctions(client, plans, layerVersionArn, {
        allowDowngrade: inputs.allowDowngrade,
        limits
      }),
    `Attach to ${plans.length} function(s)`
  )
  const updated = results.filter(r => r.status === 'updated').map(r => r.functionArn)
  report.output('updated-functions', JSON.stringify(updated))
  for (const r of results) {
    report.summary.functions.push({
      function: r.functionArn,
      before: r.previousVersionArn,
      after:
        r.status === 'updated' || r.status === 'unchanged'
          ? layerVersionArn
          : r.status === 'unknown'
            ? 'unknown'
            : r.previousVersionArn,
      status:
        r.status === 'failed' || r.status === 'unknown'
          ? `${STATUS_TEXT[r.status]}: ${r.error ?? ''}`
          : STATUS_TEXT[r.status]
    })
  }
  const describe = (status: AttachStatus): string[] =>
    results.filter(r => r.status === status).map(r => r.functionArn)
  if (cancellation.requested) {
    const lines = [
      `The run was cancelled (${cancellation.requested}) while attaching ${layerVersionArn}.`,
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
  const failed = results.filter(r => r.status === 'failed' || r.status === 'unknown')
  if (failed.length > 0) {
    const ok = results.filter(r => r.status !== 'failed' && r.status !== 'unknown')
    throw new ActionError(
      `${failed.length} of ${results.length} function(s) could not be updated to ${layerVersionArn}:\n${failed.map(f => `- ${f.error ?? f.functionArn}`).join('\n')}${ok.length ? `\nDone: ${ok.map(r => `${r.functionArn} (${STATUS_TEXT[r.status]})`).join(', ')}` : ''}`
    )
  }
}
