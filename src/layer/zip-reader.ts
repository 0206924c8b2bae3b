/**
 * Reads back a layer zip written by ZipWriter (zip-writer.ts), so a rebuild
 * can take what did not change from the previous build's zip: the compressed
 * bytes of an entry (zip.ts) or the .pyc compiled from a source (bytecode.ts).
 *
 * Only what the writer produces is understood: no comment, no extra fields,
 * stored or deflated entries, and a zip64 end record only for the entry
 * count (past 65,535 entries). Anything else, a missing file, or any field
 * that points outside the file makes `open` return undefined: a previous zip
 * is an optimisation, never a reason to fail.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import {
  CENTRAL_HEADER,
  CENTRAL_SIGNATURE,
  DEFLATED,
  END_RECORD,
  END_SIGNATURE,
  LOCAL_HEADER,
  LOCAL_SIGNATURE,
  MAX_16,
  MAX_32,
  STORED,
  ZIP64_END_LOCATOR,
  ZIP64_END_RECORD,
  ZIP64_END_SIGNATURE,
  ZIP64_LOCATOR_SIGNATURE
} from './zip-writer.js'

/** The longest tail an end record can sit in: the record plus the largest comment. */
const TAIL_BYTES = END_RECORD + MAX_16

/** One entry of the previous zip, from its central directory. */
export interface PreviousEntry {
  name: string
  method: typeof STORED | typeof DEFLATED
  crc: number
  /** Uncompressed size. */
  size: number
  compressedSize: number
  /** Offset of the local header. */
  localOffset: number
  /** External attributes: the Unix type and mode in the high 16 bits. */
  attr: number
}

const inflateRaw = promisify(zlib.inflateRaw)

/** Whether Node computes CRC-32 natively (zlib.crc32, Node 20.15 / 22.2 and later). */
export const NATIVE_CRC32 = typeof zlib.crc32 === 'function'

async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const out = Buffer.alloc(length)
  let at = 0
  while (at < length) {
    const { bytesRead } = await handle.read(out, at, length - at, offset + at)
    if (bytesRead === 0) break
    at += bytesRead
  }
  return at === length ? out : out.subarray(0, at)
}

interface Directory {
  count: number
  size: number
  offset: number
  /** Where the central directory must end: the first end record. */
  end: number
}

/** The central directory's place, from the end records; undefined when they do not add up. */
async function findDirectory(handle: FileHandle, fileSize: number): Promise<Directory | undefined> {
  if (fileSize < END_RECORD) return undefined
  const tailStart = Math.max(0, fileSize - TAIL_BYTES)
  const tail = await readAt(handle, tailStart, fileSize - tailStart)
  let at = -1
  for (let i = tail.length - END_RECORD; i >= 0; i--) {
    if (
      tail.readUInt32LE(i) === END_SIGNATURE &&
      tail.readUInt16LE(i + 20) === tail.length - i - END_RECORD
    ) {
      at = i
      break
    }
  }
  if (at < 0) return undefined
  const endAt = tailStart + at
  let count = tail.readUInt16LE(at + 10)
  let size = tail.readUInt32LE(at + 12)
  let offset = tail.readUInt32LE(at + 16)
  let end = endAt
  if (count === MAX_16 || size === MAX_32 || offset === MAX_32) {
    const locatorAt = endAt - ZIP64_END_LOCATOR
    if (locatorAt < 0) return undefined
    const locator = await readAt(handle, locatorAt, ZIP64_END_LOCATOR)
    if (locator.length < ZIP64_END_LOCATOR || locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) {
      // 0xFFFF entries exactly, with no zip64 record: the classic counts stand.
      if (count !== MAX_16 || size === MAX_32 || offset === MAX_32) return undefined
    } else {
      const recordAt = Number(locator.readBigUInt64LE(8))
      if (recordAt + ZIP64_END_RECORD > locatorAt) return undefined
      const record = await readAt(handle, recordAt, ZIP64_END_RECORD)
      if (record.length < ZIP64_END_RECORD || record.readUInt32LE(0) !== ZIP64_END_SIGNATURE) {
        return undefined
      }
      count = Number(record.readBigUInt64LE(32))
      size = Number(record.readBigUInt64LE(40))
      offset = Number(record.readBigUInt64LE(48))
      end = recordAt
    }
  }
  if (
    !Number.isSafeInteger(count) ||
    !Number.isSafeInteger(size) ||
    !Number.isSafeInteger(offset)
  ) {
    return undefined
  }
  if (offset + size > end || count * CENTRAL_HEADER > size) return undefined
  return { count, size, offset, end }
}

/** The entries of the central directory by name; undefined when one does not parse. */
function parseDirectory(cd: Buffer, dir: Directory): Map<string, PreviousEntry> | undefined {
  const entries = new Map<string, PreviousEntry>()
  let at = 0
  for (let i = 0; i < dir.count; i++) {
    if (at + CENTRAL_HEADER > cd.length || cd.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
      return undefined
    }
    const method = cd.readUInt16LE(at + 10)
    const nameLength = cd.readUInt16LE(at + 28)
    const extraLength = cd.readUInt16LE(at + 30)
    const commentLength = cd.readUInt16LE(at + 32)
    const next = at + CENTRAL_HEADER + nameLength + extraLength + commentLength
    if (next > cd.length || (method !== STORED && method !== DEFLATED)) return undefined
    const entry: PreviousEntry = {
      name: cd.toString('utf8', at + CENTRAL_HEADER, at + CENTRAL_HEADER + nameLength),
      method,
      crc: cd.readUInt32LE(at + 16),
      compressedSize: cd.readUInt32LE(at + 20),
      size: cd.readUInt32LE(at + 24),
      localOffset: cd.readUInt32LE(at + 42),
      attr: cd.readUInt32LE(at + 38)
    }
    if (entry.localOffset + LOCAL_HEADER + nameLength + entry.compressedSize > dir.offset) {
      return undefined
    }
    entries.set(entry.name, entry)
    at = next
  }
  return at === cd.length ? entries : undefined
}

/** The data after a local header read with it, when the header matches the central one. */
function localData(block: Buffer, entry: PreviousEntry, name: Buffer): Buffer | undefined {
  if (
    block.readUInt32LE(0) !== LOCAL_SIGNATURE ||
    block.readUInt16LE(8) !== entry.method ||
    block.readUInt32LE(14) !== entry.crc ||
    block.readUInt32LE(18) !== entry.compressedSize ||
    block.readUInt32LE(22) !== entry.size ||
    block.readUInt16LE(26) !== name.length ||
    block.readUInt16LE(28) !== 0 ||
    !block.subarray(LOCAL_HEADER, LOCAL_HEADER + name.length).equals(name)
  ) {
    return undefined
  }
  return block.subarray(LOCAL_HEADER + name.length)
}

/** `data` when it has the entry's size and CRC-32. */
function checked(entry: PreviousEntry, data: Buffer): Buffer | undefined {
  return data.length === entry.size && NATIVE_CRC32 && zlib.crc32(data) === entry.crc
    ? data
    : undefined
}

/** Base64 SHA-256 of the open file's first `size` bytes. */
async function hashOf(handle: FileHandle, size: number): Promise<string> {
  const hash = crypto.createHash('sha256')
  const chunk = Buffer.alloc(4 * 1024 * 1024)
  for (let at = 0; at < size;) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - at), at)
    if (bytesRead === 0) break
    hash.update(chunk.subarray(0, bytesRead))
    at += bytesRead
  }
  return hash.digest('base64')
}

/** An earlier layer zip, open for reading entries back. */
export class ZipReader {
  private constructor(
    private readonly handle: FileHandle,
    private readonly entries: Map<string, PreviousEntry>
  ) {}

  /**
   * Opens `file` and reads its central directory; undefined when it is
   * missing, not a zip this writer wrote, or not the zip whose base64
   * SHA-256 is `sha256` (when given).
   */
  static async open(file: string, sha256?: string): Promise<ZipReader | undefined> {
    let handle: FileHandle
    try {
      handle = await open(file, 'r')
    } catch {
      return undefined
    }
    try {
      const { size } = await handle.stat()
      if (sha256 !== undefined && (await hashOf(handle, size)) !== sha256) {
        await handle.close().catch(() => undefined)
        return undefined
      }
      const dir = await findDirectory(handle, size)
      if (dir !== undefined) {
        const cd = await readAt(handle, dir.offset, dir.size)
        const entries = cd.length === dir.size ? parseDirectory(cd, dir) : undefined
        if (entries !== undefined) return new ZipReader(handle, entries)
      }
    } catch {
      // Unreadable: no reuse.
    }
    await handle.close().catch(() => undefined)
    return undefined
  }

  get size(): number {
    return this.entries.size
  }

  get(name: string): PreviousEntry | undefined {
    return this.entries.get(name)
  }

  /** Every entry's name, in the zip's order. */
  names(): IterableIterator<string> {
    return this.entries.keys()
  }

  /**
   * The entry's data as stored (deflated or not), after checking that its
   * local header matches the central one; undefined when it does not.
   */
  async raw(entry: PreviousEntry): Promise<Buffer | undefined> {
    const name = Buffer.from(entry.name, 'utf8')
    const length = LOCAL_HEADER + name.length + entry.compressedSize
    let block: Buffer
    try {
      block = await readAt(this.handle, entry.localOffset, length)
    } catch {
      return undefined
    }
    return block.length === length ? localData(block, entry, name) : undefined
  }

  /** `raw`, read synchronously: cheaper for the many small entries of a sequential pass. */
  rawSync(entry: PreviousEntry): Buffer | undefined {
    const name = Buffer.from(entry.name, 'utf8')
    const length = LOCAL_HEADER + name.length + entry.compressedSize
    const block = Buffer.alloc(length)
    let at = 0
    try {
      while (at < length) {
        const read = fs.readSync(this.handle.fd, block, at, length - at, entry.localOffset + at)
        if (read === 0) return undefined
        at += read
      }
    } catch {
      return undefined
    }
    return localData(block, entry, name)
  }

  /** The entry's uncompressed data, checked against its size and CRC-32; undefined when it does not match. */
  async data(entry: PreviousEntry): Promise<Buffer | undefined> {
    const raw = await this.raw(entry)
    if (raw === undefined) return undefined
    try {
      return checked(entry, entry.method === DEFLATED ? await inflate(raw, entry.size) : raw)
    } catch {
      return undefined
    }
  }

  /** `data`, synchronously. */
  dataSync(entry: PreviousEntry): Buffer | undefined {
    const raw = this.rawSync(entry)
    if (raw === undefined) return undefined
    try {
      const data =
        entry.method === DEFLATED
          ? zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) })
          : raw
      return checked(entry, data)
    } catch {
      return undefined
    }
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined)
  }
}

/** Uncompresses raw deflate data that should give `size` bytes; throws when it gives more or is not valid. */
export async function inflate(raw: Buffer, size: number): Promise<Buffer> {
  return await inflateRaw(raw, { maxOutputLength: Math.max(1, size) })
}
