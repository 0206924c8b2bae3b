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
  inputs: Record<string, string> = {},
  tools = toolCache
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
    { workspace: ws, toolCache: tools, runnerTemp, env: { ...service.env, ...env } }
  )
}

beforeAll(async () => {
  makeToolCache(toolCache, ['3.11', '3.12'])
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
    // As on a new hosted runner: an empty RUNNER_TEMP (same path) and a tool
    // cache without the uv the action keeps there.
    fs.rmSync(runnerTemp, { recursive: true, force: true })
    fs.mkdirSync(runnerTemp)
    const freshTools = path.join(work, 'toolcache-fresh')
    makeToolCache(freshTools, ['3.12'])
    runs.changed = await act('six==1.16.0\nidna==3.10\n', {}, {}, freshTools)
    runs.fresh = await act('six==1.16.0\nidna==3.10\n', {}, { cache: 'false' })
    runs.own = await act('six==1.16.0\nidna==3.8\n', {
      UV_CACHE_DIR: path.join(work, 'my-uv-cache')
    })
    // certifi joins (its bytes are new: saved), then six moves on (a small edit).
    runs.certifi = await act('six==1.16.0\nidna==3.10\ncertifi==2026.7.22\n')
    runs.small = await act('six==1.17.0\nidna==3.10\ncertifi==2026.7.22\n')
  })

  it('after a small edit, keeps the entry it started from instead of saving a near copy', () => {
    const saved = /Download cache saved as (\S+) /.exec(runs.certifi.log)?.[1] ?? ''
    expect(saved).not.toBe('')
    expect(runs.small.errors).toEqual([])
    expect(runs.small.log).toContain(`Download cache: restored ${saved} (an earlier build)`)
    expect(runs.small.log).toMatch(
      new RegExp(
        `Download cache: not saved again: this build added .* to the .* of installers' caches restored, and its zip took (9\\d|100)% of its bytes from the earlier one\\. The next build after an edit starts from ${saved} too\\.`
      )
    )
    expect(runs.small.log).not.toContain('Download cache saved as')
    expect(JSON.parse(runs.small.outputs.packages)).toEqual([
      'certifi==2026.7.22',
      'idna==3.10',
      'six==1.17.0'
    ])
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

  it("keeps the action's uv in the entry: the build after a change does not download it again", () => {
    expect(runs.first.log).toContain('Downloading uv 0.13.9')
    expect(runs.changed.log).toMatch(/uv 0\.13\.9, installed by the action installs python3\.12/)
    expect(runs.changed.log).not.toContain('Downloading uv')
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

  it("links uv's files into the layer from its own cache only, and keeps none of them", () => {
    expect(runs.first.log).toMatch(/\[command\]\S*uv pip install .*--link-mode hardlink/)
    expect(runs.own.log).toMatch(/\[command\]\S*uv pip install .*--link-mode copy/)
    // uv's cache is kept without unpacked wheels: no file of the layer outlives the run.
    const archive = path.join(runnerTemp, 'lambda-python-layer-downloads', 'uv', 'archive-v0')
    const files = fs.existsSync(archive) ? fs.readdirSync(archive, { recursive: true }) : []
    expect(files.filter(f => fs.statSync(path.join(archive, String(f))).isFile())).toEqual([])
  })

  it('leaves a cache the user set to the user', () => {
    expect(runs.own.errors).toEqual([])
    expect(runs.own.log).toContain(
      'Download cache: left to you (UV_CACHE_DIR is set); the earlier zip is kept.'
    )
    expect(fs.readdirSync(path.join(work, 'my-uv-cache')).length).toBeGreaterThan(0)
  })
})

describe('the incremental install (pip)', () => {
  const runs: Record<string, ActionRun> = {}
  const pins = (urllib3: string): string =>
    `urllib3==${urllib3}\ncertifi==2024.8.30\ncharset-normalizer==3.4.0\nidna==3.10\n`
  const pip = { installer: 'pip', runtimes: 'python3.11', 'layer-name': 'incremental' }

  beforeAll(async () => {
    // urllib3 changes through the constraints: a dependency, not requested,
    // so pip must not mark it REQUESTED; six is new and requested.
    fs.writeFileSync(path.join(ws, 'constraints.txt'), pins('2.2.2'))
    runs.first = await act('requests==2.32.3\n-c constraints.txt\n', {}, pip)
    fs.writeFileSync(path.join(ws, 'constraints.txt'), pins('2.2.3'))
    runs.changed = await act('requests==2.32.3\nsix==1.16.0\n-c constraints.txt\n', {}, pip)
    runs.fresh = await act(
      'requests==2.32.3\nsix==1.16.0\n-c constraints.txt\n',
      {},
      {
        ...pip,
        cache: 'false'
      }
    )
    // A build whose zip lacks some of urllib3's files, then one after it.
    runs.excluded = await act(
      'requests==2.32.3\nsix==1.16.0\n-c constraints.txt\n',
      {},
      {
        ...pip,
        exclude: 'urllib3/contrib/**'
      }
    )
    runs.afterExcluded = await act('requests==2.32.3\n-c constraints.txt\n', {}, pip)
    runs.freshAfter = await act(
      'requests==2.32.3\n-c constraints.txt\n',
      {},
      { ...pip, cache: 'false' }
    )
  })

  it('restores the unchanged distributions and installs only the changed ones', () => {
    expect(runs.first.errors).toEqual([])
    expect(runs.first.log).not.toContain('Incremental install')
    expect(runs.changed.errors).toEqual([])
    expect(runs.changed.log).toMatch(
      /Incremental install: 4 distributions restored from the earlier zip \(.*\); pip installed (six==1\.16\.0 urllib3==2\.2\.3|urllib3==2\.2\.3 six==1\.16\.0) /
    )
    expect(JSON.parse(runs.changed.outputs.packages)).toEqual([
      'certifi==2024.8.30',
      'charset-normalizer==3.4.0',
      'idna==3.10',
      'requests==2.32.3',
      'six==1.16.0',
      'urllib3==2.2.3'
    ])
  })

  it('gives the bytes of a fresh build', () => {
    expect(runs.fresh.errors).toEqual([])
    expect(runs.fresh.log).not.toContain('Incremental install')
    expect(runs.changed.outputs['code-sha256']).toBe(runs.fresh.outputs['code-sha256'])
  })

  it('installs again a distribution whose files the earlier zip lacks, and removes one no longer wanted', () => {
    expect(runs.excluded.errors).toEqual([])
    expect(runs.excluded.log).toMatch(/Incremental install: 6 distributions restored/)
    expect(runs.afterExcluded.errors).toEqual([])
    expect(runs.afterExcluded.log).toMatch(
      /Incremental install: 4 distributions restored from the earlier zip \(.*\); pip installed urllib3==2\.2\.3 /
    )
    expect(JSON.parse(runs.afterExcluded.outputs.packages)).not.toContain('six==1.16.0')
    expect(runs.afterExcluded.outputs['code-sha256']).toBe(runs.freshAfter.outputs['code-sha256'])
  })
})
