/**
 * Before the cache: the sandbox every program starts in; the interpreters
 * (and pip's configuration of each) and, with `strip`, binutils' strip
 * found while the AWS preflight runs, and the cache client loads; the index
 * the installs use (codeartifact); and the installer. Then the cache, read
 * while the preflight goes on (openLayerCache).
 */
import * as core from '@actions/core'
import type { Deployment } from './aws/index.js'
import fs from 'node:fs'
import type { BuiltLayer } from './layer/built.js'
import { type LayerCache, openCache, preloadCache } from './cache/index.js'
import type { Inputs } from './inputs.js'
import {
  chooseInstaller,
  findInterpreters,
  findStripTools,
  InstallerEnv,
  type Interpreter,
  jobUserPipDirs,
  pipVersion,
  type StripTools,
  type UvPlan
} from './install/index.js'
import type { RunReport } from './report/run-report.js'
import { endOfSupportWarnings, type Runtime } from './runtimes.js'
import { programHome, type Sandbox } from './sandbox/index.js'
import { openSandbox, useSandbox } from './util/process.js'
import { decideStaging, readMemoryFacts } from './install/index.js'
import { freshWorkDir } from './layer/work-dir.js'

export interface Prepared {
  /**
   * What the preflight establishes (undefined when nothing is published),
   * still running while the cache is read; it rejects with the preflight's
   * problem.
   */
  deployment: Promise<Deployment | undefined>
  interpreters: Map<Runtime, Interpreter>
  /** The installers' environment of the run. */
  env: InstallerEnv
  /** How uv installs; undefined: pip. */
  uv: UvPlan | undefined
  /** With `strip: true`, the strip that reads each architecture's ELF files. */
  strip: StripTools | undefined
}

/**
 * The run's first facts, before anything runs: what the summary shows of
 * the inputs, the warnings about runtimes past their end of support, a
 * refusal of `staging: memory` where the runner has no tmpfs, and a fresh
 * work folder for the layer (returned).
 */
export function begin(inputs: Inputs, report: RunReport): string {
  report.summary.runtimes = inputs.runtimes
  report.summary.architectures = inputs.architectures
  report.summary.publishDisabled = !inputs.publish
  for (const warning of endOfSupportWarnings(inputs.runtimes)) report.warn(warning)
  if (inputs.staging === 'memory') decideStaging('memory', readMemoryFacts())
  return freshWorkDir(inputs.layerName)
}

/** Closes the sandbox: programs started after this one run without it (none should). */
export function closeSandbox(sandbox: Sandbox | undefined): void {
  useSandbox(undefined)
  sandbox?.dispose()
}

/**
 * Opens the sandbox every program of the run starts in (input `sandbox`),
 * before any package code or interpreter runs; says how package code runs.
 */
export async function sandboxPackageCode(inputs: Inputs, report: RunReport): Promise<Sandbox> {
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

/** Everything decided before the cache is read, the slow parts side by side. */
export async function prepare(
  inputs: Inputs,
  sandbox: Sandbox,
  report: RunReport
): Promise<Prepared> {
  // Without codeartifact the index is known now, and pip's configuration is
  // read from its files (pip, asked too, confirms it while the cache is
  // read: openLayerCache), or else from pip (0.4 s) while the preflight runs.
  const early = inputs.codeartifact ? undefined : InstallerEnv.create()
  // pip in the sandbox sees the job's user configuration; without isolation, a HOME of its own.
  const userDirs = sandbox.isolated ? jobUserPipDirs(process.env) : undefined
  const finding = report.background(async () => {
    const found = await report.phase('Find interpreters', async () =>
      findInterpreters(inputs.runtimes, inputs.pythonVersion)
    )
    for (const interpreter of found.values()) {
      const home = programHome(interpreter.path)
      if (home) sandbox.allowRead(home)
    }
    // pip starts first (its configuration: a few tenths of a second), then the
    // cache client (3.6 MB of bundle) loads while it runs, instead of after.
    const configs = early
      ? [...found.values()]
          .filter(i => !early.forecastPipConfig(i.path, userDirs))
          .map(async i => early.pipConfig(i.path).catch(() => ''))
      : []
    preloadCache(inputs)
    await Promise.all(configs)
    return found
  })
  // strip is looked for before anything is installed: its version is in the cache key.
  const stripping = inputs.strip
    ? report.background(async () => {
        const tools = await findStripTools(inputs.architectures, { required: true })
        for (const [arch, tool] of tools)
          core.info(`strip for ${arch}: ${tool.path} (${tool.version}).`)
        return tools
      })
    : undefined
  // The AWS phases (and the SDK) are loaded only by a run that publishes.
  const preflighting = inputs.publish
    ? import('./aws/index.js').then(async aws => aws.preflight(inputs, report))
    : undefined
  // The cache is read while the preflight runs (neither needs the other), unless
  // the index comes from AWS (codeartifact): the preflight ends before anything
  // is built or published (main.ts), and its problem is told first.
  const deployment: Promise<Deployment | undefined> = preflighting ?? Promise.resolve(undefined)
  deployment.catch(() => undefined)
  const [found, stripped] = await Promise.allSettled([finding, stripping])
  if (found.status === 'rejected' || stripped.status === 'rejected' || inputs.codeartifact) {
    await deployment
  }
  if (found.status === 'rejected') throw found.reason
  if (stripped.status === 'rejected') throw stripped.reason
  const interpreters = found.value
  const env = early ?? InstallerEnv.create(await codeArtifactUrl(inputs, report))
  const uv = await chooseInstaller(inputs, interpreters, env)
  report.summary.installer = uv?.label ?? 'pip'
  return { deployment, interpreters, env, uv, strip: stripped.value }
}

/**
 * With `codeartifact`, fetches a token and returns the repository's index
 * URL, for every install (pip's PIP_INDEX_URL; uv's UV_INDEX_URL), never on
 * a command line. The token is masked; the cache key sees the URL without it.
 */
async function codeArtifactUrl(inputs: Inputs, report: RunReport): Promise<string | undefined> {
  const repo = inputs.codeartifact
  if (!repo || !inputs.region) return undefined
  const region = inputs.region
  const { codeArtifactIndex, createCodeArtifactClient } = await import('./aws/index.js')
  const index = await report.phase('CodeArtifact', async () =>
    codeArtifactIndex(
      createCodeArtifactClient(region, { callTimeoutMs: inputs.awsTimeoutMs }),
      repo,
      { callTimeoutMs: inputs.awsTimeoutMs }
    )
  )
  report.summary.index = index.publicUrl
  return index.url
}

/** The layer's cache, what it holds, and the installer, decided with pip's configuration. */
export interface OpenedCache {
  cache: LayerCache
  layer: BuiltLayer | undefined
  uv: UvPlan | undefined
  /**
   * Whether pip confirmed the configuration they were decided with. A hit
   * is returned at once, to be put to use while pip answers; a miss only
   * once confirmed (or decided again), as everything built depends on it.
   */
  confirmed: Promise<boolean>
}

/**
 * The layer's cache and what it holds: the key is computed and the entry
 * restored while pip, asked beside its files' forecast
 * (InstallerEnv.forecastPipConfig), says its configuration. When pip says
 * otherwise, reopenLayerCache decides again with pip's own.
 */
export async function openLayerCache(
  inputs: Inputs,
  prepared: Prepared,
  report: RunReport,
  zipPath: string
): Promise<OpenedCache> {
  const opened = await openWith(inputs, prepared, prepared.uv, report, zipPath)
  const confirmed = prepared.env.confirmPipConfig().catch(() => false)
  if (opened.layer) return { ...opened, confirmed }
  // A miss: the installers' caches are restored, the action's uv fetched and
  // each interpreter's pip looked for, while pip answers. Neither depends on its configuration to be right: a
  // cache only saves downloads, and an earlier zip's files are checked one
  // by one before use.
  const downloads = opened.cache.downloads()
  const uv = opened.uv
  downloads.then(async d => await uv?.tool(d.env)).catch(() => undefined)
  for (const interpreter of new Set(prepared.interpreters.values())) {
    pipVersion(interpreter).catch(() => undefined)
  }
  if (await confirmed) return { ...opened, confirmed }
  await downloads.catch(() => undefined)
  return await reopenLayerCache(inputs, prepared, report, zipPath)
}

/** The installer, the key and the entry decided again, with pip's own configuration. */
export async function reopenLayerCache(
  inputs: Inputs,
  prepared: Prepared,
  report: RunReport,
  zipPath: string
): Promise<OpenedCache> {
  fs.rmSync(zipPath, { force: true })
  const uv = await chooseInstaller(inputs, prepared.interpreters, prepared.env)
  report.summary.installer = uv?.label ?? 'pip'
  const opened = await openWith(inputs, prepared, uv, report, zipPath)
  return { ...opened, confirmed: Promise.resolve(true) }
}

async function openWith(
  inputs: Inputs,
  prepared: Prepared,
  uv: UvPlan | undefined,
  report: RunReport,
  zipPath: string
): Promise<Omit<OpenedCache, 'confirmed'>> {
  const { interpreters, env, strip } = prepared
  const tools = { installer: uv?.label ?? 'pip', strip }
  const cache = await openCache(inputs, interpreters, tools, env, report)
  return { cache, layer: await cache.restore(zipPath), uv }
}
