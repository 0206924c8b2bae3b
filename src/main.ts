/**
 * The run, step by step: inputs → sandbox → interpreters → cache (beside
 * the AWS preflight and pip's own word on its configuration) → the
 * pipeline on a miss (install, bytecode, scan, checks, zip) → publish →
 * share → attach → Parameter Store → prune → outputs and summary.
 * Each step's body lives with its concern (see CONTRIBUTING.md, "How the
 * code is organised"); this file decides the order.
 */
import * as core from '@actions/core'
import { getInputs } from './inputs.js'
import { writeSbom } from './layer/sbom.js'
import { zipPathIn } from './layer/work-dir.js'
import { buildLayer } from './pipeline.js'
import type { BuiltLayer } from './layer/built.js'
import {
  begin,
  closeSandbox,
  openLayerCache,
  prepare,
  reopenLayerCache,
  sandboxPackageCode
} from './prepare.js'
import { RunReport } from './report/run-report.js'
import type { Sandbox } from './sandbox/index.js'
import { cancellation } from './util/cancel.js'

export async function run(): Promise<void> {
  const report = new RunReport(core.getInput('layer-name'))
  const removeSignalHandlers = cancellation.install()
  let saved: Promise<void> | undefined
  let sandbox: Sandbox | undefined
  try {
    const inputs = getInputs()
    const workDir = begin(inputs, report)
    sandbox = await sandboxPackageCode(inputs, report)
    const prepared = await prepare(inputs, sandbox, report)
    const { interpreters, env, strip } = prepared
    const zipPath = zipPathIn(workDir)
    const withSbom = async (built: BuiltLayer): Promise<BuiltLayer> => ({
      ...built,
      sbom: await report.phase('SBOM', async () => writeSbom(built, inputs))
    })
    // The AWS preflight, which runs alongside, passes before anything is built
    // or published, and its problem is told first.
    let opened = await openLayerCache(inputs, prepared, report, zipPath).catch(async error => {
      await prepared.deployment
      throw error
    })
    const deployment = await prepared.deployment
    // A hit is described while pip confirms its configuration.
    let layer = opened.layer && (await withSbom(opened.layer))
    if (!(await opened.confirmed)) {
      opened = await reopenLayerCache(inputs, prepared, report, zipPath)
      layer = opened.layer && (await withSbom(opened.layer))
    }
    if (!layer) {
      cancellation.throwIfCancelled()
      const built = await buildLayer({
        inputs,
        interpreters,
        uv: opened.uv,
        strip,
        env,
        workDir,
        sandbox,
        cache: opened.cache,
        report
      })
      saved = built.saved
      layer = await withSbom(built.layer)
    }
    report.layer(layer)
    cancellation.throwIfCancelled()

    if (!deployment) {
      core.info('publish is false: the zip is built and nothing was sent to AWS.')
      return
    }
    // Loaded by the preflight already: a run that publishes nothing never loads the AWS SDK.
    const aws = await import('./aws/index.js')
    const versions = await aws.publishLayer(inputs, deployment, layer, report)
    await aws.testOnLambda(inputs, deployment, versions, report)
    await aws.shareLayer(inputs, deployment, versions, report)
    await aws.attachLayer(inputs, deployment, versions, report)
    await aws.writeLayerParameter(inputs, deployment, versions, report)
    await aws.pruneLayer(inputs, deployment, versions, report)
  } catch (error) {
    report.fail(error)
  } finally {
    await saved
    closeSandbox(sandbox)
    await report.finish()
    removeSignalHandlers()
  }
}
