/** Precompiles a staged layer's Python files so cold starts skip compilation. */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { packageCodeEnv } from '../util/package-env.js'
import { run, tail } from '../util/process.js'

/**
 * A package's test suite: a `tests` or `test` folder at any depth below a
 * top-level folder of the site (pandas/tests/, numpy/_core/tests/), as a
 * regular expression for what follows the site folder in a path. A top-level
 * tests/ folder is importable as `tests` and is not matched. Python's re and
 * JavaScript read it alike.
 */
const TEST_SUITE_BELOW_SITE = String.raw`[\/][^\/]+[\/](?:[^\/]+[\/])*tests?[\/]`
const testSuitePath = new RegExp(`^${TEST_SUITE_BELOW_SITE}`)

/** Whether a "/"-separated path relative to a site folder lies in a package's test suite. */
export function inTestSuite(rel: string): boolean {
  return testSuitePath.test(`/${rel}`)
}

/**
 * compileall's -x pattern for the test suites below `dir`: matched with
 * re.search against the whole path compileall builds (dir + the path below
 * it), so it is anchored on `dir` itself, escaped character by character;
 * a runner path that holds /tests/ then changes nothing.
 */
export function testSuiteExclusion(dir: string): string {
  return `^${dir.replace(/[^A-Za-z0-9_]/gu, '\\$&')}${TEST_SUITE_BELOW_SITE}`
}

/** The .py files below `dir` ("/"-separated, relative), as compileall walks it: no __pycache__, no linked folders. */
function pythonSources(dir: string): string[] {
  const found: string[] = []
  const visit = (abs: string, prefix: string): void => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name !== '__pycache__') visit(path.join(abs, entry.name), `${prefix}${entry.name}/`)
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
   * its source as /opt/<path under root> (compileall -d), where Lambda unpacks
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
}

export interface CompileResult {
  /** .py files in the compiled folders. */
  sources: number
  /** Of those, files in test suites that were left uncompiled. */
  testSuiteSources: number
  /** Of those, files that are not valid Python and stay uncompiled. */
  invalid: number
}

/**
 * `python -m compileall -q -j 0 --invalidation-mode unchecked-hash <dir>` per dir.
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
 * Test suites are left out with -x (testSuiteExclusion), which only looks at
 * the path below each folder.
 */
export async function compileBytecode(options: CompileOptions): Promise<CompileResult> {
  const skipTests = (options.testSuites ?? 'skip') === 'skip'
  const total: CompileResult = { sources: 0, testSuiteSources: 0, invalid: 0 }
  for (const dir of options.dirs) {
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
    const args = ['-m', 'compileall', '-q', '-j', '0', '--invalidation-mode', 'unchecked-hash']
    if (options.layerRoot !== undefined) args.push('-d', lambdaPath(options.layerRoot, dir))
    if (skipTests) args.push('-x', testSuiteExclusion(abs))
    args.push(abs)
    const result = await run(options.python, args, {
      silent: true,
      env: { ...packageCodeEnv(), PYTHONHASHSEED: '0' }
    })
    if (result.exitCode === 0) continue
    // Files Python cannot compile (Python 2 leftovers, templates named .py)
    // would fail on import on Lambda too: warn and keep them as source.
    // compileall names the files it could not compile on stdout.
    const failed = [...result.stdout.matchAll(/\*\*\* Error compiling '([^']+)'/g)].map(m => m[1])
    if (failed.length > 0) {
      total.invalid += failed.length
      const shown = failed.slice(0, 10).map(f => path.relative(dir, path.resolve(dir, f)))
      core.warning(
        `compile: ${failed.length} file(s) in ${path.basename(dir)} are not valid Python and stay uncompiled: ${shown.join(', ')}${failed.length > 10 ? ', ...' : ''}`
      )
      continue
    }
    const how = result.spawnError ?? (result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`)
    throw new ActionError(
      `Compiling the Python files in ${dir} with ${options.python} failed (${how}):\n${tail(`${result.stdout}\n${result.stderr}`)}`
    )
  }
  return total
}

/** Where `dir` ends up on Lambda: <root>/python/x → /opt/python/x. */
export function lambdaPath(layerRoot: string, dir: string): string {
  const rel = path.relative(path.resolve(layerRoot), path.resolve(dir))
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`${dir} is not inside the layer root ${layerRoot}`)
  }
  return path.posix.join('/opt', ...rel.split(path.sep))
}
