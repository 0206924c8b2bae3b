/**
 * The `staging` input through the bundled dist/index.js: the layer is
 * staged in memory (a tmpfs) where the runner has room, with the same bytes
 * as on disk; a build that runs out of room there is staged again on disk;
 * nothing is left in memory after the step.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, type ActionRun, workspace } from '../helpers/action.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])
const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))

/** Pinned, with compiled code (charset-normalizer) and pure Python. */
const REQUESTS =
  'requests==2.32.5\ncertifi==2025.8.3\nidna==3.10\nurllib3==2.5.0\ncharset-normalizer==3.4.3\n'

async function build(
  requirements: string,
  inputs: Record<string, string>,
  env: Record<string, string>
): Promise<ActionRun> {
  return await runAction(
    { 'layer-name': 'staging', publish: 'false', runtimes: 'python3.12', ...inputs },
    { workspace: workspace(requirements), toolCache, runnerTemp, env }
  )
}

/** A folder of our own in /dev/shm, standing for the runner's tmpfs. */
let shm = ''
/** A 4 MiB tmpfs of its own: too small for numpy. */
let small = ''

beforeAll(() => {
  shm = fs.mkdtempSync('/dev/shm/staging-e2e-')
  small = fs.mkdtempSync(path.join(os.tmpdir(), 'small-tmpfs-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small], { stdio: 'pipe' })
  } catch (error) {
    throw new Error(
      `This test mounts a 4 MiB tmpfs, which needs root (as on the CI machine): ${(error as Error).message}`
    )
  }
})

afterAll(() => {
  fs.rmSync(shm, { recursive: true, force: true })
  try {
    execFileSync('umount', [small], { stdio: 'ignore' })
  } catch {
    // not mounted
  }
  fs.rmSync(small, { recursive: true, force: true })
})

describe('staging', () => {
  it('auto stages in memory where there is room, with the bytes of a build on disk, and leaves nothing there', async () => {
    const memory = await build(REQUESTS, {}, { LAMBDA_PYTHON_LAYER_TMPFS: shm })
    expect(memory.exitCode).toBe(0)
    expect(memory.log).toContain(`Staging: in memory, ${shm}/lambda-python-layer.`)
    // The installer itself wrote into the tmpfs.
    expect(memory.log).toMatch(
      new RegExp(`pip install --target ${shm}/lambda-python-layer\\.[^ ]+/layer/x86_64/python`)
    )
    expect(memory.summary).toContain('<td>Staging</td><td>memory (')
    expect(fs.readdirSync(shm)).toEqual([])

    const disk = await build(REQUESTS, { staging: 'disk' }, { LAMBDA_PYTHON_LAYER_TMPFS: shm })
    expect(disk.exitCode).toBe(0)
    expect(disk.log).toContain('Staging: on disk')
    expect(disk.log).toContain('(staging: disk)')
    expect(disk.outputs['code-sha256']).toBe(memory.outputs['code-sha256'])
    expect(fs.existsSync(disk.outputs['zip-path'])).toBe(true)
  }, 300_000)

  it('a build that runs out of room in memory is staged again on disk, and the layer is the same', async () => {
    const numpy = 'numpy==2.2.6\n'
    const tight = await build(numpy, { staging: 'memory' }, { LAMBDA_PYTHON_LAYER_TMPFS: small })
    expect(tight.exitCode).toBe(0)
    expect(tight.log).toContain(`Staging: in memory, ${small}/lambda-python-layer.`)
    // staging: memory asked for it: a warning, naming the way out.
    expect(tight.log).toMatch(
      /::warning::Staging in memory ran out of room \(.+\); the layer is staged again on disk, in .+\. Set `staging: disk`/
    )
    expect(tight.summary).toContain('disk (moved from memory: out of room)')
    expect(fs.readdirSync(small)).toEqual([])

    const disk = await build(numpy, { staging: 'disk' }, {})
    expect(disk.exitCode).toBe(0)
    expect(tight.outputs['code-sha256']).toBe(disk.outputs['code-sha256'])
  }, 300_000)

  it('auto stages on disk when the tmpfs is short, saying why', async () => {
    const run = await build('six==1.17.0\n', {}, { LAMBDA_PYTHON_LAYER_TMPFS: small })
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(
      /Staging: on disk, .+ \(staging: auto, and memory is short: .+ free in /
    )
    expect(fs.readdirSync(small)).toEqual([])
  }, 300_000)

  it('staging: memory without a tmpfs fails before anything is installed, naming the input', async () => {
    const notTmpfs = fs.mkdtempSync(path.join(os.tmpdir(), 'not-tmpfs-'))
    const run = await build(
      'six==1.17.0\n',
      { staging: 'memory' },
      { LAMBDA_PYTHON_LAYER_TMPFS: notTmpfs }
    )
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(`Input \`staging\` is "memory", but ${notTmpfs} is not a tmpfs`)
    expect(run.log).not.toMatch(/ pip install /)
    expect(run.log).not.toContain('Installer:')
  }, 120_000)
})
