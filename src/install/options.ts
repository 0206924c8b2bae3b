/** What one install of one target is given, and how the run's installs are made (pip, uv, source builds). */
import type { SiteResolution } from '../layer/earlier.js'
import type { Architecture, Runtime } from '../runtimes.js'
import type { InstallerEnv } from './installer-env.js'
import type { Interpreter } from './interpreters.js'
import type { UvOptions, UvTool } from './uv.js'

/** The earlier build of one site, as the download cache kept it. */
export interface EarlierSite {
  /** The earlier layer zip and its base64 SHA-256 (checked before anything is read). */
  zip: string
  sha256: string
  /** The site folder inside that zip: "python" or "python/lib/python3.X/site-packages". */
  site: string
  resolution: SiteResolution
}

export interface InstallOptions {
  interpreter: Interpreter
  /** The installers' environment: index, caches, scratch. */
  env: InstallerEnv
  runtime: Runtime
  architecture: Architecture
  requirements: string
  pipArgs: string[]
  /** The part of pip-args that tells pip where packages live, for the action's own index queries. */
  indexArgs: string[]
  /** The site folder to install into (created fresh). */
  targetDir: string
  /** Scratch folder for wheels built from source distributions. */
  workDir: string
  /** Where pip runs (the workspace): relative paths in requirements and pip-args resolve here, as pip does. */
  cwd: string
  /** Which source distributions may be built (input build-from-source). */
  buildFromSource: SourceBuilds
  /** Every interpreter of the run: auditwheel runs on one of them. */
  interpreters: readonly Interpreter[]
  /** Install with uv first; pip takes over where uv cannot install the target. */
  uv?: UvPlan
  /** The version of the interpreter's pip ("25.2"). */
  pipVersion?: string
  /** The earlier build of this site: pip then installs only what changed (incremental.ts). */
  earlier?: EarlierSite
  /**
   * The layer is compiled, and nothing is excluded: the incremental install
   * also restores the .pyc of each unchanged source (compile then keeps them).
   */
  restoreBytecode?: boolean
  /** Receives pip's resolution of the target, for the next build's incremental install. */
  onResolved?: (resolution: SiteResolution) => void
}

/** How uv installs this run's targets. */
export interface UvPlan {
  /** The uv that runs (installed on first use, kept where `env` keeps tools, when it is not on PATH). */
  tool: (env: InstallerEnv) => Promise<UvTool>
  /** "uv 0.13.9": what the cache key and the log name. */
  label: string
  options: UvOptions
  /** `installer` was set to uv by the user (a fallback to pip is then a warning). */
  explicit: boolean
  /** The requirements are a lock's exact pins: nothing is resolved. */
  locked: boolean
  /** Targets pip installed because uv could not ("python3.11 / x86_64"). */
  fellBack: string[]
}

/**
 * `build-from-source`: `false` never builds a source distribution; `pure`
 * builds those that give pure Python (no compiler ever runs); `auto` also
 * compiles, where the runner is Linux on the layer's CPU, and repairs the
 * wheel with auditwheel.
 */
export type SourceBuilds = 'false' | 'pure' | 'auto'
