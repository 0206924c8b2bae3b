/**
 * Building the layer (the cache-miss path): install into a staged tree,
 * precompile bytecode, scan the tree once, check it, zip it.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { checkLayer, checkZipSize } from '../checks/index.js'
import { ActionError } from '../errors.js'
import type { Inputs } from '../inputs.js'
import type { BuiltLayer } from '../layer/built.js'
import { distributionLabel, readDistributions } from '../layer/dist-info.js'
import { type LayerScan, machineCodeFiles, scanLayer } from '../layer/scan.js'
import { zipLayer } from '../layer/zip.js'
import type { RunReport } from '../report/run-report.js'
import type { Runtime } from '../runtimes.js'
import { compileBytecode } from './bytecode.js'
import type { Interpreter } from './interpreters.js'
import { type Site, stageLayer } from './stage.js'

export { findInterpreters } from './interpreters.js'

/** A fresh scratch folder for this layer under RUNNER_TEMP. */
export function freshWorkDir(layerName: string): string {
  const base = path.resolve(process.env.RUNNER_TEMP || os.tmpdir())
  const safe = layerName.replace(/[^A-Za-z0-9_-]+/g, '_').slice(-60)
  const dir = path.join(base, 'lambda-python-layer', safe)
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
        owners.set(path.relative(scan.root, file).split(path.sep).join('/'), distributionLabel(dist))
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

/** Installs, compiles, checks and zips the layer. */
export async function buildLayer(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  workDir: string,
  report: RunReport
): Promise<BuiltLayer> {
  const staged = await report.phase('Install (pip)', async () =>
    stageLayer({
      runtimes: inputs.runtimes,
      architectures: inputs.architectures,
      requirements: inputs.requirements.file,
      pipArgs: inputs.pipArgs,
      indexArgs: inputs.indexArgs,
      workDir,
      cwd: inputs.workspace,
      interpreters,
      buildFromSource: inputs.buildFromSource
    })
  )
  if (staged.sites.every(s => s.packages.length === 0)) {
    const what = `${path.basename(inputs.requirements.file)} installs no packages, so the layer would be empty`
    if (inputs.publish) throw new ActionError(`${what}; nothing was published. Check the file.`)
    core.warning(`${what}.`)
  }

  if (inputs.compile) {
    await report.phase(
      'Compile bytecode',
      async () => {
        for (const site of staged.sites) {
          await compileBytecode({
            python: site.interpreter.path,
            dirs: [path.join(staged.root, site.dir)],
            layerRoot: staged.root
          })
        }
      },
      'Compile bytecode'
    )
  }

  const scan = await report.phase('Scan', async () => scanLayer(staged.root))
  await refuseEscapingLinks(scan, staged.sites)
  const sites = staged.sites.map(s => ({
    runtime: s.runtime,
    dir: s.dir,
    python: s.interpreter.path
  }))
  const measured = await checkLayer(inputs, staged.root, sites, scan, report)
  const zip = await report.phase(
    'Zip',
    async () => zipLayer(scan, zipPathIn(workDir)),
    'Zip'
  )
  checkZipSize(inputs, zip, measured, report)
  return {
    zip,
    sites: staged.sites.map(s => ({
      runtime: s.runtime,
      dir: s.dir,
      python: s.interpreter.version,
      packages: s.packages
    })),
    machineCode: machineCodeFiles(scan).length > 0
  }
}
