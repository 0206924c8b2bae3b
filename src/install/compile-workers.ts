/**
 * The bytecode compiler the layer's .pyc files come from: one interpreter
 * start, forked into one worker per core, each compiling its share of the
 * sources, shares balanced by size (the largest first, each to the least
 * loaded worker).
 *
 * Each file gets what `py_compile` writes for it in unchecked-hash mode:
 * compile(source, <path on Lambda>, 'exec', dont_inherit=True), the source's
 * hash, the pyc header, written atomically with the source's mode less the
 * execute bits. Against `compileall -j 0` it saves the pool's per-file
 * round trips and the dispatch of test-suite files it would only skip: on
 * 2 cores, 783 pandas + numpy sources in 1.7 s instead of 2.5 s.
 *
 * The bytes are this program's own, the same on every runner: before
 * Python 3.13, marshal marks an object shared (FLAG_REF) when anything else
 * in the process holds it, so a .pyc depends on which modules the compiling
 * process has loaded. The workers start with -S -s (no site: no `.pth` file
 * of the runner's interpreter runs first) and import the same modules
 * whether they walk the folder or are handed a list; which worker gets which
 * file does not change a byte (tested).
 */
import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs'
import { ActionError } from '../errors.js'
import { packageCodeEnv } from '../sandbox/index.js'
import { run, tail } from '../util/process.js'

/**
 * A package's test suite: a `tests` or `test` folder at any depth below a
 * top-level folder of the site (pandas/tests/, numpy/_core/tests/), as a
 * regular expression for "/" + a path relative to the site folder. A
 * top-level tests/ folder is importable as `tests` and is not matched.
 * Python's re and JavaScript read it alike.
 */
export const TEST_SUITE_BELOW_SITE = String.raw`^[\/][^\/]+[\/](?:[^\/]+[\/])*tests?[\/]`

/**
 * argv: root, the path `root` has on Lambda ('' for none), workers, a JSON
 * file listing the "/"-separated paths to compile ('' to walk root),
 * whether to skip test suites ('1'/'0'), the test-suite pattern.
 * stdout: one JSON line per file that is not valid Python. Exit 3 with the
 * reason on stderr when a file cannot be read or written.
 */
const SCRIPT = `
import json, os, re, sys, _imp
import _frozen_importlib_external as bx
root, lambda_root, workers, listing, skip_tests, pattern = sys.argv[1:7]
workers = max(1, int(workers))
tests = re.compile(pattern)
if listing:
    with open(listing, "rb") as f:
        rels = json.loads(f.read())
else:
    rels = []
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        below = os.path.relpath(top, root).replace(os.sep, "/")
        for name in sorted(files):
            if name.endswith(".py"):
                rels.append(name if below == "." else below + "/" + name)
jobs = []
for rel in rels:
    if skip_tests == "1" and tests.search("/" + rel):
        continue
    full = os.path.join(root, *rel.split("/"))
    if os.path.isfile(full):
        jobs.append((os.path.getsize(full), rel))
jobs.sort(key=lambda job: (-job[0], job[1]))
shares = [[] for _ in range(workers)]
loads = [0] * workers
for size, rel in jobs:
    least = loads.index(min(loads))
    shares[least].append(rel)
    loads[least] += size + 1
def compile_share(share):
    for rel in share:
        full = os.path.join(root, *rel.split("/"))
        dfile = lambda_root + "/" + rel if lambda_root else full
        cfile = bx.cache_from_source(full)
        if os.path.islink(cfile) or (os.path.exists(cfile) and not os.path.isfile(cfile)):
            raise OSError("%s is a link or not a regular file" % cfile)
        with open(full, "rb") as f:
            source = f.read()
        try:
            code = compile(source, dfile, "exec", dont_inherit=True, optimize=-1)
        except Exception as error:
            line = json.dumps({"file": rel, "error": "%s: %s" % (type(error).__name__, error)})
            os.write(1, (line + "\\n").encode("utf-8", "backslashreplace"))
            continue
        data = bx._code_to_hash_pyc(code, _imp.source_hash(bx._RAW_MAGIC_NUMBER, source), False)
        os.makedirs(os.path.dirname(cfile), exist_ok=True)
        bx._write_atomic(cfile, data, bx._calc_mode(full))
def work(share):
    try:
        compile_share(share)
    except BaseException as error:
        sys.stderr.write("%s: %s\\n" % (type(error).__name__, error))
        sys.stderr.flush()
        return 3
    return 0
sys.stdout.flush()
children = []
for share in shares[1:]:
    if not share:
        continue
    pid = os.fork()
    if pid == 0:
        os._exit(work(share))
    children.append(pid)
status = work(shares[0])
for pid in children:
    _, code = os.waitpid(pid, 0)
    if code != 0:
        status = 3
sys.exit(status)
`

export interface CompileTreeOptions {
  python: string
  /** The folder whose sources are compiled (each .pyc goes to __pycache__ beside its source). */
  root: string
  /** The path `root` has on Lambda (/opt/python), recorded in each .pyc; undefined: the real path. */
  lambdaRoot?: string
  /** Paths below `root` ("/"-separated) to compile; undefined: every .py below it. */
  files?: string[]
  /** Leave the sources of packages' test suites uncompiled. */
  skipTestSuites: boolean
  /** Worker processes; default: one per core. */
  workers?: number
}

/** A source that is not valid Python and stays uncompiled. */
export interface InvalidSource {
  /** Path below the root, "/"-separated. */
  file: string
  /** What the compiler said. */
  error: string
}

/**
 * Compiles the sources below `root`; returns those that are not valid Python
 * (Python 2 leftovers, templates named .py: they would fail on import on
 * Lambda too). Throws when a file cannot be read or written, or the
 * interpreter cannot run.
 */
export async function compileTree(o: CompileTreeOptions): Promise<InvalidSource[]> {
  const workers = o.workers ?? Math.max(1, os.availableParallelism())
  let listing = ''
  let scratch: string | undefined
  if (o.files !== undefined) {
    if (o.files.length === 0) return []
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-python-layer-compile-'))
    listing = path.join(scratch, 'files.json')
    fs.writeFileSync(listing, JSON.stringify(o.files))
  }
  try {
    const result = await run(
      o.python,
      [
        '-S',
        '-s',
        '-B',
        '-c',
        SCRIPT,
        o.root,
        o.lambdaRoot ?? '',
        String(workers),
        listing,
        o.skipTestSuites ? '1' : '0',
        TEST_SUITE_BELOW_SITE
      ],
      {
        silent: true,
        env: { ...packageCodeEnv(process.env, 'code'), PYTHONHASHSEED: '0' },
        // It writes the .pyc beside the sources, and reads its list.
        confine: { writable: [o.root], ...(listing ? { readable: [listing] } : {}) }
      }
    )
    if (result.exitCode !== 0) {
      const how =
        result.spawnError ??
        (result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`)
      throw new ActionError(
        `Compiling the Python files in ${o.root} with ${o.python} failed (${how}):\n${tail(`${result.stdout}\n${result.stderr}`)}`
      )
    }
    return result.stdout
      .split('\n')
      .filter(line => line.startsWith('{'))
      .map(line => JSON.parse(line) as InvalidSource)
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
  }
}
