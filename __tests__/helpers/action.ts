import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface ActionRun {
  exitCode: number
  log: string
  outputs: Record<string, string>
  summary: string
  errors: string[]
}

/** Parses a GITHUB_OUTPUT file (name<<delimiter ... delimiter, or name=value). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i])
      outputs[name] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

/** The defaults of action.yml as INPUT_* variables, the way the runner sets them. */
function defaultInputs(): Record<string, string> {
  const spec = YAML.parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  const env: Record<string, string> = {}
  for (const [name, input] of Object.entries(spec.inputs)) {
    env[`INPUT_${name.toUpperCase()}`] = input.default ?? ''
  }
  return env
}

export interface RunOptions {
  workspace: string
  toolCache: string
  runnerTemp?: string
  env?: Record<string, string | undefined>
  /** Called with the action's process once it runs (to signal it, for example). */
  onSpawn?: (child: ChildProcess) => void
  /** A command that starts the action's node (e.g. as another user): its argv, before node. */
  wrap?: string[]
  /** The bundle to run instead of dist/index.js (a copy another user can read). */
  script?: string
  /** Where the runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) go; a fresh temp folder by default. */
  filesDir?: string
  /** The user the action runs as (with `wrap`): owns the runner's files. */
  owner?: { uid: number; gid: number }
}

/** Runs the bundled dist/index.js as the runner does: INPUT_* variables, GITHUB_OUTPUT, RUNNER_TEMP. */
export async function runAction(
  inputs: Record<string, string>,
  options: RunOptions
): Promise<ActionRun> {
  const files = fs.mkdtempSync(path.join(options.filesDir ?? os.tmpdir(), 'action-files-'))
  const outputFile = path.join(files, 'output')
  const summaryFile = path.join(files, 'summary')
  fs.writeFileSync(outputFile, '')
  fs.writeFileSync(summaryFile, '')
  if (options.owner) {
    for (const f of [files, outputFile, summaryFile]) {
      fs.chownSync(f, options.owner.uid, options.owner.gid)
    }
  }
  const runnerTemp = options.runnerTemp ?? fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))

  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('INPUT_') && !k.startsWith('GITHUB_') && !k.startsWith('ACTIONS_')
    )
  )
  const given = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])
  )
  const env: Record<string, string | undefined> = {
    ...base,
    ...defaultInputs(),
    ...given,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: options.workspace,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: options.toolCache,
    ...options.env
  }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]

  // ACTION_NODE: the Node.js that runs the action (the runner uses Node 24).
  const node = options.env?.ACTION_NODE || process.env.ACTION_NODE || process.execPath
  const script = options.script ?? path.join(ROOT, 'dist', 'index.js')
  const [command, ...args] = [...(options.wrap ?? []), node, script]
  const child = spawn(command, args, {
    cwd: options.workspace,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  options.onSpawn?.(child)
  let log = ''
  child.stdout.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr.on('data', (d: Buffer) => (log += d.toString()))
  const exitCode: number = await new Promise((resolve, reject) => {
    child.on('error', error => reject(new Error(`cannot run ${node}: ${error.message}`)))
    child.on('close', code => resolve(code ?? -1))
  })
  const result: ActionRun = {
    exitCode,
    log,
    outputs: parseOutputFile(fs.readFileSync(outputFile, 'utf8')),
    summary: fs.readFileSync(summaryFile, 'utf8'),
    errors: log
      .split('\n')
      .filter(l => l.startsWith('::error'))
      .map(l =>
        l
          .replace(/^::error[^:]*::/, '')
          .replace(/%0A/g, '\n')
          .replace(/%25/g, '%')
      )
  }
  fs.rmSync(files, { recursive: true, force: true })
  return result
}

/** A fresh workspace holding requirements.txt with the given text. */
export function workspace(requirements: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  fs.writeFileSync(path.join(dir, 'requirements.txt'), requirements)
  return dir
}
