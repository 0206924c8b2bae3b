/**
 * Building the layer (the cache-miss path): install into a staged tree,
 * precompile bytecode, scan the tree once, check it, zip it.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { checkLayer, checkZipSize } from '../checks/index.js'
import { assertUnchanged, fingerprintTree } from '../checks/unchanged.js'
import { ActionError } from '../errors.js'
import type { Inputs } from '../inputs.js'
import type { BuiltLayer } from '../layer/built.js'
import { distributionLabel, readDistributions } from '../layer/dist-info.js'
import { bytecodeBytes, type LayerScan, machineCodeFiles, scanLayer } from '../layer/scan.js'
import { zipLayer } from '../layer/zip.js'
import type { RunReport } from '../report/run-report.js'
import { LIMITS, type Runtime } from '../runtimes.js'
import { formatBytes } from '../util/format.js'
import { compileBytecode } from './bytecode.js'
import { excludeFiles } from './exclude.js'
import type { PreviousZip } from '../cache/downloads.js'
import type { UvPlan } from './install.js'
import type { Interpreter } from './interpreters.js'
import { type BuildResult, type Site, stageLayer } from './stage.js'
import type { Staging } from './staging.js'
import { useScratch } from './pip.js'
import { resumePrograms, stopPrograms } from '../util/process.js'
import { pinnedUv, pinnedUvRuns } from './pinned-uv.js'
import { decideInstaller, readPipConfig, uvOnPath, uvOptions, UV_VERSION } from './uv.js'
import { parsePipOptions } from '../requirements/pip-args.js'
import { runnerTemp } from '../util/runner-temp.js'

export { findInterpreters } from './interpreters.js'

/** A fresh scratch folder for this layer under RUNNER_TEMP. */
export function freshWorkDir(layerName: string): string {
  const safe = layerName.replace(/[^A-Za-z0-9_-]+/g, '_').slice(-60)
  const dir = runnerTemp('lambda-python-layer', safe)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/** Where the zip of a work folder goes. */
export function zipPathIn(workDir: string): string {
  return path.join(workDir, `${path.basename(workDir)}.zip`)
}

/** Refuses symbolic links that leave the staged layer, naming the file, its package and the target. */
async function refuseEscapingLinks(scan: LayerScan, sites: readonly Site[]): Promise<void> {
  if (scan.escapes.length === 0) return
  const owners = new Map<string, string>()
  for (const site of sites) {
    for (const dist of await readDistributions(path.join(scan.root, site.dir))) {
      for (const file of dist.files) {
        owners.set(
          path.relative(scan.root, file).split(path.sep).join('/'),
          distributionLabel(dist)
        )
      }
    }
  }
  const lines = scan.escapes.map(link => {
    const top = link.rel.split('/').slice(0, 2).join('/')
    const owner =
      owners.get(link.rel) ??
      [...owners].find(([file]) => file.startsWith(`${top}/`) || file === top)?.[1]
    return `- ${link.rel}${owner ? ` (${owner})` : ''} links to ${link.target}`
  })
  throw new ActionError(
    `The staged layer holds symbolic links to files outside it; their targets are runner files, not part of any package, and are never put in a layer. Nothing was published:\n${lines.join('\n')}\nRemove the links from the package's source tree (or replace them with the files themselves).`
  )
}

/**
 * Removes the precompiled bytecode from the staged layer and scans it again,
 * when the .pyc files are what pushes it over a limit. For the unzipped
 * limit, only when the sources alone fit (else the size check explains);
 * for the zip, the caller zips again and compares.
 */
async function dropBytecodeToFit(
  root: string,
  scan: LayerScan,
  limit: 'unzipped' | 'zip',
  report: RunReport
): Promise<LayerScan> {
  const pyc = bytecodeBytes(scan)
  if (pyc === 0) return scan
  if (limit === 'unzipped' && scan.unzippedBytes - pyc > LIMITS.unzippedBytes) return scan
  for (const file of scan.files) {
    if (file.rel.endsWith('.pyc')) fs.rmSync(path.join(root, file.rel), { force: true })
  }
  for (const entry of [...scan.entries].reverse()) {
    if (entry.directory && path.basename(entry.rel) === '__pycache__') {
      fs.rmSync(path.join(root, entry.rel), { recursive: true, force: true })
    }
  }
  report.summary.bytecode = undefined
  const rescanned = await report.phase('Scan without bytecode', async () => scanLayer(root))
  if (limit === 'unzipped') {
    report.warn(
      `Precompiled bytecode (.pyc, ${formatBytes(pyc)}) would make the layer ${formatBytes(scan.unzippedBytes)} unzipped, over Lambda's limit of ${formatBytes(LIMITS.unzippedBytes)}; without it the layer is ${formatBytes(rescanned.unzippedBytes)}, so it ships without .pyc files (imports compile on each cold start). Set \`compile: false\` to say so, or make the layer smaller to keep them.`
    )
  }
  return rescanned
}

/**
 * Decides the installer (input `installer`): a plan for uv, or undefined for
 * pip. Reads pip's configuration (once per run: the cache key reads it
 * too), and installs no uv yet (a cached layer needs none).
 */
export async function chooseInstaller(
  inputs: Pick<
    Inputs,
    'installer' | 'lock' | 'runtimes' | 'architectures' | 'pipArgs' | 'workspace'
  >,
  interpreters: Map<Runtime, Interpreter>
): Promise<UvPlan | undefined> {
  if (inputs.installer === 'pip') return undefined
  const python = [...interpreters.values()][0]?.path
  if (!python) return undefined
  const onPath = await uvOnPath()
  const uvProject = inputs.lock?.kind === 'uv-lock'
  const source = uvProject ? 'project' : onPath ? 'path' : pinnedUvRuns() ? 'action' : undefined
  const options = uvOptions(
    await readPipConfig(python),
    parsePipOptions(inputs.pipArgs),
    inputs.workspace
  )
  const decision = decideInstaller({
    choice: inputs.installer,
    uv: source,
    locked: inputs.lock !== undefined,
    runtimes: inputs.runtimes,
    architectures: inputs.architectures,
    unsupported: options.unsupported
  })
  core.info(`Installer: ${decision.installer} (${decision.reason}).`)
  if (decision.installer === 'pip') return undefined
  return {
    // pinnedUv installs once per run (and asks again after a failure).
    tool: async () => onPath ?? (await pinnedUv(python)),
    label: `uv ${onPath?.version ?? UV_VERSION}`,
    options,
    explicit: inputs.installer === 'uv',
    locked: inputs.lock !== undefined,
    fellBack: []
  }
}

/**
 * Installs the requirements into a tree staged in `dir`, leaves out what
 * `exclude` names, and compiles the bytecode: every step that writes the
 * layer's files.
 */
async function stageAndCompile(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  uv: UvPlan | undefined,
  dir: string,
  report: RunReport,
  previous: PreviousZip | undefined
): Promise<BuildResult> {
  const staged = await report.phase(`Install (${uv ? 'uv' : 'pip'})`, async () =>
    stageLayer({
      runtimes: inputs.runtimes,
      architectures: inputs.architectures,
      requirements: inputs.requirements.file,
      pipArgs: inputs.pipArgs,
      indexArgs: inputs.indexArgs,
      workDir: dir,
      cwd: inputs.workspace,
      interpreters,
      buildFromSource: inputs.buildFromSource,
      ...(inputs.lock ? { lock: inputs.lock } : {}),
      ...(uv ? { uv } : {}),
      // An excluded source's .pyc would outlive it.
      restoreBytecode: inputs.compile && inputs.exclude.length === 0,
      ...(previous
        ? {
            earlier: {
              zip: previous.path,
              sha256: previous.sha256,
              resolutions: previous.resolutions
            }
          }
        : {})
    })
  )
  if (staged.sites.every(s => s.packages.length === 0)) {
    const what = `${path.basename(inputs.requirements.file)} installs no packages, so the layer would be empty`
    if (inputs.publish) throw new ActionError(`${what}; nothing was published. Check the file.`)
    core.warning(`${what}.`)
  }

  // What the user left out is neither compiled nor zipped.
  if (inputs.exclude.length > 0) {
    await report.phase(
      'Exclude',
      async () => excludeFiles(staged.root, staged.sites, inputs.exclude, report),
      'Exclude'
    )
  }

  if (inputs.compile) {
    await report.phase(
      'Compile bytecode',
      async () => {
        const bytecode = { sources: 0, compiled: 0, testSuiteSources: 0 }
        for (const site of staged.sites) {
          const compiled = await compileBytecode({
            python: site.interpreter.path,
            dirs: [path.join(staged.root, site.dir)],
            layerRoot: staged.root,
            ...(previous ? { previous: previous.path } : {})
          })
          bytecode.sources += compiled.sources
          bytecode.testSuiteSources += compiled.testSuiteSources
          bytecode.compiled += compiled.sources - compiled.testSuiteSources - compiled.invalid
        }
        report.summary.bytecode = bytecode
      },
      'Compile bytecode'
    )
  }
  return staged
}

/**
 * stageAndCompile where `staging` says, under its watch. A build in memory
 * that runs out of room there is staged again on disk.
 */
async function stageWithin(
  staging: Staging,
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  uv: UvPlan | undefined,
  report: RunReport,
  previous: PreviousZip | undefined
): Promise<BuildResult> {
  const attempt = async (): Promise<BuildResult> => {
    useScratch(staging.kind === 'memory' ? staging.dir : undefined)
    if (uv) uv.fellBack.length = 0
    try {
      return await staging.watch(
        async () => stageAndCompile(inputs, interpreters, uv, staging.dir, report, previous),
        stopPrograms
      )
    } finally {
      // Stopped or not, the programs that follow (the smoke test, a retry) run.
      resumePrograms()
    }
  }
  try {
    return await attempt()
  } catch (error) {
    if (!staging.ranOutOfRoom(error)) throw error
    const text = `Staging in memory ran out of room (${staging.outgrew}); the layer is staged again on disk, in ${staging.diskFolder}. Set \`staging: disk\` to stage there from the start.`
    if (inputs.staging === 'memory') report.warn(text)
    else core.info(text)
    staging.moveToDisk()
    report.summary.staging = staging.label
    return await attempt()
  }
}

/** Installs, compiles, checks and zips the layer. */
export async function buildLayer(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  uv: UvPlan | undefined,
  workDir: string,
  /** Where the layer's tree is staged (memory or disk). */
  staging: Staging,
  report: RunReport,
  /** An earlier build's zip: unchanged files keep their .pyc and compressed bytes. */
  previous?: PreviousZip
): Promise<BuiltLayer> {
  const staged = await stageWithin(staging, inputs, interpreters, uv, report, previous)

  let scan = await report.phase('Scan', async () => scanLayer(staged.root))
  await refuseEscapingLinks(scan, staged.sites)
  // Bytecode must not make a layer that fits undeployable.
  if (inputs.compile && scan.unzippedBytes > LIMITS.unzippedBytes) {
    scan = await dropBytecodeToFit(staged.root, scan, 'unzipped', report)
  }
  const sites = staged.sites.map(s => ({
    runtime: s.runtime,
    dir: s.dir,
    python: s.interpreter.path
  }))
  const reuse = previous ? { previous: previous.path, previousSha256: previous.sha256 } : {}
  const before = fingerprintTree(staged.root)
  const checked = await checkLayer(inputs, staged.root, sites, scan, report, async () =>
    report.phase('Zip', async () => zipLayer(scan, zipPathIn(workDir), undefined, reuse), 'Zip')
  )
  assertUnchanged(staged.root, before)
  let measured = checked.measured
  let zip = checked.alongside
  if (zip.reused?.readable) {
    core.info(
      `Zip: ${zip.reused.entries} of ${zip.files} entries (${formatBytes(zip.reused.bytes)}) reused from the earlier zip, the rest compressed.`
    )
  }
  if (
    inputs.compile &&
    inputs.publish &&
    !inputs.s3 &&
    zip.bytes > LIMITS.directUploadBytes &&
    bytecodeBytes(scan) > 0
  ) {
    // Over the direct-upload limit: try the zip without bytecode.
    const without = await dropBytecodeToFit(staged.root, scan, 'zip', report)
    const smaller = await report.phase(
      'Zip without bytecode',
      async () => zipLayer(without, zipPathIn(workDir), undefined, reuse),
      'Zip without bytecode'
    )
    if (smaller.bytes <= LIMITS.directUploadBytes) {
      report.warn(
        `The zip with precompiled bytecode (.pyc) was ${formatBytes(zip.bytes)}, over the ${formatBytes(LIMITS.directUploadBytes)} Lambda accepts as a direct upload; without it, it is ${formatBytes(smaller.bytes)}, so the layer ships without .pyc files (imports compile on each cold start). Set \`s3-bucket\` to keep them, or \`compile: false\` to say so.`
      )
    }
    // Still too large otherwise: the size check below explains, without the .pyc lever.
    scan = without
    zip = smaller
    measured = { ...measured, unzippedBytes: without.unzippedBytes, bytecodeBytes: 0 }
  }
  checkZipSize(inputs, zip, measured, report)
  return {
    zip,
    sites: staged.sites.map(s => ({
      runtime: s.runtime,
      dir: s.dir,
      python: s.interpreter.version,
      packages: s.packages
    })),
    machineCode: machineCodeFiles(scan).length > 0,
    resolutions: staged.resolutions
  }
}
