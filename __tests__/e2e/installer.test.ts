/**
 * The `installer` input through the bundled dist/index.js: uv installs for
 * the Lambda target, with the machine's pip configuration carried over;
 * auto picks uv (from PATH, else its own, downloaded pinned by hash); pip takes over a target
 * uv cannot install, or where uv, below the runtime's glibc, chooses other
 * releases than at its next target above it.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import AdmZip from 'adm-zip'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { ROOT, runAction, type ActionRun, workspace } from '../helpers/action.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.11', '3.12'])
/** One RUNNER_TEMP for the file: the action installs its pinned uv there once. */
const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))

/** A folder with a `uv` executable, to put on PATH as astral-sh/setup-uv does. */
let uvBin = ''

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uv-on-path-'))
  execFileSync('python3', ['-m', 'pip', 'install', '-q', '--target', dir, 'uv==0.13.9'], {
    stdio: 'ignore'
  })
  uvBin = path.join(dir, 'bin')
})

async function build(
  requirements: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Promise<ActionRun> {
  return await runAction(
    { 'layer-name': 'installer', publish: 'false', runtimes: 'python3.12', ...inputs },
    { workspace: workspace(requirements), toolCache, runnerTemp, env }
  )
}

const withUvOnPath = (): Record<string, string> => ({
  PATH: `${uvBin}${path.delimiter}${process.env.PATH ?? ''}`
})

/**
 * A find-links folder where glibcpick 1.0 has a manylinux2014 wheel and 2.0
 * only a manylinux_2_24 one: 2.0 is right for python3.11 (glibc 2.26), beyond
 * manylinux_2_17, the highest target uv has below glibc 2.26.
 */
function glibcPickLinks(): string {
  const links = fs.mkdtempSync(path.join(os.tmpdir(), 'links-'))
  const files = { 'glibcpick/__init__.py': 'VERSION = 1\n' }
  makeWheel(links, {
    name: 'glibcpick',
    version: '1.0',
    tag: 'cp311-cp311-manylinux2014_x86_64',
    files
  })
  makeWheel(links, {
    name: 'glibcpick',
    version: '2.0',
    tag: 'cp311-cp311-manylinux_2_24_x86_64',
    files
  })
  return links
}

/** The lock file uv writes at the root of its --target folder, in either layout of a site. */
const UV_TARGET_LOCK = /^python\/(lib\/python3\.\d+\/site-packages\/)?\.lock$/

/** Each distribution's INSTALLER file in the zip, by dist-info folder. */
function installers(zipPath: string): Record<string, string> {
  const zip = new AdmZip(zipPath)
  return Object.fromEntries(
    zip
      .getEntries()
      .filter(e => e.entryName.endsWith('.dist-info/INSTALLER'))
      .map(e => [e.entryName.split('/')[1], e.getData().toString('utf8').trim()])
  )
}

describe('installer: uv', () => {
  it('installs for the Lambda platform with the pinned uv, and the layer carries no uv cache record', async () => {
    const run = await build('six==1.16.0\nidna==3.10\n', { installer: 'uv' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain('Installer: uv (installer: uv).')
    expect(run.log).toMatch(
      /uv 0\.13\.9, installed by the action installs python3\.12 \/ x86_64 \(Amazon Linux 2023, glibc 2\.34\) with --python-platform x86_64-manylinux_2_34/
    )
    expect(JSON.parse(run.outputs.packages)).toEqual(
      expect.arrayContaining(['idna==3.10', 'six==1.16.0'])
    )
    const files = entries(run.outputs['zip-path'])
    expect(files).toContain('python/six.py')
    expect(files.filter(f => f.endsWith('uv_cache.json'))).toEqual([])
    // uv's lock on its --target folder is not part of the layer.
    expect(files.filter(f => UV_TARGET_LOCK.test(f))).toEqual([])
    expect(files.filter(f => f.startsWith('python/bin/'))).toEqual([])
    expect(Object.values(installers(run.outputs['zip-path']))).toEqual(['uv', 'uv'])
    expect(run.summary).toMatch(/Installer<\/td><td>uv 0\.13\.9/)
  })

  it('gives the same bytes twice (reproducible like the pip path)', async () => {
    const a = await build('six==1.16.0\n', { installer: 'uv' })
    const b = await build('six==1.16.0\n', { installer: 'uv' })
    expect(a.outputs['code-sha256']).toBe(b.outputs['code-sha256'])
  })

  it('leaves to pip a target uv cannot install, so pip explains the failure', async () => {
    const run = await build('no-such-package-lpl==1.0\n', { installer: 'uv' })
    expect(run.exitCode).not.toBe(0)
    expect(run.log).toMatch(/::warning::uv could not install requirements\.txt/)
    expect(run.log).toMatch(/pip installs python3\.12 \/ x86_64 .* instead/)
    expect(run.errors.join('\n')).toMatch(/no-such-package-lpl/)
  })

  it('on glibc 2.26 runtimes, hands the target to pip when uv at manylinux_2_28 picks a newer release', async () => {
    const run = await build('glibcpick\n', {
      installer: 'uv',
      runtimes: 'python3.11',
      'pip-args': `--find-links ${glibcPickLinks()}`
    })
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(
      /uv has no manylinux target for glibc 2\.26; manylinux_2_17 is the highest it has below it/
    )
    expect(run.log).toMatch(
      /::warning::uv, limited to manylinux_2_17 wheels, chose other releases than uv at manylinux_2_28, .*: glibcpick 1\.0 \(manylinux_2_17\) \/ 2\.0 \(manylinux_2_28\); pip installs python3\.11 \/ x86_64 .* instead\./
    )
    expect(JSON.parse(run.outputs.packages)).toEqual(['glibcpick==2.0'])
    expect(Object.values(installers(run.outputs['zip-path']))).toEqual(['pip'])
    expect(run.summary).toMatch(/uv 0\.13\.9; pip for python3\.11 \/ x86_64/)
  })
})

describe('installer: auto', () => {
  it('takes uv from PATH for python3.12', async () => {
    const run = await build('six==1.16.0\n', {}, withUvOnPath())
    expect(run.errors).toEqual([])
    expect(run.log).toContain('Installer: uv (installer: auto, uv on PATH).')
    expect(run.log).toMatch(/uv 0\.13\.9 from PATH installs python3\.12/)
  })

  it("takes uv from PATH for python3.11 and keeps uv's install when manylinux_2_28 agrees", async () => {
    const run = await build('six==1.16.0\nidna==3.10\n', { runtimes: 'python3.11' }, withUvOnPath())
    expect(run.errors).toEqual([])
    expect(run.log).toContain(
      'Installer: uv (installer: auto, uv on PATH; python3.11: uv has no target for glibc 2.26, installs at manylinux_2_17 and checks its choice at manylinux_2_28; pip installs where the two differ).'
    )
    expect(run.log).toMatch(/uv 0\.13\.9 from PATH installs python3\.11 .*manylinux_2_17/)
    expect(run.log).toContain(
      "uv chooses the same 2 releases at manylinux_2_28: a resolution at the runtime's glibc 2.26 has nothing newer to pick, so uv's install stands."
    )
    expect(run.log).not.toMatch(/pip installs python3\.11/)
    expect(Object.values(installers(run.outputs['zip-path']))).toEqual(['uv', 'uv'])
    expect(run.summary).toMatch(/Installer<\/td><td>uv 0\.13\.9<\/td>/)
  })

  it('with uv on PATH for python3.11, leaves to pip, quietly, what uv at manylinux_2_28 picks differently', async () => {
    const run = await build(
      'glibcpick\n',
      { runtimes: 'python3.11', 'pip-args': `--find-links ${glibcPickLinks()}` },
      withUvOnPath()
    )
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(/Installer: uv \(installer: auto, uv on PATH; python3\.11:/)
    expect(run.log).toMatch(
      /glibcpick 1\.0 \(manylinux_2_17\) \/ 2\.0 \(manylinux_2_28\); pip installs python3\.11 \/ x86_64 .* instead\./
    )
    expect(run.log).not.toMatch(/::warning::uv, limited/)
    expect(JSON.parse(run.outputs.packages)).toEqual(['glibcpick==2.0'])
    expect(Object.values(installers(run.outputs['zip-path']))).toEqual(['pip'])
  })

  it('without uv on PATH, downloads its own uv once (pinned by hash; a forged executable in the tool cache is not used) and keeps it there unpacked', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
    makeToolCache(cache, ['3.12'])
    const kept = path.join(cache, 'lambda-python-layer-uv', '0.13.9', 'x86_64')
    fs.mkdirSync(kept, { recursive: true })
    const exeName = 'uv-0.13.9-x86_64'
    fs.writeFileSync(path.join(kept, exeName), '#!/bin/sh\necho forged\n', { mode: 0o755 })
    const once = async (): Promise<ActionRun> =>
      await runAction(
        { 'layer-name': 'installer', publish: 'false', runtimes: 'python3.12' },
        { workspace: workspace('six==1.16.0\n'), toolCache: cache }
      )
    const first = await once()
    expect(first.errors).toEqual([])
    expect(first.log).toContain(
      'Installer: uv (installer: auto, uv 0.13.9, installed by the action).'
    )
    // The index in effect is PyPI's and no proxy is set: fetched from its file URL, without pip.
    expect(first.log).toContain('Downloading uv 0.13.9 (pinned by hash) from PyPI')
    expect(first.log).not.toContain('with pip')
    expect(first.log).toMatch(/uv 0\.13\.9, installed by the action installs python3\.12/)
    expect(Object.values(installers(first.outputs['zip-path']))).toEqual(['uv'])
    // The forged file was replaced by the pinned executable.
    const exe = fs.readFileSync(path.join(kept, exeName))
    expect(crypto.createHash('sha256').update(exe).digest('hex')).toBe(
      'b73acdf73b96c3ac9e56d2fa933427b3ee6a901e3cce6ba1e3ecb3f91ca0d86a'
    )

    const second = await once()
    expect(second.errors).toEqual([])
    expect(second.log).not.toContain('Downloading uv')
    expect(second.outputs['code-sha256']).toBe(first.outputs['code-sha256'])
  })

  it("with a proxy set, downloads its own uv with pip, through the user's proxy", async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
    makeToolCache(cache, ['3.12'])
    // A CONNECT proxy on loopback that records where it was asked to go.
    const asked: string[] = []
    const proxy = http.createServer()
    proxy.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      asked.push(request.url ?? '')
      const [host, port] = (request.url ?? '').split(':')
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`
      const run = await runAction(
        { 'layer-name': 'installer', publish: 'false', runtimes: 'python3.12' },
        {
          workspace: workspace('six==1.16.0\n'),
          toolCache: cache,
          env: { HTTPS_PROXY: url, NO_PROXY: '127.0.0.1,localhost' }
        }
      )
      expect(run.errors).toEqual([])
      expect(run.log).toContain('Downloading uv 0.13.9 (pinned by hash) with pip from PyPI')
      expect(asked).toContain('files.pythonhosted.org:443')
      expect(Object.values(installers(run.outputs['zip-path']))).toEqual(['uv'])
    } finally {
      proxy.closeAllConnections()
      await new Promise(resolve => proxy.close(resolve))
    }
  })

  it('takes pip when its own uv cannot be downloaded (the index in effect does not serve it)', async () => {
    // A tool cache where no earlier test kept the action's uv.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
    makeToolCache(cache, ['3.12'])
    const run = await runAction(
      { 'layer-name': 'installer', publish: 'false', runtimes: 'python3.12' },
      {
        workspace: workspace('six==1.17.0\n'),
        toolCache: cache,
        env: { PIP_INDEX_URL: 'file:///opt/pypi/simple' }
      }
    )
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(
      /uv is not available: Downloading uv 0\.13\.9 failed:[\s\S]*The package index in effect must serve uv-0\.13\.9-py3-none-manylinux_2_17_x86_64\.manylinux2014_x86_64\.whl; pip installs python3\.12 \/ x86_64 .*instead\./
    )
    expect(run.log).not.toContain('::warning')
    expect(Object.values(installers(run.outputs['zip-path']))).toEqual(['pip'])
  })

  it('installs a uv project with uv, for python3.11 too (the lock fixes the versions)', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'uv-ws-'))
    fs.cpSync(path.join(ROOT, '__tests__', 'fixtures', 'uv-project'), path.join(ws, 'project'), {
      recursive: true
    })
    const run = await runAction(
      {
        'layer-name': 'installer',
        publish: 'false',
        runtimes: 'python3.11',
        requirements: 'project/uv.lock'
      },
      { workspace: ws, toolCache, runnerTemp }
    )
    expect(run.errors).toEqual([])
    expect(run.log).toContain('Installer: uv (installer: auto, a uv project).')
    expect(run.log).toMatch(/--python-platform x86_64-manylinux_2_17/)
    expect(Object.values(installers(run.outputs['zip-path'])).every(i => i === 'uv')).toBe(true)
    expect(entries(run.outputs['zip-path']).filter(f => UV_TARGET_LOCK.test(f))).toEqual([])
  })
})
