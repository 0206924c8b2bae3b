/**
 * AWS as phases: the preflight (before anything is built), then publishing
 * (or reusing) the layer version and attaching it to the functions.
 */
import * as core from '@actions/core'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import fs from 'node:fs'
import { ActionError } from '../errors.js'
import type { Inputs } from '../inputs.js'
import type { BuiltLayer } from '../layer/built.js'
import type { RunReport } from '../report/run-report.js'
import {
  attachToFunctions,
  breakingMismatches,
  type FunctionPlan,
  planFunctions
} from './attach.js'
import { createLambdaClient } from './client.js'
import {
  checkLayerAccess,
  findReusableVersion,
  publishLayerVersion,
  type PublishedLayerVersion
} from './publish.js'
import { createS3Client, uploadZip } from './s3.js'

/** What the preflight established: a client for the region, and every function read. */
export interface Deployment {
  client: LambdaClient
  region: string
  plans: FunctionPlan[]
}

/** Reads what the layer and the functions need before anything is built or published. */
export async function preflight(
  inputs: Inputs,
  report: RunReport
): Promise<Deployment | undefined> {
  const region = inputs.region
  if (!inputs.publish || !region) return undefined
  const client = createLambdaClient(region)
  await report.phase('Preflight (layer)', async () => checkLayerAccess(client, inputs.layerName))
  if (inputs.functions.length === 0) return { client, region, plans: [] }
  const plans = await report.phase(
    'Preflight (functions)',
    async () =>
      planFunctions(client, {
        functions: inputs.functions,
        layerName: inputs.layer,
        runtimes: inputs.runtimes,
        architectures: inputs.architectures,
        region
      }),
    `Preflight: read ${inputs.functions.length} function(s)`
  )
  for (const plan of plans) for (const w of plan.warnings) core.warning(w)
  return { client, region, plans }
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
  const { client, region } = deployment
  const { zip } = layer
  const version = await report.phase('Publish', async () => {
    const reused = inputs.reuseUnchanged
      ? await findReusableVersion(client, {
          layerName: inputs.layerName,
          codeSha256: zip.sha256,
          runtimes: inputs.runtimes,
          architectures: inputs.architectures
        })
      : undefined
    if (reused) return { ...reused, published: false }
    const content = inputs.s3
      ? {
          s3Bucket: inputs.s3.bucket,
          s3Key: await uploadZip(createS3Client(region), inputs.s3, inputs.layerName, zip.path),
          bytes: zip.bytes
        }
      : { zip: fs.readFileSync(zip.path) }
    const published = await publishLayerVersion(client, {
      layerName: inputs.layerName,
      content,
      runtimes: inputs.runtimes,
      architectures: inputs.architectures,
      description: inputs.description,
      licenseInfo: inputs.licenseInfo
    })
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

/** Attaches the version to every planned function; fails naming each function that could not be updated. */
export async function attachLayer(
  deployment: Deployment,
  version: PublishedLayerVersion,
  report: RunReport
): Promise<void> {
  const { plans, client } = deployment
  if (plans.length === 0) return
  const layerVersionArn = version.layerVersionArn
  const results = await report.phase(
    'Attach',
    async () => attachToFunctions(client, plans, layerVersionArn),
    `Attach to ${plans.length} function(s)`
  )
  const updated = results.filter(r => r.status === 'updated').map(r => r.functionArn)
  report.output('updated-functions', JSON.stringify(updated))
  for (const r of results) {
    report.summary.functions.push({
      function: r.functionArn,
      before: r.previousVersionArn,
      after: r.status === 'failed' ? r.previousVersionArn : layerVersionArn,
      status: r.status === 'failed' ? `failed: ${r.error ?? ''}` : r.status
    })
  }
  const failed = results.filter(r => r.status === 'failed')
  if (failed.length > 0) {
    const ok = results.filter(r => r.status !== 'failed')
    throw new ActionError(
      `${failed.length} of ${results.length} function(s) could not be updated to ${layerVersionArn}:\n${failed.map(f => `- ${f.error ?? f.functionArn}`).join('\n')}${ok.length ? `\nDone: ${ok.map(r => `${r.functionArn} (${r.status})`).join(', ')}` : ''}`
    )
  }
}
