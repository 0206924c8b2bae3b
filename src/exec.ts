/** Runs a command, streaming its output to the log while keeping a copy. */
import * as exec from '@actions/exec'

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
}

export async function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; silent?: boolean } = {}
): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const env = Object.fromEntries(
    Object.entries(options.env ?? process.env).filter(
      (e): e is [string, string] => typeof e[1] === 'string'
    )
  )
  const exitCode = await exec.exec(command, args, {
    ignoreReturnCode: true,
    silent: options.silent ?? false,
    cwd: options.cwd,
    env,
    listeners: {
      stdout: (data: Buffer) => {
        stdout += data.toString()
      },
      stderr: (data: Buffer) => {
        stderr += data.toString()
      }
    }
  })
  return { exitCode, stdout, stderr }
}

/** The last `lines` non-empty lines of some output, for error messages. */
export function tail(text: string, lines = 20): string {
  return text
    .split(/\r?\n/)
    .filter(l => l.trim() !== '')
    .slice(-lines)
    .join('\n')
}
