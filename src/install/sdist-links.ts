/**
 * Links inside a source distribution: pip unpacks a tar's symbolic and hard
 * links as they are, and the build then copies what they point at into the
 * wheel. A link that leaves the archive would bring a runner file into the
 * layer, so such an archive is refused before it is built.
 *
 * The archive is read as a stream, its headers parsed as they come: file
 * data is passed over, never held, so a small download that unpacks to
 * gigabytes costs no memory. Only pax headers and GNU long names are kept,
 * each up to a cap; the unpacked bytes and the entries read are capped too.
 */
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream'
import zlib from 'node:zlib'
import { ActionError } from '../errors.js'
import { formatBytes } from '../util/format.js'

export interface ArchiveLink {
  /** The entry's path in the archive. */
  entry: string
  /** Where it points, as written. */
  target: string
}

/** How much of an archive is read before the scan stops with an ActionError. */
export interface TarLimits {
  /** Unpacked bytes (headers, data and padding). */
  maxBytes: number
  /** Entries, pax headers and long names included. */
  maxEntries: number
  /** The data of one pax header or GNU long name, the only data kept. */
  maxHeaderData: number
}

export const TAR_LIMITS: TarLimits = {
  maxBytes: 4 * 1024 ** 3,
  maxEntries: 1_000_000,
  maxHeaderData: 1024 ** 2
}

const BLOCK = 512

/**
 * Types whose size is not followed by data, as Python's tarfile (which pip
 * unpacks with) reads them: hard and symbolic links, devices, folders and
 * fifos. Their data blocks, if any, would be read as the next header.
 */
const WITHOUT_DATA = new Set(['1', '2', '3', '4', '5', '6'])

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length)
  const nul = raw.indexOf(0)
  return raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8')
}

/** A numeric header field: octal text, or (GNU, for large values) base 256 when its first byte has the high bit. */
function numeric(block: Buffer, start: number, length: number): number {
  if (block[start] === 0x80) {
    let value = 0
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]
    return value
  }
  return parseInt(field(block, start, length).trim() || '0', 8) || 0
}

/** "len key=value\n" records of a pax extended header. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>()
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const length = Number(data.toString('utf8', at, space))
    // A record holds its own length, so it ends past its space: each record
    // then moves past the text it was read from (zero-padded lengths included).
    if (!Number.isInteger(length) || at + length <= space + 1) break
    const record = data.toString('utf8', space + 1, at + length - 1)
    const eq = record.indexOf('=')
    if (eq !== -1) records.set(record.slice(0, eq), record.slice(eq + 1))
    at += length
  }
  return records
}

/** A GNU long name or link: up to its first NUL, as tar reads it. */
function longText(data: Buffer): string {
  const nul = data.indexOf(0)
  return data.toString('utf8', 0, nul === -1 ? data.length : nul)
}

/** The data of a pax header or long name: its type, the part read, what is left of it, and its padding. */
interface KeptData {
  type: string
  chunks: Buffer[]
  left: number
  padding: number
}

/**
 * Reads a tar archive fed in chunks of any size, listing its links. Headers
 * are gathered block by block; an entry's data is counted off, not kept,
 * except that of a pax header ('x') or GNU long name ('L', 'K').
 */
class TarLinkScanner {
  readonly links: ArchiveLink[] = []
  /** Set at the archive's end (a block of zeros): what follows is not read. */
  done = false
  private readonly header = Buffer.alloc(BLOCK)
  private headerFill = 0
  /** Bytes of data and padding still to pass over. */
  private skip = 0
  /** The data of a pax header or long name being gathered. */
  private kept?: KeptData
  private bytes = 0
  private entries = 0
  // What pax headers and long names say of the next entry.
  private pax = new Map<string, string>()
  private longName?: string
  private longLink?: string

  constructor(
    private readonly archive: string,
    private readonly limits: TarLimits
  ) {}

  private stop(what: string): never {
    throw new ActionError(
      `The source archive ${this.archive} ${what}, so its links were not checked to its end; such an archive is never built. Use a release with a wheel, or report it to the package's maintainers.`
    )
  }

  /** Reads the next chunk; false once the archive has ended. */
  write(chunk: Buffer): boolean {
    this.bytes += chunk.length
    if (this.bytes > this.limits.maxBytes) {
      this.stop(`unpacks to more than ${formatBytes(this.limits.maxBytes)}`)
    }
    let at = 0
    while (at < chunk.length && !this.done) {
      if (this.kept) {
        const take = Math.min(this.kept.left, chunk.length - at)
        this.kept.chunks.push(chunk.subarray(at, at + take))
        this.kept.left -= take
        at += take
        if (this.kept.left === 0) this.keptDone()
      } else if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - at)
        this.skip -= take
        at += take
      } else {
        const take = Math.min(BLOCK - this.headerFill, chunk.length - at)
        chunk.copy(this.header, this.headerFill, at, at + take)
        this.headerFill += take
        at += take
        if (this.headerFill === BLOCK) {
          this.headerFill = 0
          this.onHeader(this.header)
        }
      }
    }
    return !this.done
  }

  private onHeader(block: Buffer): void {
    if (block.every(b => b === 0)) {
      this.done = true
      return
    }
    if (++this.entries > this.limits.maxEntries) {
      this.stop(`holds more than ${this.limits.maxEntries.toLocaleString('en-US')} entries`)
    }
    // (Solaris' "X" is a pax header too.)
    const type = block[156] === 0x58 ? 'x' : String.fromCharCode(block[156] || 0x30)
    const special = type === 'x' || type === 'L' || type === 'K'
    // A pax "size" gives the size of the entry it describes.
    const paxSize = special ? undefined : this.pax.get('size')
    const size =
      paxSize !== undefined && /^\d{1,15}$/.test(paxSize)
        ? Number(paxSize)
        : numeric(block, 124, 12)
    const padding = Math.ceil(size / BLOCK) * BLOCK - size
    if (special) {
      if (size > this.limits.maxHeaderData) {
        const what = type === 'x' ? 'a pax header' : 'a long name'
        this.stop(
          `holds ${what} of ${formatBytes(size)}, over the limit of ${formatBytes(this.limits.maxHeaderData)}`
        )
      }
      this.kept = { type, chunks: [], left: size, padding }
      if (size === 0) this.keptDone()
      return
    }
    // An old-style folder: a plain file whose name ends with "/".
    const folder = block[156] === 0 && field(block, 0, 100).endsWith('/')
    const prefix = field(block, 345, 155)
    const name =
      this.pax.get('path') ??
      this.longName ??
      (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100))
    const target = this.pax.get('linkpath') ?? this.longLink ?? field(block, 157, 100)
    if (type === '1' || type === '2') this.links.push({ entry: name, target })
    this.pax = new Map()
    this.longName = undefined
    this.longLink = undefined
    this.skip = folder || WITHOUT_DATA.has(type) ? 0 : size + padding
  }

  private keptDone(): void {
    const { type, chunks, padding } = this.kept as KeptData
    this.kept = undefined
    const data = Buffer.concat(chunks)
    if (type === 'x') this.pax = paxRecords(data)
    else if (type === 'L') this.longName = longText(data)
    else this.longLink = longText(data)
    this.skip = padding
  }
}

/** Every symbolic or hard link of an (unpacked) tar archive held in memory. */
export function tarLinks(tar: Buffer, limits: Partial<TarLimits> = {}): ArchiveLink[] {
  const scanner = new TarLinkScanner('(in memory)', { ...TAR_LIMITS, ...limits })
  scanner.write(tar)
  return scanner.links
}

/** Whether a link stays inside the archive's top folder (symbolic: from its folder; hard: from the root). */
export function staysInside(link: ArchiveLink, hard: boolean): boolean {
  if (link.target.startsWith('/')) return false
  const from = hard ? '' : path.posix.dirname(link.entry)
  const resolved = path.posix.normalize(path.posix.join(from, link.target))
  const top = link.entry.split('/')[0]
  return !resolved.startsWith('..') && resolved.split('/')[0] === top
}

/** Whether a file starts as gzip does. */
async function gzipped(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r')
  try {
    const magic = Buffer.alloc(2)
    const { bytesRead } = await handle.read(magic, 0, 2, 0)
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b
  } finally {
    await handle.close()
  }
}

/** Every link of a tar file (gzipped or not), read as a stream up to the archive's end. */
async function streamedTarLinks(file: string, limits: TarLimits): Promise<ArchiveLink[]> {
  const scanner = new TarLinkScanner(path.basename(file), limits)
  const source = fs.createReadStream(file)
  const tar = (await gzipped(file))
    ? pipeline(source, zlib.createGunzip({ chunkSize: 64 * 1024 }), () => {
        // Errors surface through the loop below; leaving it early closes both.
      })
    : source
  try {
    for await (const chunk of tar) {
      if (!scanner.write(chunk as Buffer)) break
    }
  } finally {
    tar.destroy()
    source.destroy()
  }
  return scanner.links
}

/**
 * The links of a downloaded source archive that point outside it (tar
 * archives only). Throws an ActionError when the archive passes a cap of
 * `limits` (by default TAR_LIMITS) before its end.
 */
export async function escapingArchiveLinks(
  file: string,
  limits: Partial<TarLimits> = {}
): Promise<ArchiveLink[]> {
  if (!/\.(tar\.gz|tgz|tar)$/.test(file)) return []
  const links = await streamedTarLinks(file, { ...TAR_LIMITS, ...limits })
  return links.filter(link => !staysInside(link, false) && !staysInside(link, true))
}
