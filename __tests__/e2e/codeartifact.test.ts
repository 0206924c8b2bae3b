/**
 * The `codeartifact` input through the bundled dist/index.js, against a
 * loopback CodeArtifact (the token and endpoint API, and a simple index that
 * requires the token as basic auth): pip and uv install from it; the token
 * is in no log, output or summary, and not in the cache key (a new token
 * still hits the cache).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, type ActionRun } from '../helpers/action.js'
import { startCacheService, type CacheService } from '../helpers/cache-service.js'
import { type CodeArtifactEmulator, startCodeArtifact } from '../helpers/codeartifact.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'codeartifact-'))
const toolCache = path.join(work, 'toolcache')
const runnerTemp = path.join(work, 'runner-temp')
const ws = path.join(work, 'ws')
let emulator: CodeArtifactEmulator
let service: CacheService

beforeAll(async () => {
  makeToolCache(toolCache, ['3.12'])
  fs.mkdirSync(runnerTemp, { recursive: true })
  fs.mkdirSync(ws, { recursive: true })
  fs.writeFileSync(path.join(ws, 'requirements.txt'), 'lpl-private==1.0\n')
  const wheels = path.join(work, 'wheels')
  makeWheel(wheels, {
    name: 'lpl_private',
    version: '1.0',
    tag: 'py3-none-any',
    files: { 'lpl_private/__init__.py': 'SECRET_SAUCE = 42\n' }
  })
  // The repository serves the uv the action installs for itself, as one
  // with PyPI as its upstream does.
  execFileSync(
    'python3',
    ['-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '-d', wheels, 'uv==0.13.9'],
    { stdio: 'ignore' }
  )
  emulator = await startCodeArtifact({
    wheelsDir: wheels,
    domain: 'my-domain',
    repository: 'my-repo',
    owner: '111122223333',
    rotate: true
  })
  service = await startCacheService(path.join(work, 'store'))
})

afterAll(async () => {
  await emulator?.close()
  await service?.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

async function act(inputs: Record<string, string> = {}): Promise<ActionRun> {
  return await runAction(
    {
      'layer-name': 'private-deps',
      runtimes: 'python3.12',
      publish: 'false',
      codeartifact: '111122223333/my-domain/my-repo',
      'aws-region': 'us-east-1',
      ...inputs
    },
    {
      workspace: ws,
      toolCache,
      runnerTemp,
      env: {
        ...service.env,
        AWS_ENDPOINT_URL_CODEARTIFACT: emulator.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined
      }
    }
  )
}

/**
 * Everything a run leaves readable: the log, the outputs and the summary.
 * `::add-mask::` lines are how the runner learns a secret; it never shows them.
 */
const visible = (run: ActionRun): string =>
  [
    run.log
      .split('\n')
      .filter(l => !l.startsWith('::add-mask::'))
      .join('\n'),
    JSON.stringify(run.outputs),
    run.summary
  ].join('\n')

describe('codeartifact', () => {
  const runs: Record<string, ActionRun> = {}

  beforeAll(async () => {
    runs.first = await act()
    runs.second = await act()
    runs.uv = await act({ installer: 'uv', cache: 'false' })
  })

  it('installs from the repository with pip, the token as basic auth', () => {
    expect(runs.first.errors).toEqual([])
    expect(runs.first.exitCode).toBe(0)
    expect(JSON.parse(runs.first.outputs.packages)).toEqual(['lpl_private==1.0'])
    const files = emulator.requests.filter(r => r.path.endsWith('.whl'))
    expect(files.length).toBeGreaterThan(0)
    expect(files.every(r => r.authorized)).toBe(true)
    expect(runs.first.log).toMatch(
      /CodeArtifact index for 111122223333\/my-domain\/my-repo: http:\/\/127\.0\.0\.1:\d+\/pypi\/my-repo\/simple\//
    )
    expect(runs.first.summary).toMatch(
      /Index<\/td><td><code>http:\/\/127\.0\.0\.1:\d+\/pypi\/my-repo\/simple\/<\/code>/
    )
  })

  it('installs from the repository with uv (the index handed over in the environment)', () => {
    expect(runs.uv.errors).toEqual([])
    expect(runs.uv.log).toMatch(/uv 0\.13\.9, installed by the action installs python3\.12/)
    expect(runs.uv.log).not.toMatch(/pip installs python3\.12 \/ x86_64 .* instead/)
    expect(JSON.parse(runs.uv.outputs.packages)).toEqual(['lpl_private==1.0'])
  })

  it('never shows a token, in plain or URL-encoded form', () => {
    expect(emulator.issued.length).toBeGreaterThanOrEqual(3)
    for (const run of Object.values(runs)) {
      for (const token of emulator.issued) {
        expect(visible(run)).not.toContain(token)
        expect(visible(run)).not.toContain(encodeURIComponent(token))
        expect(visible(run)).not.toContain(token.slice(0, 24))
      }
    }
  })

  it('keeps the token out of the cache key: the next run, with a new token, hits the cache', () => {
    expect(new Set(emulator.issued).size).toBe(emulator.issued.length)
    expect(runs.first.outputs['cache-hit']).toBe('false')
    expect(runs.second.outputs['cache-hit']).toBe('true')
    expect(runs.second.outputs['code-sha256']).toBe(runs.first.outputs['code-sha256'])
  })

  it('fails before installing when the repository does not exist, naming it', async () => {
    const run = await act({ codeartifact: '111122223333/my-domain/other-repo', cache: 'false' })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors.join('\n')).toMatch(/other-repo/)
    expect(run.log).not.toMatch(/-m pip install/)
  })

  it('refuses a malformed value before anything runs, naming the input', async () => {
    const run = await act({ codeartifact: 'My_Domain/repo' })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors.join('\n')).toMatch(/Input `codeartifact` is "My_Domain\/repo"/)
    expect(emulator.requests.filter(r => r.path.includes('My_Domain'))).toEqual([])
  })
})
