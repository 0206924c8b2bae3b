/**
 * Starts scripts/cache-service.mjs (a loopback stand-in for GitHub's cache
 * service v2) and runs @actions/cache against it in child Node processes:
 * the library reads process.env when it is called, so each call gets a fresh
 * process with the service's environment applied.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CACHE_SERVICE_SCRIPT = path.join(ROOT, 'scripts', 'cache-service.mjs')

export interface CacheEntryView {
  id: number
  key: string
  version: string
  state: 'pending' | 'finalized'
  createdAt: string
  finalizedAt: string | null
  lastAccessedAt: string | null
  sizeBytes: number | null
  blobBytes: number | null
  etag: string | null
  contentMd5: string | null
  sha256?: string | null
}

export interface CacheService {
  /** The variables from the service's first stdout line. */
  env: Record<string, string>
  /** ACTIONS_RESULTS_URL, with its trailing slash. */
  url: string
  dir: string
  child: ChildProcess
  /** A JSON request to the service (control endpoints, twirp, blobs). */
  request(
    method: string,
    urlPath: string,
    init?: { body?: unknown; headers?: Record<string, string> }
  ): Promise<{ status: number; body: unknown; headers: Headers }>
  entries(withSha?: boolean): Promise<CacheEntryView[]>
  /** Sends SIGTERM (or `signal`) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** `A=1 B=2` -> { A: '1', B: '2' } (values never contain spaces). */
export function parseEnvLine(line: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of line.trim().split(/\s+/)) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new Error(`not a KEY=value pair: ${pair}`)
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return env
}

export async function startCacheService(dir: string, args: string[] = []): Promise<CacheService> {
  const child = spawn(process.execPath, [CACHE_SERVICE_SCRIPT, '--dir', dir, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  const lines = readline.createInterface({ input: child.stdout })
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no env line within 10 s: ${stderr}`)), 10_000)
    lines.once('line', line => {
      clearTimeout(timer)
      resolve(line)
    })
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`cache-service exited with ${code}: ${stderr}`))
    })
  })
  lines.close()
  child.stdout.resume()
  const env = parseEnvLine(firstLine)
  const url = env.ACTIONS_RESULTS_URL

  const request: CacheService['request'] = async (method, urlPath, init = {}) => {
    const response = await fetch(new URL(urlPath, url), {
      method,
      headers: init.headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body)
    })
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: keep the text (Azure errors are XML)
    }
    return { status: response.status, body, headers: response.headers }
  }

  return {
    env,
    url,
    dir,
    child,
    request,
    async entries(withSha = false) {
      const { body } = await request('GET', `_control/entries${withSha ? '?sha256=1' : ''}`)
      return (body as { entries: CacheEntryView[] }).entries
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return await exited
    }
  }
}

export interface ClientRequest {
  op: 'available' | 'save' | 'restore' | 'blob-upload' | 'blob-download'
  paths?: string[]
  key?: string
  restoreKeys?: string[]
  /** blob-upload / blob-download: a signed URL and a local file. */
  url?: string
  file?: string
  blockSize?: number
}

export interface ClientResult {
  /** What the call returned (undefined becomes null). */
  value?: unknown
  /** What it threw, if it threw. */
  error?: { name: string; message: string }
  /** Everything the child printed (@actions/core writes its log to stdout). */
  log: string
  exitCode: number | null
}

// Runs in the child with cwd=ROOT, so bare specifiers resolve from node_modules.
// The Azure SDK is loaded from where @actions/cache itself resolves it.
const CLIENT_SNIPPET = `
import * as cache from '@actions/cache'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import crypto from 'node:crypto'
import fs from 'node:fs'
const req = JSON.parse(process.env.CACHE_SERVICE_TEST_REQUEST)
async function azure() {
  const require = createRequire(import.meta.resolve('@actions/cache'))
  const mod = await import(pathToFileURL(require.resolve('@azure/storage-blob')).href)
  return mod.BlockBlobClient ? mod : mod.default
}
let result
try {
  if (req.op === 'available') {
    result = { value: cache.isFeatureAvailable() }
  } else if (req.op === 'save') {
    result = { value: await cache.saveCache(req.paths, req.key) }
  } else if (req.op === 'restore') {
    result = { value: (await cache.restoreCache(req.paths, req.key, req.restoreKeys)) ?? null }
  } else if (req.op === 'blob-upload') {
    const { BlockBlobClient } = await azure()
    const r = await new BlockBlobClient(req.url).uploadFile(req.file, {
      blockSize: req.blockSize, maxSingleShotSize: req.blockSize, concurrency: 3
    })
    result = { value: { status: r._response.status, etag: r.etag } }
  } else if (req.op === 'blob-download') {
    const { BlobClient } = await azure()
    const client = new BlobClient(req.url)
    const props = await client.getProperties()
    const buffer = await client.downloadToBuffer(0, undefined, { blockSize: req.blockSize, concurrency: 3 })
    const part = await client.download(10, 100)
    const chunks = []
    for await (const c of part.readableStreamBody) chunks.push(c)
    result = { value: {
      contentLength: props.contentLength, blobType: props.blobType, etag: props.etag,
      sha256: crypto.createHash('sha256').update(buffer).digest('hex'),
      rangeStatus: part._response.status, rangeContentRange: part.contentRange,
      rangeBytes: Buffer.concat(chunks).toString('hex'),
      fileRangeBytes: fs.readFileSync(req.file).subarray(10, 110).toString('hex')
    } }
  }
} catch (e) {
  result = { error: { name: e?.name, message: e?.message } }
}
process.stdout.write('\\n@@RESULT ' + JSON.stringify(result) + '\\n', () => process.exit(0))
`

/**
 * The environment for a client process: the service's variables, a workspace
 * and RUNNER_TEMP, and none of the runner's own cache settings.
 */
export function clientEnv(
  service: CacheService,
  workspace: string,
  runnerTemp: string
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) {
    if (k.startsWith('ACTIONS_') || k === 'GITHUB_SERVER_URL' || k === 'NODE_OPTIONS') delete env[k]
  }
  return {
    ...env,
    ...service.env,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    NODE_NO_WARNINGS: '1'
  }
}

export async function runClient(env: NodeJS.ProcessEnv, req: ClientRequest): Promise<ClientResult> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT_SNIPPET], {
    cwd: ROOT,
    env: { ...env, CACHE_SERVICE_TEST_REQUEST: JSON.stringify(req) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  child.stdout.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr.on('data', (d: Buffer) => (log += d.toString()))
  const exitCode = await new Promise<number | null>(resolve => child.on('close', resolve))
  const line = log.split('\n').find(l => l.startsWith('@@RESULT '))
  if (!line) throw new Error(`the client printed no result (exit ${exitCode}):\n${log}`)
  return { ...(JSON.parse(line.slice('@@RESULT '.length)) as object), log, exitCode }
}

/** Relative path -> SHA-256 of every file under `dir`. */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else
        out[path.relative(dir, p)] = crypto
          .createHash('sha256')
          .update(fs.readFileSync(p))
          .digest('hex')
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return out
}
