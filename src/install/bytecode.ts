/** Precompiles a staged layer's Python files so cold starts skip compilation. */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { NATIVE_CRC32, ZipReader } from '../layer/zip-reader.js'
import { packageCodeEnv } from '../sandbox/index.js'
import { run } from '../util/process.js'
import { compileTree, type InvalidSource, TEST_SUITE_BELOW_SITE } from './compile-workers.js'

const testSuitePath = new RegExp(TEST_SUITE_BELOW_SITE)

/** Whether a "/"-separated path relative to a site folder lies in a package's test suite. */
export function inTestSuite(rel: string): boolean {
  return testSuitePath.test(`/${rel}`)
}

/** The .py files below `dir` ("/"-separated, relative), as the compiler walks it: no __pycache__, no linked folders. */
function pythonSources(dir: string): string[] {
  const found: string[] = []
  const visit = (abs: string, prefix: string): void => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name !== '__pycache__')
          visit(path.join(abs, entry.name), `${prefix}${entry.name}/`)
      } else if (entry.name.endsWith('.py')) {
        found.push(prefix + entry.name)
      }
    }
  }
  if (fs.existsSync(dir)) visit(dir, '')
  return found
}

export interface CompileOptions {
  /**
   * Interpreter of the runtime's Python minor version: .pyc files are only
   * used by the version that wrote them (__pycache__/x.cpython-312.pyc).
   */
  python: string
  /** Absolute folders to compile, e.g. <root>/python. */
  dirs: string[]
  /**
   * The layer root (the folder holding python/). When given, each .pyc records
   * its source as /opt/<path under root> where Lambda unpacks
   * the layer, instead of this runner's staging path: the bytes then do not
   * depend on where the layer was staged.
   */
  layerRoot?: string
  /**
   * `skip` (the default): the .py files of packages' test suites
   * (inTestSuite) stay source only, since Lambda never imports them.
   * `compile` compiles them too (benchmarks compare the two).
   */
  testSuites?: 'skip' | 'compile'
  /**
   * The previous build's layer zip, built with an interpreter of the same
   * version. Each .py whose layer path, size and CRC-32 equal its entry
   * there gets that zip's .pyc for it, copied; only the others are compiled. Used
   * only with `layerRoot` (zip entries are named by their path under it); a
   * missing or unreadable zip means a full compile.
   */
  earlier?: string
}

export interface CompileResult {
  /** .py files in the compiled folders. */
  sources: number
  /** Of those, files in test suites that were left uncompiled. */
  testSuiteSources: number
  /** Of those, files that are not valid Python and stay uncompiled. */
  invalid: number
  /**
   * Set when `earlier` was given: of the compiled files, those whose .pyc
   * was copied from the previous zip rather than compiled.
   */
  reused?: number
}

/** The previous zip and what its .pyc files must be to serve this interpreter. */
interface PreviousBytecode {
  zip: ZipReader
  /** sys.implementation.cache_tag, e.g. cpython-311. */
  tag: string
  /** importlib.util.MAGIC_NUMBER: the first four bytes of every .pyc. */
  magic: Buffer
}

/** Opens the previous zip for `python`; undefined when either cannot serve (then everything is compiled). */
async function openPreviousBytecode(
  python: string,
  file: string
): Promise<PreviousBytecode | undefined> {
  if (!NATIVE_CRC32) return undefined
  const probe = await run(
    python,
    [
      '-c',
      'import importlib.util, sys; print(sys.implementation.cache_tag); print(importlib.util.MAGIC_NUMBER.hex())'
    ],
    { silent: true, env: packageCodeEnv(process.env, 'code') }
  )
  const [tag, magic] = probe.stdout.trim().split('\n')
  if (probe.exitCode !== 0 || !/^[\w.-]+$/.test(tag ?? '') || !/^[0-9a-f]{8}$/.test(magic ?? '')) {
    return undefined
  }
  const zip = await ZipReader.open(file)
  return zip && { zip, tag, magic: Buffer.from(magic, 'hex') }
}

/** importlib.util.cache_from_source's file name for a source named `name`. */
function pycName(name: string, tag: string): string {
  const dot = name.lastIndexOf('.')
  const stem = name.slice(0, dot) || name.slice(dot + 1)
  return `${stem}.${tag}.pyc`
}

/** PEP 552 flags of an unchecked-hash .pyc: hash-based, source not checked. */
const UNCHECKED_HASH = 1

/**
 * What becomes of one source: its .pyc copied from the previous zip, to be
 * compiled, or neither (the compiler would not compile it either: a link to a
 * folder, or one that dangles). `unlisted`: the name Node read is not one the
 * file system knows (bytes that are not UTF-8), so only the compiler's own
 * walk of the folder can reach it.
 */
type Outcome = 'reused' | 'compile' | 'none' | 'unlisted'

function reuseOne(previous: PreviousBytecode, base: string, dir: string, rel: string): Outcome {
  const abs = path.join(dir, rel)
  let info: fs.Stats
  try {
    info = fs.statSync(abs)
  } catch {
    return fs.existsSync(path.dirname(abs)) && !lstatOk(abs) ? 'unlisted' : 'none'
  }
  if (!info.isFile()) return 'none'
  if (rel.includes('\\')) return 'compile'
  const source = previous.zip.get(path.posix.join(base, rel))
  if (source?.size !== info.size) return 'compile'
  const pycRel = path.posix.join(
    path.posix.dirname(rel),
    '__pycache__',
    pycName(path.posix.basename(rel), previous.tag)
  )
  const pyc = previous.zip.get(path.posix.join(base, pycRel))
  if (pyc === undefined || zlib.crc32(fs.readFileSync(abs)) !== source.crc) return 'compile'
  // Checked against its own CRC-32: a damaged previous zip is not copied.
  const bytecode = previous.zip.dataSync(pyc)
  if (
    bytecode === undefined ||
    bytecode.length < 16 ||
    !bytecode.subarray(0, 4).equals(previous.magic) ||
    bytecode.readUInt32LE(4) !== UNCHECKED_HASH
  ) {
    return 'compile'
  }
  const target = path.join(dir, ...pycRel.split('/'))
  // Already there when the incremental install restored it: not written again.
  if (!sameFile(target, bytecode)) {
    fs.mkdirSync(path.dirname(target), { recursive: true })
    // Removed first: a staged file may be a hard link into uv's cache.
    fs.rmSync(target, { force: true })
    fs.writeFileSync(target, bytecode)
  }
  return 'reused'
}

function sameFile(file: string, data: Buffer): boolean {
  try {
    return fs.statSync(file).size === data.length && fs.readFileSync(file).equals(data)
  } catch {
    return false
  }
}

function lstatOk(file: string): boolean {
  try {
    fs.lstatSync(file)
    return true
  } catch {
    return false
  }
}

/**
 * Copies the previous .pyc of each unchanged source in `sources`; returns
 * what is left to compile. Synchronous: sources are small, and one blocking
 * call per step costs less than a trip to the thread pool.
 */
function reuseBytecode(
  previous: PreviousBytecode,
  layerRoot: string,
  dir: string,
  sources: string[]
): { reused: number; compile: string[]; unlisted: boolean } {
  const base = path.relative(path.resolve(layerRoot), dir).split(path.sep).join('/')
  const outcomes = sources.map(rel => reuseOne(previous, base, dir, rel))
  return {
    reused: outcomes.filter(o => o === 'reused').length,
    compile: sources.filter((_, i) => outcomes[i] === 'compile'),
    unlisted: outcomes.includes('unlisted')
  }
}

/**
 * Compiles each dir's sources to unchecked-hash .pyc files (compileTree,
 * one worker per core).
 *
 * Why unchecked-hash: a default (timestamp) .pyc records the source's mtime,
 * but the layer zip gives every file one fixed timestamp, so on Lambda the
 * recorded mtime no longer matches, the .pyc counts as stale, and Python
 * cannot write a fresh one because /opt is read-only: it would recompile on
 * every cold start. An unchecked-hash .pyc embeds no timestamp (so the same
 * sources give the same bytes and the zip stays reproducible) and is used
 * without stat-ing or hashing the source, which is safe because a layer
 * version never changes.
 *
 * PYTHONHASHSEED=0 keeps set and frozenset constants in a fixed order, which
 * otherwise changes with the per-process hash seed and so varies the .pyc bytes.
 *
 * With `previous`, an unchanged source's .pyc comes from the previous zip:
 * the .pyc of the same bytes at the same /opt path from the same interpreter
 * version, so the same bytes this compile writes. Only the other sources
 * are handed to the compiler, by name: which files a worker compiles does
 * not change their bytes.
 */
export async function compileBytecode(options: CompileOptions): Promise<CompileResult> {
  const skipTests = (options.testSuites ?? 'skip') === 'skip'
  const total: CompileResult = { sources: 0, testSuiteSources: 0, invalid: 0 }
  const previous =
    options.earlier !== undefined && options.layerRoot !== undefined
      ? await openPreviousBytecode(options.python, options.earlier)
      : undefined
  if (options.earlier !== undefined) {
    total.reused = 0
    if (previous === undefined) {
      const why =
        options.layerRoot === undefined
          ? 'no layer root was given to name its entries by'
          : 'it is missing or unreadable'
      core.info(`compile: no .pyc files reused from ${options.earlier}: ${why}.`)
    }
  }
  try {
    for (const dir of options.dirs) {
      await compileDir(options, dir, skipTests, total, previous)
    }
  } finally {
    await previous?.zip.close()
  }
  if (previous !== undefined) {
    const compiled = total.sources - total.testSuiteSources - total.invalid - (total.reused ?? 0)
    core.info(
      `compile: reused ${(total.reused ?? 0).toLocaleString('en-US')} .pyc files from the previous layer zip, compiled ${compiled.toLocaleString('en-US')}.`
    )
  }
  return total
}

async function compileDir(
  options: CompileOptions,
  dir: string,
  skipTests: boolean,
  total: CompileResult,
  previous: PreviousBytecode | undefined
): Promise<void> {
  const sources = pythonSources(dir)
  const inTests = skipTests ? sources.filter(inTestSuite).length : 0
  total.sources += sources.length
  total.testSuiteSources += inTests
  if (inTests > 0) {
    const where = options.layerRoot
      ? path.relative(options.layerRoot, dir).split(path.sep).join('/')
      : path.basename(dir)
    core.info(
      `compile: ${inTests.toLocaleString('en-US')} of ${sources.length.toLocaleString('en-US')} .py files in ${where} are in test suites (<package>/.../tests/ or test/) and stay uncompiled: Lambda never imports them.`
    )
  }
  const abs = path.resolve(dir)
  const tree = {
    python: options.python,
    root: abs,
    ...(options.layerRoot === undefined ? {} : { lambdaRoot: lambdaPath(options.layerRoot, dir) }),
    skipTestSuites: skipTests
  }
  let failed: InvalidSource[] | undefined
  if (previous !== undefined && options.layerRoot !== undefined) {
    const wanted = skipTests ? sources.filter(rel => !inTestSuite(rel)) : sources
    const reuse = reuseBytecode(previous, options.layerRoot, abs, wanted)
    // Otherwise the whole folder is compiled: the same bytes, only slower.
    if (!reuse.unlisted) {
      total.reused = (total.reused ?? 0) + reuse.reused
      failed = await compileTree({ ...tree, files: reuse.compile })
    }
  }
  failed ??= await compileTree(tree)
  // Files Python cannot compile would fail on import on Lambda too: warn
  // and keep them as source.
  if (failed.length > 0) {
    total.invalid += failed.length
    const shown = failed.slice(0, 10).map(f => f.file)
    core.warning(
      `compile: ${failed.length} file(s) in ${path.basename(dir)} are not valid Python and stay uncompiled: ${shown.join(', ')}${failed.length > 10 ? ', ...' : ''} (${failed[0].file}: ${failed[0].error})`
    )
  }
}

/** Where `dir` ends up on Lambda: <root>/python/x → /opt/python/x. */
export function lambdaPath(layerRoot: string, dir: string): string {
  const rel = path.relative(path.resolve(layerRoot), path.resolve(dir))
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`${dir} is not inside the layer root ${layerRoot}`)
  }
  return path.posix.join('/opt', ...rel.split(path.sep))
}
