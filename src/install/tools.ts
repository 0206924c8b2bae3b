/**
 * Tools the action runs but does not ship (auditwheel, uv): installed on
 * demand into the runner's temp folder with pip, pinned by version and hash,
 * never into the user's environment; once per run and folder.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { Once } from '../util/once.js'
import { run } from '../util/process.js'
import { runnerTemp } from '../util/runner-temp.js'
import type { InstallerEnv } from './installer-env.js'

/** Per folder: each tool is installed once per run. */
const installing = new Once<string, string>()

/**
 * Installs `pins` (requirement lines with --hash) into
 * RUNNER_TEMP/lambda-python-layer-tools/<folder> with `python`; returns the
 * folder (its bin/ holds the tools' executables). pip's configuration
 * (index, proxy, certificates) applies; constraint files do not, since the
 * pins are exact.
 */
export async function installPinned(
  python: string,
  folder: string,
  label: string,
  pins: readonly string[],
  env: InstallerEnv
): Promise<string> {
  const base = runnerTemp('lambda-python-layer-tools')
  const dir = path.join(base, folder)
  return await installing.get(dir, async () => {
    if (fs.existsSync(path.join(dir, '.complete'))) return dir
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const pinsFile = path.join(base, `${folder}.txt`)
    fs.writeFileSync(pinsFile, `${pins.join('\n')}\n`)
    core.info(`Installing ${label} (pinned by hash) into ${dir}`)
    const result = await run(
      python,
      [
        '-m',
        'pip',
        'install',
        '--target',
        dir,
        '--no-deps',
        '--only-binary=:all:',
        '--require-hashes',
        '-r',
        pinsFile
      ],
      {
        env: env.tools(),
        silent: true,
        timeoutMs: 300_000,
        confine: { profile: 'install', writable: [dir], readable: [pinsFile] }
      }
    )
    if (result.exitCode !== 0) {
      throw new ActionError(
        `Installing ${label} failed:\n${(result.stderr || result.stdout).trim().split('\n').slice(-8).join('\n')}\nThe package index in effect must serve it.`
      )
    }
    fs.writeFileSync(path.join(dir, '.complete'), '')
    return dir
  })
}
