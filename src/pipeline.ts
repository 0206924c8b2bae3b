/**
 * The cache-miss path, read top to bottom: stage (install every target),
 * exclude, strip, compile the bytecode, scan, then the import smoke test
 * with the verification and the zip made alongside it, and the zip's size. The caches are
 * saved while the run goes on.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import type { LayerCache } from './cache/index.js'
import {
  assertUnchanged,
  checkZipSize,
  finishSmokeTest,
  fingerprintTree,
  type Measured,
  NEAR_LIMIT_RATIO,
  startSmokeTest,
  verifyStaged
} from './checks/index.js'
import { ActionError, errorMessage } from './errors.js'
import type { Inputs } from './inputs.js'
import {
  type StagedTree,
  bytecodeVerdict,
  compileBytecode,
  excludeFiles,
  findStripTools,
  forecastBytecode,
  type InstallerEnv,
  type Interpreter,
  pruneUvCache,
  savedBytes,
  type Site,
  stageLayer,
  Staging,
  stripFiles,
  stripLayer,
  type StripTools,
  type UvPlan
} from './install/index.js'
import type { BuiltLayer } from './layer/built.js'
import { distributionLabel, readDistributions } from './layer/dist-info.js'
import type { EarlierZip } from './layer/earlier.js'
import {
  bytecodeBytes,
  type LayerEntry,
  type LayerScan,
  machineCodeFiles,
  scanLayer,
  walkLayer
} from './layer/scan.js'
import { zipPathIn } from './layer/work-dir.js'
import { zipLayer, type ZipResult } from './layer/zip.js'
import type { RunReport } from './report/run-report.js'
import { LIMITS, type Runtime, RUNTIMES } from './runtimes.js'
import type { Sandbox } from './sandbox/index.js'
import { formatBytes } from './util/format.js'
import { resumePrograms, stopPrograms } from './util/process.js'

export interface BuildOptions {
  inputs: Inputs
  interpreters: Map<Runtime, Interpreter>
  /** How uv installs; undefined: pip. */
  uv: UvPlan | undefined
  /** With `strip: true`, the strip of each architecture; undefined: nothing is stripped. */
  strip: StripTools | undefined
  /** The installers' environment of the run (index, pip's configuration). */
  env: InstallerEnv
  /** The layer's work folder: the zip goes there, and the tree when staged on disk. */
  workDir: string
  /** Every program starts in it: the build's folders are shown to installs. */
  sandbox: Sandbox
  cache: LayerCache
  report: RunReport
}

export interface Built {
  layer: BuiltLayer
  /** The caches being saved (never rejects); the staged tree is released after. */
  saved: Promise<void>
}

/** Installs, compiles, checks and zips the layer; starts saving the caches. */
export async function buildLayer(o: BuildOptions): Promise<Built> {
  const { inputs, report } = o
  // Restored (and the action's uv fetched) while pip confirmed its configuration: openLayerCache.
  const downloads = await o.cache.downloads()
  const staging = Staging.open(inputs.staging, o.workDir)
  try {
    core.info(
      `Staging: ${staging.kind === 'memory' ? 'in memory' : 'on disk'}, ${staging.dir} (${staging.reason}).`
    )
    report.summary.staging = staging.label
    showToInstalls(o.sandbox, inputs, o.workDir, staging)

    const { staged, env } = await stageWithin(staging, o, downloads.env, downloads.earlier)
    if (o.uv && o.uv.fellBack.length > 0) {
      report.summary.installer = `${o.uv.label}; pip for ${o.uv.fellBack.join(', ')}`
    }
    const layer = await checkAndZip(o, staged, downloads.earlier)

    // Saved while the layer is published: neither waits for the other, and
    // a save never fails the run (store.ts, downloads.ts). The two entries
    // are saved at the same time, except under @github/local-action, whose
    // cache stand-in (LOCAL_ACTION_CACHE_PATH) writes every archive's file
    // list to one path.
    const uv = o.uv
    const saveLayer = async (): Promise<void> => await o.cache.save(layer)
    const saveDownloads = async (): Promise<void> =>
      await report.phase('Download cache save', async () =>
        downloads.save({
          zip: layer.zip,
          ...(layer.resolutions ? { resolutions: layer.resolutions } : {}),
          env,
          ...(uv
            ? { prune: async (dir: string) => pruneUvCache(async () => uv.tool(env), dir) }
            : {})
        })
      )
    const oneAtATime = Boolean(process.env.LOCAL_ACTION_CACHE_PATH)
    const saved = report
      .background(async () => {
        if (oneAtATime) {
          await saveLayer()
          await saveDownloads()
        } else {
          // Both end before the staged tree is released (finally, below).
          const ends = await Promise.allSettled([saveLayer(), saveDownloads()])
          const failed = ends.find(e => e.status === 'rejected')
          if (failed) throw failed.reason
        }
      })
      .catch((error: unknown) => core.warning(`Cache save failed: ${errorMessage(error)}`))
      .finally(() => staging.dispose())
    return { layer, saved }
  } catch (error) {
    staging.dispose()
    throw error
  }
}

/**
 * What installs may see of this run: they write into the layer's work
 * folders only, read the requirements, lock and project files and the local
 * paths they name, and build local projects in copies of their own.
 */
function showToInstalls(sandbox: Sandbox, inputs: Inputs, workDir: string, staging: Staging): void {
  const tree = inputs.requirements
  const lockDir = inputs.lock ? path.dirname(inputs.lock.file) : undefined
  const projectFiles = [
    'pyproject.toml',
    'uv.lock',
    'uv.toml',
    '.python-version',
    'poetry.lock',
    'poetry.toml',
    'Pipfile',
    'Pipfile.lock'
  ]
  sandbox.allowInstallerWrites(workDir, staging.dir)
  sandbox.allowInstallerReads(
    tree.file,
    ...tree.requirements.map(r => path.resolve(inputs.workspace, r.name)),
    ...tree.localPaths.map(p => p.path),
    ...inputs.pipFiles,
    ...(inputs.lock ? [inputs.lock.file] : []),
    ...(lockDir ? projectFiles.map(f => path.join(lockDir, f)) : [])
  )
  sandbox.allowBuildsIn(
    ...tree.localPaths
      .map(p => p.path)
      .filter(p =>
        ['setup.py', 'pyproject.toml', 'setup.cfg'].some(f => fs.existsSync(path.join(p, f)))
      )
  )
}

/**
 * stageAndCompile where `staging` says, under its watch. A build in memory
 * that runs out of room there is staged again on disk. Returns the tree and
 * the installers' environment it was built with.
 */
async function stageWithin(
  staging: Staging,
  o: BuildOptions,
  env: InstallerEnv,
  earlier: EarlierZip | undefined
): Promise<{ staged: StagedTree; env: InstallerEnv }> {
  const attempt = async (): Promise<{ staged: StagedTree; env: InstallerEnv }> => {
    const scratch = env.inScratch(staging.kind === 'memory' ? staging.dir : undefined)
    if (o.uv) o.uv.fellBack.length = 0
    try {
      const staged = await staging.watch(
        async () => stageAndCompile(o, scratch, staging.dir, earlier),
        stopPrograms
      )
      return { staged, env: scratch }
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
    if (o.inputs.staging === 'memory') o.report.warn(text)
    else core.info(text)
    staging.moveToDisk()
    o.report.summary.staging = staging.label
    return await attempt()
  }
}

/**
 * Installs the requirements into a tree staged in `dir`, leaves out what
 * `exclude` names, strips the ELF files (`strip`), and compiles the
 * bytecode: every step that writes the layer's files.
 */
async function stageAndCompile(
  o: BuildOptions,
  env: InstallerEnv,
  dir: string,
  earlier: EarlierZip | undefined
): Promise<StagedTree> {
  const { inputs, report, uv } = o
  const staged = await report.phase(`Install (${uv ? 'uv' : 'pip'})`, async () =>
    stageLayer({
      runtimes: inputs.runtimes,
      architectures: inputs.architectures,
      requirements: inputs.requirements.file,
      pipArgs: inputs.pipArgs,
      indexArgs: inputs.indexArgs,
      workDir: dir,
      cwd: inputs.workspace,
      interpreters: o.interpreters,
      buildFromSource: inputs.buildFromSource,
      env,
      ...(inputs.lock ? { lock: inputs.lock } : {}),
      ...(uv ? { uv } : {}),
      // An excluded source's .pyc would outlive it.
      restoreBytecode: inputs.compile && inputs.exclude.length === 0,
      ...(earlier ? { earlier } : {})
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

  // What is left is stripped before anything checks or measures it.
  const tools = o.strip
  if (tools) {
    await report.phase(
      'Strip',
      async () =>
        stripLayer({ root: staged.root, sites: staged.sites, tools, scratch: dir, report }),
      'Strip symbols (strip)'
    )
  }

  if (inputs.compile) {
    await report.phase(
      'Compile bytecode',
      async () => {
        if (!bytecodeCanFit(staged, report)) return
        const bytecode = { sources: 0, compiled: 0, testSuiteSources: 0 }
        for (const site of staged.sites) {
          const compiled = await compileBytecode({
            python: site.interpreter.path,
            dirs: [path.join(staged.root, site.dir)],
            layerRoot: staged.root,
            ...(earlier ? { earlier: earlier.path } : {})
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
 * Whether to compile, decided from the staged tree before compiling: no
 * when even the least bytecode the sources can make would take the layer
 * over Lambda's unzipped limit, while without .pyc it fits. The layer then
 * ships without .pyc (those already in it are removed), as when compiled
 * .pyc are measured over the limit (dropBytecodeToFit), minus the compile.
 */
function bytecodeCanFit(staged: StagedTree, report: RunReport): boolean {
  const tree = walkLayer(staged.root)
  const forecast = forecastBytecode(
    tree,
    staged.sites.map(s => ({ dir: s.dir, python: RUNTIMES[s.runtime].python }))
  )
  const limit = LIMITS.unzippedBytes
  const verdict = bytecodeVerdict(forecast, limit)
  const without = forecast.unzippedBytes - forecast.bytecodeBytes
  if (verdict === 'near') {
    core.info(
      `compile: the layer is ${formatBytes(forecast.unzippedBytes)} before compiling; the .pyc of its ${forecast.sources.toLocaleString('en-US')} .py files (${formatBytes(forecast.sourceBytes)}) may take it over Lambda's limit of ${formatBytes(limit)} (estimated ${formatBytes(forecast.low)} to ${formatBytes(forecast.high)} once compiled), so it is compiled and measured.`
    )
  }
  if (verdict !== 'over') return true
  removeBytecode(tree.root, tree.entries)
  report.warn(
    `Precompiled bytecode (.pyc, an estimated ${formatBytes(forecast.low - without)} or more from ${formatBytes(forecast.sourceBytes)} of .py sources) would make the layer at least ${formatBytes(forecast.low)} unzipped, over Lambda's limit of ${formatBytes(limit)}; without it the layer is ${formatBytes(without)}, so nothing was compiled and it ships without .pyc files (imports compile on each cold start). Set \`compile: false\` to say so, or make the layer smaller to keep them.`
  )
  return false
}

/** Removes every .pyc file and __pycache__ folder among `entries` (of the tree at `root`). */
function removeBytecode(root: string, entries: readonly LayerEntry[]): void {
  for (const entry of entries) {
    if (!entry.directory && entry.rel.endsWith('.pyc')) {
      fs.rmSync(path.join(root, entry.rel), { force: true })
    }
  }
  for (const entry of [...entries].reverse()) {
    if (entry.directory && path.basename(entry.rel) === '__pycache__') {
      fs.rmSync(path.join(root, entry.rel), { recursive: true, force: true })
    }
  }
}

/**
 * Scans the staged tree, then verifies and zips it while the smoke test runs
 * (the smoke test only reads the tree, `python -B`); then checks that
 * nothing changed the tree, and the zip's size.
 */
async function checkAndZip(
  o: BuildOptions,
  staged: StagedTree,
  earlier: EarlierZip | undefined
): Promise<BuiltLayer> {
  const { inputs, report } = o
  let scan = await report.phase('Scan', async () => scanLayer(staged.root))
  await refuseEscapingLinks(scan, staged.sites)
  const strip = await measureStrip(o, scan)
  // Bytecode must not make a layer that fits undeployable.
  if (inputs.compile && scan.unzippedBytes > LIMITS.unzippedBytes) {
    scan = await dropBytecodeToFit(staged.root, scan, 'unzipped', report, strip)
  }
  const sites = staged.sites.map(s => ({
    runtime: s.runtime,
    dir: s.dir,
    python: s.interpreter.path
  }))
  const zipTo = async (tree: LayerScan, phase: string): Promise<ZipResult> =>
    report.phase(
      phase,
      async () => zipLayer(tree, zipPathIn(o.workDir), undefined, earlier ? { earlier } : {}),
      phase
    )

  const before = fingerprintTree(staged.root)
  // The smoke test (a program of its own) runs while the tree is verified
  // (here, on the main thread) and then zipped.
  const smoking = startSmokeTest(inputs, staged.root, sites, scan, report)
  let measured: Measured
  try {
    measured = await verifyStaged(inputs, staged.root, sites, scan, report, strip ? { strip } : {})
  } catch (error) {
    await smoking?.catch(() => undefined)
    throw error
  }
  // The smoke test's log, and its problems, come first.
  const [smoked, zipped] = await Promise.allSettled([smoking, zipTo(scan, 'Zip')])
  await finishSmokeTest(inputs, smoked, report)
  if (zipped.status === 'rejected') throw zipped.reason
  assertUnchanged(staged.root, before)

  let zip = zipped.value
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
    const smaller = await zipTo(without, 'Zip without bytecode')
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
 * What `strip: true` would save, when the layer is near or over Lambda's
 * unzipped limit and strip is off: measured, not estimated, by stripping
 * copies of its ELF files the way `strip: true` does (the same choice of
 * files, the same checks), in the work folder. Undefined when it does not
 * matter (verify off, a smaller layer, no ELF files) or no strip is here.
 */
async function measureStrip(
  o: BuildOptions,
  scan: LayerScan
): Promise<Measured['strip'] | undefined> {
  const { inputs, report } = o
  if (o.strip || !inputs.verify) return undefined
  if (scan.unzippedBytes <= LIMITS.unzippedBytes * NEAR_LIMIT_RATIO) return undefined
  const elf = scan.files.filter(f => f.format === 'elf')
  if (elf.length === 0) return undefined
  const tools = await findStripTools(inputs.architectures)
  if (tools.size === 0) return undefined
  return await report.phase(
    'Strip, measured on copies',
    async () => {
      const scratch = fs.mkdtempSync(path.join(o.workDir, 'strip-measure-'))
      try {
        const outcome = await stripFiles({ files: elf, tools, scratch, apply: false })
        const measured = {
          savedBytes: savedBytes(outcome),
          files: outcome.stripped.length,
          elfFiles: outcome.elfFiles
        }
        core.info(
          `The layer is ${formatBytes(scan.unzippedBytes)}; \`strip: true\` would save ${formatBytes(measured.savedBytes)} (${measured.files} of ${measured.elfFiles} ELF files stripped, measured on copies).`
        )
        return measured
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true })
      }
    },
    'Strip, measured on copies'
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
  report: RunReport,
  strip?: Measured['strip']
): Promise<LayerScan> {
  const pyc = bytecodeBytes(scan)
  if (pyc === 0) return scan
  if (limit === 'unzipped' && scan.unzippedBytes - pyc > LIMITS.unzippedBytes) return scan
  removeBytecode(root, scan.entries)
  report.summary.bytecode = undefined
  const rescanned = await report.phase('Scan without bytecode', async () => scanLayer(root))
  if (limit === 'unzipped') {
    const stripped = strip ? scan.unzippedBytes - strip.savedBytes : undefined
    const keep =
      stripped !== undefined && stripped <= LIMITS.unzippedBytes
        ? ` \`strip: true\` would keep them: stripped (measured on copies of its ELF files), the layer with its .pyc files is ${formatBytes(stripped)}.`
        : ''
    report.warn(
      `Precompiled bytecode (.pyc, ${formatBytes(pyc)}) would make the layer ${formatBytes(scan.unzippedBytes)} unzipped, over Lambda's limit of ${formatBytes(LIMITS.unzippedBytes)}; without it the layer is ${formatBytes(rescanned.unzippedBytes)}, so it ships without .pyc files (imports compile on each cold start). Set \`compile: false\` to say so, or make the layer smaller to keep them.${keep}`
    )
  }
  return rescanned
}
