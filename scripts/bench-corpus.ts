/**
 * Benchmark: the requirements files of real Lambda projects (bench/corpus/,
 * sources in bench/corpus/SOURCES.md), each built for each target
 *
 *   - by the action: the bundled dist/index.js (copied when the run starts)
 *     run with node as the runner runs it (INPUT_* variables, GITHUB_OUTPUT,
 *     RUNNER_TEMP, a tool cache), publish: false and cache: false, every
 *     other input at its action.yml default;
 *   - by naive pip: `python3.X -m pip install -q -r <file> -t <dir>/python`
 *     with the runtime's interpreter and no platform options, as a user would
 *     run it on the runner (so an arm64 target still gets x86_64 wheels).
 *
 * Both results are then checked with readelf, not with the action's code:
 * every ELF file must be for the target's machine (x86-64 or AArch64) and
 * need no GLIBC_2.N above the runtime's glibc (2.26 for python3.9-3.11,
 * 2.34 for python3.12+).
 *
 *   npm run bench:corpus [-- --targets python3.12/x86_64,python3.12/arm64]
 *                         [--files <substring>[,<substring>...]] [--jobs N] [--timeout-min N]
 *                         [--peer [--runs N]]
 *
 * --peer times the action instead, against AWS SAM's builder: each file
 * and target is built N times (medians) by the action with its own uv (the
 * uv it keeps removed first, as on a hosted runner), by the action with uv
 * on PATH, and by aws-lambda-builders' python_uv workflow (installed with
 * uv into a venv in the run's temporary folder, once) followed by `zip -qr`
 * of its output. Every build starts with empty caches (UV_CACHE_DIR,
 * PIP_CACHE_DIR; cache: false for the action), and SAM's uv is given pip's
 * configuration of this machine (indexes, find-links, constraints) through
 * uv's variables. Prints each build's times and the median ratio, and
 * writes bench/corpus-peer-results.json; no readelf check, no plain pip.
 *
 * Prints a Markdown table (one row per file and target) and a summary on
 * stdout, one progress line per build on stderr, and writes the same rows
 * (with the full first error, the packages and up to 20 wrong files per
 * build) to bench/corpus-results.json. A build running longer than
 * --timeout-min is killed with its whole process group and shown as
 * "timeout". --jobs 2 suits a 2-core machine: most of a build is download and
 * unzip, but the times then include the other build's load.
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import * as prettier from 'prettier'
import YAML from 'yaml'
import { parseOutputFile, ROOT } from '../__tests__/helpers/action.js'
import { makeToolCache } from '../__tests__/helpers/toolcache.js'
import { UV_VERSION } from '../src/install/uv.js'
import { median } from './bench-common.js'

const MiB = 1024 * 1024
const CORPUS = path.join(ROOT, 'bench', 'corpus')
const RESULTS = path.join(ROOT, 'bench', 'corpus-results.json')
const DEFAULT_TARGETS = 'python3.12/x86_64,python3.12/arm64,python3.11/x86_64'

const { values: options } = parseArgs({
  options: {
    targets: { type: 'string', default: DEFAULT_TARGETS },
    files: { type: 'string', default: '' },
    jobs: { type: 'string', default: '1' },
    'timeout-min': { type: 'string', default: '10' },
    peer: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' }
  }
})

interface Target {
  label: string
  runtime: string
  minor: string
  arch: 'x86_64' | 'arm64'
  /** readelf's name for the target's machine. */
  machine: string
  glibc: [number, number]
}

function parseTarget(text: string): Target {
  const match = /^python(3\.(\d+))\/(x86_64|arm64)$/.exec(text.trim())
  if (!match) throw new Error(`--targets: "${text}" is not like python3.12/x86_64`)
  const [, minor, sub, arch] = match
  return {
    label: text.trim(),
    runtime: `python${minor}`,
    minor,
    arch: arch as Target['arch'],
    machine: arch === 'arm64' ? 'AArch64' : 'Advanced Micro Devices X86-64',
    glibc: Number(sub) >= 12 ? [2, 34] : [2, 26]
  }
}

const targets = options.targets.split(',').filter(Boolean).map(parseTarget)
const jobs = Math.max(1, Number(options.jobs) || 1)
const timeoutMs =
  (Number(options['timeout-min']) > 0 ? Number(options['timeout-min']) : 10) * 60_000
const files = fs
  .readdirSync(CORPUS)
  .filter(f => f.endsWith('.txt') && options.files.split(',').some(part => f.includes(part.trim())))
  .sort()
if (files.length === 0) throw new Error(`no corpus file in ${CORPUS} matches "${options.files}"`)

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-corpus-'))

// The action as bundled when the run starts: a copy, so that a `npm run package`
// during a long run cannot mix two versions of the action in one table.
const dist = path.join(scratch, 'dist')
fs.cpSync(path.join(ROOT, 'dist'), dist, { recursive: true })
const actionVersion = {
  sha256: createHash('sha256')
    .update(fs.readFileSync(path.join(dist, 'index.js')))
    .digest('hex'),
  gitHead: ((): string => {
    try {
      return execFileSync('git', ['--no-optional-locks', 'rev-parse', 'HEAD'], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore']
      }).trim()
    } catch {
      return 'unknown'
    }
  })()
}

// The runner's tool cache, laid out as actions/setup-python leaves it.
const toolCache = path.join(scratch, 'toolcache')
const minors = [...new Set(targets.map(t => t.minor))]
const versions = makeToolCache(toolCache, [...new Set(['3.11', '3.12', ...minors])])
for (const minor of minors)
  if (!versions[minor]) throw new Error(`no Python ${minor} on this machine for the tool cache`)
const hostArch = process.arch === 'arm64' ? 'arm64' : 'x64'
const interpreter = (minor: string): string =>
  path.join(toolCache, 'Python', versions[minor], hostArch, 'bin', `python${minor}`)

/** The action.yml defaults as the runner passes them: INPUT_<NAME> (hyphens kept). */
function defaultInputs(): Record<string, string> {
  const spec = YAML.parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  return Object.fromEntries(
    Object.entries(spec.inputs).map(([name, input]) => [
      `INPUT_${name.toUpperCase()}`,
      input.default ?? ''
    ])
  )
}
const inputDefaults = defaultInputs()

/** This process's environment without what a runner sets per step. */
const baseEnv: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && !/^(GITHUB_|ACTIONS_|INPUT_)/.test(entry[0])
  )
)

// ---------------------------------------------------------------------------
// Processes: each in its own process group, so a timeout kills pip's children too.

interface Finished {
  exitCode: number
  timedOut: boolean
  seconds: number
  output: string
}

const running = new Set<number>()

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

function runProcess(
  command: string,
  args: string[],
  opts: { env: Record<string, string>; cwd: string; timeoutMs?: number }
): Promise<Finished> {
  const start = process.hrtime.bigint()
  return new Promise(resolve => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const pid = child.pid
    if (pid !== undefined) running.add(pid)
    const chunks: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => chunks.push(d))
    child.stderr.on('data', (d: Buffer) => chunks.push(d))
    let timedOut = false
    const timer =
      opts.timeoutMs === undefined || pid === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            killGroup(pid)
          }, opts.timeoutMs)
    const done = (exitCode: number): void => {
      if (timer) clearTimeout(timer)
      if (pid !== undefined) running.delete(pid)
      resolve({
        exitCode,
        timedOut,
        seconds: Number(process.hrtime.bigint() - start) / 1e9,
        output: Buffer.concat(chunks).toString('utf8')
      })
    }
    child.on('error', error => {
      chunks.push(Buffer.from(`cannot run ${command}: ${error.message}\n`))
      done(-1)
    })
    child.on('close', code => done(code ?? -1))
  })
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const pid of running) killGroup(pid)
    fs.rmSync(scratch, { recursive: true, force: true })
    process.exit(130)
  })
}

// ---------------------------------------------------------------------------
// The independent check: readelf on every ELF file of an installed tree.

interface ElfFinding {
  file: string
  machine: string
  glibc?: string
  needed: string[]
  reasons: string[]
}

interface TreeCheck {
  elfFiles: number
  wrong: ElfFinding[]
}

function* regularFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* regularFiles(full)
    else if (entry.isFile()) yield full
  }
}

function isElf(file: string): boolean {
  const fd = fs.openSync(file, 'r')
  try {
    const head = Buffer.alloc(4)
    return fs.readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF'
  } finally {
    fs.closeSync(fd)
  }
}

function compareVersion(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1]
}

/** readelf -h (Machine), -V (GLIBC_2.N needed) and -d (NEEDED), in one call per file. */
async function readElf(file: string, root: string, target: Target): Promise<ElfFinding> {
  const run = await runProcess('readelf', ['-W', '-h', '-V', '-d', file], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    cwd: root
  })
  const text = run.output
  const machine = /^\s*Machine:\s*(.+?)\s*$/m.exec(text)?.[1] ?? 'unreadable'
  // Only the "Version needs" section: what the file requires, not what it defines.
  const needs = /^Version needs section[^\n]*\n((?:[ \t][^\n]*\n?)*)/m.exec(text)?.[1] ?? ''
  let highest: [number, number] | undefined
  for (const m of needs.matchAll(/Name: GLIBC_(\d+)\.(\d+)/g)) {
    const v: [number, number] = [Number(m[1]), Number(m[2])]
    if (!highest || compareVersion(v, highest) > 0) highest = v
  }
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(m => m[1])
  const reasons: string[] = []
  if (machine !== target.machine) reasons.push(`machine ${machine}`)
  if (highest && compareVersion(highest, target.glibc) > 0)
    reasons.push(`needs GLIBC_${highest.join('.')} > ${target.glibc.join('.')}`)
  return {
    file: path.relative(root, file),
    machine,
    ...(highest ? { glibc: highest.join('.') } : {}),
    needed,
    reasons
  }
}

async function checkTree(root: string, target: Target): Promise<TreeCheck> {
  const elves = [...regularFiles(root)].filter(isElf)
  const wrong: ElfFinding[] = []
  // A few readelf processes at once: layers hold up to a few hundred ELF files.
  let next = 0
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < elves.length) {
        const finding = await readElf(elves[next++], root, target)
        if (finding.reasons.length > 0) wrong.push(finding)
      }
    })
  )
  wrong.sort((a, b) => a.file.localeCompare(b.file))
  return { elfFiles: elves.length, wrong }
}

// ---------------------------------------------------------------------------
// One build each way.

type Status = 'ok' | 'failed' | 'timeout'

interface BuildResult {
  status: Status
  exitCode: number
  seconds: number
  /** One line: the first line of the first ::error:: (the action) or of pip's ERROR (pip). */
  reason?: string
  /** The whole first error message, decoded. */
  error?: string
  elfFiles?: number
  wrongBinaries?: number
  wrongFiles?: ElfFinding[]
}

interface ActionResult extends BuildResult {
  unzippedBytes?: number
  zipBytes?: number
  packages?: string[]
}

function oneLine(text: string, max = 90): string {
  const line = text.split('\n').find(l => l.trim() !== '') ?? ''
  const trimmed = line.trim()
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed
}

function decodeCommandValue(value: string): string {
  return value.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%')
}

function firstError(log: string): string | undefined {
  const line = log.split('\n').find(l => l.startsWith('::error'))
  return line === undefined ? undefined : decodeCommandValue(line.replace(/^::error[^:]*::/, ''))
}

const WRONG_FILES_KEPT = 20

function withCheck<T extends BuildResult>(result: T, check: TreeCheck): T {
  return {
    ...result,
    elfFiles: check.elfFiles,
    wrongBinaries: check.wrong.length,
    wrongFiles: check.wrong.slice(0, WRONG_FILES_KEPT)
  }
}

async function buildWithAction(
  file: string,
  target: Target,
  work: string,
  /** For the peer comparison: variables for the run, and no check of what it built. */
  timed?: { env: Record<string, string> }
): Promise<ActionResult> {
  const workspace = path.join(work, 'workspace')
  const runnerTemp = path.join(work, 'runner-temp')
  fs.mkdirSync(workspace)
  fs.mkdirSync(runnerTemp)
  const outputFile = path.join(work, 'github-output')
  const summaryFile = path.join(work, 'github-step-summary')
  fs.writeFileSync(outputFile, '')
  fs.writeFileSync(summaryFile, '')
  const env: Record<string, string> = {
    ...baseEnv,
    ...inputDefaults,
    'INPUT_LAYER-NAME': 'corpus',
    INPUT_REQUIREMENTS: path.join(CORPUS, file),
    INPUT_RUNTIMES: target.runtime,
    INPUT_ARCHITECTURES: target.arch,
    INPUT_PUBLISH: 'false',
    INPUT_CACHE: 'false',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: toolCache,
    ...timed?.env
  }
  const run = await runProcess(process.execPath, [path.join(dist, 'index.js')], {
    env,
    cwd: workspace,
    timeoutMs
  })
  const outputs = parseOutputFile(fs.readFileSync(outputFile, 'utf8'))
  const error = firstError(run.output)
  const status: Status = run.timedOut ? 'timeout' : run.exitCode === 0 ? 'ok' : 'failed'
  const result: ActionResult = {
    status,
    exitCode: run.exitCode,
    seconds: run.seconds,
    ...(status === 'timeout'
      ? { reason: `killed after ${timeoutMs / 60_000} min` }
      : error !== undefined
        ? { reason: oneLine(error), error }
        : status === 'failed'
          ? { reason: oneLine(run.output.trim().split('\n').slice(-1)[0] ?? '') }
          : {}),
    ...(outputs['unzipped-size'] ? { unzippedBytes: Number(outputs['unzipped-size']) } : {}),
    ...(outputs['code-size'] ? { zipBytes: Number(outputs['code-size']) } : {}),
    ...(outputs.packages ? { packages: JSON.parse(outputs.packages) as string[] } : {})
  }
  const zip = outputs['zip-path']
  if (timed || status !== 'ok' || !zip || !fs.existsSync(zip)) return result
  const unzipped = path.join(work, 'action-layer')
  fs.mkdirSync(unzipped)
  const unzip = await runProcess('unzip', ['-q', zip, '-d', unzipped], { env: baseEnv, cwd: work })
  if (unzip.exitCode !== 0) return { ...result, reason: `unzip failed: ${oneLine(unzip.output)}` }
  return withCheck(result, await checkTree(unzipped, target))
}

/**
 * pip's explanation in one line: its first `ERROR:` line, else the last
 * exception a build backend raised, else pip's `×` headline, else its last line.
 */
function pipReason(output: string): string {
  const lines = output.split('\n').map(l => l.trim())
  const pick =
    lines.find(l => l.startsWith('ERROR:')) ??
    lines.filter(l => /^[\w.]*(Error|Exception)\b[^:]*:/.test(l)).slice(-1)[0] ??
    lines.find(l => l.startsWith('×')) ??
    lines.filter(Boolean).slice(-1)[0] ??
    ''
  return oneLine(pick)
}

async function buildWithPip(file: string, target: Target, work: string): Promise<BuildResult> {
  const cwd = path.join(work, 'pip-workspace')
  fs.mkdirSync(cwd)
  const into = path.join(work, 'pip-layer', 'python')
  const run = await runProcess(
    interpreter(target.minor),
    ['-m', 'pip', 'install', '-q', '-r', path.join(CORPUS, file), '-t', into],
    { env: baseEnv, cwd, timeoutMs }
  )
  const status: Status = run.timedOut ? 'timeout' : run.exitCode === 0 ? 'ok' : 'failed'
  const result: BuildResult = {
    status,
    exitCode: run.exitCode,
    seconds: run.seconds,
    ...(status === 'timeout'
      ? { reason: `killed after ${timeoutMs / 60_000} min` }
      : status === 'failed'
        ? {
            reason: pipReason(run.output),
            error: run.output.trim().split('\n').slice(-30).join('\n')
          }
        : {})
  }
  if (status !== 'ok' || !fs.existsSync(into)) return result
  return withCheck(result, await checkTree(into, target))
}

// ---------------------------------------------------------------------------
// --peer: the action against AWS SAM's builder, aws-lambda-builders (what
// `sam build` runs), with its uv workflow, each build timed with cold
// caches. SAM's build does not zip (nor compile bytecode, verify or
// import-test): its output is zipped with `zip -qr`, and timed with it.

/** Builds one requirements file with aws-lambda-builders' Python API: argv[1] is the request, as JSON. */
const PEER_BUILD = `import json, sys
from aws_lambda_builders.builder import LambdaBuilder

r = json.loads(sys.argv[1])
LambdaBuilder(language="python", dependency_manager=r["manager"], application_framework=None).build(
    r["source"], r["artifacts"], r["scratch"], r["manifest"],
    runtime=r["runtime"], architecture=r["architecture"])
`

interface PeerRow {
  file: string
  target: string
  /** Seconds per run: the action with its own uv (downloaded, as on a hosted runner). */
  actionOwnUv: number[]
  /** The action with uv on PATH (the one SAM uses). */
  actionPathUv: number[]
  /** SAM's uv workflow, then `zip -qr` of its output. */
  samUv: number[]
  zip: number[]
  /** Why a build failed (then the row has no ratio). */
  failed?: string
}

/**
 * uv's variables for pip's configuration on this machine (its indexes,
 * find-links and constraints), so that SAM's uv, which reads no pip
 * configuration, installs from the same places as the action, which
 * carries pip's configuration over to uv.
 */
function uvEnvFromPipConfig(python: string): Record<string, string> {
  const listed = execFileSync(python, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' })
  const values = new Map<string, string>()
  for (const m of listed.matchAll(/^[^.\s]+\.([\w-]+)='(.*)'$/gm)) values.set(m[1], m[2])
  const env: Record<string, string> = {}
  const index = values.get('index-url')
  const extra = values.get('extra-index-url')
  const findLinks = values.get('find-links')
  const constraint = values.get('constraint')
  if (index) env.UV_INDEX_URL = index
  if (extra) env.UV_EXTRA_INDEX_URL = extra
  if (findLinks) env.UV_FIND_LINKS = findLinks.split(/\s+/).join(',')
  if (constraint) env.UV_CONSTRAINT = constraint
  // As the action does, so that a package is taken from whichever source has the best version.
  if (extra || findLinks) env.UV_INDEX_STRATEGY = 'unsafe-best-match'
  return env
}

async function comparePeers(): Promise<void> {
  const runs = Math.max(1, Number(options.runs) || 1)
  const venv = path.join(scratch, 'peer-venv')
  const venvBin = path.join(venv, 'bin')
  const hostPython = interpreter(versions['3.12'] ? '3.12' : minors[0])
  process.stderr.write(`Installing aws-lambda-builders and uv ${UV_VERSION} in ${venv}\n`)
  execFileSync(hostPython, ['-m', 'venv', venv])
  const venvPython = path.join(venvBin, 'python')
  execFileSync(
    venvPython,
    ['-m', 'pip', 'install', '-q', 'aws-lambda-builders', `uv==${UV_VERSION}`],
    { stdio: ['ignore', 'ignore', 'inherit'] }
  )
  const samVersion = execFileSync(
    venvPython,
    ['-c', 'import aws_lambda_builders; print(aws_lambda_builders.__version__)'],
    { encoding: 'utf8' }
  ).trim()
  const peerScript = path.join(scratch, 'peer-build.py')
  fs.writeFileSync(peerScript, PEER_BUILD)
  const uvEnv = uvEnvFromPipConfig(venvPython)
  const withUvOnPath = `${venvBin}${path.delimiter}${baseEnv.PATH ?? ''}`

  /** Empty caches for one build of any tool; the action's uv kept in the tool cache is removed. */
  const cold = (dir: string): Record<string, string> => {
    fs.rmSync(path.join(toolCache, 'lambda-python-layer-uv'), { recursive: true, force: true })
    const caches = {
      UV_CACHE_DIR: path.join(dir, 'uv-cache'),
      PIP_CACHE_DIR: path.join(dir, 'pip-cache')
    }
    for (const c of Object.values(caches)) fs.mkdirSync(c, { recursive: true })
    return caches
  }

  const peerRows: PeerRow[] = []
  const started = process.hrtime.bigint()
  for (const file of files) {
    for (const target of targets) {
      const row: PeerRow = {
        file,
        target: target.label,
        actionOwnUv: [],
        actionPathUv: [],
        samUv: [],
        zip: []
      }
      for (let run = 0; run < runs && row.failed === undefined; run++) {
        const dir = fs.mkdtempSync(path.join(scratch, 'peer-'))
        try {
          for (const [list, pathEnv] of [
            [row.actionOwnUv, baseEnv.PATH ?? ''],
            [row.actionPathUv, withUvOnPath]
          ] as const) {
            const work = fs.mkdtempSync(path.join(dir, 'action-'))
            const result = await buildWithAction(file, target, work, {
              env: { ...cold(work), PATH: pathEnv }
            })
            if (result.status !== 'ok') row.failed = `action: ${result.reason ?? result.status}`
            list.push(result.seconds)
          }
          const sam = path.join(dir, 'sam')
          const source = path.join(sam, 'source')
          fs.mkdirSync(source, { recursive: true })
          fs.copyFileSync(path.join(CORPUS, file), path.join(source, 'requirements.txt'))
          const request = {
            manager: 'uv',
            source,
            artifacts: path.join(sam, 'layer', 'python'),
            scratch: path.join(sam, 'scratch'),
            manifest: path.join(source, 'requirements.txt'),
            runtime: target.runtime,
            architecture: target.arch
          }
          const built = await runProcess(venvPython, [peerScript, JSON.stringify(request)], {
            env: { ...baseEnv, ...uvEnv, ...cold(sam), PATH: withUvOnPath },
            cwd: sam,
            timeoutMs
          })
          if (built.exitCode !== 0) {
            row.failed ??= `SAM: ${oneLine(built.output.trim().split('\n').slice(-1)[0] ?? '')}`
          }
          const zipped = await runProcess('zip', ['-qr', 'layer.zip', 'python'], {
            env: baseEnv,
            cwd: path.join(sam, 'layer')
          })
          row.samUv.push(built.seconds)
          row.zip.push(zipped.seconds)
        } finally {
          fs.rmSync(dir, { recursive: true, force: true })
        }
      }
      peerRows.push(row)
      const m = peerMedians(row)
      process.stderr.write(
        `[${peerRows.length}/${files.length * targets.length}] ${file} ${target.label}: ` +
          (row.failed
            ? `failed (${row.failed})\n`
            : `action ${m.own.toFixed(1)} s (uv on PATH ${m.path.toFixed(1)} s), SAM uv ${m.sam.toFixed(1)} s + zip ${m.zip.toFixed(1)} s\n`)
      )
    }
  }
  const minutes = Number(process.hrtime.bigint() - started) / 60e9
  const cpus = os.cpus()
  console.log(
    `Peer benchmark, ${new Date().toISOString().slice(0, 10)}: ${files.length} requirements files x ${targets.length} targets, ${runs} run(s) each (medians); ` +
      `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
      `aws-lambda-builders ${samVersion}, uv ${UV_VERSION} for every tool; cold caches for every build; ${minutes.toFixed(1)} min in all`
  )
  console.log('')
  console.log(
    '| file | target | action s | action, uv on PATH, s | SAM uv s | zip s | SAM uv + zip s | action ÷ (SAM uv + zip) | uv on PATH ÷ (SAM uv + zip) |'
  )
  console.log('|---|---|--:|--:|--:|--:|--:|--:|--:|')
  const ratios = { own: [] as number[], path: [] as number[] }
  for (const row of peerRows) {
    const name = row.file.replace(/\.txt$/, '')
    if (row.failed) {
      console.log(
        `| ${name} | ${row.target} | failed: ${row.failed.replace(/\|/g, '\\|')} | | | | | | |`
      )
      continue
    }
    const m = peerMedians(row)
    const peer = m.sam + m.zip
    ratios.own.push(m.own / peer)
    ratios.path.push(m.path / peer)
    console.log(
      `| ${name} | ${row.target} | ${m.own.toFixed(1)} | ${m.path.toFixed(1)} | ${m.sam.toFixed(1)} | ${m.zip.toFixed(1)} | ${peer.toFixed(1)} | ${(m.own / peer).toFixed(2)} | ${(m.path / peer).toFixed(2)} |`
    )
  }
  console.log('')
  if (ratios.own.length > 0) {
    console.log(
      `Median ratio over ${ratios.own.length} builds: action ÷ (SAM uv + zip) ${median(ratios.own).toFixed(2)}; with uv on PATH ${median(ratios.path).toFixed(2)}.`
    )
  }
  const out = path.join(ROOT, 'bench', 'corpus-peer-results.json')
  const config = (await prettier.resolveConfig(out)) ?? {}
  const data = {
    date: new Date().toISOString(),
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version },
    action: { distIndexSha256: actionVersion.sha256, gitHead: actionVersion.gitHead },
    peer: { awsLambdaBuilders: samVersion, uv: UV_VERSION },
    runs,
    rows: peerRows
  }
  fs.writeFileSync(out, await prettier.format(JSON.stringify(data), { ...config, filepath: out }))
  console.log(`Rows as JSON: ${path.relative(ROOT, out)}`)
}

function peerMedians(row: PeerRow): { own: number; path: number; sam: number; zip: number } {
  return {
    own: median(row.actionOwnUv),
    path: median(row.actionPathUv),
    sam: median(row.samUv),
    zip: median(row.zip)
  }
}

if (options.peer) {
  try {
    await comparePeers()
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
  process.exit(0)
}

// ---------------------------------------------------------------------------
// The runs, the table and the summary.

interface Row {
  file: string
  target: string
  action: ActionResult
  pip: BuildResult
}

const work = [...files.flatMap(file => targets.map(target => ({ file, target })))]
const rows: (Row | undefined)[] = new Array(work.length)
let finished = 0

async function writeResults(): Promise<void> {
  const cpus = os.cpus()
  const data = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      pythons: versions
    },
    action: {
      distIndexSha256: actionVersion.sha256,
      gitHead: actionVersion.gitHead
    },
    options: { targets: targets.map(t => t.label), files: options.files, jobs, timeoutMs },
    rows: rows.filter((r): r is Row => r !== undefined)
  }
  // Written in the repository's Prettier style, so `npm run format:check` stays clean.
  const config = (await prettier.resolveConfig(RESULTS)) ?? {}
  const text = await prettier.format(JSON.stringify(data), { ...config, filepath: RESULTS })
  fs.writeFileSync(`${RESULTS}.tmp`, text)
  fs.renameSync(`${RESULTS}.tmp`, RESULTS)
}

function wrongCell(result: BuildResult): string {
  return result.wrongBinaries === undefined ? '–' : String(result.wrongBinaries)
}

function progress(row: Row): void {
  const a = row.action
  const p = row.pip
  const actionPart =
    a.status === 'ok'
      ? `ok ${a.seconds.toFixed(1)} s, ${((a.unzippedBytes ?? 0) / MiB).toFixed(1)} MiB, ${wrongCell(a)} wrong`
      : `${a.status} ${a.seconds.toFixed(1)} s: ${a.reason ?? ''}`
  const pipPart =
    p.status === 'ok'
      ? `ok ${p.seconds.toFixed(1)} s, ${wrongCell(p)} wrong`
      : `${p.status} ${p.seconds.toFixed(1)} s: ${p.reason ?? ''}`
  process.stderr.write(
    `[${finished}/${work.length}] ${row.file} ${row.target} | action ${actionPart} | pip ${pipPart}\n`
  )
}

async function buildRow(index: number): Promise<void> {
  const { file, target } = work[index]
  const dir = fs.mkdtempSync(path.join(scratch, 'build-'))
  try {
    const action = await buildWithAction(file, target, fs.mkdtempSync(path.join(dir, 'action-')))
    const pip = await buildWithPip(file, target, fs.mkdtempSync(path.join(dir, 'pip-')))
    const row: Row = { file, target: target.label, action, pip }
    rows[index] = row
    finished++
    progress(row)
    await writeResults()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

let nextRow = 0
const started = process.hrtime.bigint()
process.stderr.write(
  `${files.length} files x ${targets.length} targets = ${work.length} builds each way, ${jobs} at a time, timeout ${timeoutMs / 60_000} min per build\n`
)
await Promise.all(
  Array.from({ length: Math.min(jobs, work.length) }, async () => {
    while (nextRow < work.length) await buildRow(nextRow++)
  })
)
const totalMinutes = Number(process.hrtime.bigint() - started) / 60e9
fs.rmSync(scratch, { recursive: true, force: true })

const done = rows.filter((r): r is Row => r !== undefined)
const cell = (text: string): string => text.replace(/\|/g, '\\|')
const statusCell = (r: BuildResult): string =>
  r.status === 'ok' ? 'ok' : `${r.status}${r.reason ? `: ${cell(r.reason)}` : ''}`
const cpu = os.cpus()[0]?.model ?? 'unknown CPU'

console.log(
  `Corpus benchmark, ${new Date().toISOString().slice(0, 10)}: ${files.length} requirements files x ${targets.length} targets; ` +
    `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
    `Python ${Object.entries(versions)
      .map(([, v]) => v)
      .join(', ')}; --jobs ${jobs}; ${totalMinutes.toFixed(1)} min in all; ` +
    `action: dist/index.js sha256 ${actionVersion.sha256.slice(0, 12)} (git HEAD ${actionVersion.gitHead.slice(0, 7)} when the run started)`
)
console.log('')
console.log(
  '| file | target | action | action s | action MiB | action wrong | pip | pip s | pip wrong |'
)
console.log('|---|---|---|--:|--:|--:|---|--:|--:|')
for (const r of done) {
  const a = r.action
  const p = r.pip
  console.log(
    `| ${r.file.replace(/\.txt$/, '')} | ${r.target} | ${statusCell(a)} | ${a.seconds.toFixed(1)} | ${
      a.unzippedBytes === undefined ? '–' : (a.unzippedBytes / MiB).toFixed(1)
    } | ${wrongCell(a)} | ${p.status} | ${p.seconds.toFixed(1)} | ${wrongCell(p)} |`
  )
}

const count = (list: BuildResult[], status: Status): number =>
  list.filter(r => r.status === status).length
const sumWrong = (list: BuildResult[]): number =>
  list.reduce((n, r) => n + (r.wrongBinaries ?? 0), 0)
const withWrong = (list: BuildResult[]): number =>
  list.filter(r => (r.wrongBinaries ?? 0) > 0).length
const actions = done.map(r => r.action)
const pips = done.map(r => r.pip)

console.log('')
console.log('Summary')
console.log('')
for (const [name, list] of [
  ['action', actions],
  ['naive pip', pips]
] as const) {
  console.log(
    `- ${name}: ${count(list, 'ok')} ok, ${count(list, 'failed')} failed, ${count(list, 'timeout')} timeout; ` +
      `${sumWrong(list)} wrong binaries in ${withWrong(list)} of ${count(list, 'ok')} successful builds`
  )
}
const pipOkActionFailed = done.filter(r => r.pip.status === 'ok' && r.action.status !== 'ok')
const pipBroken = pipOkActionFailed.filter(r => (r.pip.wrongBinaries ?? 0) > 0).length
console.log(
  `- pip ok but the action refused: ${pipOkActionFailed.length} (of which pip's layer holds wrong binaries: ${pipBroken})`
)
const saved = done.filter(r => r.action.status === 'ok' && (r.pip.wrongBinaries ?? 0) > 0)
console.log(
  `- both ok, and pip's layer holds wrong binaries where the action's has none: ${
    saved.filter(r => r.action.wrongBinaries === 0).length
  }`
)

/** The kind of a refusal: its first words, package pins and counts masked. */
function kindOf(result: BuildResult): string {
  if (result.status === 'timeout') return 'timeout'
  return (result.reason ?? '(no message)')
    .replace(/\S+==\S+/g, 'X==V')
    .replace(/\b\d+ problems?\b/g, 'N problem(s)')
    .split(/\s+/)
    .slice(0, 6)
    .join(' ')
    .replace(/[.:,;]$/, '')
}

/** The specific cause: the first item under a headline that ends with ":", else the first line. */
function detailOf(result: BuildResult): string {
  const lines = (result.error ?? result.reason ?? '').split('\n')
  const item = lines[0]?.trimEnd().endsWith(':') ? lines.find(l => l.startsWith('- ')) : undefined
  const text = (item ?? lines[0] ?? '').replace(/^- /, '').replace(/ \(\/[^)]*\)/g, '')
  return text.length > 160 ? `${text.slice(0, 159)}…` : text
}

const refusals = new Map<string, Row[]>()
for (const r of done) {
  if (r.action.status === 'ok') continue
  const kind = kindOf(r.action)
  refusals.set(kind, [...(refusals.get(kind) ?? []), r])
}
if (refusals.size > 0) {
  console.log('- the action refused, by kind of reason (and the first cause it gave per file):')
  for (const [kind, list] of [...refusals].sort(
    (a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0])
  )) {
    console.log(`  - ${list.length} x "${kind}…"`)
    const byFile = new Map<string, Row[]>()
    for (const r of list) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r])
    for (const [file, fileRows] of byFile)
      console.log(
        `    - ${file.replace(/\.txt$/, '')} (${fileRows.map(r => r.target).join(', ')}): ${detailOf(fileRows[0].action)}`
      )
  }
}
console.log('')
console.log(`Rows as JSON: ${path.relative(ROOT, RESULTS)}`)
