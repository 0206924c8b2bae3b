import { afterAll, describe, expect, it } from '@jest/globals'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { keptWheel, runnerMachine, UV_WHEELS } from '../../../src/install/pinned-uv.js'
import { UV_VERSION } from '../../../src/install/uv.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pinned-uv-unit-'))
afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex')

describe('UV_WHEELS', () => {
  it('pins one wheel of UV_VERSION per runner architecture, each with its URL on PyPI', () => {
    for (const [machine, wheel] of Object.entries(UV_WHEELS)) {
      expect(wheel.file.startsWith(`uv-${UV_VERSION}-py3-none-`)).toBe(true)
      expect(wheel.file.endsWith(`_${machine}.whl`)).toBe(true)
      expect(wheel.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(wheel.url).toMatch(/^https:\/\/files\.pythonhosted\.org\/packages\/[0-9a-f/]+$/)
    }
  })
})

describe('runnerMachine', () => {
  it('names the wheel machine of Linux x64 and arm64 runners, and none elsewhere', () => {
    expect(runnerMachine('linux', 'x64')).toBe('x86_64')
    expect(runnerMachine('linux', 'arm64')).toBe('aarch64')
    expect(runnerMachine('linux', 'ppc64')).toBeUndefined()
    expect(runnerMachine('darwin', 'arm64')).toBeUndefined()
    expect(runnerMachine('win32', 'x64')).toBeUndefined()
  })
})

describe('keptWheel', () => {
  const wheel = { ...UV_WHEELS.x86_64, sha256: sha256('the pinned bytes') }

  it('takes the pinned file when its SHA-256 is the pinned one', () => {
    const dir = fs.mkdtempSync(path.join(work, 'kept-'))
    fs.writeFileSync(path.join(dir, wheel.file), 'the pinned bytes')
    expect(keptWheel(dir, wheel)?.toString()).toBe('the pinned bytes')
  })

  it('ignores a forged file of that name, another file, and a missing folder', () => {
    const dir = fs.mkdtempSync(path.join(work, 'kept-'))
    fs.writeFileSync(path.join(dir, wheel.file), 'forged')
    fs.writeFileSync(path.join(dir, UV_WHEELS.aarch64.file), 'the pinned bytes')
    expect(keptWheel(dir, wheel)).toBeUndefined()
    expect(keptWheel(path.join(dir, 'missing'), wheel)).toBeUndefined()
  })
})
