/**
 * strip: true through the bundled action on numpy: its extension modules
 * lose their symbol tables and still import (the smoke test runs on the
 * stripped files), the libraries auditwheel patched stay as they are, and a
 * rerun gives the same bytes.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { extract, sha256Base64, walk } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
const versions = makeToolCache(toolCache, ['3.11'])

/** The section names `readelf -S` lists for a file. */
function sections(file: string): string[] {
  const out = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' })
  return [...out.matchAll(/^\s*\[\s*\d+\]\s+(\S+)/gm)].map(m => m[1])
}

/** The shared objects of an unpacked layer, by path below it, with their sizes. */
function sharedObjects(dir: string): Map<string, number> {
  return new Map(
    walk(dir)
      .filter(f => /\.so(\.|$)/.test(path.basename(f)))
      .map(f => [path.relative(dir, f), fs.statSync(f).size])
  )
}

describe('strip: true on numpy==2.2.6 for python3.11', () => {
  const ws = workspace('numpy==2.2.6\n')
  const inputs = {
    'layer-name': 'stripped',
    runtimes: 'python3.11',
    publish: 'false',
    compile: 'false'
  }
  const generator = 'python/numpy/random/_generator.cpython-311-x86_64-linux-gnu.so'
  const openblas = /^python\/numpy\.libs\/libscipy_openblas64_-[0-9a-f]+\.so$/
  let plain: ActionRun
  let stripped: ActionRun
  let rerun: ActionRun
  let plainTree: string
  let strippedTree: string

  beforeAll(async () => {
    expect(versions['3.11']).toBeDefined()
    ;[plain, stripped] = await Promise.all([
      runAction({ ...inputs, strip: 'false' }, { workspace: ws, toolCache }),
      runAction({ ...inputs, strip: 'true' }, { workspace: ws, toolCache })
    ])
    rerun = await runAction({ ...inputs, strip: 'true' }, { workspace: ws, toolCache })
    if (plain.exitCode === 0) plainTree = extract(plain.outputs['zip-path'])
    if (stripped.exitCode === 0) strippedTree = extract(stripped.outputs['zip-path'])
  })

  it('succeeds, and the smoke test imports the stripped layer', () => {
    expect(stripped.errors).toEqual([])
    expect(stripped.exitCode).toBe(0)
    expect(stripped.log).toContain(
      'Every top-level module of the layer imports in a clean interpreter.'
    )
    expect(plain.exitCode).toBe(0)
  })

  it('strips the extension modules: smaller, no .symtab, the dynamic symbols kept', () => {
    const before = path.join(plainTree, generator)
    const after = path.join(strippedTree, generator)
    expect(fs.statSync(after).size).toBeLessThan(fs.statSync(before).size)
    expect(sections(before)).toContain('.symtab')
    expect(sections(after)).not.toContain('.symtab')
    expect(sections(after)).toContain('.dynsym')
    expect(Number(stripped.outputs['unzipped-size'])).toBeLessThan(
      Number(plain.outputs['unzipped-size'])
    )
  })

  it('leaves the libraries auditwheel patched byte for byte as they were', () => {
    const patched = [...sharedObjects(plainTree).keys()].filter(f => openblas.test(f))
    expect(patched.length).toBe(1)
    const [lib] = patched
    expect(sha256Base64(path.join(strippedTree, lib))).toBe(sha256Base64(path.join(plainTree, lib)))
  })

  it('no shared object grew, and the RECORD rows name the stripped bytes', () => {
    const before = sharedObjects(plainTree)
    for (const [file, size] of sharedObjects(strippedTree)) {
      expect([file, size <= (before.get(file) ?? -1)]).toEqual([file, true])
    }
    const record = fs.readFileSync(
      path.join(strippedTree, 'python/numpy-2.2.6.dist-info/RECORD'),
      'utf8'
    )
    const data = fs.readFileSync(path.join(strippedTree, generator))
    const digest = crypto.createHash('sha256').update(data).digest('base64url')
    expect(record).toContain(
      `numpy/random/_generator.cpython-311-x86_64-linux-gnu.so,sha256=${digest},${data.length}\n`
    )
  })

  it('says what it saved, in the log and the summary', () => {
    expect(stripped.log).toMatch(
      /strip \(GNU strip .*? --strip-unneeded\): \d+ of \d+ ELF files stripped, [\d.]+ [KM]iB → [\d.]+ [KM]iB \([\d.]+ [KM]iB saved, \d+%\)/
    )
    expect(stripped.summary).toMatch(
      /<td>Stripped<\/td><td>\d+ of \d+ ELF files, [\d.]+ [KM]iB → [\d.]+ [KM]iB \([\d.]+ [KM]iB saved\)/
    )
    expect(plain.log).not.toContain('--strip-unneeded')
  })

  it('a rerun gives the same bytes', () => {
    expect(rerun.exitCode).toBe(0)
    expect(rerun.outputs['code-sha256']).toBe(stripped.outputs['code-sha256'])
    expect(stripped.outputs['code-sha256']).not.toBe(plain.outputs['code-sha256'])
  })
})
