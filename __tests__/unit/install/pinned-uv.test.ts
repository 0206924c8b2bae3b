import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  fetchesDirectly,
  fetchWheel,
  keptExe,
  keptExeName,
  keptWheel,
  runnerMachine,
  UV_WHEELS
} from '../../../src/install/pinned-uv.js'
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

describe('keptExe', () => {
  const wheel = { ...UV_WHEELS.x86_64, exeSha256: sha256('the executable') }

  it('takes the kept executable when its SHA-256 is the pinned one', () => {
    const dir = fs.mkdtempSync(path.join(work, 'exe-'))
    expect(keptExeName(wheel)).toBe(`uv-${UV_VERSION}-x86_64`)
    expect(keptExeName(UV_WHEELS.aarch64)).toBe(`uv-${UV_VERSION}-aarch64`)
    fs.writeFileSync(path.join(dir, keptExeName(wheel)), 'the executable')
    expect(keptExe(dir, wheel)?.toString()).toBe('the executable')
  })

  it('ignores a forged executable of that name, and a missing one', () => {
    const dir = fs.mkdtempSync(path.join(work, 'exe-'))
    fs.writeFileSync(path.join(dir, keptExeName(wheel)), 'forged')
    expect(keptExe(dir, wheel)).toBeUndefined()
    expect(keptExe(path.join(dir, 'missing'), wheel)).toBeUndefined()
  })
})

describe('fetchesDirectly', () => {
  const none = new Map<string, string>()
  it('fetches from PyPI when nothing redirects the index', () => {
    expect(fetchesDirectly(none, {})).toBe(true)
    // A certificate bundle or extra indexes do not stop it: a failed fetch falls back to pip.
    expect(
      fetchesDirectly(
        new Map([
          ['cert', '/etc/ca.pem'],
          ['extra-index-url', 'x']
        ]),
        {}
      )
    ).toBe(true)
  })

  it.each([
    ['index-url in pip.conf', new Map([['index-url', 'https://mirror/simple']]), {}],
    ['no-index', new Map([['no-index', 'true']]), {}],
    ['a proxy in pip.conf', new Map([['proxy', 'http://proxy:3128']]), {}],
    ['a client certificate', new Map([['client-cert', '/c.pem']]), {}],
    ['PIP_INDEX_URL', none, { PIP_INDEX_URL: 'https://mirror/simple' }],
    ['PIP_PROXY', none, { PIP_PROXY: 'http://proxy:3128' }],
    ['HTTPS_PROXY', none, { HTTPS_PROXY: 'http://proxy:3128' }],
    ['https_proxy', none, { https_proxy: 'http://proxy:3128' }],
    ['ALL_PROXY', none, { ALL_PROXY: 'socks5://proxy:1080' }]
  ])('leaves the download to pip with %s', (_what, config, env) => {
    expect(fetchesDirectly(config, env)).toBe(false)
  })
})

describe('fetchWheel', () => {
  const body = Buffer.from('the wheel bytes')
  const served: string[] = []
  const server = http.createServer((request, response) => {
    served.push(request.url ?? '')
    if (request.url?.endsWith('/missing.whl')) {
      response.writeHead(404).end()
    } else {
      response.writeHead(200).end(body)
    }
  })
  let base = ''
  beforeAll(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/packages`
  })
  afterAll(async () => await new Promise(resolve => server.close(resolve)))

  it('returns the bytes when they have the pinned SHA-256', async () => {
    const got = await fetchWheel({ file: 'uv.whl', url: base, sha256: sha256('the wheel bytes') })
    expect(got?.equals(body)).toBe(true)
    expect(served).toContain('/packages/uv.whl')
  })

  it('returns nothing for other bytes, an HTTP error or no server, so pip is asked', async () => {
    expect(await fetchWheel({ file: 'uv.whl', url: base, sha256: sha256('other') })).toBeUndefined()
    expect(
      await fetchWheel({ file: 'missing.whl', url: base, sha256: sha256('the wheel bytes') })
    ).toBeUndefined()
    expect(
      await fetchWheel({ file: 'uv.whl', url: 'http://127.0.0.1:9/x', sha256: sha256('x') })
    ).toBeUndefined()
  })
})
