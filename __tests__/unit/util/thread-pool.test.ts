import { afterEach, describe, expect, it, jest } from '@jest/globals'
import os from 'node:os'

const saved = process.env.UV_THREADPOOL_SIZE

afterEach(() => {
  if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE
  else process.env.UV_THREADPOOL_SIZE = saved
})

async function freshImport(): Promise<typeof import('../../../src/util/thread-pool.js')> {
  let loaded: typeof import('../../../src/util/thread-pool.js') | undefined
  await jest.isolateModulesAsync(async () => {
    loaded = await import('../../../src/util/thread-pool.js')
  })
  if (loaded === undefined) throw new Error('thread-pool.js did not load')
  return loaded
}

describe('thread-pool', () => {
  it('asks for one thread per core, at least 4, when the variable is unset', async () => {
    delete process.env.UV_THREADPOOL_SIZE
    const { threadPoolSize } = await freshImport()
    const expected = Math.max(4, os.availableParallelism())
    expect([process.env.UV_THREADPOOL_SIZE, threadPoolSize()]).toEqual([String(expected), expected])
  })

  it('keeps the size the environment set', async () => {
    process.env.UV_THREADPOOL_SIZE = '3'
    const { threadPoolSize } = await freshImport()
    expect([process.env.UV_THREADPOOL_SIZE, threadPoolSize()]).toEqual(['3', 3])
  })
})
