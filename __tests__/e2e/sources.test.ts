/**
 * Packages with no wheel for the target, through the bundled dist/index.js
 * with real pip against the configured indexes: source-only pure-Python
 * dependencies deep in the tree are built into wheels with the runtime's
 * interpreter and installed, and the job summary lists them.
 */
import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.11', '3.12'])

async function build(
  requirements: string,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return await runAction(
    { 'layer-name': 'sources', publish: 'false', ...inputs },
    { workspace: workspace(requirements), toolCache }
  )
}

describe('source-only pure-Python dependencies deep in the tree', () => {
  it.each([
    ['feedparser>=6,<=6.0.11', 'python3.12', 'sgmllib3k', 'sgmllib.py'],
    ['dnachisel>=3.2,<=3.2.16', 'python3.11', 'docopt', 'docopt.py']
  ])(
    '%s for %s: %s is built from source and installed',
    async (requirement, runtime, dep, file) => {
      const run = await build(`${requirement}\n`, { runtimes: runtime })
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      const packages = JSON.parse(run.outputs.packages) as string[]
      expect(packages.some(p => p.startsWith(`${dep}==`))).toBe(true)
      expect(entries(run.outputs['zip-path'])).toContain(`python/${file}`)
      expect(run.log).not.toMatch(/conflict with each other/)
      expect(run.summary).toMatch(
        new RegExp(
          `Built from source[\\s\\S]*${dep}==[^ ]+ \\(pure Python, built from its source distribution\\)`
        )
      )
    }
  )
})
