import { afterEach, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FIXED_TIME } from '../../../src/layer/zip.js'
import {
  centralHeader,
  DEFLATED,
  dosDateTime,
  endRecords,
  localHeader,
  STORED,
  ZipWriter,
  type ZipRecord
} from '../../../src/layer/zip-writer.js'

const OPTIONS = { dosTime: 0x00210000, madeBy: 0x0314 }

const deflated: ZipRecord = {
  name: Buffer.from('python/é.py', 'utf8'),
  method: DEFLATED,
  crc: 0xcafebabe,
  size: 1000,
  data: Buffer.alloc(300),
  attr: 0x81a40000
}

const folder: ZipRecord = {
  name: Buffer.from('python/', 'utf8'),
  method: STORED,
  crc: 0,
  size: 0,
  data: Buffer.alloc(0),
  attr: 0x41ed0010
}

const temps: string[] = []

afterEach(() => {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe('dosDateTime', () => {
  it.each([
    ['the fixed time, 1980-01-01 00:00', FIXED_TIME, 0x00210000],
    ['2024-06-11 13:45:31 (odd seconds round down)', new Date(2024, 5, 11, 13, 45, 31), 0x58cb6daf],
    ['a time before 1980', new Date(1979, 11, 31, 23, 59, 58), 0]
  ])('%s', (_label, date, expected) => {
    expect(dosDateTime(date)).toBe(expected)
  })
})

describe('localHeader', () => {
  it.each([
    // [field, offset, width, value for the deflated record, value for the folder]
    ['signature', 0, 4, 0x04034b50, 0x04034b50],
    ['version needed', 4, 2, 20, 10],
    ['flags (UTF-8 names)', 6, 2, 0x0800, 0x0800],
    ['method', 8, 2, 8, 0],
    ['DOS time', 10, 4, 0x00210000, 0x00210000],
    ['CRC-32', 14, 4, 0xcafebabe, 0],
    ['compressed size', 18, 4, 300, 0],
    ['size', 22, 4, 1000, 0],
    ['name length', 26, 2, 12, 7],
    ['extra length', 28, 2, 0, 0]
  ])('%s at %i', (_field, offset, width, forDeflated, forFolder) => {
    const read = (b: Buffer): number =>
      width === 2 ? b.readUInt16LE(offset) : b.readUInt32LE(offset)
    expect([
      read(localHeader(deflated, OPTIONS.dosTime)),
      read(localHeader(folder, OPTIONS.dosTime))
    ]).toEqual([forDeflated, forFolder])
  })

  it('ends with the name', () => {
    const header = localHeader(deflated, OPTIONS.dosTime)
    expect(header.length).toBe(30 + 12)
    expect(header.subarray(30).toString('utf8')).toBe('python/é.py')
  })
})

describe('centralHeader', () => {
  it.each([
    ['signature', 0, 4, 0x02014b50],
    ['made by', 4, 2, 0x0314],
    ['version needed', 6, 2, 20],
    ['flags', 8, 2, 0x0800],
    ['method', 10, 2, 8],
    ['DOS time', 12, 4, 0x00210000],
    ['CRC-32', 16, 4, 0xcafebabe],
    ['compressed size', 20, 4, 300],
    ['size', 24, 4, 1000],
    ['name length', 28, 2, 12],
    ['extra length', 30, 2, 0],
    ['comment length', 32, 2, 0],
    ['disk', 34, 2, 0],
    ['internal attributes', 36, 2, 0],
    ['external attributes', 38, 4, 0x81a40000],
    ['local header offset', 42, 4, 123456]
  ])('%s at %i', (_field, offset, width, value) => {
    const header = centralHeader(deflated, OPTIONS, 123456)
    expect(width === 2 ? header.readUInt16LE(offset) : header.readUInt32LE(offset)).toBe(value)
  })
})

describe('endRecords', () => {
  it('is the classic 22-byte record up to 65,535 entries', () => {
    const end = endRecords(65_535, 1000, 5000)
    expect(end.length).toBe(22)
    expect(end.readUInt32LE(0)).toBe(0x06054b50)
    expect([end.readUInt16LE(8), end.readUInt16LE(10)]).toEqual([65_535, 65_535])
    expect([end.readUInt32LE(12), end.readUInt32LE(16), end.readUInt16LE(20)]).toEqual([
      1000, 5000, 0
    ])
  })

  it('puts a zip64 record and locator first past 65,535 entries', () => {
    const end = endRecords(65_536, 1000, 5000)
    expect(end.length).toBe(56 + 20 + 22)
    expect(end.readUInt32LE(0)).toBe(0x06064b50)
    expect(end.readBigUInt64LE(4)).toBe(44n)
    expect([end.readUInt16LE(12), end.readUInt16LE(14)]).toEqual([45, 45])
    expect([end.readBigUInt64LE(24), end.readBigUInt64LE(32)]).toEqual([65_536n, 65_536n])
    expect([end.readBigUInt64LE(40), end.readBigUInt64LE(48)]).toEqual([1000n, 5000n])
    expect(end.readUInt32LE(56)).toBe(0x07064b50)
    expect(end.readBigUInt64LE(64)).toBe(6000n)
    expect(end.readUInt32LE(72)).toBe(1)
    expect(end.readUInt32LE(76)).toBe(0x06054b50)
    expect([end.readUInt16LE(84), end.readUInt16LE(86)]).toEqual([0xffff, 0xffff])
    expect([end.readUInt32LE(88), end.readUInt32LE(92)]).toEqual([1000, 5000])
  })
})

describe('ZipWriter', () => {
  it('refuses a name longer than 65,535 bytes, and abort removes the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zip-writer-'))
    temps.push(dir)
    const file = path.join(dir, 'out.zip')
    const writer = await ZipWriter.create(file, OPTIONS)
    const long = { ...folder, name: Buffer.alloc(70_000, 0x61) }
    await expect(writer.add(long)).rejects.toThrow(
      'is 70000 bytes: a zip without zip64 fields holds at most 65535'
    )
    await writer.abort()
    expect(fs.existsSync(file)).toBe(false)
  })
})
