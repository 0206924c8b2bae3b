/**
 * Benchmark: what the sandbox costs one program start. Starts the same
 * short program (a Python that prints its version) N times through the
 * action's run(): plainly, without isolation (sandbox: off: fresh HOME, own
 * process group), and in each isolated form this machine allows; prints the
 * median milliseconds of each and the difference to a plain start.
 *
 *   npm run bench:sandbox [-- [starts] [python]]
 */
import { Sandbox } from '../src/sandbox/index.js'
import { openSandbox, run, useSandbox } from '../src/util/process.js'
import { median } from './bench-common.js'

const starts = Number(process.argv[2] ?? 20)
const python = process.argv[3] ?? 'python3'

async function timeStarts(label: string, box: Sandbox | undefined): Promise<number> {
  useSandbox(box)
  const times: number[] = []
  for (let i = 0; i < starts; i++) {
    const t = process.hrtime.bigint()
    const result = await run(python, ['-c', 'import sys; print(sys.version_info[:2])'], {
      silent: true
    })
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
    if (result.exitCode !== 0) throw new Error(`${label}: ${result.stderr || result.spawnError}`)
  }
  useSandbox(undefined)
  return median(times)
}

const plain = await timeStarts('plain', undefined)
console.log(`plain start: ${plain.toFixed(1)} ms (median of ${starts})`)
const off = await openSandbox({ mode: 'off', workspace: process.cwd() })
const none = await timeStarts('off', off)
off.dispose()
console.log(`sandbox: off: ${none.toFixed(1)} ms (+${(none - plain).toFixed(1)} ms)`)
const auto = await openSandbox({ mode: 'auto', workspace: process.cwd() })
if (auto.isolated) {
  const isolated = await timeStarts(auto.isolation, auto)
  console.log(
    `sandbox: auto (${auto.isolation}): ${isolated.toFixed(1)} ms (+${(isolated - plain).toFixed(1)} ms)`
  )
} else {
  console.log(`sandbox: auto has no isolation here: ${auto.reason}`)
}
auto.dispose()
