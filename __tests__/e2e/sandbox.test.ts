/**
 * The sandbox of package code (input `sandbox`), through the bundled action,
 * against a hostile local package on a simulated runner full of canaries
 * (see helpers/sandbox-canaries.ts for what the package tries and how it
 * reports):
 *
 * - `sandbox: auto` as root (the tests run as root: the `privileged` form):
 *   every property below;
 * - `sandbox: off`: only what the fallback without isolation promises (an
 *   allow-listed environment, a fresh HOME, the process group killed, the
 *   output inside ::stop-commands::, the staged layer checked after the
 *   import);
 * - `sandbox: required` as root, with an ordinary setuptools project;
 * - `sandbox: auto` as an unprivileged user (the `user-namespace` form),
 *   with the core canaries.
 *
 * Each run has its own runner (HOME, workspace, RUNNER_TEMP, command files),
 * canaries and markers, so the runs go in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import AdmZip from 'adm-zip'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, type ActionRun } from '../helpers/action.js'
import {
  inParallel,
  leaksUnder,
  linesWith,
  makeSetuptoolsProject,
  tempDir,
  zipsUnder
} from '../helpers/hostile.js'
import {
  activeCommands,
  chownTree,
  commandResults,
  findingsIn,
  FORBIDDEN_VARIABLES,
  killLeft,
  listen,
  makeHostileProject,
  nodeAs,
  plantRunner,
  processesLeft,
  systemUser,
  VICTIM,
  type Findings,
  type HostileConfig,
  type PlantedRunner
} from '../helpers/sandbox-canaries.js'
import { makeToolCache } from '../helpers/toolcache.js'

const hostArch = process.arch === 'arm64' ? 'arm64' : 'x64'
const isRoot = process.getuid?.() === 0

/** The job's pip configuration (this machine's local indexes, where setuptools comes from), for the fake HOME. */
function jobPipConfig(): string | undefined {
  const file = path.join(os.homedir(), '.config', 'pip', 'pip.conf')
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined
}

const inputs = {
  'layer-name': 'hostile',
  publish: 'false',
  installer: 'pip',
  compile: 'false',
  cache: 'false'
}

interface Scenario {
  runner: PlantedRunner
  marker: string
  result: ActionRun
  outputs: Record<string, string>
  outputText: string
  summary: string
  /** The build's reports: from the log, and the one the wheel carries (from the zips). */
  build: Findings[]
  /** The import's reports (the smoke test's warning in the log). */
  imports: Findings[]
  /** What each connection to the test's TCP server sent ("build ..." or "import ..."). */
  connections: string[]
  /** Processes holding the marker, right after the action exited. */
  daemonsLeft: string[]
  /** Files the probe tried to create that must not exist on the runner. */
  mustNotExist: string[]
  /** The interpreter's site-packages (where a .pth file was tried), if any. */
  sitePackages?: string
  workspaceFiles: string[]
}

interface ScenarioOptions {
  sandbox: 'auto' | 'off'
  /** Where the runner's folders go (for an unprivileged user: a folder it can reach). */
  base: string
  toolCache: string
  runtime: string
  /** The interpreter's site-packages: the probe tries to add a .pth file there. */
  sitePackages?: string
  user?: { uid: number; gid: number }
  /** Whether the daemons call setsid. */
  daemonSetsid: boolean
}

async function hostileScenario(options: ScenarioOptions): Promise<Scenario> {
  const runner = plantRunner(options.base, jobPipConfig())
  const marker = `lplhostile${runner.prefix.slice(-12)}`
  const listener = await listen()
  const workDir = path.join(runner.runnerTemp, 'lambda-python-layer', inputs['layer-name'])
  const mustNotExist = ['build', 'import'].flatMap(phase => [
    path.join(os.tmpdir(), `${marker}-host-tmp-${phase}`),
    path.join('/tmp', `${marker}-host-tmp-${phase}`),
    path.join(runner.workspace, `${marker}-injected-${phase}.py`),
    ...(options.sitePackages ? [path.join(options.sitePackages, `${marker}-${phase}.pth`)] : [])
  ])
  const config: HostileConfig = {
    prefix: runner.prefix,
    marker,
    read: runner.secretFiles,
    append: [
      runner.commands.GITHUB_ENV,
      runner.commands.GITHUB_PATH,
      runner.commands.GITHUB_STATE,
      runner.commands.GITHUB_OUTPUT,
      runner.commands.GITHUB_STEP_SUMMARY,
      runner.secretFiles.bashrc,
      path.join(runner.workspace, 'requirements.txt'),
      path.join(runner.workspace, 'hostile', 'setup.py')
    ],
    create: [
      ...new Set(mustNotExist.map(p => p.replace(/-(build|import)(\.py|\.pth)?$/, '-{phase}$2')))
    ],
    port: listener.port,
    daemonSetsid: options.daemonSetsid,
    daemonTargets: [workDir]
  }
  makeHostileProject(path.join(runner.workspace, 'hostile'), config)
  runner.unchangedFiles[path.join(runner.workspace, 'hostile', 'setup.py')] = fs.readFileSync(
    path.join(runner.workspace, 'hostile', 'setup.py')
  )
  // pip -v shows what a build prints (as pip shows a failed build's
  // output): the way setup.py's workflow commands and findings reach the log.
  const env: Record<string, string> = { ...runner.env, PIP_VERBOSE: '1' }
  if (options.user) {
    // The action's own temporary folder, and every file it reads or writes, are the user's.
    const tmp = path.join(options.base, 'tmp')
    fs.mkdirSync(tmp)
    env.TMPDIR = tmp
    env.ACTION_NODE = nodeAs(options.base, options.user)
    chownTree(options.base, options.user)
  }
  let result: ActionRun
  try {
    result = await runAction(
      { ...inputs, runtimes: options.runtime, sandbox: options.sandbox },
      {
        workspace: runner.workspace,
        toolCache: options.toolCache,
        runnerTemp: runner.runnerTemp,
        env
      }
    )
  } finally {
    await listener.close()
  }
  const daemonsLeft = await processesLeft(marker)
  killLeft(marker)
  const fromZips = zipsUnder(runner.runnerTemp).flatMap(zip =>
    new AdmZip(zip)
      .getEntries()
      .filter(e => e.entryName.endsWith('hostile/_build_findings.txt'))
      .flatMap(e => findingsIn(e.getData().toString('utf8'), 'build'))
  )
  return {
    runner,
    marker,
    result,
    ...commandResults(runner),
    build: [...findingsIn(result.log, 'build'), ...fromZips],
    imports: findingsIn(result.log, 'import'),
    connections: [...listener.received],
    daemonsLeft,
    mustNotExist,
    sitePackages: options.sitePackages,
    workspaceFiles: fs.readdirSync(runner.workspace).sort()
  }
}

/** Every finding, labelled for failure messages. */
function all(s: Scenario): Array<[string, Findings]> {
  return [...s.build, ...s.imports].map(f => [`${f.phase} (${f.step}, pid ${f.pid})`, f])
}

/** Where the run's canaries show in plain text: the log, the summary, the outputs, the zips. */
function leaks(s: Scenario): string[] {
  const found: string[] = []
  for (const [label, value] of Object.entries(s.runner.canaries)) {
    for (const line of linesWith(s.result.log, value)) found.push(`log: ${label}: ${line}`)
    if (s.summary.includes(value)) found.push(`summary: ${label}`)
    if (s.outputText.includes(value)) found.push(`outputs: ${label}`)
  }
  const values = Object.values(s.runner.canaries)
  for (const entry of leaksUnder(s.runner.runnerTemp, values)) found.push(`zip: ${entry}`)
  return found
}

/** label: status for each read that got a canary's file, or found a canary in it. */
function readsOf(s: Scenario, labels: string[], phase?: 'build' | 'import'): string[] {
  return all(s)
    .filter(([, f]) => phase === undefined || f.phase === phase)
    .flatMap(([where, f]) =>
      labels
        .filter(l => f.reads[l]?.status === 'read' || (f.reads[l]?.hits.length ?? 0) > 0)
        .map(l => `${where}: ${l}: ${f.reads[l].status} ${f.reads[l].hits.join(' ')}`)
    )
}

/** The injected workflow commands the runner would carry out (not inside a ::stop-commands:: block). */
function activeInjections(s: Scenario): string[] {
  const injected = new RegExp(
    `(injected|forged|after-stop|hostile-mask)-${s.marker}|hostile${s.marker}`
  )
  return activeCommands(s.result.log).filter(l => injected.test(l))
}

/** Variables of the job a finding's own environment holds, and canaries in its values. */
function ownEnvProblems(s: Scenario): string[] {
  return all(s).flatMap(([where, f]) => [
    ...f.env_names
      .filter(n => FORBIDDEN_VARIABLES.includes(n) || /^(INPUT|ACTIONS|GITHUB)_/.test(n))
      .map(n => `${where}: ${n}`),
    ...f.env_hits.map(h => `${where}: value ${h}`),
    ...(f.home === s.runner.home ? [`${where}: HOME is the job's HOME`] : [])
  ])
}

/** The hostile package ran: its build and its import reported, and no probe broke. */
function expectProbesRan(s: Scenario): void {
  expect(s.build.length).toBeGreaterThan(0)
  expect(s.imports.length).toBeGreaterThan(0)
  expect(all(s).flatMap(([where, f]) => f.errors.map(e => `${where}: ${e}`))).toEqual([])
}

/** The canary files of the job's HOME (and where ~ points for package code). */
const HOME_FILES = [
  'aws_credentials_file',
  'ssh_private_key',
  'bashrc',
  '~/.aws/credentials',
  '~/.ssh/id_rsa'
]

/** The action's process, or a canary, in what a finding read of /proc. */
function procProblems(s: Scenario): string[] {
  return all(s).flatMap(([where, f]) => [
    ...f.procs.filter(p => p.action).map(p => `${where}: sees the action, pid ${p.pid}`),
    ...f.procs
      .filter(p => p.hits.length > 0)
      .map(p => `${where}: /proc/${p.pid} (${p.comm}): ${p.hits.join(' ')}`)
  ])
}

/** Findings whose daemon did not start (the check that none is left would prove nothing). */
function daemonsNotStarted(s: Scenario): string[] {
  return all(s)
    .filter(([, f]) => !/^started pid \d+/.test(f.daemon))
    .map(([where, f]) => `${where}: ${f.daemon}`)
}

/** The interpreter's site-packages in a tool cache made by makeToolCache. */
function sitePackagesOf(toolCache: string, version: string, minor: string): string {
  return path.join(toolCache, 'Python', version, hostArch, 'lib', `python${minor}`, 'site-packages')
}

interface Runs {
  auto?: Scenario & { siteBefore: string[] }
  off?: Scenario
  required?: { result: ActionRun; summary: string }
  user?: Scenario
}
const runs: Runs = {}
/** Why a run did not happen: each run's failure stays its own. */
const failed: Partial<Record<keyof Runs, unknown>> = {}
/** The unprivileged user's folder (outside the tests' temporary folder). */
let userBase: string | undefined

function need<T>(value: T | undefined, what: keyof Runs): T {
  if (value === undefined) {
    const why = what in failed ? failed[what] : 'see beforeAll'
    throw new Error(`the ${what} run did not happen: ${String(why)}`)
  }
  return value
}

/** Makes the run `name`, keeping its failure for its own tests. */
function settle<K extends keyof Runs>(name: K, make: () => Promise<Runs[K]>) {
  return async (): Promise<void> => {
    try {
      runs[name] = await make()
    } catch (error) {
      failed[name] = error instanceof Error ? (error.stack ?? error.message) : error
    }
  }
}

const SYSTEM_PYTHON = '/usr/bin/python3.11'

/** Whether an unprivileged user may make a user namespace here (tried as `nobody`). */
function userNamespacesAllowed(): boolean {
  try {
    const uid = execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim()
    execFileSync(
      '/usr/bin/setpriv',
      [`--reuid=${uid}`, '--clear-groups', '--', 'unshare', '--user', '--map-root-user', 'true'],
      { stdio: 'ignore', cwd: '/' }
    )
    return true
  } catch {
    return false
  }
}

/**
 * The unprivileged run needs root (to make the user and switch to it), the
 * system's Python (this machine's pyenv ones are in /root, which the user
 * cannot enter), and a kernel that gives unprivileged users a user namespace.
 */
const canRunAsUser =
  isRoot && process.platform === 'linux' && fs.existsSync(SYSTEM_PYTHON) && userNamespacesAllowed()

async function autoRun(): Promise<Scenario & { siteBefore: string[] }> {
  const toolCache = tempDir('sandbox-toolcache-')
  const version = makeToolCache(toolCache, ['3.12'])['3.12']
  if (!version) throw new Error('no Python 3.12 on this machine')
  const sitePackages = sitePackagesOf(toolCache, version, '3.12')
  const siteBefore = fs.readdirSync(sitePackages)
  const s = await hostileScenario({
    sandbox: 'auto',
    base: tempDir('sandbox-auto-'),
    toolCache,
    runtime: 'python3.12',
    sitePackages,
    daemonSetsid: true
  })
  return { ...s, siteBefore }
}

async function offRun(): Promise<Scenario> {
  const toolCache = tempDir('sandbox-toolcache-')
  if (!makeToolCache(toolCache, ['3.12'])['3.12']) throw new Error('no Python 3.12 on this machine')
  return await hostileScenario({
    sandbox: 'off',
    base: tempDir('sandbox-off-'),
    toolCache,
    runtime: 'python3.12',
    // No .pth attempt: without isolation it would land in this machine's
    // interpreter (the tool cache links to it), and nothing promises otherwise.
    sitePackages: undefined,
    // The fallback kills the program's process group: a daemon that calls
    // setsid leaves the group and outlives the step there (only the PID
    // namespace of the isolated forms gets it). This one stays in the group.
    daemonSetsid: false
  })
}

async function requiredRun(): Promise<{ result: ActionRun; summary: string }> {
  const toolCache = tempDir('sandbox-toolcache-')
  if (!makeToolCache(toolCache, ['3.12'])['3.12']) throw new Error('no Python 3.12 on this machine')
  const runner = plantRunner(tempDir('sandbox-required-'), jobPipConfig())
  // An ordinary setuptools project, as security.test.ts makes them.
  fs.writeFileSync(path.join(runner.workspace, 'requirements.txt'), './plain\n')
  makeSetuptoolsProject(path.join(runner.workspace, 'plain'), {
    name: 'plain-dist',
    module: 'plain'
  })
  const result = await runAction(
    { ...inputs, runtimes: 'python3.12', sandbox: 'required' },
    { workspace: runner.workspace, toolCache, runnerTemp: runner.runnerTemp, env: runner.env }
  )
  return { result, summary: commandResults(runner).summary }
}

async function userRun(): Promise<Scenario> {
  const user = systemUser('lplsandbox')
  // Outside the tests' temporary folder (root's, 0700): everything the
  // user's action reads or writes is below this one.
  const base = fs.mkdtempSync(path.join('/tmp', 'lpl-sandbox-user-'))
  userBase = base
  fs.chmodSync(base, 0o755)
  // This machine's pyenv interpreters are in /root, which the user cannot
  // enter; the system's Python is anyone's.
  const version = execFileSync(
    SYSTEM_PYTHON,
    ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'],
    { encoding: 'utf8' }
  ).trim()
  const toolCache = path.join(base, 'toolcache')
  fs.mkdirSync(path.join(toolCache, 'Python', version), { recursive: true })
  fs.symlinkSync('/usr', path.join(toolCache, 'Python', version, hostArch))
  fs.writeFileSync(path.join(toolCache, 'Python', version, `${hostArch}.complete`), '')
  fs.mkdirSync(path.join(base, 'runner'))
  return await hostileScenario({
    sandbox: 'auto',
    base: path.join(base, 'runner'),
    toolCache,
    runtime: `python${version.split('.').slice(0, 2).join('.')}`,
    user,
    daemonSetsid: true
  })
}

beforeAll(async () => {
  await inParallel(
    [
      settle('auto', autoRun),
      settle('off', offRun),
      settle('required', requiredRun),
      ...(canRunAsUser ? [settle('user', userRun)] : [])
    ],
    4
  )
})

afterAll(() => {
  // What the probe managed to create outside its runner's folders (a .pth
  // file in this machine's interpreter, a file in /tmp) goes.
  for (const s of [runs.auto, runs.off, runs.user]) {
    for (const p of s?.mustNotExist ?? []) fs.rmSync(p, { force: true })
  }
  if (userBase) fs.rmSync(userBase, { recursive: true, force: true })
})

describe('sandbox: auto as root (isolated, privileged form)', () => {
  const run = (): Scenario & { siteBefore: string[] } => need(runs.auto, 'auto')

  it('says so: the log, and the job summary row "Package code"', () => {
    const s = run()
    expect(s.result.log).toContain('Sandbox: package code runs isolated')
    expect(s.summary).toMatch(/Package code.*isolated/)
  })

  it('the step succeeds, and the hostile package ran at build and import time', () => {
    const s = run()
    expect(s.result.errors).toEqual([])
    expect(s.result.exitCode).toBe(0)
    expectProbesRan(s)
  })

  it('1. no canary appears in the log, the job summary, the outputs or any zip entry', () => {
    expect(leaks(run())).toEqual([])
  })

  it("1b. package code's own environment holds none of the job's variables, and HOME is not the job's", () => {
    expect(ownEnvProblems(run())).toEqual([])
  })

  it("2. package code cannot see the action's process, nor read a canary in any /proc/<pid>/environ or cmdline", () => {
    const s = run()
    expect(procProblems(s)).toEqual([])
    // The scan itself ran (it reads at least its own process).
    for (const [where, f] of all(s)) {
      expect([where, f.procs.some(p => p.environ === 'read')]).toEqual([where, true])
    }
  })

  it("3a. package code cannot read the job's HOME (~/.aws/credentials, ~/.ssh/id_rsa, ~/.bashrc)", () => {
    expect(readsOf(run(), HOME_FILES)).toEqual([])
  })

  it("3b. package code cannot read the workspace's .git/config (the checkout's extraheader)", () => {
    expect(readsOf(run(), ['git_extraheader'])).toEqual([])
  })

  it("3c. the import cannot read the workspace's .env", () => {
    expect(readsOf(run(), ['dotenv'], 'import')).toEqual([])
  })

  it("3d. the build cannot read the workspace's .env", () => {
    // Installs see the workspace read-only (requirements files, ./pkg
    // projects) with only .git hidden: a secret file of the checkout is
    // there for setup.py to read unless the sandbox hides it too.
    expect(readsOf(run(), ['dotenv'], 'build')).toEqual([])
  })

  it('3e. package code cannot read the event payload (GITHUB_EVENT_PATH)', () => {
    expect(readsOf(run(), ['event_payload'])).toEqual([])
  })

  it('4a. package code cannot write the command files (GITHUB_ENV, GITHUB_PATH, GITHUB_STATE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY)', () => {
    const s = run()
    const { commands, unchangedFiles } = s.runner
    for (const file of [commands.GITHUB_ENV, commands.GITHUB_PATH, commands.GITHUB_STATE]) {
      expect([file, fs.readFileSync(file, 'utf8')]).toEqual([file, unchangedFiles[file].toString()])
    }
    // The action writes these two itself: nothing of the probe's.
    expect(s.outputText).not.toContain(s.marker)
    expect(s.summary).not.toContain(s.marker)
    const written = all(s).flatMap(([where, f]) =>
      Object.values(commands)
        .filter(file => f.writes[file] === 'written')
        .map(file => `${where}: ${file}`)
    )
    expect(written).toEqual([])
  })

  it("4b. package code cannot write the job's ~/.bashrc", () => {
    const s = run()
    const bashrc = s.runner.secretFiles.bashrc
    expect(fs.readFileSync(bashrc, 'utf8')).toBe(s.runner.unchangedFiles[bashrc].toString())
  })

  it("4c. package code cannot write the workspace's sources, nor add a file there", () => {
    const s = run()
    for (const file of ['requirements.txt', path.join('hostile', 'setup.py')]) {
      const full = path.join(s.runner.workspace, file)
      expect([file, fs.readFileSync(full, 'utf8')]).toEqual([
        file,
        s.runner.unchangedFiles[full].toString()
      ])
    }
    expect(s.workspaceFiles.filter(f => f.includes(s.marker))).toEqual([])
  })

  it("4d. package code cannot add a .pth file to the tool cache's interpreter", () => {
    const s = run()
    const site = s.sitePackages ?? ''
    expect(site).not.toBe('')
    expect(s.mustNotExist.filter(p => p.startsWith(site) && fs.existsSync(p))).toEqual([])
    const added = fs.readdirSync(site).filter(f => !s.siteBefore.includes(f))
    expect(added.filter(f => f.endsWith('.pth') || f.includes(s.marker))).toEqual([])
  })

  it("4e. package code cannot write the host's /tmp", () => {
    const s = run()
    const tmp = s.mustNotExist.filter(p => path.basename(p).includes('-host-tmp-'))
    expect(tmp.length).toBeGreaterThan(0)
    expect(tmp.filter(p => fs.existsSync(p))).toEqual([])
  })

  it('5. no daemon started by setup.py or at import (double fork + setsid) outlives the step', () => {
    const s = run()
    expect(daemonsNotStarted(s)).toEqual([])
    expect(s.daemonsLeft).toEqual([])
  })

  it('6. the import has no network (the build may connect)', () => {
    const s = run()
    expect(s.connections.filter(c => !c.startsWith('build '))).toEqual([])
    for (const f of s.imports) expect(f.net).toMatch(/^error:/)
    // The server works: the build (which has network) reached it.
    expect(s.connections.some(c => c.startsWith('build '))).toBe(true)
  })

  it('7. workflow commands package code prints reach the log only inside ::stop-commands:: blocks', () => {
    const s = run()
    // setup.py printed them (pip -v shows them); it also tried the output of
    // every process above it (pip's: a socket here, which /proc does not open).
    expect(s.result.log).toContain(`::warning::injected-${s.marker}`)
    expect(activeInjections(s)).toEqual([])
    expect(s.outputText).not.toContain('forged')
  })

  it('8. the import cannot write into the layer: the zip holds the original bytes, and the step succeeds', () => {
    const s = run()
    expect(s.result.exitCode).toBe(0)
    for (const f of s.imports) {
      expect(Object.entries(f.layer).filter(([, r]) => r === 'written')).toEqual([])
    }
    const zip = new AdmZip(s.outputs['zip-path'])
    expect(
      zip
        .getEntries()
        .map(e => e.entryName)
        .filter(n => n.includes('added_'))
    ).toEqual([])
    expect(zip.getEntry('python/hostile/victim.py')?.getData().toString('utf8')).toBe(VICTIM)
  })
})

describe('sandbox: off (no isolation: only what the fallback promises)', () => {
  const run = (): Scenario => need(runs.off, 'off')

  it('warns that package code runs without isolation, and the job summary says so', () => {
    const s = run()
    expect(s.result.log).toMatch(/::warning::sandbox: off/)
    expect(s.summary).toMatch(/Package code.*without isolation/)
  })

  it('the hostile package ran at build and import time', () => {
    expectProbesRan(run())
  })

  it("package code's own environment holds none of the job's credentials or command files, and HOME is not the job's", () => {
    expect(ownEnvProblems(run())).toEqual([])
  })

  it('no daemon (double fork, without setsid) started by setup.py or at import outlives the step', () => {
    const s = run()
    expect(daemonsNotStarted(s)).toEqual([])
    expect(s.daemonsLeft).toEqual([])
  })

  it("workflow commands package code prints into pip's output reach the log only inside ::stop-commands:: blocks", () => {
    const s = run()
    expect(s.result.log).toContain(`::warning::injected-${s.marker}`)
    // Without a PID namespace the probe also sees the action's own process
    // and tries to write into its output directly (`via node@<depth>`,
    // through /proc/<pid>/fd/1): nothing would wrap that, and nothing in the
    // fallback promises otherwise. (Here that output is a socket, which
    // /proc does not open; on a runner it may be a pipe.)
    expect(activeInjections(s).filter(l => !/ via node@\d+ /.test(l))).toEqual([])
  })

  it('an import that writes into the layer fails the step ("The staged layer changed"), and no zip is reported', () => {
    const s = run()
    for (const f of s.imports) expect(Object.values(f.layer)).toContain('written')
    expect(s.result.exitCode).not.toBe(0)
    expect(s.result.errors.join('\n')).toContain('The staged layer changed')
    expect(s.outputs['zip-path']).toBeUndefined()
    expect(s.outputs.published).not.toBe('true')
  })
})

describe('sandbox: required as root', () => {
  const run = (): { result: ActionRun; summary: string } => need(runs.required, 'required')

  it('package code runs isolated, and the log and the job summary say so', () => {
    const { result, summary } = run()
    expect(result.log).toContain('Sandbox: package code runs isolated')
    expect(summary).toMatch(/Package code.*isolated/)
  })

  it('a local setuptools project (./plain) builds, though the workspace is read-only to the build', () => {
    // pip builds a local folder in place: setuptools writes
    // plain_dist.egg-info and build/ into it.
    const { result } = run()
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })
})

describe.each(canRunAsUser ? ['lplsandbox'] : [])(
  'sandbox: auto as an unprivileged user (%s): the user-namespace form',
  () => {
    const run = (): Scenario => need(runs.user, 'user')

    it('package code runs isolated (user namespace), and the step succeeds', () => {
      const s = run()
      expect(s.result.log).toContain('isolated (user namespace)')
      expect(s.result.errors).toEqual([])
      expect(s.result.exitCode).toBe(0)
      expectProbesRan(s)
    })

    it("package code's own environment holds none of the job's variables, and HOME is not the job's", () => {
      expect(ownEnvProblems(run())).toEqual([])
    })

    it("package code cannot see the action's process, nor read a canary in any /proc/<pid>/environ or cmdline", () => {
      expect(procProblems(run())).toEqual([])
    })

    it("package code cannot read the job's HOME, nor the workspace's .git/config", () => {
      expect(readsOf(run(), [...HOME_FILES, 'git_extraheader'])).toEqual([])
    })

    it('no canary appears in the log, the job summary, the outputs or any zip entry', () => {
      expect(leaks(run())).toEqual([])
    })

    it('no daemon outlives the step', () => {
      const s = run()
      expect(daemonsNotStarted(s)).toEqual([])
      expect(s.daemonsLeft).toEqual([])
    })
  }
)
