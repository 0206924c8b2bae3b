/**
 * zipLayer with `previous`: unchanged entries are copied from the previous
 * zip, and the result is byte for byte the zip a full build writes.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type LayerEntry, type LayerTree, walkLayer } from '../../../src/layer/scan.js'
import { zipLayer } from '../../../src/layer/zip.js'
import { ZipReader } from '../../../src/layer/zip-reader.js'
import { SeededRandom, writeGeneratedTree } from '../../helpers/zip-trees.js'

const temps: string[] = []

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  temps.push(dir)
  return dir
}

function outFile(): string {
  return path.join(tempDir('zip-reuse-out-'), 'layer.zip')
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('base64')
}

beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

afterEach(() => {
  jest.restoreAllMocks()
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** The non-empty files of a tree, by entry name. */
function files(tree: LayerTree): LayerEntry[] {
  return tree.entries.filter(e => !e.directory && e.size > 0)
}

/**
 * A generated tree zipped once, then changed: some files rewritten at the
 * same size, some at another size, some added, some removed.
 */
async function changedTree(seed: number): Promise<{
  root: string
  previous: string
  unchanged: LayerEntry[]
}> {
  const root = tempDir('zip-reuse-tree-')
  writeGeneratedTree(root, { bytes: 6 * 1024 * 1024, seed })
  const previous = outFile()
  await zipLayer(walkLayer(root), previous)

  const random = new SeededRandom(seed + 1)
  const before = files(walkLayer(root))
  const touched = new Set<string>()
  for (let i = 0; i < 12; i++) {
    const entry = before[random.below(before.length)]
    if (touched.has(entry.rel)) continue
    touched.add(entry.rel)
    if (i % 3 === 0) fs.rmSync(entry.abs)
    else if (i % 3 === 1) fs.writeFileSync(entry.abs, random.text(entry.size))
    else fs.writeFileSync(entry.abs, random.text(entry.size + 17))
  }
  fs.mkdirSync(path.join(root, 'python', 'added'), { recursive: true })
  fs.writeFileSync(path.join(root, 'python', 'added', 'new.py'), random.text(5000))
  fs.writeFileSync(path.join(root, 'python', 'pkg0', 'zz_new.json'), random.text(900))
  const unchanged = before.filter(e => !touched.has(e.rel))
  return { root, previous, unchanged }
}

describe('zipLayer with a previous zip', () => {
  it('copies the unchanged entries and writes the bytes of a full build', async () => {
    const { root, previous, unchanged } = await changedTree(5)
    const tree = walkLayer(root)
    const full = await zipLayer(tree, outFile())
    const out = outFile()
    const reusing = await zipLayer(tree, out, undefined, { earlier: { path: previous } })

    expect(sha256(out)).toBe(sha256(full.path))
    expect(reusing.sha256).toBe(full.sha256)
    expect(reusing.bytes).toBe(full.bytes)
    expect(full.reused).toBeUndefined()
    expect(reusing.reused).toEqual({
      readable: true,
      entries: unchanged.length,
      bytes: unchanged.reduce((sum, e) => sum + e.size, 0)
    })
    expect(execFileSync('unzip', ['-tq', out], { encoding: 'utf8' })).toMatch(/No errors detected/)
  })

  it('writes the same bytes with a narrow window and one job at a time', async () => {
    const { root, previous } = await changedTree(9)
    const tree = walkLayer(root)
    const full = await zipLayer(tree, outFile())
    const narrow = await zipLayer(
      tree,
      outFile(),
      { jobs: 1, windowBytes: 1, windowEntries: 1 },
      { earlier: { path: previous } }
    )
    expect(narrow.sha256).toBe(full.sha256)
    expect(narrow.reused?.entries).toBeGreaterThan(0)
  })

  it('rewrites the previous zip in place when it is the output file', async () => {
    const { root, previous, unchanged } = await changedTree(13)
    const tree = walkLayer(root)
    const full = await zipLayer(tree, outFile())
    const result = await zipLayer(tree, previous, undefined, { earlier: { path: previous } })
    expect(sha256(previous)).toBe(full.sha256)
    expect(result.reused?.entries).toBe(unchanged.length)
    expect(fs.readdirSync(path.dirname(previous))).toEqual(['layer.zip'])
  })

  it.each<[string, (file: string) => void]>([
    ['missing', file => fs.rmSync(file)],
    ['empty', file => fs.writeFileSync(file, '')],
    ['truncated', file => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))],
    ['cut before its end record', file => fs.truncateSync(file, fs.statSync(file).size - 1)],
    ['not a zip', file => fs.writeFileSync(file, new SeededRandom(1).bytes(100_000))],
    [
      'inconsistent (its central directory lies past the file)',
      file => {
        const bytes = fs.readFileSync(file)
        bytes.writeUInt32LE(0x7fffffff, bytes.length - 6)
        fs.writeFileSync(file, bytes)
      }
    ]
  ])('falls back to deflating everything when the previous zip is %s', async (_, damage) => {
    const { root, previous } = await changedTree(17)
    damage(previous)
    const tree = walkLayer(root)
    const full = await zipLayer(tree, outFile())
    const result = await zipLayer(tree, outFile(), undefined, { earlier: { path: previous } })
    expect(result.sha256).toBe(full.sha256)
    expect(result.reused).toEqual({ readable: false, entries: 0, bytes: 0 })
  })

  it('deflates again an entry whose local header disagrees with the central one', async () => {
    const { root, previous, unchanged } = await changedTree(21)
    const zip = await ZipReader.open(previous)
    const victim = unchanged.find(e => e.size > 10_000) as LayerEntry
    const entry = zip?.get(victim.name)
    await zip?.close()
    expect(entry).toBeDefined()
    const bytes = fs.readFileSync(previous)
    // The CRC-32 field of the local header.
    bytes[(entry?.localOffset ?? 0) + 14] ^= 0x5a
    fs.writeFileSync(previous, bytes)

    const tree = walkLayer(root)
    const full = await zipLayer(tree, outFile())
    const result = await zipLayer(tree, outFile(), undefined, { earlier: { path: previous } })
    expect(result.sha256).toBe(full.sha256)
    expect(result.reused?.entries).toBe(unchanged.length - 1)
  })

  it('copies nothing from a previous zip whose SHA-256 is not the one given', async () => {
    const { root, previous } = await changedTree(25)
    const expected = sha256(previous)
    const bytes = fs.readFileSync(previous)
    // Damaged deflated data: headers and CRC-32 fields intact.
    bytes[1000] ^= 0x5a
    fs.writeFileSync(previous, bytes)
    const tree = walkLayer(root)
    const full = await zipLayer(tree, outFile())
    const checked = await zipLayer(tree, outFile(), undefined, {
      earlier: { path: previous, sha256: expected }
    })
    expect(checked.sha256).toBe(full.sha256)
    expect(checked.reused).toEqual({ readable: false, entries: 0, bytes: 0 })

    fs.writeFileSync(previous, fs.readFileSync(previous).fill(bytes[1000] ^ 0x5a, 1000, 1001))
    const intact = await zipLayer(tree, outFile(), undefined, {
      earlier: { path: previous, sha256: expected }
    })
    expect(intact.sha256).toBe(full.sha256)
    expect(intact.reused?.entries).toBeGreaterThan(0)
  })

  it('reads a previous zip with a zip64 end record (past 65,535 entries)', async () => {
    const root = tempDir('zip-reuse-many-')
    const entries: LayerEntry[] = []
    for (let i = 0; i < 66_000; i++) {
      const rel = `python/d${String(i).padStart(5, '0')}`
      entries.push({ rel, name: `${rel}/`, abs: root, directory: true, size: 0, executable: false })
    }
    const random = new SeededRandom(4)
    for (const name of ['a.py', 'b.py', 'c.py']) {
      const abs = path.join(root, name)
      fs.writeFileSync(abs, random.text(20_000))
      const rel = `python/z/${name}`
      entries.push({ rel, name: rel, abs, directory: false, size: 20_000, executable: false })
    }
    const tree: LayerTree = { root, entries, escapes: [], loops: [] }
    const previous = outFile()
    const first = await zipLayer(tree, previous)
    fs.writeFileSync(path.join(root, 'b.py'), random.text(20_000))
    const full = await zipLayer(tree, outFile())
    const result = await zipLayer(tree, outFile(), undefined, { earlier: { path: previous } })
    expect(full.sha256).not.toBe(first.sha256)
    expect(result.sha256).toBe(full.sha256)
    expect(result.reused).toEqual({ readable: true, entries: 2, bytes: 40_000 })
  })
})

describe('ZipReader', () => {
  it('reads back every entry of a zip the writer wrote', async () => {
    const root = tempDir('zip-reuse-read-')
    writeGeneratedTree(root, { bytes: 2 * 1024 * 1024, seed: 3 })
    const tree = walkLayer(root)
    const file = outFile()
    await zipLayer(tree, file)
    const zip = await ZipReader.open(file)
    expect(zip?.size).toBe(tree.entries.length)
    for (const entry of tree.entries.filter(e => !e.directory)) {
      const stored = zip?.get(entry.name)
      const data = stored ? await zip?.data(stored) : undefined
      expect({ name: entry.name, same: data?.equals(fs.readFileSync(entry.abs)) }).toEqual({
        name: entry.name,
        same: true
      })
    }
    await zip?.close()
  })
})
