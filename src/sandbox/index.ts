/**
 * The sandbox of every program the action starts that runs, or could be
 * changed by, package code: pip and uv with the builds they run, the
 * import smoke test, compileall, and the probes of interpreters and tools.
 *
 * Isolated forms (`sandbox: auto` takes the first that works here; each is
 * tried once, from inside, before any package code runs):
 * - `privileged` (the action is root): util-linux `unshare` makes new PID,
 *   mount, IPC and UTS namespaces (and a network namespace without any
 *   interface where no network is needed); `setpriv` drops every
 *   capability before the program starts;
 * - `user-namespace` (any user, where the kernel allows unprivileged user
 *   namespaces): the same inside a user namespace of the action's own uid;
 * - `sudo` (GitHub's hosted runners, where AppArmor keeps user namespaces
 *   from an unprivileged user but the job has passwordless sudo): the
 *   privileged form through `sudo -n`, dropping back to the action's uid
 *   and gid.
 * In all three the program sees a fresh root (view.ts) and no process of
 * the runner; when it exits, every process it left is killed with its PID
 * namespace.
 *
 * Without any of them (`none`, or `sandbox: off`) the program still gets
 * the allow-listed environment (env.ts), a fresh HOME, its own process
 * group (killed whole when it ends) and its time limit.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { type EnvProfile, programEnv } from './env.js'
import { LAUNCHER, TOOLS } from './launcher.js'
import { holds, planView, SANDBOX_HOME, serializePlan } from './view.js'

export { codeEnv, type EnvProfile, packageCodeEnv } from './env.js'

export type SandboxMode = 'auto' | 'required' | 'off'

export type Isolation = 'privileged' | 'user-namespace' | 'sudo' | 'none'

/** What one program may see and do. */
export interface Confinement {
  /** `install`: network, installer settings, the workspace read-only. `code` (default): none of these. */
  profile?: EnvProfile
  /** Folders it may write. */
  writable?: readonly string[]
  /** Folders or files it may read, besides the system's, the interpreters and the tools. */
  readable?: readonly string[]
}

/** Files of /etc only root may read (password hashes, sudo's rules). */
const ROOT_ONLY_FILES = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/sudoers',
  '/etc/security/opasswd'
]

/** Folders of /etc only root may read (sudo's rules, the host's SSH and TLS private keys). */
const ROOT_ONLY_FOLDERS = ['/etc/sudoers.d', '/etc/ssh', '/etc/ssl/private']

/** A program ready to start: what to spawn, and what to do once it has ended. */
export interface Launch {
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd?: string
  /** Start it in a process group of its own, killed whole when it ends. */
  group: boolean
  /** Removes the launch's control folder. */
  cleanup: () => void
}

function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find(p => fs.existsSync(p))
}

/** A shell word for the environment file: 'value', with ' written '\''. */
function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** The environment file the launcher reads: one export a line. */
export function envFile(env: NodeJS.ProcessEnv): string {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map(([name, value]) => `${name}=${shellWord(value as string)}\n`)
    .join('')
}

/** The folder of an executable that must be visible for it to run: a Python's prefix (bin/..), a pyenv root (shims/..), else its own folder. */
export function programHome(executable: string): string | undefined {
  let real: string
  try {
    real = fs.realpathSync(executable)
  } catch {
    return undefined
  }
  const dir = path.dirname(real)
  // A Python's prefix holds its library; a pyenv shim runs pyenv from its
  // root. Any other program gets its own folder only (uv in ~/.cargo/bin
  // must not show ~/.cargo).
  if (path.basename(dir) === 'shims' && path.basename(path.dirname(dir)) === '.pyenv') {
    return path.dirname(dir)
  }
  if (path.basename(dir) === 'bin' && /^python/.test(path.basename(executable)))
    return path.dirname(dir)
  return dir
}

/** `name` looked up on `PATH` the way a shell would, or undefined. */
export function whichOnPath(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return path.resolve(name)
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      if (fs.statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** Absolute paths and file:// URLs in a configuration value (pip's find-links, cert, constraint). */
export function pathsIn(text: string): string[] {
  const found: string[] = []
  for (const word of text.split(/[\s'"=,]+/)) {
    let p = word
    if (/^file:\/\/(localhost)?\//.test(word)) {
      try {
        p = decodeURIComponent(word.replace(/^file:\/\/(localhost)?/, ''))
      } catch {
        p = word.replace(/^file:\/\/(localhost)?/, '')
      }
      // An index's pages link to its files beside it (../files/x.whl).
      p = path.dirname(path.normalize(p))
    }
    if (p.startsWith('/') && !p.includes('\0')) found.push(path.normalize(p))
  }
  return found
}

/** Options of a requirements file that name a place: indexes, find-links, other files. */
const PLACE_OPTION =
  /^\s*(-[ifrc]|--(index-url|extra-index-url|find-links|requirement|constraint))\b/

/**
 * The files and folders an install's arguments name (requirements files,
 * indexes and find-links on disk), and the places those requirements
 * files name in turn: an install sees them read-only.
 */
export function namedPaths(args: readonly string[]): string[] {
  const found = new Set<string>()
  const files: string[] = []
  for (let i = 0; i < args.length; i++) {
    for (const p of pathsIn(args[i])) found.add(p)
    const option = /^(-r|-c|--requirement|--constraint)(?:=(.*))?$/.exec(args[i])
    const file = option ? (option[2] ?? args[i + 1]) : undefined
    if (file) files.push(path.resolve(file))
  }
  const seen = new Set<string>()
  while (files.length > 0 && seen.size < 100) {
    const file = files.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    let text: string
    try {
      if (fs.statSync(file).size > 4 * 1024 * 1024) continue
      text = fs.readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split(/\r?\n/)) {
      if (!PLACE_OPTION.test(line)) continue
      for (const p of pathsIn(line)) found.add(p)
      const nested = /^\s*(-r|-c|--requirement|--constraint)(?:\s+|=)(\S+)/.exec(line)
      if (nested) files.push(path.resolve(path.dirname(file), nested[2]))
    }
  }
  return [...found]
}

/**
 * The program that tells whether a form of isolation works: it must be
 * PID 1 of its own namespace and see no other process.
 */
export const PROBE = {
  command: '/bin/sh',
  args: ['-c', '[ "$$" = 1 ] && [ ! -e /proc/2 ] || exit 3']
}

/** Starts PROBE in `box`: undefined when it ran as it should, else what went wrong. */
export type Probe = (box: Sandbox) => Promise<string | undefined>

export interface SandboxSettings {
  mode: SandboxMode
  /** The workspace: read-only to installs (its .git hidden), invisible to the rest. */
  workspace: string
  /** The job's environment (HOME, RUNNER_TEMP, the command files, the tool cache). */
  env?: NodeJS.ProcessEnv
  /** How long one install or build may run (build-timeout), in milliseconds. */
  installTimeoutMs?: number
}

/** The sandbox of one run of the action. */
export class Sandbox {
  private readonly readable = new Set<string>()
  private readonly installReadable = new Set<string>()
  private readonly installWritable = new Set<string>()
  private readonly installHome: Array<readonly [string, string]> = []
  private readonly secret: string[]
  private readonly workspace: string
  private readonly env: NodeJS.ProcessEnv
  private controlDir?: string
  /** How long one install or build may run (build-timeout), in milliseconds. */
  readonly installTimeoutMs?: number

  private constructor(
    readonly mode: SandboxMode,
    readonly isolation: Isolation,
    /** Why this isolation: what was tried and what it said. */
    readonly reason: string,
    settings: SandboxSettings
  ) {
    this.env = settings.env ?? process.env
    this.installTimeoutMs = settings.installTimeoutMs
    this.workspace = path.resolve(settings.workspace)
    const env = this.env
    const home = env.HOME || os.homedir()
    // Never shown, nor any folder that holds them: the runner's temporary
    // folder (its command files, other steps' files), the job's HOME, the
    // folders of the command files and of the event payload.
    this.secret = [
      home,
      env.RUNNER_TEMP,
      ...['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'].map(
        name => (env[name] ? path.dirname(env[name] as string) : undefined)
      ),
      env.GITHUB_EVENT_PATH ? path.dirname(env.GITHUB_EVENT_PATH) : undefined
    ]
      .filter((p): p is string => Boolean(p))
      .flatMap(p => {
        // Named through a link or not, neither the name nor the real folder is shown.
        const resolved = path.resolve(p)
        try {
          return [resolved, fs.realpathSync(resolved)]
        } catch {
          return [resolved]
        }
      })
    if (env.RUNNER_TOOL_CACHE) this.readable.add(path.resolve(env.RUNNER_TOOL_CACHE))
    // The installers' own settings in the job's HOME, shown read-only in the
    // sandbox's, and their caches there, writable (actions/setup-python's
    // `cache: pip` restores ~/.cache/pip).
    const config = env.XDG_CONFIG_HOME || path.join(home, '.config')
    const cache = env.XDG_CACHE_HOME || path.join(home, '.cache')
    for (const [inside, source] of [
      ['.config/pip', path.join(config, 'pip')],
      ['.pip', path.join(home, '.pip')],
      ['.config/uv', path.join(config, 'uv')],
      ['.netrc', path.join(home, '.netrc')]
    ] as const) {
      this.installHome.push([inside, source])
    }
    this.userCaches = [
      ['.cache/pip', path.join(cache, 'pip')],
      ['.cache/uv', path.join(cache, 'uv')]
    ]
    for (const [name, value] of Object.entries(env)) {
      if (
        value &&
        /^(PIP|UV)_|^(SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE)$/.test(name)
      ) {
        this.allowInstallerPaths(value)
      }
    }
  }

  private readonly userCaches: Array<readonly [string, string]>

  /** Whether programs run isolated. */
  get isolated(): boolean {
    return this.isolation !== 'none'
  }

  /** For the log and the summary. */
  get label(): string {
    switch (this.isolation) {
      case 'privileged':
        return 'isolated (namespaces, as root)'
      case 'user-namespace':
        return 'isolated (user namespace)'
      case 'sudo':
        return 'isolated (namespaces through sudo)'
      case 'none':
        return this.mode === 'off'
          ? 'off: package code ran without isolation'
          : 'not available: package code ran without isolation'
    }
  }

  /**
   * Finds the strongest isolation this runner allows (`auto`, `required`):
   * the first form in which `probe` starts the probe program as it should.
   * With `required`, fails when there is none.
   */
  static async open(settings: SandboxSettings, probe: Probe): Promise<Sandbox> {
    if (settings.mode === 'off') {
      return new Sandbox('off', 'none', 'sandbox: off', settings)
    }
    const tried: string[] = []
    const uid = process.getuid?.() ?? -1
    const candidates: Isolation[] =
      process.platform !== 'linux'
        ? []
        : uid === 0
          ? ['privileged', 'user-namespace']
          : ['user-namespace', 'sudo']
    for (const isolation of candidates) {
      const sandbox = new Sandbox(settings.mode, isolation, `${isolation} works here`, settings)
      const problem = await probe(sandbox)
      if (problem === undefined) return sandbox
      sandbox.dispose()
      tried.push(`${isolation}: ${problem}`)
    }
    const reason =
      process.platform !== 'linux'
        ? `this runner is ${process.platform}, not Linux`
        : `none of the isolated forms works on this runner (${tried.join('; ')})`
    if (settings.mode === 'required') {
      throw new ActionError(
        `Input \`sandbox\` is "required", but package code cannot be isolated here: ${reason}. Nothing was installed. Use a Linux runner that allows user namespaces or passwordless sudo (GitHub's hosted runners do), or set sandbox: auto to run without isolation.`
      )
    }
    return new Sandbox(settings.mode, 'none', reason, settings)
  }

  /** Makes an interpreter, a tool or its folder visible to every program. */
  allowRead(...paths: string[]): void {
    for (const p of paths) this.readable.add(path.resolve(p))
  }

  /** Files and folders installs read: the requirements files, the local projects and files they name. */
  allowInstallerReads(...paths: string[]): void {
    for (const p of paths) this.installReadable.add(path.resolve(p))
  }

  /** Paths named in the installers' settings (find-links, certificates, constraints): visible to installs. */
  allowInstallerPaths(text: string): void {
    for (const p of pathsIn(text)) this.installReadable.add(p)
  }

  /**
   * Local projects an install builds in place (setuptools writes its
   * egg-info beside the sources): each is shown to installs as a writable
   * copy at its own path, made once per run, so the build runs as pip runs
   * it and the workspace itself stays read-only.
   */
  allowBuildsIn(...projects: string[]): void {
    for (const p of projects) {
      try {
        this.buildCopies.set(fs.realpathSync(p), '')
      } catch {
        // gone: pip says so
      }
    }
  }

  private readonly buildCopies = new Map<string, string>()

  private buildCopy(project: string): string {
    let copy = this.buildCopies.get(project)
    if (!copy) {
      copy = fs.mkdtempSync(path.join(this.control(), 'project-'))
      fs.cpSync(project, copy, { recursive: true, verbatimSymlinks: true })
      this.buildCopies.set(project, copy)
    }
    return copy
  }

  /** A folder every install may write (the installers' caches the action keeps). */
  allowInstallerWrites(...paths: string[]): void {
    for (const p of paths) this.installWritable.add(path.resolve(p))
  }

  private control(): string {
    if (!this.controlDir) {
      const base = this.env.RUNNER_TEMP || os.tmpdir()
      this.controlDir = fs.mkdtempSync(path.join(base, 'lambda-python-layer-sandbox-'))
      fs.chmodSync(this.controlDir, 0o700)
    }
    return this.controlDir
  }

  /** Removes the control folder (every launch's plan and environment). */
  dispose(): void {
    if (this.controlDir) fs.rmSync(this.controlDir, { recursive: true, force: true })
    this.controlDir = undefined
  }

  /**
   * How to start `command` under this sandbox: the program's environment is
   * `env` (already filtered by its caller, env.ts) with HOME and TMPDIR of
   * the sandbox.
   */
  prepare(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    cwd: string | undefined,
    confine: Confinement = {}
  ): Launch {
    const profile = confine.profile ?? 'code'
    const install = profile === 'install'
    env = programEnv(env, profile)
    // An install writes its caches and temporary files where the action points them.
    const own = install
      ? [env.PIP_CACHE_DIR, env.UV_CACHE_DIR, env.TMPDIR].filter((p): p is string => Boolean(p))
      : []
    // An installer makes its cache folder when there is none yet: so does the sandbox, to show it.
    for (const dir of own) fs.mkdirSync(dir, { recursive: true })
    const writable = [
      ...(confine.writable ?? []),
      ...(install ? this.installWritable : []),
      ...own
    ].map(p => path.resolve(p))
    const executable = command.includes('/')
      ? path.resolve(command)
      : whichOnPath(command, env.PATH)
    const tmpdir =
      env.TMPDIR && writable.some(w => holds(w, env.TMPDIR as string)) ? env.TMPDIR : '/tmp'
    if (!this.isolated) {
      // Short: Python's multiprocessing puts its sockets in TMPDIR (108 bytes at most).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpl-'))
      return {
        command: executable ?? command,
        args: [...args],
        env: { ...env, HOME: dir, TMPDIR: env.TMPDIR ?? dir },
        cwd,
        group: true,
        cleanup: () => fs.rmSync(dir, { recursive: true, force: true })
      }
    }
    const readable = [
      ...this.readable,
      ...(confine.readable ?? []),
      ...(install ? namedPaths(args) : []),
      // The program as named (through the links on its way) and its home.
      ...(executable
        ? [executable, programHome(executable)].filter((p): p is string => Boolean(p))
        : []),
      ...(install ? this.installReadable : [])
    ]
    const home: Array<readonly [string, string]> = install ? [...this.installHome] : []
    const plan = planView({
      readable,
      writable,
      // The workspace shows installs only what they read: the requirements
      // files, the local projects and files they name (allowInstallerReads);
      // the rest of the checkout (.git, .env, sources) is an empty folder.
      hidden: install ? [this.workspace] : [],
      home,
      secret: this.secret
    })
    if (this.isolation === 'privileged' && (process.getuid?.() ?? -1) === 0) {
      // A program of a root action keeps uid 0 (without any capability):
      // the files only root may read are hidden from it.
      for (const file of ROOT_ONLY_FILES) {
        if (fs.existsSync(file)) plan.push({ kind: 'ro', path: file, source: '/dev/null' })
      }
      for (const dir of ROOT_ONLY_FOLDERS) {
        if (fs.existsSync(dir)) plan.push({ kind: 'tmpfs', path: dir })
      }
    }
    if (install) {
      for (const project of this.buildCopies.keys()) {
        plan.push({ kind: 'rw', path: project, source: this.buildCopy(project) })
      }
      // The user's own installer caches, when the action keeps none.
      for (const [inside, source] of this.userCaches) {
        const name = inside.endsWith('pip') ? 'PIP_CACHE_DIR' : 'UV_CACHE_DIR'
        if (env[name] === undefined && fs.existsSync(source)) {
          plan.push({ kind: 'rw', path: path.posix.join(SANDBOX_HOME, inside), source })
        }
      }
    }
    const ctl = fs.mkdtempSync(path.join(this.control(), 'run-'))
    fs.mkdirSync(path.join(ctl, 'root'))
    fs.writeFileSync(path.join(ctl, 'plan'), serializePlan(plan), { mode: 0o600 })
    fs.writeFileSync(
      path.join(ctl, 'env'),
      envFile({ ...env, HOME: SANDBOX_HOME, TMPDIR: tmpdir }),
      { mode: 0o600 }
    )
    const unshare = firstExisting(TOOLS.unshare) ?? TOOLS.unshare[0]
    const setpriv = firstExisting(TOOLS.setpriv) ?? TOOLS.setpriv[0]
    const namespaces = [
      '--pid',
      '--fork',
      '--kill-child',
      '--mount',
      '--propagation',
      'private',
      '--ipc',
      '--uts',
      ...(install ? [] : ['--net'])
    ]
    const drop = ['--no-new-privs', '--bounding-set=-all', '--inh-caps=-all']
    const uid = process.getuid?.() ?? 0
    const gid = process.getgid?.() ?? 0
    const inner = [
      TOOLS.sh,
      '-c',
      LAUNCHER,
      'sandbox',
      ctl,
      cwd ?? '/tmp',
      setpriv,
      ...(this.isolation === 'user-namespace'
        ? drop
        : [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...drop]),
      '--',
      executable ?? command,
      ...args
    ]
    const cleanup = (): void => fs.rmSync(ctl, { recursive: true, force: true })
    const minimal = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }
    switch (this.isolation) {
      case 'user-namespace':
        return {
          command: setpriv,
          args: [
            '--pdeathsig',
            'SIGKILL',
            '--',
            unshare,
            '--user',
            '--map-root-user',
            ...namespaces,
            '--',
            ...inner
          ],
          env: minimal,
          group: false,
          cleanup
        }
      case 'privileged':
        return {
          command: setpriv,
          args: ['--pdeathsig', 'SIGKILL', '--', unshare, ...namespaces, '--', ...inner],
          env: minimal,
          group: false,
          cleanup
        }
      case 'sudo':
        return {
          command: firstExisting(TOOLS.sudo) ?? TOOLS.sudo[0],
          args: ['-n', '--', unshare, ...namespaces, '--', ...inner],
          env: minimal,
          group: false,
          cleanup
        }
      default:
        throw new Error(`No launch for isolation ${this.isolation}`)
    }
  }
}
