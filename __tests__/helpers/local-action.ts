import { spawn } from 'node:child_process'
import { ROOT } from './action.js'

export interface LocalRun {
  exitCode: number
  log: string
  outputs: Record<string, string>
}

/** Outputs as @github/local-action's core stub prints them. */
export function outputsOf(log: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  for (const m of log.matchAll(/^::set-output name=([^:]+)::(.*)$/gm)) outputs[m[1]] = m[2]
  return outputs
}

/** `npm run local-action` with ENV_FILE=envFile and extra environment variables. */
export async function localAction(
  envFile: string,
  env: Record<string, string | undefined>
): Promise<LocalRun> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env, ENV_FILE: envFile }
  for (const k of Object.keys(merged)) {
    if (merged[k] === undefined || k.startsWith('INPUT_')) delete merged[k]
  }
  const child = spawn('npm', ['run', '--silent', 'local-action'], {
    cwd: ROOT,
    env: merged as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  child.stdout.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr.on('data', (d: Buffer) => (log += d.toString()))
  const exitCode: number = await new Promise(resolve => child.on('close', c => resolve(c ?? -1)))
  return { exitCode, log, outputs: outputsOf(log) }
}
