/**
 * The layer cache through the bundled dist/index.js, against
 * scripts/cache-service.mjs (GitHub's cache service v2 on loopback) and the
 * real @actions/cache client bundled in the action:
 *  - an unchanged run restores the zip and installs nothing;
 *  - a change to a file that pip-args names (-c) is a miss;
 *  - a corrupted entry is rebuilt once and replaced: the run after the
 *    rebuild is a hit again, with no warning.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, type ActionRun } from '../helpers/action.js'
import { startCacheService, type CacheService } from '../helpers/cache-service.js'
import { makeToolCache } from '../helpers/toolcache.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-cache-e2e-'))
const toolCache = path.join(work, 'toolcache')
const ws = path.join(work, 'workspace')
// One RUNNER_TEMP for every run: the cache version hashes the cached path.
const runnerTemp = path.join(work, 'runner-temp')
const constraints = path.join(ws, 'constraints.txt')

let service: CacheService

async function act(): Promise<ActionRun> {
  return runAction(
    {
      'layer-name': 'cached',
      runtimes: 'python3.12',
      publish: 'false',
      cache: 'true',
      'pip-args': '-c constraints.txt'
    },
    { workspace: ws, toolCache, runnerTemp, env: { ...service.env } }
  )
}

/** pip or uv installed (`python -m pip install`, `uv pip install`). */
const installed = (run: ActionRun) => /^\[command\].* pip install /m.test(run.log)
const warnings = (run: ActionRun) => run.log.split('\n').filter(l => l.startsWith('::warning'))
const savedKey = (run: ActionRun) => /^Saved cache (\S+)\.$/m.exec(run.log)?.[1]

beforeAll(async () => {
  makeToolCache(toolCache, ['3.12'])
  fs.mkdirSync(ws, { recursive: true })
  fs.mkdirSync(runnerTemp, { recursive: true })
  fs.writeFileSync(path.join(ws, 'requirements.txt'), 'six\n')
  fs.writeFileSync(constraints, 'six==1.16.0\n')
  service = await startCacheService(path.join(work, 'store'))
})

afterAll(async () => {
  await service?.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

describe('the layer cache on the GitHub cache service', () => {
  const runs: Record<string, ActionRun> = {}

  beforeAll(async () => {
    runs.first = await act()
    runs.unchanged = await act()
    fs.writeFileSync(constraints, 'six==1.17.0\n')
    runs.constraintChanged = await act()
  })

  it('first run: a miss, the packages are installed, the zip is saved under the key', async () => {
    expect(JSON.parse(runs.first.outputs.packages)).toEqual(['six==1.16.0'])
    expect(runs.first.exitCode).toBe(0)
    expect(runs.first.outputs['cache-hit']).toBe('false')
    expect(installed(runs.first)).toBe(true)
    expect(savedKey(runs.first)).toMatch(/^lambda-python-layer-v\d+-Linux-python3\.12-x86_64-/)
    expect((await service.entries()).map(e => e.key)).toContain(savedKey(runs.first))
  })

  it('unchanged run: a hit, no install, the same zip', () => {
    expect(runs.unchanged.exitCode).toBe(0)
    expect(runs.unchanged.outputs['cache-hit']).toBe('true')
    expect(installed(runs.unchanged)).toBe(false)
    expect(runs.unchanged.outputs['code-sha256']).toBe(runs.first.outputs['code-sha256'])
    expect(warnings(runs.unchanged)).toEqual([])
  })

  it('a changed constraints file named in pip-args: a miss, and the new pin is installed', () => {
    const run = runs.constraintChanged
    expect(run.exitCode).toBe(0)
    expect(run.outputs['cache-hit']).toBe('false')
    expect(installed(run)).toBe(true)
    expect(savedKey(run)).toBeDefined()
    expect(savedKey(run)).not.toBe(savedKey(runs.first))
    expect(JSON.parse(run.outputs.packages)).toEqual(['six==1.17.0'])
    expect(JSON.parse(runs.first.outputs.packages)).toEqual(['six==1.16.0'])
  })

  describe.each([
    ['flip', 'a flipped byte (the archive fails to unpack)'],
    ['truncate', 'a truncated archive']
  ])('a corrupted entry (%s: %s)', mode => {
    let key: string
    let broken: ActionRun
    let after: ActionRun
    let again: ActionRun

    beforeAll(async () => {
      // A fresh key for each mode: a change to the constraints file.
      fs.writeFileSync(constraints, `six==1.17.0\n# ${mode}\n`)
      const built = await act()
      key = savedKey(built) as string
      expect(key).toBeDefined()
      const corrupted = await service.request(
        'POST',
        `_control/corrupt?key=${encodeURIComponent(key)}&mode=${mode}`
      )
      expect(corrupted.status).toBe(200)
      broken = await act()
      after = await act()
      again = await act()
    })

    it('the run that finds it warns, names the entry, rebuilds and succeeds', () => {
      expect(broken.exitCode).toBe(0)
      expect(broken.outputs['cache-hit']).toBe('false')
      expect(installed(broken)).toBe(true)
      expect(warnings(broken).join('\n')).toContain(`Cache entry ${key} is unusable`)
    })

    it('saves the rebuild under a key that replaces the corrupted entry', async () => {
      const replacement = savedKey(broken)
      expect(replacement).toMatch(new RegExp(`^${key}-rebuilt-[0-9a-z.-]+$`))
      const keys = (await service.entries()).map(e => e.key)
      expect(keys).toContain(key)
      expect(keys).toContain(replacement)
    })

    it('the next runs are hits on the replacement, with no warning and no install', () => {
      for (const run of [after, again]) {
        expect(run.exitCode).toBe(0)
        expect(run.outputs['cache-hit']).toBe('true')
        expect(installed(run)).toBe(false)
        expect(warnings(run)).toEqual([])
        expect(run.outputs['code-sha256']).toBe(broken.outputs['code-sha256'])
        expect(run.summary).toContain(savedKey(broken) as string)
      }
      expect(savedKey(after)).toBeUndefined()
    })
  })
})

describe('runners that keep their work folders elsewhere', () => {
  /**
   * A runner's layout: its home at <root>, <root>/_work/<repo>/<repo> beside
   * <root>/_work/_temp, its own tool cache.
   */
  async function onRunner(root: string): Promise<ActionRun> {
    const workspace = path.join(root, '_work', 'repo', 'repo')
    const temp = path.join(root, '_work', '_temp')
    const tools = path.join(root, 'toolcache')
    fs.mkdirSync(workspace, { recursive: true })
    fs.mkdirSync(temp, { recursive: true })
    makeToolCache(tools, ['3.12'])
    fs.writeFileSync(path.join(workspace, 'requirements.txt'), 'six==1.16.0\n')
    return await runAction(
      { 'layer-name': 'fleet', runtimes: 'python3.12', publish: 'false', cache: 'true' },
      { workspace, toolCache: tools, runnerTemp: temp, env: { ...service.env, HOME: root } }
    )
  }

  it('hit the entry another runner saved, and rebuild the same bytes', async () => {
    const first = await onRunner(path.join(work, 'runner-one'))
    const second = await onRunner(path.join(work, 'a-second-runner-with-a-longer-root'))
    expect(first.exitCode).toBe(0)
    expect(first.outputs['cache-hit']).toBe('false')
    expect(second.exitCode).toBe(0)
    expect(second.outputs['cache-hit']).toBe('true')
    expect(second.outputs['code-sha256']).toBe(first.outputs['code-sha256'])
  }, 180_000)
})
