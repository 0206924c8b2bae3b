import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'

/** A moto_server on 127.0.0.1, the AWS endpoint of the end-to-end tests. */
export interface Moto {
  endpoint: string
  process: ChildProcess
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort()
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const endpoint = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`)
    }
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
  return { endpoint, process: child }
}
