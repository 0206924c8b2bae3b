/**
 * Benchmark: what `strip: true` saves. Builds each layer through the bundled
 * action twice, with `strip: false` and `strip: true` (publish: false,
 * compile: false so that only machine code differs, verify: false so that a
 * layer over Lambda's limit still gets its zip; the smoke test runs), and
 * prints both sizes, the files stripped and the strip phase's time. Then,
 * for a layer near or over the limit, what the size messages of a build
 * with the defaults and `strip: false` say about it.
 *
 *   npx tsx scripts/bench-strip.ts [-- <layer> [<layer> ...]]
 *
 * A layer is its requirements, comma-separated; the default is numpy, and
 * pandas with pyarrow, for python3.11.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type ActionRun, runAction } from '../__tests__/helpers/action.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'

const given = process.argv.slice(2).filter(a => a !== '--')
const layers = given.length ? given : ['numpy==2.2.6', 'pandas==2.2.3,pyarrow==20.0.0,numpy==2.2.6']
const minor = '3.11'
const { work, toolCache, version } = benchPython('bench-strip-', minor)

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`

/** Seconds of a phase, from the job summary's table. */
function phaseSeconds(run: ActionRun, phase: string): string {
  return new RegExp(`<td>${phase}</td><td>([\\d.]+)</td>`).exec(run.summary)?.[1] ?? '-'
}

async function build(requirements: string, inputs: Record<string, string>): Promise<ActionRun> {
  const ws = fs.mkdtempSync(path.join(work, 'ws-'))
  fs.writeFileSync(path.join(ws, 'requirements.txt'), `${requirements.split(',').join('\n')}\n`)
  return await runAction(
    { 'layer-name': 'bench-strip', runtimes: `python${minor}`, publish: 'false', ...inputs },
    { workspace: ws, toolCache }
  )
}

console.log(
  `strip: false against strip: true (Python ${version}, x86_64, ${os.cpus().length} cores ${os.cpus()[0]?.model ?? ''})`
)
for (const requirements of layers) {
  const sizes: Record<string, ActionRun> = {}
  for (const strip of ['false', 'true']) {
    const run = await build(requirements, { strip, compile: 'false', verify: 'false' })
    if (run.exitCode !== 0) throw new Error(`build failed:\n${run.log.slice(-3000)}`)
    sizes[strip] = run
  }
  const [plain, stripped] = [sizes.false, sizes.true]
  const unzipped = (run: ActionRun): number => Number(run.outputs['unzipped-size'])
  const zipped = (run: ActionRun): number => Number(run.outputs['code-size'])
  const saved = unzipped(plain) - unzipped(stripped)
  console.log(`\n${requirements}`)
  console.log(
    `  unzipped  ${mib(unzipped(plain))} -> ${mib(unzipped(stripped))}: ${mib(saved)} saved (${((saved / unzipped(plain)) * 100).toFixed(1)}%, ${saved} bytes)`
  )
  console.log(`  zip       ${mib(zipped(plain))} -> ${mib(zipped(stripped))}`)
  console.log(`  ${/strip \(.*?\): [^\n]*/.exec(stripped.log)?.[0] ?? 'no strip line'}`)
  console.log(
    `  strip phase ${phaseSeconds(stripped, 'Strip')} s; smoke test passed: ${stripped.log.includes('Every top-level module of the layer imports')}`
  )
  if (unzipped(plain) > 0.8 * 262_144_000) {
    // Near or over the limit: what the defaults (compile, verify) with strip: false say.
    const checked = await build(requirements, { strip: 'false' })
    const said = checked.log
      .split('\n')
      .filter(l => /^::(warning|error)/.test(l) && l.includes('strip: true'))
      .map(l =>
        l
          .replace(/^::\w+[^:]*::/, '')
          .replace(/%0A/g, ' ')
          .replace(/%25/g, '%')
      )
    console.log(`  with the defaults and strip: false, the size messages say:`)
    for (const line of said) console.log(`    ${line}`)
  }
}
fs.rmSync(work, { recursive: true, force: true })
