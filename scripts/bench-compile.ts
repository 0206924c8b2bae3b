/**
 * Benchmark: does precompiled bytecode (`compile: true`) make a cold import
 * from the layer faster? Lambda mounts /opt read-only, so Python cannot write
 * __pycache__ there and recompiles every module it imports on each cold
 * start. This builds one layer with and one without compile through the
 * bundled action, then times a fresh interpreter importing the package from
 * each, with bytecode writing disabled (as on a read-only /opt).
 *
 *   npm run bench:compile [-- <requirement> <module> [runs]]
 *
 * Prints one line per layer: median and min import time, zip size.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction } from '../__tests__/helpers/action.js'
import { extract } from '../__tests__/helpers/layer.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'

const requirement = process.argv[2] ?? 'pandas==2.2.3'
const module = process.argv[3] ?? 'pandas'
const runs = Number(process.argv[4] ?? 15)
const minor = '3.12'

const { work, toolCache, version, python } = benchPython('bench-compile-', minor)
fs.writeFileSync(path.join(work, 'requirements.txt'), `${requirement}\n`)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function measure(
  compile: boolean
): Promise<{ median: number; min: number; zipBytes: number; unzipped: number }> {
  const result = await runAction(
    {
      'layer-name': `bench-${compile}`,
      runtimes: `python${minor}`,
      publish: 'false',
      compile: String(compile)
    },
    { workspace: work, toolCache }
  )
  if (result.exitCode !== 0) throw new Error(`build failed:\n${result.log.slice(-3000)}`)
  const layer = extract(result.outputs['zip-path'])
  execFileSync('chmod', ['-R', 'a-w', layer])
  const script = `import sys, time; sys.path.insert(0, ${JSON.stringify(path.join(layer, 'python'))}); t = time.perf_counter(); import ${module}; print(time.perf_counter() - t)`
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(python, ['-I', '-S', '-B', '-c', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' }
    })
    times.push(Number(out.trim()))
  }
  execFileSync('chmod', ['-R', 'u+w', layer])
  fs.rmSync(layer, { recursive: true, force: true })
  return {
    median: median(times),
    min: Math.min(...times),
    zipBytes: Number(result.outputs['code-size']),
    unzipped: Number(result.outputs['unzipped-size'])
  }
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`
const without = await measure(false)
const withPyc = await measure(true)
console.log(
  `import ${module} from a read-only layer (${requirement}, Python ${version}, ${runs} runs each, ${os.cpus().length} cores ${os.cpus()[0]?.model ?? ''})`
)
console.log('layer            median import   min import   zip        unzipped')
for (const [label, r] of [
  ['compile: false', without],
  ['compile: true ', withPyc]
] as const) {
  console.log(
    `${label}   ${(r.median * 1000).toFixed(0).padStart(8)} ms   ${(r.min * 1000).toFixed(0).padStart(7)} ms   ${mb(r.zipBytes).padStart(8)}   ${mb(r.unzipped).padStart(8)}`
  )
}
console.log(
  `speed-up of the import: ${(without.median / withPyc.median).toFixed(1)}x; zip grows by ${(((withPyc.zipBytes - without.zipBytes) / without.zipBytes) * 100).toFixed(0)}%`
)
fs.rmSync(work, { recursive: true, force: true })
