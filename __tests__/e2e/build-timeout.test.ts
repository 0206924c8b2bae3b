/**
 * build-timeout: a source build that never returns is stopped, with every
 * process it started, and the step fails naming the input. Through the
 * bundled action, in the sandbox (the tests run as root).
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { marker, tempDir } from '../helpers/hostile.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = tempDir('toolcache-')
const versions = makeToolCache(toolCache, ['3.12'])

/** Processes on the host whose command line holds `mark`. */
function processesWith(mark: string): string[] {
  const found: string[] = []
  for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmdline.includes(mark)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`)
    } catch {
      // gone
    }
  }
  return found
}

describe('a build that never returns', () => {
  const mark = marker('endless-build')
  let run: ActionRun

  beforeAll(async () => {
    expect(versions['3.12']).toBeDefined()
    const ws = workspace('./endless\n')
    const project = path.join(ws, 'endless')
    fs.mkdirSync(project)
    // An in-tree backend (no index needed) whose every hook hangs, with a
    // child of its own that hangs too.
    fs.writeFileSync(
      path.join(project, 'pyproject.toml'),
      '[build-system]\nrequires = []\nbuild-backend = "endless_backend"\nbackend-path = ["."]\n'
    )
    fs.writeFileSync(
      path.join(project, 'endless_backend.py'),
      [
        'import subprocess, time',
        '',
        'def _hang():',
        `    subprocess.Popen(["sleep", "3600", ${JSON.stringify(mark)}])`,
        '    while True:',
        '        time.sleep(60)',
        '',
        'def get_requires_for_build_wheel(config_settings=None):',
        '    _hang()',
        '',
        'def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):',
        '    _hang()',
        ''
      ].join('\n')
    )
    run = await runAction(
      {
        'layer-name': 'endless',
        runtimes: 'python3.12',
        publish: 'false',
        cache: 'false',
        installer: 'pip',
        'pip-args': '--no-index',
        'build-timeout': '10'
      },
      { workspace: ws, toolCache }
    )
  })

  it('fails the step, saying the build ran longer than build-timeout', () => {
    expect(run.exitCode).not.toBe(0)
    expect(run.log).toMatch(/::warning::.* ran longer than build-timeout \(10 s\) and was stopped/)
    expect(run.errors.length).toBeGreaterThan(0)
  })

  it('leaves no process it started running', () => {
    expect(processesWith(mark)).toEqual([])
  })

  it('publishes nothing and outputs no zip', () => {
    expect(run.outputs['zip-path']).toBeUndefined()
  })
})
