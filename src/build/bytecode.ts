/** Precompiles a staged layer's Python files so cold starts skip compilation. */
import * as core from '@actions/core'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { packageCodeEnv } from '../util/package-env.js'
import { run, tail } from '../util/process.js'

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
 */
export async function compileBytecode(options: CompileOptions): Promise<void> {
  for (const dir of options.dirs) {
    const args = ['-m', 'compileall', '-q', '-j', '0', '--invalidation-mode', 'unchecked-hash']
    if (options.layerRoot !== undefined) args.push('-d', lambdaPath(options.layerRoot, dir))
    args.push(dir)
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
      const shown = failed.slice(0, 10).map(f => path.relative(dir, f))
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
}

/** Where `dir` ends up on Lambda: <root>/python/x → /opt/python/x. */
export function lambdaPath(layerRoot: string, dir: string): string {
  const rel = path.relative(path.resolve(layerRoot), path.resolve(dir))
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`${dir} is not inside the layer root ${layerRoot}`)
  }
  return path.posix.join('/opt', ...rel.split(path.sep))
}
