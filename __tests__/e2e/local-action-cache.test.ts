/**
 * Through `npm run local-action` (which stubs @actions/cache with a local
 * folder): a second run with unchanged inputs restores the zip from the
 * cache, runs no pip, and reuses the version published by the first run.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { awsEnv, unique, versionCount } from '../helpers/aws.js'
import { localAction, type LocalRun } from '../helpers/local-action.js'
import { makeToolCache } from '../helpers/toolcache.js'

describe('cache through npm run local-action', () => {
  const layer = unique('cached')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-action-'))
  const toolCache = path.join(dir, 'toolcache')
  let first: LocalRun
  let second: LocalRun

  beforeAll(async () => {
    makeToolCache(toolCache, ['3.12'])
    fs.writeFileSync(path.join(dir, 'requirements.txt'), 'six==1.16.0\n')
    const envFile = path.join(dir, '.env')
    fs.writeFileSync(
      envFile,
      [
        `INPUT_LAYER-NAME=${layer}`,
        `INPUT_REQUIREMENTS=${path.join(dir, 'requirements.txt')}`,
        'INPUT_RUNTIMES=python3.12',
        'INPUT_ARCHITECTURES=x86_64',
        'INPUT_PUBLISH=true',
        'INPUT_CACHE=true',
        'INPUT_VERIFY=true',
        'INPUT_REUSE-UNCHANGED=true',
        'INPUT_AWS-REGION=us-east-1',
        ''
      ].join('\n')
    )
    const env = {
      ...awsEnv(),
      RUNNER_TOOL_CACHE: toolCache,
      LOCAL_ACTION_CACHE_PATH: path.join(dir, 'cache'),
      LOCAL_ACTION_WORKSPACE: path.join(dir, 'workspace'),
      RUNNER_TEMP: path.join(dir, 'workspace', 'tmp')
    }
    fs.mkdirSync(env.LOCAL_ACTION_CACHE_PATH, { recursive: true })
    first = await localAction(envFile, env)
    second = await localAction(envFile, env)
  })

  it('first run: cache miss, the installer runs, a version is published', () => {
    expect(first.exitCode).toBe(0)
    expect(first.outputs['cache-hit']).toBe('false')
    expect(first.log).toMatch(/ pip install --target/)
    expect(first.outputs.published).toBe('true')
  })

  it('second run: cache hit, no installer, the published version is reused', async () => {
    expect(second.exitCode).toBe(0)
    expect(second.outputs['cache-hit']).toBe('true')
    expect(second.log).not.toMatch(/ pip install /)
    expect(second.outputs.published).toBe('false')
    expect(second.outputs['layer-version-arn']).toBe(first.outputs['layer-version-arn'])
    expect(second.outputs['code-sha256']).toBe(first.outputs['code-sha256'])
    expect(await versionCount(layer)).toBe(1)
  })
})
