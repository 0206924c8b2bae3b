/**
 * Stages the layer tree: one pip install per Python version (and per
 * architecture), laid out the way Lambda reads it.
 *
 * - one Python version:  python/<packages>
 * - several versions:    python/lib/python3.X/site-packages/<packages>
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import type { InstalledPackage } from '../layer/dist-info.js'
import { machineCodeFiles, scanLayer } from '../layer/scan.js'
import { type Architecture, type Runtime, RUNTIMES } from '../runtimes.js'
import { plural } from '../util/format.js'
import { type Interpreter, pipVersion } from './interpreters.js'
import type { LockSource } from '../requirements/lock.js'
import { installRequirements } from './install.js'
import type { InstallerEnv } from './installer-env.js'
import { lockRequirementsFor, withLockedOrigins } from './lock-install.js'
import type { SourceBuilds, UvPlan } from './options.js'
import type { EarlierZip, SiteResolution } from '../layer/earlier.js'

export interface StageOptions {
  runtimes: Runtime[]
  architectures: Architecture[]
  requirements: string
  pipArgs: string[]
  /** The part of pip-args that tells pip where packages live. */
  indexArgs: string[]
  /** Scratch folder; the layer tree is staged below it. */
  workDir: string
  /** Where pip runs (the workspace). */
  cwd: string
  /** The interpreter of each runtime. */
  interpreters: Map<Runtime, Interpreter>
  buildFromSource: SourceBuilds
  /** The installers' environment: index, caches, scratch. */
  env: InstallerEnv
  /** A lock file given as `requirements`: each target installs its packages exactly. */
  lock?: LockSource
  /** uv installs (pip takes over where it cannot); pip alone when undefined. */
  uv?: UvPlan
  /** The earlier build: its zip and what pip installed in each site (by site folder). */
  earlier?: EarlierZip
  /** The incremental install may restore .pyc files (the layer is compiled, nothing excluded). */
  restoreBytecode?: boolean
}

export interface Site {
  runtime: Runtime
  /** Folder relative to the layer root, e.g. "python". */
  dir: string
  interpreter: Interpreter
  packages: InstalledPackage[]
}

export interface StagedTree {
  /** The folder that holds python/: what goes into the zip. */
  root: string
  sites: Site[]
  /** What pip installed in each site folder of `root`, where it reported it. */
  resolutions: Record<string, SiteResolution>
}

export function siteDir(runtime: Runtime, runtimes: Runtime[]): string {
  return runtimes.length === 1
    ? 'python'
    : path.posix.join('python', 'lib', `python${RUNTIMES[runtime].python}`, 'site-packages')
}

/** The step to copy: one layer per architecture with a matrix. */
function matrixHint(runtimes: Runtime[]): string {
  const repository = process.env.GITHUB_ACTION_REPOSITORY
  const ref = process.env.GITHUB_ACTION_REF
  const uses = repository ? `${repository}@${ref || 'v1'}` : '<this action>@v1'
  return [
    'Build one layer per architecture with a matrix:',
    '  strategy:',
    '    matrix:',
    '      arch: [x86_64, arm64]',
    '  steps:',
    `    - uses: ${uses}`,
    '      with:',
    '        layer-name: my-deps-${{ matrix.arch }}',
    `        runtimes: ${runtimes.join(' ')}`,
    '        architectures: ${{ matrix.arch }}'
  ].join('\n')
}

/** "numpy (20 files), numpy.libs (4 files)": compiled files by top-level folder of their site. */
function byTopLevel(files: string[], sites: Site[]): string {
  const counts = new Map<string, number>()
  for (const file of files) {
    const site = sites.find(s => file.startsWith(`${s.dir}/`))
    const top = (site ? file.slice(site.dir.length + 1) : file).split('/')[0]
    counts.set(top, (counts.get(top) ?? 0) + 1)
  }
  return [...counts].map(([top, n]) => `${top} (${plural(n, 'file')})`).join(', ')
}

/** Installs the requirements into a staged layer tree for every runtime (and architecture). */
export async function stageLayer(options: StageOptions): Promise<StagedTree> {
  const { runtimes, architectures, workDir, interpreters } = options
  const pips = new Map<Runtime, string>()
  for (const [runtime, interpreter] of interpreters) {
    const pip = await pipVersion(interpreter)
    pips.set(runtime, pip)
    core.info(
      `${runtime}: Python ${interpreter.version} at ${interpreter.path} (${interpreter.source}), pip ${pip}`
    )
  }

  const results = new Map<Architecture, StagedTree>()
  for (const architecture of architectures) {
    const root = path.join(workDir, 'layer', architecture)
    fs.rmSync(root, { recursive: true, force: true })
    const sites: Site[] = []
    const resolutions: Record<string, SiteResolution> = {}
    for (const runtime of runtimes) {
      const interpreter = interpreters.get(runtime)
      if (!interpreter) throw new Error(`no interpreter for ${runtime}`)
      const dir = siteDir(runtime, runtimes)
      const earlier = options.earlier?.resolutions[dir]
      const pip = pips.get(runtime)
      const installed = await core.group(
        `${options.uv ? 'uv' : 'pip'} install for ${runtime} / ${architecture}`,
        async () =>
          await installRequirements({
            interpreter,
            env: options.env,
            runtime,
            architecture,
            requirements: options.lock
              ? await lockRequirementsFor(options.lock, {
                  runtime,
                  architecture,
                  interpreter,
                  interpreters: [...interpreters.values()],
                  workDir,
                  buildFromSource: options.buildFromSource,
                  env: options.env
                })
              : options.requirements,
            // A lock is the resolution: nothing more is resolved.
            pipArgs: options.lock ? [...options.pipArgs, '--no-deps'] : options.pipArgs,
            indexArgs: options.indexArgs,
            targetDir: path.join(root, dir),
            workDir,
            cwd: options.cwd,
            buildFromSource: options.buildFromSource,
            interpreters: [...interpreters.values()],
            ...(options.uv ? { uv: options.uv } : {}),
            ...(pip ? { pipVersion: pip } : {}),
            restoreBytecode: options.restoreBytecode === true,
            ...(options.earlier && earlier
              ? {
                  earlier: {
                    zip: options.earlier.path,
                    sha256: options.earlier.sha256,
                    site: dir,
                    resolution: earlier
                  }
                }
              : {}),
            onResolved: resolution => {
              resolutions[dir] = resolution
            }
          })
      )
      // The lock names the file of each package the installer did not report.
      const packages = options.lock
        ? await withLockedOrigins(
            options.lock,
            [...interpreters.values()][0]?.path ?? interpreter.path,
            options.env,
            path.join(root, dir),
            installed
          )
        : installed
      core.info(
        packages.length === 0
          ? `${runtime} / ${architecture}: ${path.basename(options.requirements)} installs no packages`
          : `${runtime} / ${architecture}: ${plural(packages.length, 'distribution')}: ${packages.map(p => `${p.name}==${p.version}`).join(' ')}`
      )
      sites.push({ runtime, dir, interpreter, packages })
    }
    results.set(architecture, { root, sites, resolutions })
  }

  const [first, ...others] = architectures
  const chosen = results.get(first)
  if (!chosen) throw new Error('no architecture built')
  if (others.length > 0) {
    for (const architecture of architectures) {
      const built = results.get(architecture)
      if (!built) continue
      const compiled = machineCodeFiles(await scanLayer(built.root))
      if (compiled.length > 0) {
        throw new ActionError(
          `Input \`architectures\` lists ${architectures.join(' and ')}, but the layer holds code compiled for one architecture only: ${byTopLevel(compiled, built.sites)}. ${matrixHint(runtimes)}`
        )
      }
    }
    const signature = (sites: Site[]): string =>
      sites.map(s => s.packages.map(p => `${p.name}==${p.version}`).join(' ')).join('|')
    for (const architecture of others) {
      const built = results.get(architecture)
      if (built && signature(built.sites) !== signature(chosen.sites)) {
        throw new ActionError(
          `Input \`architectures\` lists ${architectures.join(' and ')}, but the requirements resolve to different packages on ${first} and ${architecture}, so one layer cannot serve both. ${matrixHint(runtimes)}`
        )
      }
    }
  }
  return chosen
}
