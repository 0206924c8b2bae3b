/**
 * `pip config list` of an interpreter, read once per run: the cache key and
 * the uv options both need it, and each pip start costs a few tenths of a
 * second on the path where the layer comes from the cache.
 */
import { run } from '../util/process.js'
import { pipEnv } from './pip.js'

const listed = new Map<string, Promise<string>>()

/** The output of `python -m pip config list` in pip's environment ('' when it fails). */
export async function pipConfigList(python: string): Promise<string> {
  let pending = listed.get(python)
  if (!pending) {
    pending = run(python, ['-m', 'pip', 'config', 'list'], {
      env: pipEnv(),
      confine: { profile: 'install' },
      silent: true,
      timeoutMs: 60_000
    }).then(result => (result.exitCode === 0 ? result.stdout : ''))
    listed.set(python, pending)
  }
  return await pending
}
