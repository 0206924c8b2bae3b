/**
 * The installers' download cache through the bundled dist/index.js and the
 * loopback GitHub cache service: a build saves uv's cache (trimmed as uv
 * advises for CI) and its zip; after one requirement changes, the layer
 * cache misses and the next build starts from the earlier build's entry
 * (the restore-key fallback), reusing the unchanged files of its zip. A
 * user's own UV_CACHE_DIR is left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, type ActionRun } from '../helpers/action.js'
import { startCacheService, type CacheService } from '../helpers/cache-service.js'
import { makeToolCache } from '../helpers/toolcache.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'downloads-e2e-'))
const toolCache = path.join(work, 'toolcache')
const ws = path.join(work, 'workspace')
const runnerTemp = path.join(work, 'runner-temp')
let service: CacheService

async function act(
  requirements: string,
  env: Record<string, string> = {},
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  fs.writeFileSync(path.join(ws, 'requirements.txt'), requirements)
  return runAction(
    {
      'layer-name': 'downloads',
      runtimes: 'python3.12',
      publish: 'false',
      installer: 'uv',
      ...inputs
    },
    { workspace: ws, toolCache, runnerTemp, env: { ...service.env, ...env } }
  )
}

beforeAll(async () => {
  makeToolCache(toolCache, ['3.12'])
  fs.mkdirSync(ws, { recursive: true })
  fs.mkdirSync(runnerTemp, { recursive: true })
  service = await startCacheService(path.join(work, 'store'))
})

afterAll(async () => {
  await service?.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

describe('the download cache', () => {
  const runs: Record<string, ActionRun> = {}

  beforeAll(async () => {
    runs.first = await act('six==1.16.0\nidna==3.9\n')
    runs.changed = await act('six==1.16.0\nidna==3.10\n')
    runs.fresh = await act('six==1.16.0\nidna==3.10\n', {}, { cache: 'false' })
    runs.own = await act('six==1.16.0\nidna==3.8\n', {
      UV_CACHE_DIR: path.join(work, 'my-uv-cache')
    })
  })

  it('saves the installer cache after a build', async () => {
    expect(runs.first.errors).toEqual([])
    expect(runs.first.log).toContain('Download cache: none yet for this runtime')
    const saved = /Download cache saved as (\S+) /.exec(runs.first.log)?.[1]
    expect(saved).toMatch(/^lambda-python-layer-downloads-v\d+-Linux-python3\.12-x86_64-uv-/)
    expect((await service.entries()).map(e => e.key)).toContain(saved)
  })

  it('after a change, starts from the entry of the earlier build (the restore-key fallback)', () => {
    expect(runs.changed.errors).toEqual([])
    expect(runs.changed.outputs['cache-hit']).toBe('false')
    const saved = /Download cache saved as (\S+) /.exec(runs.first.log)?.[1] ?? ''
    expect(runs.changed.log).toContain(`Download cache: restored ${saved} (an earlier build)`)
    expect(JSON.parse(runs.changed.outputs.packages)).toEqual(['idna==3.10', 'six==1.16.0'])
  })

  it('reuses the unchanged files of the earlier zip, and gives the bytes of a fresh build', () => {
    expect(runs.changed.log).toMatch(
      /Earlier zip found \(CodeSha256 \S+\): unchanged files are reused/
    )
    expect(runs.changed.log).toMatch(
      /compile: reused [1-9]\d* \.pyc files from the previous layer zip/
    )
    expect(runs.changed.log).toMatch(/Zip: [1-9]\d* of \d+ entries .* reused from the earlier zip/)
    expect(runs.fresh.outputs['cache-hit']).toBe('false')
    expect(runs.fresh.log).not.toMatch(/reused from the earlier zip/)
    expect(runs.changed.outputs['code-sha256']).toBe(runs.fresh.outputs['code-sha256'])
  })

  it('leaves a cache the user set to the user', () => {
    expect(runs.own.errors).toEqual([])
    expect(runs.own.log).toContain(
      'Download cache: left to you (UV_CACHE_DIR is set); the earlier zip is kept.'
    )
    expect(fs.readdirSync(path.join(work, 'my-uv-cache')).length).toBeGreaterThan(0)
  })
})
