/**
 * The run, step by step: inputs → preflight → cache or build (install,
 * bytecode, scan, checks, zip) → publish → attach → outputs and summary.
 * Each step's body lives with its concern (see CONTRIBUTING.md, "How the
 * code is organised"); this file decides the order and what is reported.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { attachLayer, preflight, pruneLayer, publishLayer, shareLayer } from './aws/index.js'
import {
  buildLayer,
  chooseInstaller,
  findInterpreters,
  freshWorkDir,
  zipPathIn
} from './install/index.js'
import { openCache } from './cache/index.js'
import { decideStaging, readMemoryFacts, Staging } from './install/staging.js'
import { errorMessage } from './errors.js'
import { getInputs, type Inputs } from './inputs.js'
import { codeArtifactIndex, createCodeArtifactClient } from './aws/codeartifact.js'
import { useIndex } from './install/pip.js'
import { pipConfigList } from './install/pip-config.js'
import { pruneUvCache } from './install/uv.js'
import { type BuiltLayer, packageList } from './layer/built.js'
import { RunReport } from './report/run-report.js'
import { endOfSupportWarnings } from './runtimes.js'
import { cancellation } from './util/cancel.js'
import { programHome, Sandbox } from './sandbox/index.js'
import { openSandbox, useSandbox } from './util/process.js'

/** The workspace's files an install reads: requirements, lock and project files, local paths they name. */
function installerReads(inputs: Inputs): string[] {
  const tree = inputs.requirements
  const lockDir = inputs.lock ? path.dirname(inputs.lock.file) : undefined
  return [
    tree.file,
    ...tree.requirements.map(r => path.resolve(inputs.workspace, r.name)),
    ...tree.localPaths.map(p => p.path),
    ...inputs.pipFiles,
    ...(inputs.lock ? [inputs.lock.file] : []),
    ...(lockDir
      ? [
          'pyproject.toml',
          'uv.lock',
          'uv.toml',
          '.python-version',
          'poetry.lock',
          'poetry.toml',
          'Pipfile',
          'Pipfile.lock'
        ].map(f => path.join(lockDir, f))
      : [])
  ]
}

/**
 * Opens the sandbox every program of the run starts in (input `sandbox`),
 * before any package code or interpreter runs; says how package code runs.
 */
async function sandboxPackageCode(inputs: Inputs, report: RunReport): Promise<Sandbox> {
  const sandbox = await openSandbox({
    mode: inputs.sandbox,
    workspace: inputs.workspace,
    installTimeoutMs: inputs.buildTimeoutMs
  })
  useSandbox(sandbox)
  report.summary.sandbox = sandbox.label
  if (sandbox.isolated) {
    core.info(`Sandbox: package code runs ${sandbox.label}.`)
  } else if (inputs.sandbox === 'off') {
    core.warning(
      'sandbox: off: package code (builds, imports) runs without isolation, and can read what the job can read through /proc.'
    )
  } else {
    report.warn(
      `Package code runs without isolation: ${sandbox.reason}. It gets an allow-listed environment and a fresh HOME, but can read what this job can read (through /proc as well). Set sandbox: required to fail instead, or see docs/security.md for what each runner allows.`
    )
  }
  return sandbox
}

/** Records the layer in the outputs and the summary. */
function reportLayer(report: RunReport, layer: BuiltLayer): void {
  const { zip } = layer
  core.info(
    `Layer zip: ${zip.path}, ${zip.bytes} bytes (${zip.unzippedBytes} unzipped, ${zip.files} files), CodeSha256 ${zip.sha256}`
  )
  report.summary.zip = zip
  report.summary.packages = layer.sites.map(s => ({
    runtime: s.runtime,
    packages: s.packages.map(p => `${p.name}==${p.version}`)
  }))
  report.summary.builtFromSource = [
    ...new Set(
      layer.sites.flatMap(s =>
        s.packages.flatMap(p =>
          p.builtFromSource ? [`${p.name}==${p.version} (${p.builtFromSource})`] : []
        )
      )
    )
  ]
  report.output('zip-path', zip.path)
  report.output('code-sha256', zip.sha256)
  report.output('code-size', String(zip.bytes))
  report.output('unzipped-size', String(zip.unzippedBytes))
  report.output('packages', JSON.stringify(packageList(layer)))
}

/**
 * With `codeartifact`, fetches a token and makes the repository the index of
 * every install (pip's PIP_INDEX_URL; uv's UV_INDEX_URL), never on a command
 * line. The token is masked; the cache key sees the URL without it.
 */
async function useCodeArtifact(inputs: Inputs, report: RunReport): Promise<void> {
  const repo = inputs.codeartifact
  if (!repo || !inputs.region) return
  const region = inputs.region
  const index = await report.phase('CodeArtifact', async () =>
    codeArtifactIndex(
      createCodeArtifactClient(region, { callTimeoutMs: inputs.awsTimeoutMs }),
      repo,
      { callTimeoutMs: inputs.awsTimeoutMs }
    )
  )
  useIndex(index.url)
  report.summary.index = index.publicUrl
}

export async function run(): Promise<void> {
  const report = new RunReport(core.getInput('layer-name'))
  const removeSignalHandlers = cancellation.install()
  let saving: Promise<void> | undefined
  let staging: Staging | undefined
  let sandbox: Sandbox | undefined
  try {
    const inputs = getInputs()
    report.summary.runtimes = inputs.runtimes
    report.summary.architectures = inputs.architectures
    report.summary.publishDisabled = !inputs.publish
    for (const warning of endOfSupportWarnings(inputs.runtimes)) report.warn(warning)
    // staging: memory on a runner without a tmpfs fails here, before anything is done.
    if (inputs.staging === 'memory') decideStaging('memory', readMemoryFacts())
    const workDir = freshWorkDir(inputs.layerName)
    sandbox = await sandboxPackageCode(inputs, report)
    const box = sandbox

    // The interpreters are found, and pip's configuration read for each (a
    // pip start, 0.4 s), while the AWS preflight runs. With codeartifact,
    // pip's configuration waits for the index it sets.
    const finding = report.background(async () => {
      const found = await report.phase('Find interpreters', async () =>
        findInterpreters(inputs.runtimes, inputs.pythonVersion)
      )
      for (const interpreter of found.values()) {
        const home = programHome(interpreter.path)
        if (home) box.allowRead(home)
      }
      if (!inputs.codeartifact) {
        for (const interpreter of found.values()) {
          pipConfigList(interpreter.path).catch(() => undefined)
        }
      }
      return found
    })
    const [preflighted, found] = await Promise.allSettled([preflight(inputs, report), finding])
    // The preflight's problem first: it is what the user reads about AWS.
    if (preflighted.status === 'rejected') throw preflighted.reason
    if (found.status === 'rejected') throw found.reason
    const deployment = preflighted.value
    const interpreters = found.value
    await useCodeArtifact(inputs, report)
    const uv = await chooseInstaller(inputs, interpreters)
    report.summary.installer = uv?.label ?? 'pip'
    const cache = await openCache(inputs, interpreters, uv?.label ?? 'pip', report)
    let layer = await cache.restore(zipPathIn(workDir))
    if (!layer) {
      cancellation.throwIfCancelled()
      const downloads = await cache.downloads()
      staging = Staging.open(inputs.staging, workDir)
      core.info(
        `Staging: ${staging.kind === 'memory' ? 'in memory' : 'on disk'}, ${staging.dir} (${staging.reason}).`
      )
      report.summary.staging = staging.label
      // Installs write into the layer's work folders only, and build local
      // projects in copies of their own.
      box.allowInstallerWrites(workDir, staging.dir)
      box.allowInstallerReads(...installerReads(inputs))
      box.allowBuildsIn(
        ...inputs.requirements.localPaths
          .filter(p =>
            ['setup.py', 'pyproject.toml', 'setup.cfg'].some(f =>
              fs.existsSync(path.join(p.path, f))
            )
          )
          .map(p => p.path)
      )
      const built = await buildLayer(
        inputs,
        interpreters,
        uv,
        workDir,
        staging,
        report,
        downloads.previous
      )
      if (uv && uv.fellBack.length > 0) {
        report.summary.installer = `${uv.label}; pip for ${uv.fellBack.join(', ')}`
      }
      // The caches are saved while the layer is published: neither waits for
      // the other, and a save never fails the run (store.ts, downloads.ts).
      saving = report
        .background(async () => {
          // One after the other: @github/local-action's cache stand-in
          // writes every archive's file list to one path.
          await cache.save(built)
          await report.phase('Download cache save', async () =>
            downloads.save(
              built.zip,
              uv ? async dir => pruneUvCache(uv.tool, dir) : undefined,
              built.resolutions
            )
          )
        })
        .catch((error: unknown) => core.warning(`Cache save failed: ${errorMessage(error)}`))
      layer = built
    }
    reportLayer(report, layer)
    cancellation.throwIfCancelled()

    if (!deployment) {
      core.info('publish is false: the zip is built and nothing was sent to AWS.')
      return
    }
    const versions = await publishLayer(inputs, deployment, layer, report)
    await shareLayer(inputs, deployment, versions, report)
    await attachLayer(inputs, deployment, versions, report)
    await pruneLayer(inputs, deployment, versions, report)
  } catch (error) {
    report.fail(error)
  } finally {
    await saving
    staging?.dispose()
    useSandbox(undefined)
    sandbox?.dispose()
    await report.finish()
    removeSignalHandlers()
  }
}
