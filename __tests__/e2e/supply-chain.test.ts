/**
 * What the action gives to answer "what is inside this layer version, and
 * was this zip built here", through the bundled dist/index.js: the zip's
 * hex SHA-256 (zip-sha256).
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace } from '../helpers/action.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])

describe('zip-sha256', () => {
  it('is the hex SHA-256 of zip-path, as sha256sum prints it', async () => {
    const run = await runAction(
      { 'layer-name': 'digest', runtimes: 'python3.12', publish: 'false' },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(run.errors).toEqual([])
    const printed = execFileSync('sha256sum', [run.outputs['zip-path']], { encoding: 'utf8' })
    expect(run.outputs['zip-sha256']).toMatch(/^[0-9a-f]{64}$/)
    expect(run.outputs['zip-sha256']).toBe(printed.split(' ')[0])
    expect(Buffer.from(run.outputs['zip-sha256'], 'hex').toString('base64')).toBe(
      run.outputs['code-sha256']
    )
  })
})
