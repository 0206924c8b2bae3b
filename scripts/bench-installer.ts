/**
 * Benchmark: pip against uv as the action's installer, on the same
 * requirements, side by side in one run. Each is run through the bundled
 * action (`installer: pip` / `installer: uv`, compile, verify and the smoke
 * test off, nothing published) and timed by its install phase, from the job
 * summary:
 *
 *   - cold: an empty download cache (PIP_CACHE_DIR / UV_CACHE_DIR fresh),
 *   - warm: the same cache again, as after an earlier run on the runner.
 *
 * uv is installed by the action once before timing (into a shared
 * RUNNER_TEMP), so its own installation is not counted.
 *
 *   npm run bench:installer [-- <requirements, comma-separated> [runs] [minor]]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction } from '../__tests__/helpers/action.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
import { median } from './bench-common.js'

const requirements = (process.argv[2] ?? 'requests,numpy<2.3,pandas<2.3,pydantic').split(',')
const runs = Number(process.argv[3] ?? 3)
const minor = process.argv[4] ?? '3.12'

const { work, toolCache, version } = benchPython('bench-installer-', minor)
fs.writeFileSync(path.join(work, 'requirements.txt'), `${requirements.join('\n')}\n`)
const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-installer-temp-'))

type Installer = 'pip' | 'uv'

/** Seconds of the action's install phase, read from the job summary. */
async function install(installer: Installer, cacheDir: string): Promise<number> {
  const run = await runAction(
    {
      'layer-name': `bench-${installer}`,
      runtimes: `python${minor}`,
      publish: 'false',
      cache: 'false',
      compile: 'false',
      verify: 'false',
      'smoke-test': 'false',
      installer
    },
    {
      workspace: work,
      toolCache,
      runnerTemp,
      env: { PIP_CACHE_DIR: cacheDir, UV_CACHE_DIR: cacheDir }
    }
  )
  if (run.exitCode !== 0) throw new Error(`${installer} failed:\n${run.log.slice(-3000)}`)
  if (/pip installs python\S+ \/ \S+ .* instead/.test(run.log)) {
    throw new Error('uv handed the install to pip: the figures would not be uv’s')
  }
  const row = new RegExp(`<td>Install \\(${installer}\\)</td><td>([0-9.]+)</td>`).exec(run.summary)
  if (!row) throw new Error(`no install phase in the summary of the ${installer} run`)
  return Number(row[1])
}

// Warm-up: the action installs its pinned uv into RUNNER_TEMP once.
await install('uv', fs.mkdtempSync(path.join(work, 'cache-')))

const results: Record<Installer, { cold: number[]; warm: number[] }> = {
  pip: { cold: [], warm: [] },
  uv: { cold: [], warm: [] }
}
for (let i = 0; i < runs; i++) {
  // Alternate the order so neither installer always runs on a warmer machine.
  const order: Installer[] = i % 2 === 0 ? ['pip', 'uv'] : ['uv', 'pip']
  for (const installer of order) {
    const cacheDir = fs.mkdtempSync(path.join(work, `cache-${installer}-`))
    results[installer].cold.push(await install(installer, cacheDir))
    results[installer].warm.push(await install(installer, cacheDir))
    fs.rmSync(cacheDir, { recursive: true, force: true })
  }
}

const pipCold = median(results.pip.cold)
const pipWarm = median(results.pip.warm)
console.log(
  `Install phase, Python ${version} (python${minor} / x86_64), ${requirements.join(' + ')}, median of ${runs}; ${os.availableParallelism()} cores`
)
console.log('| installer | cold (s) | warm cache (s) | cold vs pip | warm vs pip |')
console.log('|---|---|---|---|---|')
for (const installer of ['pip', 'uv'] as const) {
  const cold = median(results[installer].cold)
  const warm = median(results[installer].warm)
  console.log(
    `| ${installer} | ${cold.toFixed(1)} | ${warm.toFixed(1)} | ${(cold / pipCold).toFixed(2)}× | ${(warm / pipWarm).toFixed(2)}× |`
  )
}
fs.rmSync(work, { recursive: true, force: true })
fs.rmSync(runnerTemp, { recursive: true, force: true })
