/**
 * Benchmark: what the action costs before it does anything, and a whole run
 * that has nothing to build. For each bundle given (dist/index.js when none
 * is), side by side in one run, alternating:
 *
 *   - first line: from the process start to its first line of log;
 *   - cache hit: a whole `publish: false` run whose zip comes from the
 *     cache (the loopback GitHub cache service, filled once beforehand by
 *     each bundle);
 *
 * and, for reference, a bare `node -e 0`. Prints the median and the range
 * of each, in seconds.
 *
 *   npm run bench:start [-- [--runs N] [--requirements six] [bundle.js ...]]
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT, runAction } from '../__tests__/helpers/action.js'
import { startCacheService } from '../__tests__/helpers/cache-service.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
import { median } from './bench-common.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '9' },
    requirements: { type: 'string', default: 'six' }
  }
})
const runs = Math.max(1, Number(values.runs) || 9)
const bundles = (positionals.length > 0 ? positionals : [path.join(ROOT, 'dist', 'index.js')]).map(
  b => path.resolve(b)
)
const node = process.env.ACTION_NODE || process.execPath

const { work, toolCache } = benchPython('bench-start-', '3.12')
const ws = path.join(work, 'ws')
fs.mkdirSync(ws, { recursive: true })
fs.writeFileSync(path.join(ws, 'requirements.txt'), `${values.requirements}\n`)
const cache = await startCacheService(path.join(work, 'cache'))
const inputs = { 'layer-name': 'start', publish: 'false', runtimes: 'python3.12' }

/**
 * An empty RUNNER_TEMP for each run, as on a hosted runner, at the same
 * path: the cache entry's version includes the zip's path.
 */
function runnerTemp(): string {
  const dir = path.join(work, 'runner-temp')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir)
  return dir
}

/** Seconds from spawn to the first line of output, and to the exit. */
async function timed(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number[]> {
  const start = process.hrtime.bigint()
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let first: number | undefined
    const mark = (): void => {
      first ??= elapsed()
    }
    child.stdout.on('data', mark)
    child.stderr.on('data', mark)
    child.on('error', reject)
    child.on('close', code => {
      if (code !== 0 && command !== node) reject(new Error(`${command} exited with ${code}`))
      resolve([first ?? elapsed(), elapsed()])
    })
  })
}

/** The environment runAction gives the action, for a run of `bundle` that hits the cache. */
async function cacheHit(bundle: string): Promise<number[]> {
  let times: number[] = []
  const run = await runAction(inputs, {
    workspace: ws,
    toolCache,
    runnerTemp: runnerTemp(),
    script: bundle,
    env: { ...cache.env },
    wrap: [
      process.execPath,
      '-e',
      // Times the action from the wrapper: its spawn, first line and exit.
      `const { spawn } = require('node:child_process');
       const start = process.hrtime.bigint();
       const t = () => (Number(process.hrtime.bigint() - start) / 1e9).toFixed(4);
       let first;
       const c = spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'pipe', 'pipe'] });
       const on = d => { if (first === undefined) first = t(); process.stdout.write(d) };
       c.stdout.on('data', on); c.stderr.on('data', d => process.stderr.write(d));
       c.on('close', code => { process.stdout.write('\\nBENCH_TIMES ' + first + ' ' + t() + '\\n'); process.exit(code ?? 1) })`
    ]
  })
  if (run.exitCode !== 0 || run.outputs['cache-hit'] !== 'true') {
    throw new Error(`${bundle}: not a cache hit (exit ${run.exitCode}):\n${run.log.slice(-2000)}`)
  }
  const m = /BENCH_TIMES (\S+) (\S+)/.exec(run.log)
  if (m) times = [Number(m[1]), Number(m[2])]
  return times
}

try {
  // Fills the cache once per bundle (bundles of other build formats key their entries apart).
  for (const bundle of bundles) {
    const fill = await runAction(inputs, {
      workspace: ws,
      toolCache,
      runnerTemp: runnerTemp(),
      script: bundle,
      env: { ...cache.env }
    })
    if (fill.exitCode !== 0) throw new Error(`the first run failed:\n${fill.log.slice(-2000)}`)
  }

  const bare: number[] = []
  const first = new Map<string, number[]>(bundles.map(b => [b, []]))
  const whole = new Map<string, number[]>(bundles.map(b => [b, []]))
  for (let i = 0; i < runs; i++) {
    bare.push((await timed(node, ['-e', 'console.log(1)']))[0])
    for (const bundle of bundles) {
      const [line, end] = await cacheHit(bundle)
      first.get(bundle)?.push(line)
      whole.get(bundle)?.push(end)
    }
  }
  const show = (list: number[]): string =>
    `${median(list).toFixed(3)} s (${Math.min(...list).toFixed(3)}–${Math.max(...list).toFixed(3)})`
  console.log(
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${runs} runs each, medians (range)`
  )
  console.log('')
  console.log('| bundle | size | first line | whole run, cache hit |')
  console.log('|---|--:|--:|--:|')
  console.log(`| bare \`node -e\` | | ${show(bare)} | |`)
  for (const bundle of bundles) {
    // The bundle's own file, and the chunks beside it that it loads when needed.
    const dir = path.dirname(bundle)
    const chunks = fs
      .readdirSync(dir)
      .filter(f => /^\d+\.index\.js$/.test(f))
      .reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0)
    const size = `${(fs.statSync(bundle).size / 1e6).toFixed(1)} MB${chunks > 0 ? ` (+ ${(chunks / 1e6).toFixed(1)} MB of chunks)` : ''}`
    console.log(
      `| ${path.relative(process.cwd(), bundle) || bundle} | ${size} | ${show(first.get(bundle) ?? [])} | ${show(whole.get(bundle) ?? [])} |`
    )
  }
} finally {
  await cache.stop()
  fs.rmSync(work, { recursive: true, force: true })
}
