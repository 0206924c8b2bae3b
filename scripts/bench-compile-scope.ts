/**
 * Benchmark: what leaving packages' test suites uncompiled saves. Builds the
 * layer once through the bundled action with `compile: false` (the installed
 * tree), then, on fresh copies of that tree, times the compile phase
 * (compileBytecode, as the build runs it) with the test suites skipped and
 * with them compiled, and zips each result the way the action does.
 *
 *   npx tsx scripts/bench-compile-scope.ts [-- <requirements, comma-separated> [runs]]
 *
 * Prints one line per variant: median and min compile time, .py files left
 * uncompiled, zip and unzipped size.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction } from '../__tests__/helpers/action.js'
import { extract } from '../__tests__/helpers/layer.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
import { compileBytecode } from '../src/install/bytecode.js'
import { scanLayer } from '../src/layer/scan.js'
import { zipLayer } from '../src/layer/zip.js'

const requirements = (process.argv[2] ?? 'requests,numpy<2.3,pandas<2.3').split(',')
const runs = Number(process.argv[3] ?? 3)
const minor = '3.12'

const { work, toolCache, version, python } = benchPython('bench-compile-scope-', minor)
fs.writeFileSync(path.join(work, 'requirements.txt'), `${requirements.join('\n')}\n`)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const built = await runAction(
  {
    'layer-name': 'bench-scope',
    runtimes: `python${minor}`,
    publish: 'false',
    compile: 'false'
  },
  { workspace: work, toolCache }
)
if (built.exitCode !== 0) throw new Error(`build failed:\n${built.log.slice(-3000)}`)
const installed = extract(built.outputs['zip-path'])
const packages = (JSON.parse(built.outputs.packages) as string[]).join(' ')

interface Measured {
  seconds: number[]
  sources: number
  skipped: number
  zipBytes: number
  unzipped: number
}

/** One compile of a fresh copy of the installed tree; the first run of each variant is zipped. */
async function measureOnce(
  testSuites: 'skip' | 'compile',
  i: number,
  out: Measured
): Promise<void> {
  const root = path.join(work, `layer-${testSuites}-${i}`)
  fs.cpSync(installed, root, { recursive: true })
  const start = process.hrtime.bigint()
  const result = await compileBytecode({
    python,
    dirs: [path.join(root, 'python')],
    layerRoot: root,
    testSuites
  })
  out.seconds.push(Number(process.hrtime.bigint() - start) / 1e9)
  out.sources = result.sources
  out.skipped = result.testSuiteSources
  if (i === 0) {
    const zip = await zipLayer(await scanLayer(root), path.join(work, `${testSuites}.zip`))
    out.zipBytes = zip.bytes
    out.unzipped = zip.unzippedBytes
  }
  fs.rmSync(root, { recursive: true, force: true })
}

const empty = (): Measured => ({ seconds: [], sources: 0, skipped: 0, zipBytes: 0, unzipped: 0 })
const compiled = empty()
const skipped = empty()
// Interleaved, so that neither variant always runs first on a warm page cache.
for (let i = 0; i < runs; i++) {
  await measureOnce('compile', i, compiled)
  await measureOnce('skip', i, skipped)
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`
console.log(
  `compile phase for ${packages} (Python ${version}, compileall -j 0, ${runs} runs each, ${os.cpus().length} cores ${os.cpus()[0]?.model ?? ''})`
)
console.log('test suites      median     min    .py left as source   zip         unzipped')
for (const [label, r] of [
  ['compiled', compiled],
  ['skipped ', skipped]
] as const) {
  console.log(
    `${label}      ${median(r.seconds).toFixed(2).padStart(6)} s ${Math.min(...r.seconds)
      .toFixed(2)
      .padStart(
        6
      )} s   ${`${r.skipped} of ${r.sources}`.padStart(16)}   ${mb(r.zipBytes).padStart(9)}   ${mb(r.unzipped).padStart(9)}`
  )
}
console.log(
  `skipping test suites: compile ${((1 - median(skipped.seconds) / median(compiled.seconds)) * 100).toFixed(0)}% faster, zip ${(((compiled.zipBytes - skipped.zipBytes) / compiled.zipBytes) * 100).toFixed(1)}% smaller (${compiled.zipBytes - skipped.zipBytes} bytes)`
)
fs.rmSync(installed, { recursive: true, force: true })
fs.rmSync(work, { recursive: true, force: true })
