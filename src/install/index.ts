/**
 * Installing the layer's packages: the face of this folder. The installer
 * is chosen before the cache is read (chooseInstaller); on a cache miss the
 * pipeline (src/pipeline.ts) stages every target (stageLayer), leaves out
 * what `exclude` names, strips the ELF files (`strip`) and compiles the
 * bytecode, where staging.ts says.
 */
import * as core from '@actions/core'
import type { LockSource } from '../requirements/lock.js'
import { parsePipOptions } from '../requirements/pip-args.js'
import type { Architecture, Runtime } from '../runtimes.js'
import type { InstallerEnv } from './installer-env.js'
import type { Interpreter } from './interpreters.js'
import type { UvPlan } from './options.js'
import { pinnedUv, pinnedUvRuns } from './pinned-uv.js'
import {
  decideInstaller,
  type InstallerChoice,
  readPipConfig,
  uvOnPath,
  uvOptions,
  UV_VERSION
} from './uv.js'

export { compileBytecode } from './bytecode.js'
export { bytecodeVerdict, forecastBytecode } from './bytecode-size.js'
export { excludeFiles } from './exclude.js'
export {
  findStripTools,
  savedBytes,
  stripFiles,
  stripLabel,
  stripLayer,
  stripOnPath,
  type StripOutcome,
  type StripTools
} from './strip.js'
export { InstallerEnv } from './installer-env.js'
export { jobUserPipDirs } from './pip-config-files.js'
export { findInterpreters, type Interpreter, pipVersion } from './interpreters.js'
export type { SourceBuilds, UvPlan } from './options.js'
export { type StagedTree, type Site, stageLayer } from './targets.js'
export { decideStaging, readMemoryFacts, Staging, type StagingChoice } from './staging.js'
export { targetArgs } from './pip.js'
export { type InstallerChoice, pruneUvCache } from './uv.js'

/** What choosing the installer reads of the inputs. */
export interface InstallerSettings {
  installer: InstallerChoice
  lock?: LockSource
  runtimes: Runtime[]
  architectures: Architecture[]
  pipArgs: string[]
  workspace: string
}

/**
 * Decides the installer (input `installer`): a plan for uv, or undefined for
 * pip. Reads pip's configuration (once per run: the cache key reads it
 * too), and installs no uv yet (a cached layer needs none).
 */
export async function chooseInstaller(
  inputs: InstallerSettings,
  interpreters: Map<Runtime, Interpreter>,
  env: InstallerEnv
): Promise<UvPlan | undefined> {
  if (inputs.installer === 'pip') return undefined
  const python = [...interpreters.values()][0]?.path
  if (!python) return undefined
  const onPath = await uvOnPath()
  const uvProject = inputs.lock?.kind === 'uv-lock'
  const source = uvProject ? 'project' : onPath ? 'path' : pinnedUvRuns() ? 'action' : undefined
  const options = uvOptions(
    await readPipConfig(python, env),
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
    tool: async (installerEnv: InstallerEnv) => onPath ?? (await pinnedUv(python, installerEnv)),
    label: `uv ${onPath?.version ?? UV_VERSION}`,
    options,
    explicit: inputs.installer === 'uv',
    locked: inputs.lock !== undefined,
    fellBack: []
  }
}
