/**
 * The bundled action builds layers for the Lambda target, not for this
 * machine: real pip, real interpreters, publish: false (no AWS at all).
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import {
  elfMachine,
  entries,
  extract,
  glibcNeeded,
  sha256Base64,
  walk,
  wheelTags
} from '../helpers/layer.js'
import { makeSdist } from '../helpers/wheel.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
const versions = makeToolCache(toolCache, ['3.11', '3.12'])

function sharedObjects(dir: string): string[] {
  return walk(dir).filter(f => /\.so(\.|$)/.test(path.basename(f)))
}

describe('python3.11 / x86_64: requests and numpy', () => {
  // numpy >= 2.3 ships only manylinux_2_28 wheels: the target ladder must pick 2.2.x.
  const ws = workspace('requests==2.32.3\nnumpy>=2.2,<2.4\n')
  const inputs = {
    'layer-name': 'deps',
    runtimes: 'python3.11',
    architectures: 'x86_64',
    publish: 'false'
  }
  let first: ActionRun
  let second: ActionRun
  let tree: string

  beforeAll(async () => {
    expect(versions['3.11']).toBeDefined()
    first = await runAction(inputs, { workspace: ws, toolCache })
    second = await runAction(inputs, { workspace: ws, toolCache })
    if (first.exitCode === 0) tree = extract(first.outputs['zip-path'])
  })

  it('succeeds and reports the zip', () => {
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(fs.existsSync(first.outputs['zip-path'])).toBe(true)
    expect(Number(first.outputs['code-size'])).toBe(fs.statSync(first.outputs['zip-path']).size)
    expect(first.outputs['code-sha256']).toBe(sha256Base64(first.outputs['zip-path']))
    expect(first.outputs['cache-hit']).toBe('false')
    expect(first.outputs.published).toBe('false')
  })

  it('puts everything under python/', () => {
    const names = entries(first.outputs['zip-path'])
    expect(names.length).toBeGreaterThan(100)
    expect(names.filter(n => !n.startsWith('python/'))).toEqual([])
    expect(names).toContain('python/requests/__init__.py')
    expect(names.some(n => n.startsWith('python/bin/'))).toBe(false)
    expect(names.some(n => /^python\/numpy-[^/]+\.dist-info\/RECORD$/.test(n))).toBe(true)
  })

  it('resolves numpy to a build for glibc 2.26 or older', () => {
    const packages = JSON.parse(first.outputs.packages) as string[]
    const numpy = packages.find(p => p.startsWith('numpy=='))
    expect(numpy).toMatch(/^numpy==2\.2\./)
    expect(packages).toContain('requests==2.32.3')
    const distInfo = fs
      .readdirSync(path.join(tree, 'python'))
      .find(d => /^numpy-.*\.dist-info$/.test(d))
    const tags = wheelTags(path.join(tree, 'python', distInfo ?? 'missing'))
    expect(tags.length).toBeGreaterThan(0)
    for (const tag of tags) {
      const m = /manylinux_2_(\d+)_/.exec(tag)
      if (m) expect(Number(m[1])).toBeLessThanOrEqual(26)
      expect(tag).toMatch(/^cp311-cp311-manylinux/)
    }
  })

  it('holds only x86-64 shared objects that need glibc 2.26 at most', () => {
    const objects = sharedObjects(tree)
    expect(objects.length).toBeGreaterThan(5)
    for (const so of objects) {
      expect([path.relative(tree, so), elfMachine(so)]).toEqual([
        path.relative(tree, so),
        'Advanced Micro Devices X86-64'
      ])
      expect(glibcNeeded(so)).toBeLessThanOrEqual(26)
    }
  })

  it('carries on without a cache service, saying so once', () => {
    expect(first.log.match(/No GitHub Actions cache service/g)).toHaveLength(1)
    expect(first.summary).toMatch(/Cache<\/td><td>unavailable/)
  })

  it('writes a job summary with sizes, packages and phase times', () => {
    expect(first.summary).toContain(first.outputs['code-sha256'])
    expect(first.summary).toContain('numpy==2.2.')
    expect(first.summary).toMatch(/<td>Install \((pip|uv)\)<\/td><td>\d+\.\d<\/td>/)
    expect(first.summary).toMatch(/<td>Zip<\/td>/)
  })

  it('gives the same bytes when built twice', () => {
    expect(second.exitCode).toBe(0)
    expect(second.outputs['zip-path']).not.toBe(first.outputs['zip-path'])
    expect(second.outputs['code-sha256']).toBe(first.outputs['code-sha256'])
  })
})

describe('python3.12 / arm64: numpy', () => {
  const ws = workspace('numpy==2.2.6\n')
  let result: ActionRun
  let tree: string

  beforeAll(async () => {
    expect(versions['3.12']).toBeDefined()
    result = await runAction(
      {
        'layer-name': 'numpy-arm',
        runtimes: 'python3.12',
        architectures: 'arm64',
        publish: 'false'
      },
      { workspace: ws, toolCache }
    )
    if (result.exitCode === 0) tree = extract(result.outputs['zip-path'])
  })

  it('succeeds', () => {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })

  it('holds only aarch64 shared objects', () => {
    const objects = sharedObjects(tree)
    expect(objects.length).toBeGreaterThan(5)
    const machines = new Set(objects.map(elfMachine))
    expect([...machines]).toEqual(['AArch64'])
  })

  it('holds extension modules for CPython 3.12 only', () => {
    const suffixes = new Set(
      sharedObjects(tree)
        .map(f => /\.(cpython-[^.]+)\.so$/.exec(path.basename(f))?.[1])
        .filter(Boolean)
    )
    expect([...suffixes]).toEqual(['cpython-312-aarch64-linux-gnu'])
  })
})

describe('several runtimes and architectures', () => {
  it('gives each Python version its own site-packages', async () => {
    const result = await runAction(
      { 'layer-name': 'multi', runtimes: 'python3.12, python3.11', publish: 'false' },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(result.errors).toEqual([])
    const names = entries(result.outputs['zip-path'])
    expect(names).toContain('python/lib/python3.11/site-packages/six.py')
    expect(names).toContain('python/lib/python3.12/site-packages/six.py')
    expect(names.filter(n => !n.startsWith('python/lib/python3.1'))).toEqual([
      'python/',
      'python/lib/'
    ])
  })

  it('builds one layer for both architectures when nothing is compiled', async () => {
    const result = await runAction(
      {
        'layer-name': 'pure',
        runtimes: 'python3.12',
        architectures: 'x86_64,arm64',
        publish: 'false'
      },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })

  it('refuses both architectures for compiled code and shows the matrix', async () => {
    const result = await runAction(
      {
        'layer-name': 'np',
        runtimes: 'python3.12',
        architectures: 'x86_64 arm64',
        publish: 'false'
      },
      { workspace: workspace('numpy==2.2.6\n'), toolCache }
    )
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(
      /`architectures` lists x86_64 and arm64, but the layer holds code compiled for one architecture only: .*numpy \(\d+ files\)/
    )
    expect(error).toContain('numpy')
    expect(error).toContain('matrix')
    expect(error).toContain('runtimes: python3.12')
  })
})

describe('interpreter discovery', () => {
  it('names the missing Python and shows the setup-python step', async () => {
    const result = await runAction(
      { 'layer-name': 'nopy', runtimes: 'python3.14', publish: 'false' },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toContain('No Python 3.14 interpreter found')
    expect(error).toContain('uses: actions/setup-python@v6')
    expect(error).toContain("python-version: '3.14'")
  })
})

describe('packages published only as source distributions', () => {
  /** Builds srconly==1.0 (and six) from a local source distribution, pure or compiled. */
  async function buildSdist(compiled: boolean, inputs: Record<string, string> = {}) {
    const ws = workspace(`srconly==1.0\nsix==1.16.0\n`)
    makeSdist(path.join(ws, 'dists'), { name: 'srconly', version: '1.0', compiled })
    return await runAction(
      {
        'layer-name': compiled ? 'sdist-c' : 'sdist',
        runtimes: 'python3.12',
        publish: 'false',
        'pip-args': `--find-links ${path.join(ws, 'dists')}`,
        ...inputs
      },
      { workspace: ws, toolCache }
    )
  }

  it('builds a pure-Python one with the runtime interpreter and includes it', async () => {
    const result = await buildSdist(false)
    expect(result.errors).toEqual([])
    expect(JSON.parse(result.outputs.packages)).toContain('srconly==1.0')
    expect(entries(result.outputs['zip-path'])).toContain('python/srconly/__init__.py')
  })

  it('with build-from-source: pure, refuses one that needs a compiler, before compiling', async () => {
    const result = await buildSdist(true, { 'build-from-source': 'pure' })
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(/srconly==1\.0 has no wheel for python3\.12 \/ x86_64/)
    expect(error).toMatch(/its source distribution needs a compiler\. `build-from-source: pure`/)
  })

  it('by default (auto), compiles it on the runner and repairs it with auditwheel', async () => {
    const result = await buildSdist(true)
    expect(result.errors).toEqual([])
    expect(JSON.parse(result.outputs.packages)).toContain('srconly==1.0')
    expect(result.summary).toMatch(/srconly==1\.0 \(built from source on the runner \(auditwheel/)
  })

  it('builds one found only through a --find-links line of the requirements file, relative to that file', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'))
    const deps = path.join(ws, 'deps')
    fs.mkdirSync(deps)
    fs.writeFileSync(
      path.join(deps, 'requirements.txt'),
      '--find-links ./dists\nreqlinksonly==1.0\n'
    )
    makeSdist(path.join(deps, 'dists'), { name: 'reqlinksonly', version: '1.0', compiled: false })
    const result = await runAction(
      {
        'layer-name': 'sdist-req-links',
        runtimes: 'python3.12',
        publish: 'false',
        requirements: 'deps/requirements.txt'
      },
      { workspace: ws, toolCache }
    )
    expect(result.errors).toEqual([])
    expect(JSON.parse(result.outputs.packages)).toEqual(['reqlinksonly==1.0'])
    expect(entries(result.outputs['zip-path'])).toContain('python/reqlinksonly/__init__.py')
    expect(result.summary).toMatch(
      /reqlinksonly==1\.0 \(pure Python, built from its source distribution\)/
    )
  })
})

describe('secrets', () => {
  it('masks index credentials from pip-args before pip echoes its command line', async () => {
    const result = await runAction(
      {
        'layer-name': 'masked',
        runtimes: 'python3.12',
        publish: 'false',
        'pip-args': '--retries 0 --extra-index-url https://builder:pa55word-xyz@127.0.0.1:9/simple'
      },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(result.exitCode).toBe(0)
    const lines = result.log.split('\n')
    const mask = lines.indexOf('::add-mask::pa55word-xyz')
    const firstUse = lines.findIndex(
      l => l.includes('pa55word-xyz') && !l.startsWith('::add-mask::')
    )
    expect(mask).toBeGreaterThanOrEqual(0)
    expect(firstUse).toBeGreaterThan(mask)
  })
})

describe('a compiled package whose wheels need a newer glibc', () => {
  it('fails at once, without compiling it from source on the runner', async () => {
    // numpy 2.3 ships manylinux_2_28 wheels only (and an sdist): none fits python3.11's glibc 2.26.
    const result = await runAction(
      { 'layer-name': 'np23', runtimes: 'python3.11', publish: 'false' },
      { workspace: workspace('numpy==2.3.0\n'), toolCache }
    )
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(
      /numpy==2\.3\.0 has no wheel for python3\.11 \/ x86_64 \(Amazon Linux 2, glibc 2\.26\)/
    )
    expect(error).toMatch(/ships compiled wheels/)
    expect(error).toContain('The newest release that has one is numpy 2.2.6: pin numpy==2.2.6')
    // A from-source build would have run `pip wheel` and printed its steps.
    expect(result.log).not.toMatch(/-m pip wheel|Building wheel/)
  })
})

describe('requirements pip cannot satisfy', () => {
  it('a pinned version that does not exist is named as such', async () => {
    const result = await runAction(
      { 'layer-name': 'nover', runtimes: 'python3.12', publish: 'false' },
      { workspace: workspace('six==99.0\n'), toolCache }
    )
    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toMatch(
      /Package six has no version 99\.0 on the package index \(newest: 1\.\d+/
    )
    expect(result.log).not.toMatch(/trying its source distribution/)
  })

  it("a conflict shows pip's explanation, not its download progress", async () => {
    const result = await runAction(
      { 'layer-name': 'conflict', runtimes: 'python3.12', publish: 'false' },
      { workspace: workspace('requests==2.32.3\nurllib3==1.20\n'), toolCache }
    )
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(/the requirements conflict with each other/)
    expect(error).toMatch(/The conflict is caused by/)
    expect(error).not.toMatch(/Collecting|Downloading|━/)
  })
})

describe('an empty requirements file', () => {
  it('warns that the layer is empty when only building', async () => {
    const result = await runAction(
      { 'layer-name': 'empty', runtimes: 'python3.12', publish: 'false' },
      { workspace: workspace('# nothing yet\n'), toolCache }
    )
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(
      /::warning::requirements\.txt installs no packages, so the layer would be empty/
    )
  })
})

describe('reproducible across Node.js versions', () => {
  // The runner uses Node 24; with ACTION_NODE set to another Node than Jest's
  // (as .ci/run does), build with both: zlib differences would change the bytes.
  const other = process.env.ACTION_NODE
  const run = other && other !== process.execPath ? it : it.skip
  run(`gives the same zip under ${process.version} and ACTION_NODE`, async () => {
    const ws = workspace('numpy==2.2.6\nrequests==2.32.3\n')
    const inputs = { 'layer-name': 'nodes', runtimes: 'python3.12', publish: 'false' }
    const withOther = await runAction(inputs, { workspace: ws, toolCache })
    const withJestNode = await runAction(inputs, {
      workspace: ws,
      toolCache,
      env: { ACTION_NODE: process.execPath }
    })
    expect(withOther.exitCode).toBe(0)
    expect(withJestNode.exitCode).toBe(0)
    expect(withOther.outputs['code-sha256']).toBe(withJestNode.outputs['code-sha256'])
  })
})
