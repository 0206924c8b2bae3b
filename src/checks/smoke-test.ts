/**
 * Imports every top-level module of a staged layer in a clean interpreter
 * (no host site-packages on sys.path), the way Lambda would, and reports each
 * import that fails. Only meaningful when the runner can execute the target's
 * code: same OS and architecture (canRunTarget) and the runtime's Python minor.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {
  distributionLabel,
  isIdentifier,
  moduleNameOfFile,
  readDistributions
} from '../layer/dist-info.js'
import { normalizeName } from '../requirements/names.js'
import type { Runtime } from '../runtimes.js'
import { run } from '../util/process.js'
import type { Finding } from './findings.js'

export interface SmokeTestOptions {
  /** Interpreter of the runtime's Python version, e.g. /opt/hostedtoolcache/Python/3.12.8/x64/bin/python3. */
  python: string
  /** Absolute site dir of the layer: <root>/python or <root>/python/lib/python3.X/site-packages. */
  siteDir: string
  /** Modules to import; discovered from siteDir when omitted. */
  modules?: string[]
  /** Named in messages, e.g. "python3.12". */
  runtime?: Runtime
  /** Limit for one interpreter run (all imports); a module still importing then is reported. Default 120 s. */
  timeoutMs?: number
  /** The environment the imports see (package code: without the job's credentials). */
  env?: NodeJS.ProcessEnv
  /**
   * Every failure is an error (`smoke-test: true`). Otherwise (`auto`) only
   * failures that prove the layer broken are; the others (import-time
   * configuration, network, anything not shown to be the layer's fault) warn.
   */
  strict?: boolean
}

/** One module's outcome, as the interpreter reports it. */
export interface ImportResult {
  module: string
  ok: boolean
  /** Exception class name, "Crash" (interpreter died) or "Timeout". */
  type?: string
  message?: string
  /** Last lines of the traceback. */
  traceback?: string[]
}

const DEFAULT_TIMEOUT_MS = 120_000

/**
 * Runs in the target interpreter: argv = [marker, siteDir, JSON list of modules].
 * Each result is one marked JSON line on the real stdout; whatever the imported
 * code prints goes to stderr (or at least never starts with the marker). A
 * "start" line before each import tells which module was being imported if the
 * process dies. os._exit at the end: non-daemon threads started by an import
 * must not keep the process alive.
 */
const SCRIPT = `
import faulthandler, importlib, json, os, sys, traceback
faulthandler.enable()
marker, site_dir, modules = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, site_dir)
out = sys.stdout
sys.stdout = sys.stderr
def emit(record):
    out.write("\\n" + marker + json.dumps(record) + "\\n")
    out.flush()
for name in modules:
    emit({"start": name})
    try:
        importlib.import_module(name)
        emit({"module": name, "ok": True})
    except BaseException as error:
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in ("<string>", importlib.__file__):
            tb = tb.tb_next
        text = "".join(traceback.format_exception(type(error), error, tb))
        lines = [l for l in text.rstrip().splitlines() if "<frozen importlib" not in l]
        emit({"module": name, "ok": False, "type": type(error).__name__,
              "message": str(error), "traceback": lines[-6:]})
emit({"done": True})
os._exit(0)
`

export { canRunTarget } from '../runtimes.js'

export async function smokeTest(options: SmokeTestOptions): Promise<Finding[]> {
  const siteDir = path.resolve(options.siteDir)
  const modules = options.modules ?? (await discoverModules(siteDir))
  const results = await importAll(options.python, siteDir, modules, options.timeoutMs, options.env)
  return importFindings(results, {
    where:
      options.runtime === undefined ? options.python : `${options.runtime} (${options.python})`,
    strict: options.strict ?? false,
    owners: await moduleOwners(siteDir)
  })
}

/**
 * The findings of an import test (on the runner or on Lambda): an error for
 * each failure that proves the layer broken, and for every failure when
 * `strict`; a warning for the others.
 */
export function importFindings(
  results: readonly ImportResult[],
  options: {
    /** Where the imports ran, for messages: "python3.12 (/path/to/python3)". */
    where: string
    strict: boolean
    /** Who installs each top-level module, when the site folder is at hand. */
    owners?: Owners
  }
): Finding[] {
  const modules = results.map(r => r.module)
  const topLevel = new Set(modules.map(m => m.split('.')[0]))
  return results
    .filter(r => !r.ok)
    .map(r => {
      const top = r.module.split('.')[0]
      const pkg = options.owners?.labels.get(top)
      const kind = classifyFailure(r, topLevel, options.owners?.optional.get(top))
      const finding: Finding = {
        severity: options.strict || kind === 'broken' ? 'error' : 'warning',
        code: kind === 'broken' ? 'import-broken' : 'import-failed',
        message: importFailureMessage(r, pkg, options, topLevel, kind)
      }
      if (pkg !== undefined) finding.package = pkg
      return finding
    })
}

/**
 * Imports each module in one interpreter; if the interpreter dies or hangs,
 * reports the module it was importing and starts a new one for the rest.
 */
export async function importAll(
  python: string,
  siteDir: string,
  modules: readonly string[],
  timeoutMs = DEFAULT_TIMEOUT_MS,
  env?: NodeJS.ProcessEnv
): Promise<ImportResult[]> {
  const results: ImportResult[] = []
  let remaining = [...modules]
  while (remaining.length > 0) {
    const attempt = await runInterpreter(python, siteDir, remaining, timeoutMs, env)
    results.push(...attempt.results)
    if (attempt.done) break
    const current = attempt.started.at(-1)
    if (current === undefined) {
      throw new Error(
        `Could not run the import check with ${python}: ${attempt.failure || 'no output'}`.trim()
      )
    }
    if (!attempt.results.some(r => r.module === current)) {
      results.push({
        module: current,
        ok: false,
        type: attempt.timedOut ? 'Timeout' : 'Crash',
        message: attempt.timedOut
          ? `the import did not finish within ${Math.round(timeoutMs / 1000)} s`
          : `the interpreter died (${attempt.failure})`,
        traceback: attempt.stderrTail
      })
    }
    remaining = remaining.slice(remaining.indexOf(current) + 1)
  }
  return results
}

interface Run {
  results: ImportResult[]
  started: string[]
  done: boolean
  timedOut: boolean
  /** Exit code or signal, for messages. */
  failure: string
  stderrTail: string[]
}

async function runInterpreter(
  python: string,
  siteDir: string,
  modules: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv | undefined
): Promise<Run> {
  const marker = `@@layer-import-${randomBytes(6).toString('hex')}@@`
  // -I: ignore PYTHON* variables, user site and the current directory;
  // -S: no site module, so no host site-packages and no .pth processing (as on
  // Lambda, where layer dirs come in through PYTHONPATH); -B: leave no
  // __pycache__ behind in the staged layer.
  const args = ['-I', '-S', '-B', '-c', SCRIPT, marker, siteDir, JSON.stringify(modules)]
  const result = await run(python, args, {
    cwd: os.tmpdir(),
    timeoutMs,
    silent: true,
    // Read-only, no network, nothing of the runner's but the interpreter.
    confine: { readable: [siteDir] },
    ...(env ? { env } : {})
  })
  if (result.spawnError !== undefined) {
    throw new Error(`Python interpreter not found: ${python} (${result.spawnError})`)
  }
  const { stdout, stderr } = result
  const failed = result.exitCode !== 0 || result.signal !== undefined

  const outcome: Run = {
    results: [],
    started: [],
    done: false,
    timedOut: result.timedOut,
    failure: '',
    stderrTail: stderrTail(stderr)
  }
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.startsWith(marker)) continue
    let record: unknown
    try {
      record = JSON.parse(line.slice(marker.length))
    } catch {
      continue // a line cut short by a crash
    }
    if (typeof record !== 'object' || record === null) continue
    const r = record as Partial<ImportResult> & { start?: unknown; done?: unknown }
    if (typeof r.start === 'string') outcome.started.push(r.start)
    else if (r.done === true) outcome.done = true
    else if (typeof r.module === 'string' && typeof r.ok === 'boolean') {
      outcome.results.push({
        module: r.module,
        ok: r.ok,
        ...(r.ok
          ? {}
          : {
              type: String(r.type ?? 'Error'),
              message: String(r.message ?? ''),
              traceback: Array.isArray(r.traceback) ? r.traceback.map(String) : []
            })
      })
    }
  }
  if (failed) {
    outcome.failure =
      result.signal !== undefined ? `signal ${result.signal}` : `exit code ${result.exitCode}`
    if (outcome.started.length === 0) outcome.failure += `: ${outcome.stderrTail.join('\n')}`
  }
  return outcome
}

/**
 * The last meaningful stderr lines: for a crash, faulthandler's dump (which
 * names the module's file) without the import machinery's own frames.
 */
function stderrTail(stderr: string): string[] {
  return stderr
    .trimEnd()
    .split(/\r?\n/)
    .filter(
      l =>
        l.trim() !== '' &&
        !/File "(<frozen importlib[^"]*|<string>|[^"]*[\\/]importlib[\\/]__init__\.py)"/.test(l) &&
        !l.startsWith('Extension modules:')
    )
    .slice(-6)
}

/** Top-level dirs that are never importable code of a layer. */
const SKIP = new Set([
  '__pycache__',
  'bin',
  'test',
  'tests',
  'setup',
  'conftest',
  'docs',
  'examples'
])

/**
 * The importable top-level modules of a site dir, sorted: packages (dirs with
 * __init__), namespace packages (dirs with .py/.so files, or their regular
 * sub-packages when they hold only folders), single-file modules (*.py) and
 * extension modules (*.so), plus the names dist-info top_level.txt declares
 * that exist on disk. Skips *.dist-info, __pycache__, bin and test folders.
 */
export async function discoverModules(siteDir: string): Promise<string[]> {
  const names = new Set<string>()
  const entries = await readdir(siteDir, { withFileTypes: true })
  const onDisk = new Set<string>()
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (!isIdentifier(entry.name) || SKIP.has(entry.name)) continue
      onDisk.add(entry.name)
      for (const name of await packageNames(path.join(siteDir, entry.name), entry.name)) {
        names.add(name)
      }
    } else {
      const name = moduleNameOfFile(entry.name)
      if (name === null || !isIdentifier(name) || SKIP.has(name)) continue
      onDisk.add(name)
      names.add(name)
    }
  }
  for (const dist of await readDistributions(siteDir)) {
    for (const name of dist.topLevel) {
      const top = name.split('.')[0]
      if (!onDisk.has(top) || SKIP.has(top)) continue
      const covered = [...names].some(n => n === name || n.startsWith(`${name}.`))
      if (!covered) names.add(name)
    }
  }
  return [...names].sort()
}

/** [name] for a package or a namespace dir with modules; else its regular sub-packages. */
async function packageNames(dir: string, name: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const isModule = (file: string): boolean => file.endsWith('.py') || file.endsWith('.so')
  if (entries.some(e => !e.isDirectory() && isModule(e.name))) return [name]
  const subPackages: string[] = []
  for (const entry of entries) {
    if (!entry.isDirectory() || !isIdentifier(entry.name) || SKIP.has(entry.name)) continue
    const inner = await readdir(path.join(dir, entry.name))
    if (inner.some(f => f.startsWith('__init__.') && isModule(f))) {
      subPackages.push(`${name}.${entry.name}`)
    }
  }
  return subPackages
}

/** Top-level import name → "name==version" of the distribution that installs it. */
/** Who installs each top-level module, and what each of those declares only as optional. */
interface Owners {
  /** Top-level module → "name==version" of its distribution. */
  labels: Map<string, string>
  /** Top-level module → normalized names its distribution requires only under an extra. */
  optional: Map<string, Set<string>>
}

/**
 * The projects a distribution's METADATA requires only under an extra
 * (`Requires-Dist: asyncpg; extra == "asyncpg"`): optional, so a module that
 * needs one of them is an optional part of the package, not a broken layer.
 */
function optionalRequirements(distInfo: string): Set<string> {
  let text = ''
  try {
    text = fs.readFileSync(path.join(distInfo, 'METADATA'), 'utf8')
  } catch {
    return new Set()
  }
  const always = new Set<string>()
  const underExtra = new Set<string>()
  for (const m of text.matchAll(/^Requires-Dist:\s*([A-Za-z0-9][A-Za-z0-9._-]*)([^\n]*)$/gm)) {
    const name = normalizeName(m[1])
    if (/\bextra\s*==/.test(m[2])) underExtra.add(name)
    else always.add(name)
  }
  return new Set([...underExtra].filter(n => !always.has(n)))
}

async function moduleOwners(siteDir: string): Promise<Owners> {
  const labels = new Map<string, string>()
  const optional = new Map<string, Set<string>>()
  for (const dist of await readDistributions(siteDir)) {
    const extras = optionalRequirements(dist.distInfo)
    for (const name of dist.topLevel) {
      const top = name.split('.')[0]
      if (!labels.has(top)) {
        labels.set(top, distributionLabel(dist))
        optional.set(top, extras)
      }
    }
  }
  return { labels, optional }
}

/** Modules the Lambda Python runtime provides beside the standard library. */
const RUNTIME_PROVIDED = new Set([
  'boto3',
  'botocore',
  's3transfer',
  'jmespath',
  'dateutil',
  'urllib3',
  'six',
  'awslambdaric'
])

/**
 * What an import failure shows: `broken` when it proves the layer cannot
 * work on Lambda (a shared object that does not load, an ABI or binary
 * incompatibility, code for another Python, a module of the layer missing,
 * a crash); `unproven` otherwise (configuration read at import time, no
 * region or credentials, no network, a slow import, anything else).
 */
export function classifyFailure(
  result: ImportResult,
  layerModules: ReadonlySet<string>,
  /** Projects the failing module's distribution requires only under an extra. */
  optional: ReadonlySet<string> = new Set()
): 'broken' | 'unproven' {
  const text = `${result.type ?? ''}: ${result.message ?? ''}\n${(result.traceback ?? []).join('\n')}`
  if (result.type === 'Crash') return 'broken'
  if (result.type === 'Timeout') return 'unproven'
  if (
    /undefined symbol|cannot open shared object file|wrong ELF class|invalid ELF header|ELF load command|version `(GLIBC|GLIBCXX|CXXABI)_|cannot enable executable stack|file too short/.test(
      text
    )
  ) {
    return 'broken'
  }
  if (
    /binary incompatibility|dtype size changed|compiled using NumPy 1\.x|_ARRAY_API not found|compiled against (API|ABI) version|multiarray failed to import|undefined reference/i.test(
      text
    )
  ) {
    return 'broken'
  }
  if (result.type === 'SyntaxError' || result.type === 'IndentationError') return 'broken'
  // A name missing from a module of the layer: releases that do not go together.
  const from = /cannot import name '[^']+' from '([^']+)'/.exec(result.message ?? '')?.[1]
  if (from !== undefined && layerModules.has(from.split('.')[0])) return 'broken'
  const missing = /No module named '([^']+)'/.exec(result.message ?? '')?.[1]
  if (
    missing !== undefined &&
    (result.type === 'ModuleNotFoundError' || result.type === 'ImportError')
  ) {
    const top = missing.split('.')[0]
    // An optional dependency (an extra) the layer does not have: that part
    // of the package is optional, and the rest may well be all the function uses.
    if (!layerModules.has(top) && optional.has(normalizeName(top))) return 'unproven'
    // What Lambda provides is there at run time; a dependency of the layer
    // that is missing, or part of one of its own packages, is not.
    return RUNTIME_PROVIDED.has(top) && !layerModules.has(top) ? 'unproven' : 'broken'
  }
  return 'unproven'
}

function importFailureMessage(
  result: ImportResult,
  pkg: string | undefined,
  options: { where: string; strict: boolean },
  topLevel: Set<string>,
  kind: 'broken' | 'unproven' = 'broken'
): string {
  const what = pkg === undefined ? result.module : `${result.module} (${pkg})`
  const { where } = options
  const error =
    result.type === undefined ? 'failed' : `${result.type}: ${result.message ?? ''}`.trim()
  const lines = (result.traceback ?? []).filter(
    l => l.trim() !== '' && !l.startsWith('Traceback (most recent call last)')
  )
  const label =
    result.type === 'Crash' || result.type === 'Timeout' ? 'Its last output' : 'Traceback'
  const trace = lines.length > 0 ? ` ${label} (last lines):\n${lines.join('\n')}` : ''
  const note =
    kind === 'unproven' && !options.strict
      ? ' This does not prove the layer broken (it looks like configuration the module reads at import, or its environment), so it only warns; `smoke-test: true` makes every import failure fatal.'
      : ''
  return `Importing ${what} with ${where} fails: ${error}. ${importAdvice(result, topLevel)}${note}${trace}`
}

function importAdvice(result: ImportResult, topLevel: Set<string>): string {
  if (result.type === 'Timeout') {
    return 'Lambda would hit its init timeout the same way; check what the module does at import time.'
  }
  if (result.type === 'Crash') {
    return (
      'Its compiled code is not compatible with this interpreter: check that the package was ' +
      'installed for this Python version and architecture.'
    )
  }
  if (
    /binary incompatibility|dtype size changed|compiled using NumPy 1\.x|_ARRAY_API not found/i.test(
      `${result.message ?? ''}`
    )
  ) {
    return (
      'A compiled package was built against another release of one of its dependencies (numpy, usually) ' +
      'than the one in the layer: pin the dependency to a release the package was built for (pandas<2.1 ' +
      'needs numpy<2), or upgrade the package to one built for it.'
    )
  }
  const missing = /No module named '([^']+)'/.exec(result.message ?? '')?.[1]
  if (missing !== undefined) {
    const top = missing.split('.')[0]
    if (RUNTIME_PROVIDED.has(top) && !topLevel.has(top)) {
      return `${top} is provided by the Lambda Python runtime, so this import works there; the smoke test runs without it.`
    }
    if (topLevel.has(top) && missing.includes('.')) {
      return (
        `The layer has ${top} but not ${missing}: either its compiled part was built for ` +
        'another Python version or architecture (see any wrong-python findings), or this ' +
        `release of ${top} predates the runtime's Python (an old vendored six has no ` +
        '`six.moves` on 3.12): pin a newer release.'
      )
    }
    return (
      `${top} is not in the layer: add it to the requirements (the Lambda runtime itself ` +
      'only provides the standard library and boto3).'
    )
  }
  if (
    result.type === 'KeyError' ||
    /environ|getenv|config|credential/i.test(result.message ?? '')
  ) {
    return (
      "If the module reads configuration when it is imported, set it in the step's `env:` " +
      "(the smoke test inherits the step's environment), or set `smoke-test: false`."
    )
  }
  return (
    'Pin a version that works on this runtime or remove it from the layer; if the module ' +
    "needs configuration at import, set it in the step's `env:` or set `smoke-test: false`."
  )
}
