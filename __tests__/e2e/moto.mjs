// Starts one moto_server on 127.0.0.1 for the end-to-end tests (Jest
// globalSetup), with scripts/lambda-emulator.mjs in front of it, unless
// E2E_AWS_ENDPOINT_URL already points at an endpoint. The emulator forwards
// every call to moto and fills moto's gaps: the code behind Code.Location and
// Content.Location can be fetched, and GetLayerVersionByArn answers. Test
// workers inherit E2E_AWS_ENDPOINT_URL (the emulator) and E2E_MOTO_URL (moto
// itself); globalTeardown stops both.
import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

const EMULATOR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'scripts',
  'lambda-emulator.mjs'
)

/** Starts the emulator in front of `moto`; resolves with its URL once it listens. */
async function startEmulator(moto) {
  const child = spawn(process.execPath, [EMULATOR, '--moto', moto], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', chunk => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const lines = readline.createInterface({ input: child.stdout })
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`lambda-emulator: no answer in 10 s: ${stderr}`)),
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
  lines.close()
  child.stdout.resume()
  const url = /^AWS_ENDPOINT_URL=(\S+)$/.exec(first)?.[1]
  if (!url) throw new Error(`lambda-emulator: unexpected first line ${first}`)
  child.unref()
  child.stdout.unref?.()
  child.stderr.unref?.()
  return { url, child }
}

async function freePort() {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

export async function startMoto() {
  const port = await freePort()
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', chunk => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const endpoint = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`)
    try {
      const response = await fetch(`${endpoint}/moto-api/`)
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill()
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr}`)
    }
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  child.unref()
  child.stderr.unref?.()
  return { endpoint, child }
}

export async function setup() {
  if (process.env.E2E_AWS_ENDPOINT_URL) return
  const moto = await startMoto()
  globalThis.__MOTO__ = moto.child
  const emulator = await startEmulator(moto.endpoint)
  globalThis.__LAMBDA_EMULATOR__ = emulator.child
  process.env.E2E_MOTO_URL = moto.endpoint
  process.env.E2E_AWS_ENDPOINT_URL = emulator.url
}

export async function teardown() {
  globalThis.__LAMBDA_EMULATOR__?.kill()
  globalThis.__MOTO__?.kill()
}
