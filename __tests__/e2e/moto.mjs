// Starts one moto_server on 127.0.0.1 for the end-to-end tests (Jest
// globalSetup), unless E2E_AWS_ENDPOINT_URL already points at one. Test
// workers inherit the variable; globalTeardown stops the server.
import { spawn } from 'node:child_process'
import net from 'node:net'

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
  process.env.E2E_AWS_ENDPOINT_URL = moto.endpoint
  globalThis.__MOTO__ = moto.child
}

export async function teardown() {
  globalThis.__MOTO__?.kill()
}
