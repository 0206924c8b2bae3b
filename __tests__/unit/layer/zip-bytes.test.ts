/**
 * The bytes zipLayer writes: pinned for a fixed tree, equal to adm-zip's on
 * generated trees (the CodeSha256 of an unchanged layer must not move), and
 * readable by other unzip tools.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import AdmZip from 'adm-zip'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { type LayerEntry, type LayerTree, walkLayer } from '../../../src/layer/scan.js'
import { crc32Table, entryName, zipDirectory, zipLayer } from '../../../src/layer/zip.js'
import { admZipLayer } from '../../helpers/adm-zip-reference.js'
import { SeededRandom, writeFixedTree, writeGeneratedTree } from '../../helpers/zip-trees.js'

/**
 * The CodeSha256 adm-zip 0.6 gave the fixed tree, with the zlib of Node 20.20
 * and of Node 24.21 alike (x86-64). A change here means every unchanged
 * layer would get a new CodeSha256 and be published again.
 */
const FIXED_TREE_SHA256 = '306W+W4rfMaQCU+RIB1jfJSle/dKrCuBeDjigndOt90='

const temps: string[] = []

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  temps.push(dir)
  return dir
}

function fixedTree(): string {
  const root = tempDir('zip-fixed-')
  writeFixedTree(root)
  return root
}

function outFile(): string {
  return path.join(tempDir('zip-out-'), 'layer.zip')
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('base64')
}

/** A folder entry that is never read: a tree can hold many without files on disk. */
function folder(name: string): LayerEntry {
  return {
    rel: name,
    name: `${name}/`,
    abs: '/nonexistent',
    directory: true,
    size: 0,
    executable: false
  }
}

/** `zipinfo` lines: name → permission string such as "-rw-r--r--". */
function zipinfoModes(zipFile: string): Map<string, string> {
  const out = execFileSync('zipinfo', [zipFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const modes = new Map<string, string>()
  for (const line of out.split('\n')) {
    const match = /^([-dl][-rwxsStT]{9})\s+\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(
      line
    )
    if (match) modes.set(match[2], match[1])
  }
  return modes
}

/** What the code under test logged (core.info writes to stdout). */
let logged: string[] = []

beforeEach(() => {
  logged = []
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    logged.push(String(chunk))
    return true
  })
})

afterEach(() => {
  jest.restoreAllMocks()
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe('zipLayer bytes', () => {
  it('gives the fixed tree its pinned CodeSha256', async () => {
    const out = outFile()
    const result = await zipDirectory(fixedTree(), out)
    expect(result.sha256).toBe(FIXED_TREE_SHA256)
    expect(sha256(fs.readFileSync(out))).toBe(FIXED_TREE_SHA256)
    expect(result).toEqual({
      path: out,
      bytes: 752185,
      sha256: FIXED_TREE_SHA256,
      unzippedBytes: 2604748,
      files: 15
    })
  })

  it('writes the bytes adm-zip wrote for a larger generated tree', async () => {
    const root = tempDir('zip-generated-')
    const written = writeGeneratedTree(root, { bytes: 24 * 1024 * 1024, seed: 7 })
    // A name with a backslash, and a file next to it that sorts after it.
    fs.writeFileSync(path.join(root, 'python', 'back\\slash.txt'), 'b\n')
    fs.writeFileSync(path.join(root, 'python', 'back_after.txt'), 'a\n')
    const tree = walkLayer(root)
    const out = outFile()
    const result = await zipLayer(tree, out)
    const bytes = fs.readFileSync(out)
    const reference = await admZipLayer(tree)
    expect(bytes.length).toBe(reference.length)
    expect(sha256(bytes)).toBe(sha256(reference))
    expect(Buffer.compare(bytes, reference)).toBe(0)
    expect(result.bytes).toBe(bytes.length)
    expect(result.sha256).toBe(sha256(bytes))
    expect(result.unzippedBytes).toBe(written + 4)
    expect(result.files).toBe(tree.entries.filter(e => !e.directory).length)
  })

  it('writes the same bytes when a small window makes entries wait for their turn', async () => {
    const root = tempDir('zip-window-')
    writeGeneratedTree(root, { bytes: 8 * 1024 * 1024, seed: 11 })
    const tree = walkLayer(root)
    const wide = await zipLayer(tree, outFile())
    const narrow = await zipLayer(tree, outFile(), {
      jobs: 3,
      windowBytes: 256 * 1024,
      windowEntries: 5
    })
    const oneByOne = await zipLayer(tree, outFile(), { jobs: 1, windowBytes: 1, windowEntries: 1 })
    expect([narrow.sha256, oneByOne.sha256]).toEqual([wide.sha256, wide.sha256])
    expect(wide.sha256).toBe(sha256(await admZipLayer(tree)))
  })

  it('writes the bytes adm-zip wrote for an empty tree (an end record alone)', async () => {
    const tree: LayerTree = { root: '/', entries: [], escapes: [], loops: [] }
    const out = outFile()
    const result = await zipLayer(tree, out)
    expect(fs.readFileSync(out)).toEqual(await admZipLayer(tree))
    expect(result).toMatchObject({ bytes: 22, unzippedBytes: 0, files: 0 })
  })

  it('writes a zip64 end record past 65,535 entries, as adm-zip did, and logs progress', async () => {
    const root = tempDir('zip-many-')
    fs.mkdirSync(path.join(root, 'python'))
    const entries: LayerEntry[] = []
    for (let i = 0; i < 70_000; i++) {
      entries.push(folder(`python/d${String(i).padStart(5, '0')}`))
      if (i % 10_000 === 0) {
        const rel = `python/f${i}.py`
        fs.writeFileSync(path.join(root, rel), `x = ${i}\n`)
        entries.push({
          rel,
          name: rel,
          abs: path.join(root, rel),
          directory: false,
          size: 0,
          executable: false
        })
      }
    }
    const tree: LayerTree = { root, entries, escapes: [], loops: [] }
    const out = outFile()
    const result = await zipLayer(tree, out)

    const bytes = fs.readFileSync(out)
    expect(Buffer.compare(bytes, await admZipLayer(tree, { sync: true }))).toBe(0)
    // zip64 end record, its locator, then the classic record with 0xFFFF counts.
    const tail = bytes.subarray(bytes.length - 98)
    expect(tail.readUInt32LE(0)).toBe(0x06064b50)
    expect(tail.readBigUInt64LE(32)).toBe(70_007n)
    expect(tail.readUInt32LE(56)).toBe(0x07064b50)
    expect(tail.readUInt32LE(76)).toBe(0x06054b50)
    expect(tail.readUInt16LE(86)).toBe(0xffff)
    expect(execFileSync('zipinfo', ['-t', out], { encoding: 'utf8' })).toMatch(/^70007 files/)
    expect(execFileSync('unzip', ['-tq', out], { encoding: 'utf8' })).toMatch(/No errors detected/)
    expect(result.files).toBe(7)

    const lines = logged.filter(line => line.startsWith('Compressing: '))
    expect(lines).toHaveLength(10)
    expect(lines[9].trim()).toBe('Compressing: 70007/70007 (100%)')
  })

  it('zips thousands of folders and empty files in a row', async () => {
    const root = tempDir('zip-stored-')
    const empty = path.join(root, 'empty.py')
    fs.writeFileSync(empty, '')
    const entries: LayerEntry[] = []
    for (let i = 0; i < 6000; i++) {
      entries.push(folder(`python/d${String(i).padStart(4, '0')}`))
      const rel = `python/d${String(i).padStart(4, '0')}/__init__.py`
      entries.push({ rel, name: rel, abs: empty, directory: false, size: 0, executable: false })
    }
    const tree: LayerTree = { root, entries, escapes: [], loops: [] }
    const out = outFile()
    await zipLayer(tree, out)
    expect(Buffer.compare(fs.readFileSync(out), await admZipLayer(tree, { sync: true }))).toBe(0)
    expect(execFileSync('unzip', ['-tq', out], { encoding: 'utf8' })).toMatch(/No errors detected/)
  })
})

describe('zipLayer archive', () => {
  it('opens with unzip -t and adm-zip, with every file intact', async () => {
    const root = fixedTree()
    const out = outFile()
    await zipDirectory(root, out)
    expect(execFileSync('unzip', ['-t', out], { encoding: 'utf8' })).toMatch(
      /No errors detected in compressed data/
    )
    const zip = new AdmZip(out)
    const tree = walkLayer(root)
    expect(zip.getEntries().map(e => e.entryName)).toEqual(tree.entries.map(e => e.name))
    for (const entry of tree.entries.filter(e => !e.directory)) {
      const data = zip.getEntry(entry.name)?.getData()
      expect({ name: entry.name, same: data?.equals(fs.readFileSync(entry.abs)) }).toEqual({
        name: entry.name,
        same: true
      })
    }
  })

  it('gives files 0644, executables and folders 0755, as zipinfo reads them', async () => {
    const out = outFile()
    await zipDirectory(fixedTree(), out)
    const modes = zipinfoModes(out)
    expect(modes.get('python/pkg/core.py')).toBe('-rw-r--r--') // 0664 on disk
    expect(modes.get('python/pkg/random.bin')).toBe('-rw-r--r--')
    expect(modes.get('python/pkg/__init__.py')).toBe('-rw-r--r--')
    expect(modes.get('python/bin/tool')).toBe('-rwxr-xr-x') // 0700 on disk
    expect(modes.get('python/pkg/_native.so')).toBe('-rwxr-xr-x')
    expect(modes.get('python/empty-dir/')).toBe('drwxr-xr-x')
    expect(modes.get('python/日本語/')).toBe('drwxr-xr-x')
    const attrs = new AdmZip(out).getEntries().map(e => [e.entryName, (e.attr >>> 16).toString(8)])
    expect(attrs).toContainEqual(['python/bin/tool', '100755'])
    expect(attrs).toContainEqual(['python/pkg/small.py', '100644'])
    expect(attrs).toContainEqual(['python/pkg/deep/a/', '40755'])
  })

  it('deletes the unfinished zip and names the file when one cannot be read', async () => {
    const root = fixedTree()
    const tree = walkLayer(root)
    fs.rmSync(path.join(root, 'python', 'pkg', 'large.txt'))
    const out = outFile()
    await expect(zipLayer(tree, out)).rejects.toThrow(/large\.txt/)
    expect(fs.existsSync(out)).toBe(false)
  })

  it('refuses two paths that would be stored under one name', async () => {
    const root = tempDir('zip-clash-')
    fs.mkdirSync(path.join(root, 'python', 'a'), { recursive: true })
    fs.writeFileSync(path.join(root, 'python', 'a', 'b'), '1')
    fs.writeFileSync(path.join(root, 'python', 'a\\b'), '2')
    const out = outFile()
    await expect(zipDirectory(root, out)).rejects.toThrow(
      'python/a/b and python/a\\b would both be stored as python/a/b in the layer zip'
    )
    expect(fs.existsSync(out)).toBe(false)
  })
})

describe('entryName', () => {
  it.each([
    ['python/pkg/mod.py', 'python/pkg/mod.py'],
    ['python/pkg/', 'python/pkg/'],
    ['python/back\\slash.txt', 'python/back/slash.txt'],
    ['python/é/名前.txt', 'python/é/名前.txt']
  ])('stores %s as %s', (name, stored) => {
    expect(entryName(name)).toBe(stored)
  })
})

describe('crc32Table', () => {
  it('agrees with zlib.crc32', () => {
    const random = new SeededRandom(3)
    for (const length of [0, 1, 7, 4096]) {
      const data = random.bytes(length)
      expect(crc32Table(data)).toBe(zlib.crc32(data))
    }
  })
})
