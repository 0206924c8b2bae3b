/** The runner's temporary folder (RUNNER_TEMP; the OS's outside a runner), where every scratch folder of the action lives. */
import os from 'node:os'
import path from 'node:path'

/** An absolute path below the runner's temporary folder. */
export function runnerTemp(...parts: string[]): string {
  return path.resolve(process.env.RUNNER_TEMP || os.tmpdir(), ...parts)
}
