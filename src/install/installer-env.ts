/**
 * The installers' environment, as one value: the index the action was given
 * (codeartifact), the caches it keeps between runs, the scratch of a build
 * staged in memory, and pip's configuration as each interpreter reads it.
 * Made once per run, then narrowed (withCaches, inScratch): each step gets
 * the value it runs with, and nothing is set behind anyone's back.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { packageCodeEnv } from '../sandbox/index.js'
import { Once } from '../util/once.js'
import { run } from '../util/process.js'
import { pipConfigFromFiles, type PipConfigPlaces } from './pip-config-files.js'

interface Settings {
  /** An index for pip and uv alike: pip's index-url, uv's default index (through pip's configuration). */
  index?: string
  /** The folder of the installers' caches the action keeps (see cache/downloads.ts). */
  caches?: string
  /** Where the action's own uv wheel is kept between runs (the download cache's tools folder). */
  tools?: string
  /** Where the installers work during a build staged in memory (staging.ts). */
  scratch?: { tmp: string; uvCache?: string }
}

/** Where pip's and uv's caches go inside the folder the action keeps. */
export function installerCaches(dir: string): { pip: string; uv: string } {
  return { pip: path.join(dir, 'pip'), uv: path.join(dir, 'uv') }
}

/** The line of `text` that sets option `name`. */
function lineOf(text: string, name: string): string | undefined {
  return text.split('\n').find(line => line.startsWith(`${name}=`))
}

/** pip's configuration per interpreter, shared by every value made from one InstallerEnv. */
interface PipConfigs {
  /** `pip config list`, as pip prints it. */
  pip: Once<string, string>
  /** Read from pip's files (pipConfigFromFiles) while pip is asked; until confirmPipConfig. */
  forecast: Map<string, string>
}

export class InstallerEnv {
  private constructor(
    private readonly settings: Settings,
    private readonly configs: PipConfigs
  ) {}

  /** The run's installer environment; `index`: the index every install uses (codeartifact). */
  static create(index?: string): InstallerEnv {
    return new InstallerEnv(index ? { index } : {}, { pip: new Once(), forecast: new Map() })
  }

  /**
   * This environment with the download cache restored in `dir`: pip and uv
   * cache there unless the user manages their caches (`managed`); the
   * action's uv is kept there in every case.
   */
  withCaches(dir: string, managed: boolean): InstallerEnv {
    return new InstallerEnv(
      { ...this.settings, ...(managed ? {} : { caches: dir }), tools: path.join(dir, 'tools') },
      this.configs
    )
  }

  /**
   * This environment for a build staged in memory, in `dir`: the
   * installers' temporary files (TMPDIR: `pip install --target` installs
   * into one, then moves it into the target) go there, and uv's cache is
   * copied there from the one the action keeps, so that uv links the
   * layer's files within one file system. undefined: staged on disk.
   */
  inScratch(dir: string | undefined): InstallerEnv {
    const settings: Settings = { ...this.settings }
    delete settings.scratch
    if (dir) {
      const tmp = path.join(dir, 'tmp')
      fs.mkdirSync(tmp, { recursive: true })
      settings.scratch = { tmp }
      if (this.settings.caches) {
        const kept = installerCaches(this.settings.caches).uv
        const uvCache = path.join(dir, 'uv-cache')
        fs.rmSync(uvCache, { recursive: true, force: true })
        if (fs.existsSync(kept)) {
          fs.cpSync(kept, uvCache, { recursive: true, verbatimSymlinks: true })
        }
        settings.scratch.uvCache = uvCache
      }
    }
    return new InstallerEnv(settings, this.configs)
  }

  /**
   * The installers' caches are the action's own (the download cache): uv's
   * is pruned of every unpacked wheel before it is kept (pruneUvCache), so
   * nothing the layer's files could share outlives the run.
   */
  get ownsCaches(): boolean {
    return this.settings.caches !== undefined
  }

  /** Where the action's uv wheel is kept between runs, once the download cache is restored. */
  get keptTools(): string | undefined {
    return this.settings.tools
  }

  /** uv's cache as this build uses it, when the action keeps it. */
  uvCache(): string | undefined {
    if (!this.settings.caches) return undefined
    return this.settings.scratch?.uvCache ?? installerCaches(this.settings.caches).uv
  }

  /** Copies uv's cache from memory back to the folder the action keeps (once it is pruned). */
  keepUvCache(): void {
    const { caches, scratch } = this.settings
    if (!caches || !scratch?.uvCache) return
    const kept = installerCaches(caches).uv
    fs.rmSync(kept, { recursive: true, force: true })
    if (fs.existsSync(scratch.uvCache)) {
      fs.cpSync(scratch.uvCache, kept, { recursive: true, verbatimSymlinks: true })
    }
  }

  /**
   * The variables that hand the given index to pip (and, through pip's
   * configuration, to uv), the caches the action keeps, and the scratch.
   */
  indexEnv(): Record<string, string> {
    const { index, caches, scratch } = this.settings
    const uvCache = this.uvCache()
    return {
      ...(index ? { PIP_INDEX_URL: index } : {}),
      ...(caches ? { PIP_CACHE_DIR: installerCaches(caches).pip } : {}),
      ...(uvCache ? { UV_CACHE_DIR: uvCache } : {}),
      ...(scratch ? { TMPDIR: scratch.tmp } : {})
    }
  }

  /**
   * pip's environment: the job's, without its credentials (pip runs build
   * backends, which are package code), plus switches that keep pip quiet and
   * non-interactive, and the index the action was given.
   */
  pip(): NodeJS.ProcessEnv {
    return {
      ...packageCodeEnv(),
      ...this.indexEnv(),
      PIP_NO_INPUT: '1',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      PIP_ROOT_USER_ACTION: 'ignore',
      PYTHONDONTWRITEBYTECODE: '1'
    }
  }

  /**
   * pip's environment for installing the action's own tools (uv,
   * auditwheel): outside the layer's scratch, and without the user's
   * constraints, which are about the layer's packages.
   */
  tools(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.pip(), PIP_CONSTRAINT: '', PIP_REQUIREMENT: '' }
    if (this.settings.scratch) {
      if (process.env.TMPDIR === undefined) delete env.TMPDIR
      else env.TMPDIR = process.env.TMPDIR
    }
    return env
  }

  /**
   * The output of `python -m pip config list` in pip's environment ('' when
   * it fails), read once per interpreter and run: the cache key and the uv
   * options both need it. While a forecast stands (forecastPipConfig), the
   * forecast.
   */
  async pipConfig(python: string): Promise<string> {
    return this.configs.forecast.get(python) ?? (await this.askPip(python))
  }

  /**
   * Reads `python`'s pip configuration from pip's files now, and starts pip
   * to say it (each pip start costs a few tenths of a second, on the path
   * of every run, cached or not). Returns false when only pip can tell:
   * `python` is not a path (its prefix unknown), or a file holds what the
   * reader is not sure to read as pip does.
   */
  forecastPipConfig(python: string, user: PipConfigPlaces['user']): boolean {
    if (!path.isAbsolute(python)) return false
    // sys.prefix of a tool-cache or venv interpreter: the folder above its bin/.
    const prefix = path.dirname(path.dirname(python))
    const text = pipConfigFromFiles({ prefix, env: this.pip(), ...(user ? { user } : {}) })
    if (text === undefined) return false
    this.configs.forecast.set(python, text)
    this.askPip(python).catch(() => undefined)
    return true
  }

  /**
   * Waits for pip's own answers to the forecasts; false when one differed.
   * pipConfig answers with pip's own from now on.
   */
  async confirmPipConfig(): Promise<boolean> {
    let same = true
    for (const [python, forecast] of this.configs.forecast) {
      const said = await this.askPip(python)
      if (said !== forecast) {
        same = false
        // Option names only: values may carry index credentials.
        const names = (text: string): Set<string> =>
          new Set(text.split('\n').map(line => line.split('=')[0]))
        const [read, told] = [names(forecast), names(said)]
        const differing = [...new Set([...read, ...told])].filter(
          n => n && (!read.has(n) || !told.has(n) || lineOf(forecast, n) !== lineOf(said, n))
        )
        core.info(
          `pip's configuration for ${python} is not what its files were read to say (${differing.join(', ') || 'its output'}); what depends on it is decided again with pip's own.`
        )
      }
    }
    this.configs.forecast.clear()
    return same
  }

  private async askPip(python: string): Promise<string> {
    return await this.configs.pip.get(python, async () => {
      const result = await run(python, ['-m', 'pip', 'config', 'list'], {
        env: this.pip(),
        confine: { profile: 'install' },
        silent: true,
        timeoutMs: 60_000
      })
      return result.exitCode === 0 ? result.stdout : ''
    })
  }
}
