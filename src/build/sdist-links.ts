/**
 * Links inside a source distribution: pip unpacks a tar's symbolic and hard
 * links as they are, and the build then copies what they point at into the
 * wheel. A link that leaves the archive would bring a runner file into the
 * layer, so such an archive is refused before it is built.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

export interface ArchiveLink {
  /** The entry's path in the archive. */
  entry: string
  /** Where it points, as written. */
  target: string
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length)
  const nul = raw.indexOf(0)
  return raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8')
}

/** "len key=value\n" records of a pax extended header. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>()
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const length = Number(data.toString('utf8', at, space))
    if (!Number.isInteger(length) || length <= 0) break
    const record = data.toString('utf8', space + 1, at + length - 1)
    const eq = record.indexOf('=')
    if (eq !== -1) records.set(record.slice(0, eq), record.slice(eq + 1))
    at += length
  }
  return records
}

/** Every symbolic or hard link of a (gzipped) tar archive. */
export function tarLinks(tar: Buffer): ArchiveLink[] {
  const links: ArchiveLink[] = []
  let longName: string | undefined
  let longLink: string | undefined
  let pax = new Map<string, string>()
  for (let at = 0; at + 512 <= tar.length;) {
    const block = tar.subarray(at, at + 512)
    if (block.every(b => b === 0)) break
    const size = parseInt(field(block, 124, 12).trim() || '0', 8) || 0
    const type = String.fromCharCode(block[156] || 0x30)
    const data = tar.subarray(at + 512, at + 512 + size)
    at += 512 + Math.ceil(size / 512) * 512
    if (type === 'x') {
      pax = paxRecords(data)
      continue
    }
    if (type === 'L' || type === 'K') {
      const text = data.toString('utf8').replace(/\0+$/, '')
      if (type === 'L') longName = text
      else longLink = text
      continue
    }
    const prefix = field(block, 345, 155)
    const name =
      pax.get('path') ??
      longName ??
      (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100))
    const target = pax.get('linkpath') ?? longLink ?? field(block, 157, 100)
    if (type === '1' || type === '2') links.push({ entry: name, target })
    pax = new Map()
    longName = undefined
    longLink = undefined
  }
  return links
}

/** Whether a link stays inside the archive's top folder (symbolic: from its folder; hard: from the root). */
export function staysInside(link: ArchiveLink, hard: boolean): boolean {
  if (link.target.startsWith('/')) return false
  const from = hard ? '' : path.posix.dirname(link.entry)
  const resolved = path.posix.normalize(path.posix.join(from, link.target))
  const top = link.entry.split('/')[0]
  return !resolved.startsWith('..') && resolved.split('/')[0] === top
}

/** The links of a downloaded source archive that point outside it (tar archives only). */
export function escapingArchiveLinks(file: string): ArchiveLink[] {
  if (!/\.(tar\.gz|tgz|tar)$/.test(file)) return []
  let tar = fs.readFileSync(file)
  if (tar[0] === 0x1f && tar[1] === 0x8b) tar = zlib.gunzipSync(tar)
  return tarLinks(tar).filter(link => !staysInside(link, false) && !staysInside(link, true))
}
