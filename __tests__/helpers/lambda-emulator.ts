/**
 * Starts scripts/lambda-emulator.mjs in front of moto_server: a loopback
 * Lambda that runs Invoke with the machine's interpreters and serves the
 * code and layer content behind Code.Location / Content.Location.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const LAMBDA_EMULATOR_SCRIPT = path.join(ROOT, 'scripts', 'lambda-emulator.mjs')

export interface EmulatorRequest {
  /** 'CreateFunction', 'Invoke', 'GetFunction', ..., 'S3:<METHOD>', 'Emulator:Layer', 'Other'. */
  op: string
  method: string
  /** The request target as sent, query included. */
  path: string
  status: number
}

export interface LambdaEmulator {
  /** http://127.0.0.1:PORT */
  url: string
  /** { AWS_ENDPOINT_URL: url }, the emulator's first stdout line. */
  env(): { AWS_ENDPOINT_URL: string }
  /** Every request handled so far, oldest first (empty when started with `log: false`). */
  requests(): EmulatorRequest[]
  /** The last 8000 characters the emulator wrote to stderr (the invocations' logs among them). */
  stderr(): string
  /** SIGTERM, then resolves once it has exited and its log is removed. */
  stop(): Promise<void>
}

export interface LambdaEmulatorOptions {
  /** moto_server's URL (usually process.env.E2E_AWS_ENDPOINT_URL). */
  moto: string
  /** Added to this process's environment for the emulator, e.g. RUNNER_TOOL_CACHE. */
  env?: Record<string, string>
  /** Record the requests for requests() (default true). */
  log?: boolean
}

export async function startLambdaEmulator(options: LambdaEmulatorOptions): Promise<LambdaEmulator> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-emulator-log-'))
  const logFile = path.join(logDir, 'requests.jsonl')
  const args = [LAMBDA_EMULATOR_SCRIPT, '--moto', options.moto]
  if (options.log ?? true) args.push('--log', logFile)
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)))
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))

  const lines = readline.createInterface({ input: child.stdout })
  let firstLine: string
  try {
    firstLine = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no first line within 10 s: ${stderr}`)),
        10_000
      )
      lines.once('line', line => {
        clearTimeout(timer)
        resolve(line)
      })
      child.once('exit', code => {
        clearTimeout(timer)
        reject(new Error(`lambda-emulator exited with ${code}: ${stderr}`))
      })
    })
  } catch (error) {
    child.kill('SIGKILL')
    fs.rmSync(logDir, { recursive: true, force: true })
    throw error
  }
  lines.close()
  child.stdout.resume()
  const match = /^AWS_ENDPOINT_URL=(http:\/\/127\.0\.0\.1:\d+)$/.exec(firstLine)
  if (!match) throw new Error(`unexpected first line from lambda-emulator: ${firstLine}`)
  const url = match[1]

  return {
    url,
    env: () => ({ AWS_ENDPOINT_URL: url }),
    requests() {
      if (!fs.existsSync(logFile)) return []
      return fs
        .readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(line => JSON.parse(line) as EmulatorRequest)
    },
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
      fs.rmSync(logDir, { recursive: true, force: true })
    }
  }
}
