/**
 * A zip archive written front to back to a file and hashed as it is written,
 * from entries whose data the caller has already compressed (or stores).
 *
 * Why not adm-zip: it compresses every entry itself, one after another, with
 * no public way to hand it data compressed elsewhere; it assembles the whole
 * archive in one buffer (about three times the tree in memory); and its
 * asynchronous writer recurses once per stored entry, so a few thousand
 * folders or empty files in a row overflow the stack.
 *
 * The bytes, field by field, are those adm-zip 0.6 writes for the same
 * entries, so an unchanged layer keeps the CodeSha256 of the versions
 * published before:
 *
 * - local header: version needed 2.0 for deflated data, 1.0 for stored;
 *   flags 0x0800 (names are UTF-8); the given DOS time; CRC-32 and both
 *   sizes (no data descriptor); no extra field; then the name and the data;
 * - central directory header: the same fields, the given "made by", no extra
 *   field or comment, disk 0, internal attributes 0, the given external
 *   attributes, the offset of the local header;
 * - end of central directory record, no comment. Past 65,535 entries a zip64
 *   end record (made by and needed 4.5) and its locator come first, and the
 *   classic record holds 0xFFFF as its entry counts.
 *
 * Sizes and offsets must stay under 4 GiB (a layer is at most 250 MB
 * unzipped): the writer refuses more rather than writing zip64 extra fields.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'

export const STORED = 0
export const DEFLATED = 8

/** One entry as it goes into the archive. */
export interface ZipRecord {
  /** The entry name, UTF-8; folders end with "/". */
  name: Buffer
  method: typeof STORED | typeof DEFLATED
  /** CRC-32 of the uncompressed data (0 when there is none). */
  crc: number
  /** Uncompressed size. */
  size: number
  /** The data as stored: deflated (raw, no zlib header) or as is. */
  data: Buffer
  /** External attributes: Unix mode in the high 16 bits, MS-DOS bits in the low. */
  attr: number
}

export interface ZipWriterOptions {
  /** Modification time of every entry, MS-DOS format (date << 16 | time). */
  dosTime: number
  /** "Version made by" of every entry: host system << 8 | version. */
  madeBy: number
}

export interface WrittenZip {
  bytes: number
  /** Base64 SHA-256 of the archive. */
  sha256: string
}

/** Record sizes and signatures of the zip format (zip-reader.ts reads what this writes). */
export const LOCAL_HEADER = 30
export const CENTRAL_HEADER = 46
export const END_RECORD = 22
export const ZIP64_END_RECORD = 56
export const ZIP64_END_LOCATOR = 20
export const LOCAL_SIGNATURE = 0x04034b50
export const CENTRAL_SIGNATURE = 0x02014b50
export const END_SIGNATURE = 0x06054b50
export const ZIP64_END_SIGNATURE = 0x06064b50
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50
const FLAG_UTF8_NAMES = 0x0800
export const MAX_16 = 0xffff
export const MAX_32 = 0xffffffff
/** Small writes (headers, small entries) are gathered into writes of about this size. */
const WRITE_BYTES = 1024 * 1024

/** 2.0 for deflated data, 1.0 for stored. */
function versionNeeded(method: number): number {
  return method === DEFLATED ? 20 : 10
}

/** MS-DOS date and time (local time, two-second steps); 0 before 1980. */
export function dosDateTime(date: Date): number {
  if (date.getFullYear() < 1980) return 0
  const day =
    (((date.getFullYear() - 1980) & 0x7f) << 9) | ((date.getMonth() + 1) << 5) | date.getDate()
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1)
  return ((day << 16) | time) >>> 0
}

/** Refuses what the zip format without zip64 fields cannot hold. */
function checkFits(value: number, max: number, what: () => string): void {
  if (value > max) throw new Error(`${what()}: a zip without zip64 fields holds at most ${max}`)
}

/** Header fields shared by the local and central headers, written at `at`. */
function writeCommon(out: Buffer, at: number, record: ZipRecord, dosTime: number): void {
  out.writeUInt16LE(versionNeeded(record.method), at)
  out.writeUInt16LE(FLAG_UTF8_NAMES, at + 2)
  out.writeUInt16LE(record.method, at + 4)
  out.writeUInt32LE(dosTime, at + 6)
  out.writeUInt32LE(record.crc >>> 0, at + 10)
  out.writeUInt32LE(record.data.length, at + 14)
  out.writeUInt32LE(record.size, at + 18)
  out.writeUInt16LE(record.name.length, at + 22)
  out.writeUInt16LE(0, at + 24)
}

export function localHeader(record: ZipRecord, dosTime: number): Buffer {
  const out = Buffer.alloc(LOCAL_HEADER + record.name.length)
  out.writeUInt32LE(LOCAL_SIGNATURE, 0)
  writeCommon(out, 4, record, dosTime)
  record.name.copy(out, LOCAL_HEADER)
  return out
}

export function centralHeader(
  record: ZipRecord,
  options: ZipWriterOptions,
  localOffset: number
): Buffer {
  const out = Buffer.alloc(CENTRAL_HEADER + record.name.length)
  out.writeUInt32LE(CENTRAL_SIGNATURE, 0)
  out.writeUInt16LE(options.madeBy, 4)
  writeCommon(out, 6, record, options.dosTime)
  // comment length (32), disk number (34), internal attributes (36): all 0.
  out.writeUInt32LE(record.attr >>> 0, 38)
  out.writeUInt32LE(localOffset, 42)
  record.name.copy(out, CENTRAL_HEADER)
  return out
}

/** The end records for `count` entries whose central directory is `size` bytes at `offset`. */
export function endRecords(count: number, size: number, offset: number): Buffer {
  const zip64 = count > MAX_16
  const out = Buffer.alloc((zip64 ? ZIP64_END_RECORD + ZIP64_END_LOCATOR : 0) + END_RECORD)
  let at = 0
  if (zip64) {
    out.writeUInt32LE(ZIP64_END_SIGNATURE, 0)
    // Size of the rest of the record: all of it but the signature and this field.
    out.writeBigUInt64LE(BigInt(ZIP64_END_RECORD - 12), 4)
    out.writeUInt16LE(45, 12)
    out.writeUInt16LE(45, 14)
    // this disk (16), disk of the central directory (20): 0
    out.writeBigUInt64LE(BigInt(count), 24)
    out.writeBigUInt64LE(BigInt(count), 32)
    out.writeBigUInt64LE(BigInt(size), 40)
    out.writeBigUInt64LE(BigInt(offset), 48)
    at = ZIP64_END_RECORD
    out.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, at)
    // disk of the zip64 end record (at + 4): 0
    out.writeBigUInt64LE(BigInt(offset + size), at + 8)
    out.writeUInt32LE(1, at + 16)
    at += ZIP64_END_LOCATOR
  }
  out.writeUInt32LE(END_SIGNATURE, at)
  // this disk (at + 4), disk of the central directory (at + 6): 0
  out.writeUInt16LE(Math.min(count, MAX_16), at + 8)
  out.writeUInt16LE(Math.min(count, MAX_16), at + 10)
  out.writeUInt32LE(size, at + 12)
  out.writeUInt32LE(offset, at + 16)
  // comment length (at + 20): 0
  return out
}

/** Writes entries in the order given; `finish` adds the central directory and closes the file. */
export class ZipWriter {
  private readonly hash = crypto.createHash('sha256')
  private readonly central: Buffer[] = []
  private centralBytes = 0
  private offset = 0
  private pending: Buffer[] = []
  private pendingBytes = 0
  private closed = false

  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly options: ZipWriterOptions
  ) {}

  /** Creates (or truncates) `file`. */
  static async create(file: string, options: ZipWriterOptions): Promise<ZipWriter> {
    return new ZipWriter(file, await open(file, 'w'), options)
  }

  async add(record: ZipRecord): Promise<void> {
    const name = (): string => record.name.toString('utf8')
    checkFits(record.name.length, MAX_16, () => `The name ${name()} is ${record.name.length} bytes`)
    checkFits(record.size, MAX_32, () => `${name()} is ${record.size} bytes`)
    checkFits(record.data.length, MAX_32, () => `${name()} deflates to ${record.data.length} bytes`)
    checkFits(this.offset, MAX_32, () => `${name()} would start at byte ${this.offset} of the zip`)
    const header = centralHeader(record, this.options, this.offset)
    this.central.push(header)
    this.centralBytes += header.length
    await this.put(localHeader(record, this.options.dosTime))
    if (record.data.length > 0) await this.put(record.data)
  }

  /** Writes the central directory and the end records, closes the file. */
  async finish(): Promise<WrittenZip> {
    const start = this.offset
    checkFits(start, MAX_32, () => `The central directory would start at byte ${start}`)
    checkFits(
      this.centralBytes,
      MAX_32,
      () => `The central directory is ${this.centralBytes} bytes`
    )
    for (const header of this.central) await this.put(header)
    await this.put(endRecords(this.central.length, this.centralBytes, start))
    await this.flush()
    await this.close()
    return { bytes: this.offset, sha256: this.hash.digest('base64') }
  }

  /** Closes and deletes the unfinished file. */
  async abort(): Promise<void> {
    await this.close()
    fs.rmSync(this.file, { force: true })
  }

  private async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.handle.close()
  }

  private async put(buffer: Buffer): Promise<void> {
    this.hash.update(buffer)
    this.offset += buffer.length
    if (buffer.length >= WRITE_BYTES) {
      await this.flush()
      await this.writeAll(buffer)
      return
    }
    this.pending.push(buffer)
    this.pendingBytes += buffer.length
    if (this.pendingBytes >= WRITE_BYTES) await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return
    const data = Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    await this.writeAll(data)
  }

  private async writeAll(data: Buffer): Promise<void> {
    let at = 0
    while (at < data.length) {
      const { bytesWritten } = await this.handle.write(data, at, data.length - at)
      at += bytesWritten
    }
  }
}
