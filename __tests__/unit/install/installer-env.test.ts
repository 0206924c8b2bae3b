import { afterAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InstallerEnv } from '../../../src/install/installer-env.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'installer-env-'))
afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

describe('InstallerEnv', () => {
  it('hands an index to pip, and nothing else, when only the index is given', () => {
    const env = InstallerEnv.create('https://aws:tok@repo.example/simple/')
    expect(env.indexEnv()).toEqual({ PIP_INDEX_URL: 'https://aws:tok@repo.example/simple/' })
    expect(env.ownsCaches).toBe(false)
    expect(env.uvCache()).toBeUndefined()
    expect(InstallerEnv.create().indexEnv()).toEqual({})
  })

  it("points pip's and uv's caches into the download cache, unless the user manages them", () => {
    const base = InstallerEnv.create()
    const owned = base.withCaches('/rt/downloads', false)
    expect(owned.indexEnv()).toEqual({
      PIP_CACHE_DIR: '/rt/downloads/pip',
      UV_CACHE_DIR: '/rt/downloads/uv'
    })
    expect([owned.ownsCaches, owned.keptTools]).toEqual([true, '/rt/downloads/tools'])
    const managed = base.withCaches('/rt/downloads', true)
    expect(managed.indexEnv()).toEqual({})
    // The action's uv is kept in the download cache whoever manages the installers' caches.
    expect([managed.ownsCaches, managed.keptTools]).toEqual([false, '/rt/downloads/tools'])
    // The value it was made from is unchanged.
    expect(base.indexEnv()).toEqual({})
  })

  it("works in a build's scratch in memory, with a copy of uv's cache kept back afterwards", () => {
    const downloads = path.join(work, 'downloads')
    fs.mkdirSync(path.join(downloads, 'uv', 'wheels'), { recursive: true })
    fs.writeFileSync(path.join(downloads, 'uv', 'wheels', 'a'), 'kept')
    const scratchDir = path.join(work, 'shm')
    const env = InstallerEnv.create().withCaches(downloads, false).inScratch(scratchDir)
    expect(env.indexEnv()).toEqual({
      PIP_CACHE_DIR: path.join(downloads, 'pip'),
      UV_CACHE_DIR: path.join(scratchDir, 'uv-cache'),
      TMPDIR: path.join(scratchDir, 'tmp')
    })
    expect(fs.readFileSync(path.join(scratchDir, 'uv-cache', 'wheels', 'a'), 'utf8')).toBe('kept')
    fs.writeFileSync(path.join(scratchDir, 'uv-cache', 'wheels', 'b'), 'new')
    env.keepUvCache()
    expect(fs.readdirSync(path.join(downloads, 'uv', 'wheels')).sort()).toEqual(['a', 'b'])
    // Staged on disk again: no scratch.
    expect(env.inScratch(undefined).indexEnv().TMPDIR).toBeUndefined()
  })

  it("installs the action's tools without the user's constraints, outside the scratch", () => {
    const env = InstallerEnv.create().inScratch(path.join(work, 'tools-scratch'))
    expect(env.pip().TMPDIR).toBe(path.join(work, 'tools-scratch', 'tmp'))
    const tools = env.tools()
    expect([tools.PIP_CONSTRAINT, tools.PIP_REQUIREMENT]).toEqual(['', ''])
    expect(tools.TMPDIR).toBe(process.env.TMPDIR)
    expect(env.pip().PIP_NO_INPUT).toBe('1')
  })

  it("reads pip's configuration once per interpreter, for every value made from the run's", async () => {
    const counter = path.join(work, 'calls')
    const python = path.join(work, 'python')
    fs.writeFileSync(
      python,
      `#!/bin/sh\necho x >> "${counter}"\necho "global.index-url='https://mirror.example/simple'"\n`,
      { mode: 0o755 }
    )
    const env = InstallerEnv.create()
    const [a, b] = await Promise.all([
      env.pipConfig(python),
      env.withCaches(path.join(work, 'd'), false).pipConfig(python)
    ])
    expect(a).toBe("global.index-url='https://mirror.example/simple'\n")
    expect(b).toBe(a)
    expect(fs.readFileSync(counter, 'utf8')).toBe('x\n')
    // Another run's value reads it again.
    await InstallerEnv.create().pipConfig(python)
    expect(fs.readFileSync(counter, 'utf8')).toBe('x\nx\n')
  })
})
