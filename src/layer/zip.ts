/**
 * Reproducible layer zips: the same tree gives the same bytes on every run
 * and machine, so an unchanged rebuild has the CodeSha256 of the published
 * version and publishing can be skipped.
 *
 * - entries sorted by their byte-wise path (not by locale),
 * - one fixed timestamp (1980-01-01 00:00, the DOS epoch),
 * - normalized permissions: files 0644, executables 0755, directories 0755,
 * - "made by" Unix on every OS, no extra fields, no comments,
 * - every non-empty file deflated with zlib's defaults; folders and empty
 *   files stored.
 *
 * Files are read and deflated side by side on libuv's thread pool (zlib's
 * asynchronous API), one per core up to the pool's size, and written in tree
 * order by ZipWriter (zip-writer.ts) as each entry's turn comes. A window
 * bounds what is read but not yet written, so memory stays near the window
 * plus the largest file rather than the whole tree.
 *
 * Given the previous build's zip, a file whose name, size and CRC-32 equal
 * one of its entries takes that entry's deflated bytes instead of being
 * deflated again. Both come from the same bytes through the same deflate
 * call, so the zip is the one a full build writes. The copied bytes are not
 * inflated again to check them (that would cost about half of what reuse
 * saves): pass the previous zip's SHA-256 to have the whole file checked
 * before any of it is used.
 */
import * as core from '@actions/core'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { Limiter } from '../util/concurrency.js'
import { threadPoolSize } from '../util/thread-pool.js'
import { type LayerEntry, type LayerTree, walkLayer } from './scan.js'
import { NATIVE_CRC32, ZipReader } from './zip-reader.js'
import { DEFLATED, dosDateTime, STORED, ZipWriter, type ZipRecord } from './zip-writer.js'

export const FIXED_TIME = new Date(1980, 0, 1, 0, 0, 0)
const MADE_BY_UNIX_V20 = (3 << 8) | 20
const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const MSDOS_DIRECTORY = 0x10

/** Threads that deflate at once: libuv's pool (see thread-pool.ts), at most one per core. */
const THREADS = Math.max(1, Math.min(threadPoolSize(), os.availableParallelism()))
/** Files up to this size are read in one blocking call: cheaper than four trips to the pool. */
const SYNC_READ_BYTES = 64 * 1024

/** How much zipLayer has in hand at once. */
export interface ZipLimits {
  /** Entries being read or deflated. */
  jobs: number
  /** File bytes started but not yet written (the entry that crosses the line still starts). */
  windowBytes: number
  /** Entries started but not yet written. */
  windowEntries: number
}

/**
 * Two jobs per thread, so none waits for its next one; 64 MiB in hand keeps
 * the other threads busy while a large file deflates.
 */
export const ZIP_LIMITS: ZipLimits = {
  jobs: 2 * THREADS,
  windowBytes: 64 * 1024 * 1024,
  windowEntries: 1024
}

export interface ZipOptions {
  /**
   * An earlier layer zip written by zipLayer, whose unchanged entries are
   * copied rather than deflated again. A missing or unreadable file means
   * no reuse; it may be `outFile` itself.
   */
  earlier?: {
    path: string
    /**
     * The base64 SHA-256 it must have (its CodeSha256), to catch a damaged
     * or different file before its bytes are copied; any other means no
     * reuse.
     */
    sha256?: string
  }
}

/** What a zip built with `earlier` took from it. */
export interface ZipReuse {
  /** Whether the previous zip could be read (false: missing, damaged, or no native CRC-32 in this Node). */
  readable: boolean
  /** Entries whose deflated bytes were copied. */
  entries: number
  /** Their uncompressed bytes: what was not deflated again. */
  bytes: number
}

export interface ZipResult {
  path: string
  /** Size of the zip in bytes. */
  bytes: number
  /** Base64 SHA-256 of the zip, as Lambda's CodeSha256. */
  sha256: string
  /** Sum of the file sizes in the zip. */
  unzippedBytes: number
  files: number
  /** Set when `earlier` was given. */
  reused?: ZipReuse
}

/** Logs "label: n/total (p%)" at most every 10% for long phases. */
export function progress(label: string, total: number): (done: number) => void {
  let nextPercent = 10
  return done => {
    if (total < 500) return
    const percent = Math.floor((done / total) * 100)
    if (percent >= nextPercent) {
      core.info(`${label}: ${done}/${total} (${percent}%)`)
      nextPercent = percent - (percent % 10) + 10
    }
  }
}

/**
 * The name an entry is stored under: "\" becomes "/" (zip names separate
 * with "/" only, and unzip tools read "\" as a separator), and "." and ".."
 * segments are resolved; a folder keeps its trailing "/".
 */
export function entryName(name: string): string {
  return path.posix.join('.', path.posix.normalize(`/${name.replaceAll('\\', '/')}`))
}

/** External attributes: the Unix type and mode above, the MS-DOS folder bit below. */
function externalAttributes(directory: boolean, mode: number): number {
  const unix = (directory ? S_IFDIR : S_IFREG) | mode
  return ((unix << 16) | (directory ? MSDOS_DIRECTORY : 0)) >>> 0
}

interface PlannedEntry {
  item: LayerEntry
  /** The stored name, as `name` holds it in UTF-8. */
  key: string
  name: Buffer
  /** The stored name ends with "/": the entry is a folder, with no data. */
  directory: boolean
  attr: number
}

function planEntries(entries: readonly LayerEntry[]): PlannedEntry[] {
  const seen = new Map<string, string>()
  return entries.map(item => {
    const name = entryName(item.name)
    const other = seen.get(name)
    if (other !== undefined) {
      throw new Error(
        `${other} and ${item.rel} would both be stored as ${name} in the layer zip: rename one of them`
      )
    }
    seen.set(name, item.rel)
    const directory = name.endsWith('/')
    const mode = item.directory || item.executable ? 0o755 : 0o644
    return {
      item,
      key: name,
      name: Buffer.from(name, 'utf8'),
      directory,
      attr: externalAttributes(directory, mode)
    }
  })
}

const deflateRaw = promisify(zlib.deflateRaw)

/**
 * zlib's defaults (level 6, 32 KiB window, memory level 8), output in one
 * chunk the size of the input (rounded up a KiB): the call adm-zip 0.6 makes.
 */
async function deflate(data: Buffer): Promise<Buffer> {
  return await deflateRaw(data, { chunkSize: (Math.floor(data.length / 1024) + 1) * 1024 })
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** CRC-32 as zip stores it; zlib.crc32 where Node has it (20.15 and later). */
export function crc32Table(data: Buffer): number {
  let crc = ~0
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8)
  return ~crc >>> 0
}

export const crc32: (data: Buffer) => number =
  typeof zlib.crc32 === 'function' ? data => zlib.crc32(data) : crc32Table

interface PreparedEntry {
  record: ZipRecord
  /** Bytes read from the file. */
  fileBytes: number
  /** The data was copied from the previous zip. */
  reused: boolean
}

const NO_DATA = Buffer.alloc(0)

async function readData(item: LayerEntry): Promise<Buffer> {
  if (item.directory) return NO_DATA
  return item.size <= SYNC_READ_BYTES ? fs.readFileSync(item.abs) : await readFile(item.abs)
}

/** The previous zip's deflated bytes for `data`, when it holds an entry of that name, size and CRC-32. */
async function previousDeflated(
  previous: ZipReader,
  key: string,
  data: Buffer,
  crc: number
): Promise<Buffer | undefined> {
  const entry = previous.get(key)
  if (entry?.method !== DEFLATED || entry.size !== data.length || entry.crc !== crc) {
    return undefined
  }
  return await previous.raw(entry)
}

async function prepare(entry: PlannedEntry, previous?: ZipReader): Promise<PreparedEntry> {
  const data = await readData(entry.item)
  const { name, attr } = entry
  if (entry.directory || data.length === 0) {
    return {
      record: { name, attr, method: STORED, crc: 0, size: 0, data: NO_DATA },
      fileBytes: data.length,
      reused: false
    }
  }
  const crc = crc32(data)
  const copied = previous ? await previousDeflated(previous, entry.key, data, crc) : undefined
  const compressed = copied ?? (await deflate(data))
  return {
    record: { name, attr, method: DEFLATED, crc, size: data.length, data: compressed },
    fileBytes: data.length,
    reused: copied !== undefined
  }
}

/** Whether two paths name the same existing file. */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a)
    const sb = fs.statSync(b)
    return sa.dev === sb.dev && sa.ino === sb.ino
  } catch {
    return false
  }
}

/** The previous zip, open; undefined when there is none to read or no native CRC-32 to match it with. */
async function openPrevious(options: ZipOptions): Promise<ZipReader | undefined> {
  if (options.earlier === undefined || !NATIVE_CRC32) return undefined
  return await ZipReader.open(options.earlier.path, options.earlier.sha256)
}

/** Zips a listed layer tree (see scan.ts) to `outFile`. */
export async function zipLayer(
  tree: LayerTree,
  outFile: string,
  limits: ZipLimits = ZIP_LIMITS,
  options: ZipOptions = {}
): Promise<ZipResult> {
  const plan = planEntries(tree.entries)
  fs.mkdirSync(path.dirname(outFile), { recursive: true })
  const previous = await openPrevious(options)
  // Rewriting the previous zip in place: write beside it, replace it at the end.
  const replacing =
    previous !== undefined &&
    options.earlier !== undefined &&
    sameFile(options.earlier.path, outFile)
  const target = replacing ? `${outFile}.${process.pid}.partial` : outFile
  let writer: ZipWriter
  try {
    writer = await ZipWriter.create(target, {
      dosTime: dosDateTime(FIXED_TIME),
      madeBy: MADE_BY_UNIX_V20
    })
  } catch (error) {
    await previous?.close()
    throw error
  }
  const compressing = progress('Compressing', plan.length)
  const jobs = new Limiter(Math.max(1, limits.jobs))
  const window: Array<Promise<PreparedEntry>> = []
  let started = 0
  let windowBytes = 0
  let unzippedBytes = 0
  let files = 0
  const reused: ZipReuse = { readable: previous !== undefined, entries: 0, bytes: 0 }
  try {
    for (let index = 0; index < plan.length; index++) {
      while (
        started < plan.length &&
        (window.length === 0 ||
          (window.length < limits.windowEntries && windowBytes < limits.windowBytes))
      ) {
        const entry = plan[started++]
        windowBytes += entry.item.size
        const job = jobs.run(async () => await prepare(entry, previous))
        // Awaited in order below; until then a failure must not count as unhandled.
        job.catch(() => undefined)
        window.push(job)
      }
      const prepared = await (window.shift() as Promise<PreparedEntry>)
      const { record, fileBytes } = prepared
      await writer.add(record)
      if (prepared.reused) {
        reused.entries++
        reused.bytes += fileBytes
      }
      const { item } = plan[index]
      windowBytes -= item.size
      if (!item.directory) {
        files++
        unzippedBytes += fileBytes
      }
      compressing(index + 1)
    }
    const written = await writer.finish()
    await previous?.close()
    if (replacing) fs.renameSync(target, outFile)
    return {
      path: outFile,
      bytes: written.bytes,
      sha256: written.sha256,
      unzippedBytes,
      files,
      ...(options.earlier !== undefined ? { reused } : {})
    }
  } catch (error) {
    await writer.abort().catch(() => undefined)
    await previous?.close()
    throw error
  }
}

/** Zips everything under `root` (a folder holding python/); refuses links that leave it. */
export async function zipDirectory(root: string, outFile: string): Promise<ZipResult> {
  const tree = walkLayer(root)
  if (tree.escapes.length > 0) {
    throw new Error(`${tree.escapes[0].rel} links outside ${root}, to ${tree.escapes[0].target}`)
  }
  return await zipLayer(tree, outFile)
}

/** Base64 SHA-256 of a file, as Lambda's CodeSha256. */
export function fileSha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('base64')
}

/** A base64 SHA-256 (CodeSha256) in hex, the form `sha256sum` prints and attestations take. */
export function hexSha256(base64: string): string {
  return Buffer.from(base64, 'base64').toString('hex')
}
