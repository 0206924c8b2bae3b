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

describe("pip's configuration, read from its files while pip confirms it", () => {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64'
  const real = (): string => {
    const [version] = fs.readdirSync(path.join(toolCache, 'Python'))
    return path.join(toolCache, 'Python', version, arch, 'bin', 'python3')
  }
  /**
   * The tool cache's Python through a link in another folder: its sys.prefix
   * is the tool cache's, but the folder above the link's bin/ holds a
   * pip.conf pip never reads.
   */
  const linkedPython = (name: string, conf: string): string => {
    const dir = path.join(work, name)
    fs.mkdirSync(path.join(dir, 'bin'), { recursive: true })
    fs.symlinkSync(real(), path.join(dir, 'bin', 'python3'))
    fs.writeFileSync(path.join(dir, 'pip.conf'), conf)
    return path.join(dir, 'bin', 'python3')
  }
  const runs: Record<string, ActionRun> = {}
  const build = async (
    pythonVersion?: string,
    env: Record<string, string> = {}
  ): Promise<ActionRun> =>
    runAction(
      {
        'layer-name': 'forecast',
        runtimes: 'python3.12',
        publish: 'false',
        ...(pythonVersion ? { 'python-version': pythonVersion } : {})
      },
      { workspace: ws, toolCache, runnerTemp, env: { ...service.env, ...env } }
    )
  const misread = (python: string, option: string): string =>
    `pip's configuration for ${python} is not what its files were read to say (${option}); what depends on it is decided again with pip's own.`

  // An index that does not answer: read from the link's folder, it would fail the install.
  const deadIndex = '[global]\nindex-url = http://127.0.0.1:9/simple\n'
  // A setting that changes the key, harmless to the install.
  const noPre = '[global]\npre = false\n'
  let deadLink = ''
  let preLink = ''
  let userConfig = ''

  beforeAll(async () => {
    fs.writeFileSync(path.join(ws, 'requirements.txt'), 'six==1.16.0\n')
    fs.writeFileSync(constraints, '')
    deadLink = linkedPython('dead-index', deadIndex)
    runs.deadIndex = await build(deadLink)
    runs.plain = await build()
    // The setting in the user's configuration, which pip does read (the sandbox shows it):
    // that build is saved under the key of a configuration with the setting.
    userConfig = path.join(work, 'xdg-config')
    const own = path.join(os.homedir(), '.config', 'pip', 'pip.conf')
    const base = fs.existsSync(own) ? fs.readFileSync(own, 'utf8') : '[global]\n'
    fs.mkdirSync(path.join(userConfig, 'pip'), { recursive: true })
    fs.writeFileSync(path.join(userConfig, 'pip', 'pip.conf'), `${base.trimEnd()}\npre = false\n`)
    runs.user = await build(undefined, { XDG_CONFIG_HOME: userConfig })
    // The same setting beside a link pip does not read: the forecast's key is the venv's, a hit.
    preLink = linkedPython('no-pre', noPre)
    runs.preLink = await build(preLink)
  })

  it('when pip says otherwise, decides again with what pip says, before anything is installed', () => {
    const run = runs.deadIndex
    expect(run.errors).toEqual([])
    expect(run.log).toContain(misread(deadLink, 'global.index-url'))
    expect(run.log).not.toContain('127.0.0.1:9')
    expect(JSON.parse(run.outputs.packages)).toEqual(['six==1.16.0'])
  })

  it("keys the build by pip's own configuration: the same build from the tool cache's Python is a hit", () => {
    const run = runs.plain
    expect(run.errors).toEqual([])
    expect(run.log).not.toContain('is not what its files were read to say')
    expect(run.outputs['cache-hit']).toBe('true')
    expect(run.outputs['code-sha256']).toBe(runs.deadIndex.outputs['code-sha256'])
  })

  it("reads the user's pip.conf, shown in the sandbox, as pip does: no second look", () => {
    expect(runs.user.errors).toEqual([])
    expect(runs.user.log).not.toContain('is not what its files were read to say')
    expect(runs.user.outputs['cache-hit']).toBe('false')
  })

  it('drops a hit found under a misread key, and takes the entry of the real one', () => {
    const run = runs.preLink
    expect(run.errors).toEqual([])
    expect(run.log).toContain(misread(preLink, 'global.pre'))
    // The first look hit the user-configured entry; the second, under pip's own configuration, the plain one.
    expect(run.log).toMatch(
      /Cache hit for (restore-key: )?lambda-python-layer-[\s\S]*Cache hit for/
    )
    expect(run.outputs['cache-hit']).toBe('true')
    expect(run.summary).toContain(/^Saved cache (\S+)\.$/m.exec(runs.deadIndex.log)?.[1] as string)
  })
})
