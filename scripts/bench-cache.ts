/**
 * Benchmark: wall time to get a layer published, for one requirements set,
 *
 *   - the manual recipe: pip install -t + zip -r + aws lambda publish-layer-version
 *   - the action, cold: empty cache, pip + verify + zip + publish
 *   - the action, cache hit: restore the zip, find the identical version, done
 *
 * against moto_server on 127.0.0.1, the action run through `npm run
 * local-action` (its cache stand-in is a local folder). local-action spends
 * a few seconds compiling the TypeScript sources before the action starts;
 * that start-up is measured separately and shown, not subtracted.
 *
 *   npm run bench:cache [-- <requirements line> [runs]]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { localAction } from '../__tests__/helpers/local-action.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
import { manualRecipe, median, seconds } from './bench-common.js'
import { startMoto } from '../__tests__/e2e/moto.mjs'

const requirements = (process.argv[2] ?? 'pandas==2.2.3').split(',').join('\n')
const runs = Number(process.argv[3] ?? 3)
const minor = '3.12'

const { work, toolCache, version, python } = benchPython('bench-cache-', minor)
const requirementsFile = path.join(work, 'requirements.txt')
fs.writeFileSync(requirementsFile, `${requirements}\n`)

const moto = (await startMoto()) as { endpoint: string; child: { kill(): void } }
const aws = {
  AWS_ENDPOINT_URL: moto.endpoint,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1'
}

function manual(run: number): number {
  return manualRecipe({
    python,
    requirementsFile,
    dir: path.join(work, `manual-${run}`),
    layerName: `manual-${run}`,
    runtime: `python${minor}`,
    endpoint: moto.endpoint,
    env: aws
  })
}

function envFile(name: string, layer: string, publish = true): string {
  const file = path.join(work, name)
  fs.writeFileSync(
    file,
    [
      `INPUT_LAYER-NAME=${layer}`,
      `INPUT_REQUIREMENTS=${requirementsFile}`,
      `INPUT_RUNTIMES=python${minor}`,
      'INPUT_ARCHITECTURES=x86_64',
      `INPUT_PUBLISH=${publish}`,
      'INPUT_CACHE=true',
      'INPUT_VERIFY=true',
      'INPUT_AWS-REGION=us-east-1',
      ''
    ].join('\n')
  )
  return file
}

async function action(
  file: string,
  cacheDir: string
): Promise<{ seconds: number; cacheHit: string; published: string }> {
  fs.mkdirSync(cacheDir, { recursive: true })
  const start = process.hrtime.bigint()
  const result = await localAction(file, {
    ...aws,
    RUNNER_TOOL_CACHE: toolCache,
    LOCAL_ACTION_CACHE_PATH: cacheDir,
    LOCAL_ACTION_WORKSPACE: path.join(work, 'ws'),
    RUNNER_TEMP: path.join(work, 'ws', 'tmp')
  })
  const elapsed = seconds(start)
  if (result.exitCode !== 0) throw new Error(`action failed:\n${result.log.slice(-3000)}`)
  return {
    seconds: elapsed,
    cacheHit: result.outputs['cache-hit'],
    published: result.outputs.published
  }
}

// Warm pip's download cache and the local-action toolchain once, so every
// measured run pays the same (no network) cost.
manual(0)
const startup: number[] = []
const manualTimes: number[] = []
const cold: number[] = []
const hit: number[] = []
for (let run = 1; run <= runs; run++) {
  // local-action start-up: the same command failing at once on a missing input.
  const s = process.hrtime.bigint()
  await localAction(envFile('empty.env', ''), {
    LOCAL_ACTION_CACHE_PATH: work,
    LOCAL_ACTION_WORKSPACE: path.join(work, 'ws')
  })
  startup.push(seconds(s))

  manualTimes.push(manual(run))
  const file = envFile(`run-${run}.env`, `bench-${run}`)
  const cacheDir = path.join(work, `cache-${run}`)
  const first = await action(file, cacheDir)
  if (first.cacheHit !== 'false' || first.published !== 'true')
    throw new Error('cold run was not cold')
  cold.push(first.seconds)
  const second = await action(file, cacheDir)
  if (second.cacheHit !== 'true' || second.published !== 'false')
    throw new Error('second run missed the cache')
  hit.push(second.seconds)
}
moto.child.kill()

const zip = fs.statSync(path.join(work, 'manual-1', 'layer.zip')).size
const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
console.log(
  `Requirements: ${requirements.replace(/\n/g, ', ')} for python${minor} (Python ${version}), median of ${runs} runs`
)
console.log(
  `Machine: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; pip download cache warm; AWS = moto_server on 127.0.0.1`
)
console.log(`Manual zip: ${(zip / 1024 / 1024).toFixed(1)} MB`)
console.log('')
console.log('run                                                     wall time')
const row = (label: string, values: number[]): void =>
  console.log(`${label.padEnd(56)}${median(values).toFixed(1).padStart(6)} s`)
row('manual: pip install -t + zip -r + publish-layer-version', manualTimes)
row('action, cold (cache miss: pip, verify, zip, publish)', cold)
row('action, cache hit (restore, reuse the same version)', hit)
row('  of which local-action start-up (in both action rows)', startup)
fs.rmSync(work, { recursive: true, force: true })
