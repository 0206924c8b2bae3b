/**
 * Benchmark: the layer zip written by adm-zip on one core (the reference in
 * __tests__/helpers/adm-zip-reference.ts) against zipLayer, which deflates on
 * libuv's thread pool. Each run is a child process of its own, so its peak
 * RSS is that path's alone; a child that only lists the tree gives the
 * baseline both include.
 *
 *   npx tsx scripts/bench-zip.ts [folder] [runs]
 *
 * Without a folder, about 150 MiB of mixed text and binary files are
 * generated in a temp folder (and removed afterwards). Runs default to 3 per
 * path; times are medians. zipLayer runs with libuv's default pool of 4
 * threads and, on a machine with more cores, with one thread per core (what
 * src/util/thread-pool.ts asks for; see there for when it takes effect).
 */
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { admZipLayer } from '../__tests__/helpers/adm-zip-reference.js'
import { writeGeneratedTree } from '../__tests__/helpers/zip-trees.js'
import { walkLayer } from '../src/layer/scan.js'
import { zipLayer } from '../src/layer/zip.js'

type Mode = 'list' | 'adm-zip' | 'zipLayer'

interface ChildResult {
  ms: number
  /** CPU time of all the child's threads while it zipped, ms. */
  cpuMs: number
  bytes: number
  sha256: string
  /** Peak resident set of the child, bytes. */
  rss: number
}

const MIB = 1024 * 1024

async function child(mode: Mode, dir: string, outFile: string): Promise<void> {
  const tree = walkLayer(dir)
  const start = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  let bytes = 0
  let sha256 = ''
  if (mode === 'adm-zip') {
    const buffer = await admZipLayer(tree)
    fs.writeFileSync(outFile, buffer)
    bytes = buffer.length
    sha256 = crypto.createHash('sha256').update(buffer).digest('base64')
  } else if (mode === 'zipLayer') {
    const result = await zipLayer(tree, outFile)
    bytes = result.bytes
    sha256 = result.sha256
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const cpu = process.cpuUsage(cpuStart)
  const cpuMs = (cpu.user + cpu.system) / 1000
  const rss = process.resourceUsage().maxRSS * 1024
  const result: ChildResult = { ms, cpuMs, bytes, sha256, rss }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

function runChild(
  mode: Mode,
  dir: string,
  outFile: string,
  env: NodeJS.ProcessEnv = process.env
): ChildResult {
  const script = fileURLToPath(import.meta.url)
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, script, '--child', mode, dir, outFile],
    { encoding: 'utf8', env, maxBuffer: 64 * MIB }
  )
  if (result.status !== 0) {
    throw new Error(`The ${mode} child failed (${result.status}): ${result.stderr}`)
  }
  const line = result.stdout.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line) as ChildResult
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`
}

async function main(): Promise<void> {
  const given = process.argv[2]
  const runs = Number(process.argv[3] ?? 3)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-zip-'))
  let dir = given
  if (dir === undefined) {
    dir = path.join(work, 'tree')
    process.stdout.write('Generating about 150 MiB of files... ')
    writeGeneratedTree(dir, { bytes: 150 * MIB, seed: 150 })
    process.stdout.write('done\n')
  }
  const tree = walkLayer(dir)
  const files = tree.entries.filter(e => !e.directory)
  const unzipped = files.reduce((sum, e) => sum + e.size, 0)
  const cores = os.availableParallelism()
  console.log(`Tree: ${dir}`)
  console.log(
    `  ${files.length} files, ${tree.entries.length - files.length} folders, ${mib(unzipped)} unzipped`
  )
  console.log(`Cores (os.availableParallelism): ${cores}`)

  const pool = (size: number): NodeJS.ProcessEnv => ({
    ...process.env,
    UV_THREADPOOL_SIZE: String(size)
  })
  const variants: Array<{ label: string; mode: Mode; env?: NodeJS.ProcessEnv }> = [
    { label: 'adm-zip, one core', mode: 'adm-zip' },
    { label: 'zipLayer, pool of 4 threads', mode: 'zipLayer', env: pool(4) }
  ]
  if (cores > 4) {
    variants.push({
      label: `zipLayer, pool of ${cores} threads`,
      mode: 'zipLayer',
      env: pool(cores)
    })
  }
  const baseline = runChild('list', dir, path.join(work, 'none.zip'))
  const results = variants.map(() => [] as ChildResult[])
  for (let run = 0; run < runs; run++) {
    variants.forEach((variant, index) => {
      const out = path.join(work, `${index}.zip`)
      results[index].push(runChild(variant.mode, dir, out, variant.env))
      fs.rmSync(out, { force: true })
    })
  }

  const reference = results[0]
  const referenceMs = median(reference.map(r => r.ms))
  console.log(
    `Zip: ${mib(reference[0].bytes)}; ${runs} runs each: median wall time (each run), median CPU time of all threads, highest peak RSS`
  )
  console.log(`  baseline (list the tree only): peak RSS ${mib(baseline.rss)}`)
  variants.forEach((variant, index) => {
    const ms = median(results[index].map(r => r.ms))
    const cpu = median(results[index].map(r => r.cpuMs))
    const rss = Math.max(...results[index].map(r => r.rss))
    const speedUp = index === 0 ? '' : `, ${(referenceMs / ms).toFixed(2)}x`
    const times = results[index].map(r => (r.ms / 1000).toFixed(2)).join(' ')
    console.log(
      `  ${variant.label}: ${(ms / 1000).toFixed(2)} s (${times})${speedUp}, CPU ${(cpu / 1000).toFixed(2)} s, peak RSS ${mib(rss)}`
    )
  })
  const hashes = new Set(results.flat().map(r => r.sha256))
  console.log(
    hashes.size === 1
      ? `Identical: every run's sha256 is ${reference[0].sha256}`
      : `DIFFERENT sha256: ${[...hashes].join(', ')}`
  )
  fs.rmSync(work, { recursive: true, force: true })
  if (hashes.size !== 1) process.exitCode = 1
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as Mode, process.argv[4], process.argv[5])
} else {
  await main()
}
