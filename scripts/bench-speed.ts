/**
 * Benchmark: the action against the manual recipe, side by side in one run,
 * as the runner runs it (the bundled dist/index.js, its cache talking to the
 * loopback GitHub cache service, publishing to moto_server):
 *
 *   - manual: `pip install -t python`, `zip -r`, `aws lambda publish-layer-version`
 *   - cold: an empty cache, default inputs
 *   - changed: one requirement changed since the last cached build
 *   - unchanged: the same requirements again (zip from the cache, version reused)
 *
 * Prints each case's wall time and its ratio to the manual recipe, each
 * phase's time (from the job summary), the cores, and the action's peak
 * memory (maximum resident set, from /usr/bin/time when present).
 *
 *   npm run bench:speed [-- <requirements, comma-separated> [runs] [minor] [installer] [staging] [sandbox]]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, type ActionRun } from '../__tests__/helpers/action.js'
import { startCacheService } from '../__tests__/helpers/cache-service.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
import { manualRecipe, median, seconds } from './bench-common.js'
import { startMoto } from '../__tests__/e2e/moto.mjs'

const requirements = (process.argv[2] ?? 'requests,numpy<2.3,pandas<2.3,pydantic').split(',')
const runs = Number(process.argv[3] ?? 3)
const minor = process.argv[4] ?? '3.11'
/** The `installer` input: auto (the default) unless given. */
const installer = process.argv[5] ?? 'auto'
/** The `staging` input: auto (the default) unless given. */
const staging = process.argv[6] ?? 'auto'
/** The `sandbox` input: auto (the default) unless given. */
const sandbox = process.argv[7] ?? 'auto'
/** The edit of the "changed" case: the first requirement gets an older pin. */
const changedFirst = `${requirements[0].split(/[<>=!~;\s]/)[0]}==2.32.5`

const { work, toolCache, version, python } = benchPython('bench-speed-', minor)
const ws = path.join(work, 'ws')
fs.mkdirSync(ws, { recursive: true })
const requirementsFile = path.join(ws, 'requirements.txt')
const write = (lines: string[]): void => fs.writeFileSync(requirementsFile, `${lines.join('\n')}\n`)

const moto = (await startMoto()) as { endpoint: string; child: { kill(): void } }
const aws = {
  AWS_ENDPOINT_URL: moto.endpoint,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1'
}

// Peak memory: the action runs under /usr/bin/time, which adds one line to its
// log. The wrapper is a Node script, not a shell one: sh drops variables whose
// names are not identifiers, such as INPUT_LAYER-NAME.
const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const actionNode = process.env.ACTION_NODE || process.execPath
const nodeWrapper = path.join(work, 'node-timed.mjs')
fs.writeFileSync(
  nodeWrapper,
  [
    `#!${process.execPath}`,
    "import { spawn } from 'node:child_process'",
    "import readline from 'node:readline'",
    `const [command, ...prefix] = ${JSON.stringify(timeBin ? [timeBin, '-f', 'PEAK_RSS_KB=%M', actionNode] : [actionNode])}`,
    'const start = Date.now()',
    "const child = spawn(command, [...prefix, ...process.argv.slice(2)], { stdio: ['inherit', 'pipe', 'pipe'] })",
    '// BENCH_LOGS: each line carries the seconds since the action started.',
    "const stamp = process.env.BENCH_LOGS ? () => `[${((Date.now() - start) / 1000).toFixed(2)}] ` : () => ''",
    'for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {',
    "  readline.createInterface({ input: from }).on('line', line => to.write(`${stamp()}${line}\\n`))",
    '}',
    "child.on('close', code => process.exit(code ?? 1))",
    ''
  ].join('\n'),
  { mode: 0o755 }
)

/** The manual recipe; `fresh`: with an empty pip cache, as on a new runner. */
function manual(run: number, fresh = false): number {
  const pipCache = path.join(work, `manual-pip-cache-${run}`)
  return manualRecipe({
    ...(fresh ? { pipCache } : {}),
    python,
    requirementsFile,
    dir: path.join(work, `manual-${run}`),
    layerName: `manual-${run}`,
    runtime: `python${minor}`,
    endpoint: moto.endpoint,
    env: aws
  })
}

interface Measured {
  seconds: number
  phases: Record<string, number>
  peakMiB?: number
  run: ActionRun
}

let logged = 0
async function action(layer: string, cacheEnv: Record<string, string>): Promise<Measured> {
  // RUNNER_TEMP emptied before each run, as each job on a runner starts with
  // it empty (at the same path: the cache's version depends on the path).
  const runnerTemp = path.join(work, 'runner-temp')
  fs.rmSync(runnerTemp, { recursive: true, force: true })
  fs.mkdirSync(runnerTemp)
  // Nor does a hosted runner's tool cache hold the uv the action keeps there.
  fs.rmSync(path.join(toolCache, 'lambda-python-layer-uv'), { recursive: true, force: true })
  const start = process.hrtime.bigint()
  const run = await runAction(
    { 'layer-name': layer, runtimes: `python${minor}`, installer, staging, sandbox },
    {
      workspace: ws,
      toolCache,
      runnerTemp,
      env: { ...aws, ...cacheEnv, ACTION_NODE: nodeWrapper }
    }
  )
  const elapsed = seconds(start)
  if (run.exitCode !== 0) throw new Error(`action failed:\n${run.log.slice(-3000)}`)
  if (process.env.BENCH_LOGS) {
    fs.mkdirSync(process.env.BENCH_LOGS, { recursive: true })
    fs.writeFileSync(path.join(process.env.BENCH_LOGS, `${layer}-${++logged}.log`), run.log)
  }
  const phases: Record<string, number> = {}
  for (const m of run.summary.matchAll(/<tr><td>([^<]+)<\/td><td>([0-9.]+)<\/td><\/tr>/g)) {
    phases[m[1]] = (phases[m[1]] ?? 0) + Number(m[2])
  }
  const rss = /PEAK_RSS_KB=(\d+)/.exec(run.log)
  return { seconds: elapsed, phases, peakMiB: rss ? Number(rss[1]) / 1024 : undefined, run }
}

write(requirements)
manual(0) // warm pip's download cache and the machine's file cache
const manualTimes: number[] = []
const freshManualTimes: number[] = []
const cases: Record<'cold' | 'changed' | 'unchanged', Measured[]> = {
  cold: [],
  changed: [],
  unchanged: []
}
for (let i = 1; i <= runs; i++) {
  write(requirements)
  manualTimes.push(manual(i))
  freshManualTimes.push(manual(i, true))
  const service = await startCacheService(path.join(work, `store-${i}`))
  const layer = `bench-speed-${i}`
  // cold: nothing cached, nothing published
  write(requirements)
  cases.cold.push(await action(layer, service.env))
  // changed: one requirement differs from the cached build
  write([changedFirst, ...requirements.slice(1)])
  cases.changed.push(await action(layer, service.env))
  // unchanged: the same again: a cache hit and the version reused
  cases.unchanged.push(await action(layer, service.env))
  const last = cases.unchanged[cases.unchanged.length - 1].run
  if (last.outputs['cache-hit'] !== 'true' || last.outputs.published !== 'false') {
    throw new Error(
      `the unchanged run was not a cache hit reusing the version:\n${last.log.slice(-4000)}`
    )
  }
  await service.stop()
}

const manualMedian = median(manualTimes)
console.log(
  `python${minor} (Python ${version}) / x86_64: ${requirements.join(' + ')}; "changed" pins ${changedFirst}. Median of ${runs}; ${os.availableParallelism()} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}.`
)
console.log('')
const freshMedian = median(freshManualTimes)
console.log(
  '"vs manual": against the manual recipe with pip\'s cache warm (this machine\'s); "vs fresh runner": against it with an empty pip cache, as on a new runner.'
)
console.log('')
console.log('| case | seconds | vs manual | vs fresh runner | peak memory (MiB) |')
console.log('|---|---|---|---|---|')
console.log(`| manual recipe | ${manualMedian.toFixed(1)} | 1.00× | | |`)
console.log(`| manual recipe, empty pip cache | ${freshMedian.toFixed(1)} | | 1.00× | |`)
for (const [name, measured] of Object.entries(cases)) {
  const s = median(measured.map(m => m.seconds))
  const peaks = measured.flatMap(m => (m.peakMiB === undefined ? [] : [m.peakMiB]))
  console.log(
    `| ${name} | ${s.toFixed(1)} | ${(s / manualMedian).toFixed(2)}× | ${(s / freshMedian).toFixed(2)}× | ${peaks.length ? Math.round(Math.max(...peaks)) : 'n/a'} |`
  )
}
console.log('')
const names = [
  ...new Set(Object.values(cases).flatMap(ms => ms.flatMap(m => Object.keys(m.phases))))
]
console.log(`| phase (s) | ${Object.keys(cases).join(' | ')} |`)
console.log(
  `|---|${Object.keys(cases)
    .map(() => '---')
    .join('|')}|`
)
for (const phase of names) {
  const cells = Object.values(cases).map(ms => {
    const values = ms.flatMap(m => (phase in m.phases ? [m.phases[phase]] : []))
    return values.length ? median(values).toFixed(1) : ''
  })
  console.log(`| ${phase} | ${cells.join(' | ')} |`)
}
const unchangedWork = median(
  cases.unchanged.map(m => Object.values(m.phases).reduce((a, b) => a + b, 0))
)
console.log('')
console.log(
  `Unchanged: the action's phases took ${unchangedWork.toFixed(2)} s in all; the rest of the wall time is Node starting and loading the bundle.`
)
const chosen = cases.cold[cases.cold.length - 1]?.run.log.match(
  /^(?:\[[0-9.]+\] )?(Installer: .*)$/m
)?.[1]
if (chosen) console.log(`\n${chosen}`)
const staged = cases.cold[cases.cold.length - 1]?.run.log.match(
  /^(?:\[[0-9.]+\] )?(Staging: .*)$/m
)?.[1]
if (staged) console.log(staged)
const reuse =
  /^(?:\[[0-9.]+\] )?(Incremental install|Zip: \d|compile: reused|Download cache: restored|Downloading uv)/
const lastChanged = cases.changed[cases.changed.length - 1]?.run.log ?? ''
console.log('')
console.log('What the last "changed" run reused:')
for (const line of lastChanged.split(/\r?\n/)) if (reuse.test(line)) console.log(`  ${line}`)
moto.child.kill()
fs.rmSync(work, { recursive: true, force: true })
