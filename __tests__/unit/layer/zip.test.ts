import { describe, expect, it } from '@jest/globals'
import AdmZip from 'adm-zip'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { walkLayer } from '../../../src/layer/scan.js'
import { hexSha256, zipDirectory } from '../../../src/layer/zip.js'

/** A layer tree with files, an executable, an empty file and an empty folder. */
function tree(mtime: Date, order: 'forward' | 'reverse' = 'forward'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ziptree-'))
  const files: Array<[string, string, number]> = [
    ['python/pkg/__init__.py', 'x = 1\n', 0o664],
    ['python/pkg/Zeta.py', 'z = 1\n', 0o600],
    ['python/pkg/alpha.py', 'a = 1\n', 0o644],
    ['python/pkg/tool', '#!/bin/sh\n', 0o775],
    ['python/pkg/empty.txt', '', 0o644],
    ['python/pkg-1.0.dist-info/RECORD', 'pkg/__init__.py,,\n', 0o644],
    ['python/é-unicode.py', 'u = 1\n', 0o644]
  ]
  for (const [rel, content, mode] of order === 'forward' ? files : [...files].reverse()) {
    const file = path.join(root, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, content)
    fs.chmodSync(file, mode)
    fs.utimesSync(file, mtime, mtime)
  }
  fs.mkdirSync(path.join(root, 'python', 'empty-dir'))
  return root
}

async function zipOf(root: string): Promise<{ bytes: Buffer; sha256: string }> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zipout-')), 'layer.zip')
  const result = await zipDirectory(root, out)
  return { bytes: fs.readFileSync(out), sha256: result.sha256 }
}

describe('zipDirectory', () => {
  it('gives identical bytes for the same tree written at other times, in another order', async () => {
    const a = await zipOf(tree(new Date('2020-05-01T10:00:00Z')))
    const b = await zipOf(tree(new Date('2025-11-11T23:59:59Z'), 'reverse'))
    expect(b.sha256).toBe(a.sha256)
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0)
  })

  it('reports the base64 SHA-256 of the bytes, as Lambda does', async () => {
    const { bytes, sha256 } = await zipOf(tree(new Date()))
    expect(sha256).toBe(crypto.createHash('sha256').update(bytes).digest('base64'))
  })

  it('sorts entries byte-wise, folders included, not by locale', async () => {
    const names = new AdmZip((await zipOf(tree(new Date()))).bytes)
      .getEntries()
      .map(e => e.entryName)
    expect(names).toEqual([
      'python/',
      'python/empty-dir/',
      'python/pkg-1.0.dist-info/',
      'python/pkg-1.0.dist-info/RECORD',
      'python/pkg/',
      'python/pkg/Zeta.py',
      'python/pkg/__init__.py',
      'python/pkg/alpha.py',
      'python/pkg/empty.txt',
      'python/pkg/tool',
      'python/é-unicode.py'
    ])
  })

  it('stamps every entry 1980-01-01 00:00 and marks it made on Unix', async () => {
    const entries = new AdmZip((await zipOf(tree(new Date()))).bytes).getEntries()
    for (const entry of entries) {
      const t = entry.header.time
      expect([t.getFullYear(), t.getMonth(), t.getDate(), t.getHours(), t.getMinutes()]).toEqual([
        1980, 0, 1, 0, 0
      ])
      expect(entry.header.made >> 8).toBe(3)
    }
  })

  it('normalizes permissions: files 0644, executables and folders 0755', async () => {
    const entries = new AdmZip((await zipOf(tree(new Date()))).bytes).getEntries()
    const mode = (name: string): string =>
      (((entries.find(e => e.entryName === name)?.attr ?? 0) >>> 16) & 0o7777).toString(8)
    expect(mode('python/pkg/Zeta.py')).toBe('644')
    expect(mode('python/pkg/__init__.py')).toBe('644')
    expect(mode('python/pkg/tool')).toBe('755')
    expect(mode('python/pkg/')).toBe('755')
    expect(mode('python/empty-dir/')).toBe('755')
  })

  it('keeps content, including empty files, and counts sizes', async () => {
    const root = tree(new Date())
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zipout-')), 'layer.zip')
    const result = await zipDirectory(root, out)
    const zip = new AdmZip(out)
    expect(zip.readAsText('python/pkg/alpha.py')).toBe('a = 1\n')
    expect(zip.getEntry('python/pkg/empty.txt')?.getData().length).toBe(0)
    expect(result.files).toBe(7)
    expect(result.unzippedBytes).toBe(6 + 6 + 6 + 10 + 0 + 18 + 6)
    expect(result.bytes).toBe(fs.statSync(out).size)
  })
})

describe('walkLayer', () => {
  it('follows a symlinked file and skips a folder link that loops', () => {
    const root = tree(new Date())
    fs.symlinkSync(
      path.join(root, 'python', 'pkg', 'alpha.py'),
      path.join(root, 'python', 'link.py')
    )
    fs.symlinkSync(path.join(root, 'python'), path.join(root, 'python', 'pkg', 'loop'))
    const names = walkLayer(root).entries.map(e => e.name)
    expect(names).toContain('python/link.py')
    expect(names.some(n => n.includes('loop'))).toBe(false)
  })
})

describe('hexSha256', () => {
  it('turns a CodeSha256 (base64) into the hex digest sha256sum prints', () => {
    const bytes = Buffer.from('layer bytes')
    const base64 = crypto.createHash('sha256').update(bytes).digest('base64')
    expect(hexSha256(base64)).toBe(crypto.createHash('sha256').update(bytes).digest('hex'))
  })
})
