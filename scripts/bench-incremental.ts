/**
 * Benchmark: a rebuild after a small change of the requirements, with and
 * without the previous build's zip (compileBytecode's and zipLayer's
 * `previous`). Installs requests, numpy<2.3, pandas<2.3 and pydantic for
 * Python 3.11 with the machine's pip, compiles and zips the layer, then
 * swaps requests for 2.32.5 and compiles and zips again both ways, checking
 * that both give the same zip.
 *
 *   npx tsx scripts/bench-incremental.ts [python]
 *
 * The python defaults to python3.11 on PATH. Everything is written in a temp
 * folder, removed at the end.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { compileBytecode, type CompileResult } from '../src/install/bytecode.js'
import { walkLayer } from '../src/layer/scan.js'
import { zipLayer, type ZipResult } from '../src/layer/zip.js'

const python = process.argv[2] ?? 'python3.11'
const minor = execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
  encoding: 'utf8'
}).trim()
const SITE = path.join('python', 'lib', `python${minor}`, 'site-packages')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-incremental-'))

function pip(target: string, ...args: string[]): void {
  execFileSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '-q',
      '--no-compile',
      '--disable-pip-version-check',
      '--target',
      target,
      ...args
    ],
    { stdio: 'inherit' }
  )
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint()
  const value = await fn()
  return [value, Number(process.hrtime.bigint() - start) / 1e6]
}

interface Row {
  what: string
  compileMs: number
  zipMs: number
  compile: CompileResult
  zip: ZipResult
}

async function build(what: string, root: string, previous?: string): Promise<Row> {
  const [compile, compileMs] = await timed(async () =>
    compileBytecode({
      python,
      dirs: [path.join(root, SITE)],
      layerRoot: root,
      ...(previous === undefined ? {} : { earlier: previous })
    })
  )
  const [zip, zipMs] = await timed(async () =>
    zipLayer(
      walkLayer(root),
      path.join(work, `${path.basename(root)}.zip`),
      undefined,
      previous === undefined ? {} : { earlier: { path: previous } }
    )
  )
  return { what, compileMs, zipMs, compile, zip }
}

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true })
}

try {
  const v1 = path.join(work, 'v1')
  console.log(`Installing requests numpy<2.3 pandas<2.3 pydantic for Python ${minor} ...`)
  pip(path.join(v1, SITE), 'requests', 'numpy<2.3', 'pandas<2.3', 'pydantic')
  // The second build: the same set with requests 2.32.5, staged afresh (no .pyc).
  const v2 = path.join(work, 'v2')
  copyTree(v1, v2)
  const site2 = path.join(v2, SITE)
  for (const name of fs.readdirSync(site2)) {
    if (name === 'requests' || /^requests-.*\.dist-info$/.test(name)) {
      fs.rmSync(path.join(site2, name), { recursive: true })
    }
  }
  pip(site2, '--no-deps', 'requests==2.32.5')
  const v2Full = path.join(work, 'v2-full')
  copyTree(v2, v2Full)

  const rows: Row[] = []
  rows.push(await build('first build (full)', v1))
  const previous = rows[0].zip.path
  rows.push(await build('rebuild, full', v2Full))
  rows.push(await build('rebuild, reusing previous zip', v2, previous))

  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(32) : c.padStart(11))).join(' ')
  console.log()
  console.log(line(['', 'compile s', 'compiled', 'reused .pyc', 'zip s', 'reused', 'total s']))
  for (const r of rows) {
    const compiled = r.compile.sources - r.compile.testSuiteSources - r.compile.invalid
    const reusedPyc = r.compile.reused ?? 0
    const reusedZip = r.zip.reused ? `${r.zip.reused.entries}/${r.zip.files}` : '-'
    console.log(
      line([
        r.what,
        (r.compileMs / 1000).toFixed(2),
        String(compiled - reusedPyc),
        String(reusedPyc),
        (r.zipMs / 1000).toFixed(2),
        reusedZip,
        ((r.compileMs + r.zipMs) / 1000).toFixed(2)
      ])
    )
  }
  const [, full, reusing] = rows
  console.log()
  console.log(
    `zip: ${(full.zip.bytes / 1e6).toFixed(1)} MB, ${full.zip.files} files, ${(full.zip.unzippedBytes / 1e6).toFixed(1)} MB unzipped`
  )
  console.log(`sha256 full:      ${full.zip.sha256}`)
  console.log(`sha256 reusing:   ${reusing.zip.sha256}`)
  console.log(`sha256 first:     ${rows[0].zip.sha256} (differs: requests changed)`)
  if (full.zip.sha256 !== reusing.zip.sha256) {
    console.log('MISMATCH: the rebuild that reused the previous zip differs from the full one')
    process.exitCode = 1
  } else {
    console.log('identical: yes')
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
