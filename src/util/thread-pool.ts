/**
 * libuv's thread pool runs zlib's asynchronous deflate (the layer zip), file
 * reads and crypto. It has UV_THREADPOOL_SIZE threads, 4 when unset, and
 * libuv reads the variable once, when the pool starts.
 *
 * Importing this module sets the variable to the core count when it is
 * unset. That counts only if nothing has used the pool yet: Node 24 starts
 * the pool when code first needs it, so importing this while the action
 * loads is early enough; Node 20 starts it while it loads an ES module entry,
 * so there the pool keeps 4 threads unless the environment sets the variable.
 */
import os from 'node:os'

if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, os.availableParallelism()))
}

/** Threads in the pool as far as the environment says: the variable, else libuv's 4. */
export function threadPoolSize(): number {
  return Number(process.env.UV_THREADPOOL_SIZE) || 4
}
