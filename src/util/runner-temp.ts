/** The runner's temporary folder (RUNNER_TEMP; the OS's outside a runner), where every scratch folder of the action lives. */
import os from 'node:os'
import path from 'node:path'

/** An absolute path below the runner's temporary folder. */
export function runnerTemp(...parts: string[]): string {
  return path.resolve(process.env.RUNNER_TEMP || os.tmpdir(), ...parts)
}

/**
 * A folder under RUNNER_TEMP as @actions/cache should be given it: under
 * the home folder as `~/…`, else as it is. The cache derives an entry's
 * version from the paths it is given, so an absolute path would tie every
 * entry to the runner's own folders: the runners of a self-hosted fleet,
 * each with its work folder in another home, would never hit. `~` is what
 * the cache's globbing expands (it refuses `..`); the archive itself keeps
 * paths relative to the workspace, the same on runners laid out alike
 * (`_work/<repo>/<repo>` beside `_work/_temp`).
 */
export function cachePath(dir: string): string {
  const home = os.homedir()
  if (!home || !path.isAbsolute(home)) return dir
  const relative = path.relative(home, dir)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return dir
  return `~${path.sep}${relative}`
}
