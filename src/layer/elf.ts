/**
 * A small, defensive ELF reader: enough to tell which machine a binary is for,
 * which libraries the dynamic loader must find for it,
 * and the symbol versions it needs of each, without binutils.
 *
 * Everything is bounds-checked: truncated or garbage input never throws, it
 * yields what could be read (`incomplete: true`) or null.
 */
import { compareVersions } from '../util/format.js'
import { detectFormat } from './binary.js'

export interface ElfInfo {
  elfClass: 32 | 64
  littleEndian: boolean
  /** e_machine: 62 = x86_64, 183 = aarch64 (see ARCHITECTURES in runtimes.ts). */
  machine: number
  /**
   * The highest glibc version the binary needs (from GLIBC_X.Y entries of its
   * version-needs), or null when it needs no versioned glibc symbol
   * (static binaries, pure data, non-glibc libraries).
   */
  glibcMax: [number, number] | null
  /** Every version name the binary needs (GLIBC_2.17, GLIBCXX_3.4.21, ...), sorted, unique. */
  versionNames: string[]
  /** The version names needed of each library (vn_file): { "libstdc++.so.6": ["GLIBCXX_3.4.21"] }. */
  versionsByLibrary: Record<string, string[]>
  /** DT_NEEDED: the libraries the loader must find, in the file's order. */
  needed: string[]
  /** DT_SONAME, when the file has one. */
  soname?: string
  /**
   * True when the version needs could not be read completely (file cut short,
   * offsets pointing outside the file): glibcMax may then understate the need.
   */
  incomplete: boolean
  /** True when the dynamic segment could not be read: needed and soname may be short. */
  linksIncomplete: boolean
}

const SHT_GNU_VERNEED = 0x6ffffffe
const PT_LOAD = 1
const PT_DYNAMIC = 2
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_STRSZ = 10
const DT_SONAME = 14
const DT_VERNEED = 0x6ffffffe
const DT_VERNEEDNUM = 0x6fffffff

/** Verneed and Vernaux entries are 16 bytes in both ELF classes. */
const VERNEED_SIZE = 16

/**
 * A version need that is not spelled GLIBC_X.Y but still requires a minimum
 * glibc: binaries linked with `-z pack-relative-relocs` need GLIBC_ABI_DT_RELR,
 * which glibc defines from 2.36 on ("version `GLIBC_ABI_DT_RELR' not found").
 */
const GLIBC_MARKERS: Readonly<Record<string, [number, number]>> = {
  GLIBC_ABI_DT_RELR: [2, 36]
}

/** Thrown when a read falls outside the buffer; never escapes the ELF readers (this module, elf-layout.ts). */
export class OutOfBounds extends Error {}

/** Bounds-checked reads of an ELF file's fields, in its byte order and class. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    readonly littleEndian: boolean,
    readonly is64: boolean
  ) {}

  private check(offset: number, size: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > this.buf.length) {
      throw new OutOfBounds()
    }
  }

  u16(offset: number): number {
    this.check(offset, 2)
    return this.littleEndian ? this.buf.readUInt16LE(offset) : this.buf.readUInt16BE(offset)
  }

  u32(offset: number): number {
    this.check(offset, 4)
    return this.littleEndian ? this.buf.readUInt32LE(offset) : this.buf.readUInt32BE(offset)
  }

  /** A 64-bit value as a number; values beyond 2^53 cannot be valid offsets here. */
  u64(offset: number): number {
    this.check(offset, 8)
    const value = this.littleEndian
      ? this.buf.readBigUInt64LE(offset)
      : this.buf.readBigUInt64BE(offset)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new OutOfBounds()
    return Number(value)
  }

  /** An address/offset-sized field (Elf32_Addr/Off or Elf64_Addr/Off/Xword). */
  word(offset: number): number {
    return this.is64 ? this.u64(offset) : this.u32(offset)
  }

  /** A NUL-terminated string at `offset`, which must end before `limit`. */
  cstring(offset: number, limit: number): string {
    const end = Math.min(limit, this.buf.length)
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= end) throw new OutOfBounds()
    const nul = this.buf.indexOf(0, offset)
    if (nul === -1 || nul >= end) throw new OutOfBounds()
    return this.buf.toString('latin1', offset, nul)
  }
}

interface Region {
  offset: number
  size: number
}

/** The version names a binary needs of one library. */
interface Need {
  file: string
  names: string[]
}

/** Outcome of one way of finding the version needs. */
type Lookup = { needs: Need[] } | 'absent' | 'unreadable'

/** What the dynamic segment names: the libraries needed, the soname. */
interface DynamicNames {
  needed: string[]
  soname?: string
}

/**
 * A reader of `buf` in its class and byte order, when it is ELF with a known
 * class and byte order and at least `minLength` bytes; null otherwise.
 */
export function openElf(buf: Buffer, minLength: number): Reader | null {
  if (detectFormat(buf) !== 'elf' || buf.length < minLength) return null
  const elfClass = buf[4] === 1 ? 32 : buf[4] === 2 ? 64 : null
  const littleEndian = buf[5] === 1 ? true : buf[5] === 2 ? false : null
  if (elfClass === null || littleEndian === null) return null
  return new Reader(buf, littleEndian, elfClass === 64)
}

/** Reads the ELF header and version needs of `buf`; null when it is not ELF. */
export function readElf(buf: Buffer): ElfInfo | null {
  const r = openElf(buf, 0x14)
  if (r === null) return null
  const elfClass = r.is64 ? 64 : 32
  const littleEndian = r.littleEndian
  const machine = r.u16(0x12)

  let lookup = guarded(() => needsFromSections(r))
  // No (readable) section headers, e.g. a cut-short file or a binary stripped
  // of them: the dynamic segment still tells the loader where the needs are.
  if (lookup === 'unreadable') lookup = guarded(() => needsFromDynamic(r))
  const needs = typeof lookup === 'object' ? lookup.needs : []
  const names = [...new Set(needs.flatMap(n => n.names))].sort()
  const versionsByLibrary: Record<string, string[]> = {}
  for (const need of needs) {
    versionsByLibrary[need.file] = [
      ...new Set([...(versionsByLibrary[need.file] ?? []), ...need.names])
    ].sort()
  }
  let dynamic: DynamicNames | 'unreadable' | 'absent'
  try {
    dynamic = dynamicNames(r)
  } catch (error) {
    if (!(error instanceof OutOfBounds)) throw error
    dynamic = 'unreadable'
  }
  const dyn = typeof dynamic === 'object' ? dynamic : { needed: [] }
  return {
    elfClass,
    littleEndian,
    machine,
    glibcMax: highestGlibc(names),
    versionNames: names,
    versionsByLibrary,
    needed: dyn.needed,
    ...(dyn.soname !== undefined ? { soname: dyn.soname } : {}),
    incomplete: lookup === 'unreadable',
    linksIncomplete: dynamic === 'unreadable'
  }
}

function guarded(lookup: () => Lookup): Lookup {
  try {
    return lookup()
  } catch (error) {
    if (error instanceof OutOfBounds) return 'unreadable'
    throw error
  }
}

function needsFromSections(r: Reader): Lookup {
  const is64 = r.is64
  const shoff = r.word(is64 ? 0x28 : 0x20)
  const shentsize = r.u16(is64 ? 0x3a : 0x2e)
  let shnum = r.u16(is64 ? 0x3c : 0x30)
  if (shoff === 0) return 'unreadable'
  if (shentsize < (is64 ? 64 : 40)) return 'unreadable'
  // Extended numbering: with 0xff00 or more sections e_shnum is 0 and the
  // real count sits in sh_size of section 0.
  if (shnum === 0) shnum = r.word(shoff + (is64 ? 0x20 : 0x14))
  if (shnum === 0 || shoff + shnum * shentsize > r.buf.length) return 'unreadable'

  const section = (index: number): { type: number; link: number; info: number } & Region => {
    const base = shoff + index * shentsize
    return is64
      ? {
          type: r.u32(base + 4),
          offset: r.u64(base + 0x18),
          size: r.u64(base + 0x20),
          link: r.u32(base + 0x28),
          info: r.u32(base + 0x2c)
        }
      : {
          type: r.u32(base + 4),
          offset: r.u32(base + 0x10),
          size: r.u32(base + 0x14),
          link: r.u32(base + 0x18),
          info: r.u32(base + 0x1c)
        }
  }

  for (let i = 0; i < shnum; i++) {
    const verneed = section(i)
    if (verneed.type !== SHT_GNU_VERNEED) continue
    if (verneed.link >= shnum) return 'unreadable'
    const strtab = section(verneed.link)
    return { needs: walkVerneed(r, verneed, verneed.info, strtab) }
  }
  return 'absent'
}

/** The dynamic segment: where it is, and how to turn its addresses into file offsets. */
interface Dynamic {
  entries: Array<{ tag: number; value: number }>
  toOffset: (vaddr: number) => number
}

/** Reads the dynamic segment (PT_DYNAMIC) through the program headers; 'absent' without one. */
function readDynamic(r: Reader): Dynamic | 'absent' {
  const is64 = r.is64
  const phoff = r.word(is64 ? 0x20 : 0x1c)
  const phentsize = r.u16(is64 ? 0x36 : 0x2a)
  const phnum = r.u16(is64 ? 0x38 : 0x2c)
  if (phoff === 0 || phnum === 0) return 'absent'
  if (phentsize < (is64 ? 56 : 32)) throw new OutOfBounds()

  const loads: Array<{ vaddr: number } & Region> = []
  let dynamic: Region | null = null
  for (let i = 0; i < phnum; i++) {
    const base = phoff + i * phentsize
    const type = r.u32(base)
    const offset = r.word(base + (is64 ? 0x08 : 0x04))
    const vaddr = r.word(base + (is64 ? 0x10 : 0x08))
    const size = r.word(base + (is64 ? 0x20 : 0x10))
    if (type === PT_LOAD) loads.push({ offset, vaddr, size })
    if (type === PT_DYNAMIC) dynamic = { offset, size }
  }
  if (dynamic === null) return 'absent'

  const toOffset = (vaddr: number): number => {
    const load = loads.find(l => vaddr >= l.vaddr && vaddr < l.vaddr + l.size)
    if (load === undefined) throw new OutOfBounds()
    return vaddr - load.vaddr + load.offset
  }
  const entrySize = is64 ? 16 : 8
  const entries: Array<{ tag: number; value: number }> = []
  for (let at = dynamic.offset; at + entrySize <= dynamic.offset + dynamic.size; at += entrySize) {
    const tag = r.word(at)
    if (tag === DT_NULL) break
    entries.push({ tag, value: r.word(at + entrySize / 2) })
  }
  return { entries, toOffset }
}

/** The string table the dynamic segment names. */
function dynamicStrings(r: Reader, dynamic: Dynamic): Region | undefined {
  const strtab = dynamic.entries.find(e => e.tag === DT_STRTAB)?.value
  if (strtab === undefined) return undefined
  const strsz = dynamic.entries.find(e => e.tag === DT_STRSZ)?.value
  const offset = dynamic.toOffset(strtab)
  return { offset, size: strsz ?? r.buf.length - offset }
}

/** DT_NEEDED and DT_SONAME of the dynamic segment. */
function dynamicNames(r: Reader): DynamicNames | 'absent' {
  const dynamic = readDynamic(r)
  if (dynamic === 'absent') return 'absent'
  const strings = dynamicStrings(r, dynamic)
  if (strings === undefined) {
    if (dynamic.entries.some(e => e.tag === DT_NEEDED || e.tag === DT_SONAME)) {
      throw new OutOfBounds()
    }
    return { needed: [] }
  }
  const text = (value: number): string =>
    r.cstring(strings.offset + value, strings.offset + strings.size)
  const of = (tag: number): string[] =>
    dynamic.entries.filter(e => e.tag === tag).map(e => text(e.value))
  const soname = of(DT_SONAME)[0]
  return { needed: of(DT_NEEDED), ...(soname !== undefined ? { soname } : {}) }
}

function needsFromDynamic(r: Reader): Lookup {
  const dynamic = readDynamic(r)
  if (dynamic === 'absent') return 'absent'
  const verneed = dynamic.entries.find(e => e.tag === DT_VERNEED)?.value
  const verneednum = dynamic.entries.find(e => e.tag === DT_VERNEEDNUM)?.value ?? 0
  if (verneed === undefined) return 'absent'
  const strings = dynamicStrings(r, dynamic)
  if (strings === undefined) return 'unreadable'
  // The dynamic segment gives no size for the needs; bound it by the file.
  const needOffset = dynamic.toOffset(verneed)
  const needs: Region = { offset: needOffset, size: r.buf.length - needOffset }
  return { needs: walkVerneed(r, needs, verneednum, strings) }
}

/**
 * Walks the Verneed chain (one entry per needed library) and each entry's
 * Vernaux chain (one per version of that library), returning the version
 * names needed of each library.
 * `count` is the number of Verneed entries (sh_info / DT_VERNEEDNUM); 0 means
 * "follow vn_next until it is 0". Every step is bounded so garbage cannot loop.
 */
function walkVerneed(r: Reader, needs: Region, count: number, strings: Region): Need[] {
  const found: Need[] = []
  const end = needs.offset + needs.size
  const maxEntries = Math.floor(needs.size / VERNEED_SIZE)
  const entries = count > 0 ? Math.min(count, maxEntries) : maxEntries
  const stringsEnd = strings.offset + strings.size
  let at = needs.offset
  for (let n = 0; n < entries; n++) {
    if (at + VERNEED_SIZE > end) throw new OutOfBounds()
    const cnt = r.u16(at + 2)
    const file = r.cstring(strings.offset + r.u32(at + 4), stringsEnd)
    const aux = r.u32(at + 8)
    const names: string[] = []
    const next = r.u32(at + 12)
    let auxAt = at + aux
    for (let k = 0; k < Math.min(cnt, maxEntries); k++) {
      if (auxAt + VERNEED_SIZE > end) throw new OutOfBounds()
      names.push(r.cstring(strings.offset + r.u32(auxAt + 8), stringsEnd))
      const auxNext = r.u32(auxAt + 12)
      if (auxNext === 0) break
      auxAt += auxNext
    }
    found.push({ file, names })
    if (next === 0) break
    at += next
  }
  return found
}

/** The highest glibc version among version names; non-glibc names are ignored. */
export function highestGlibc(names: readonly string[]): [number, number] | null {
  let best: [number, number] | null = null
  for (const name of names) {
    const version = parseGlibcVersion(name)
    if (version === null) continue
    if (best === null || compareVersions(version, best) > 0) best = version
  }
  return best
}

/** "GLIBC_2.28" → [2, 28]; "GLIBC_2.2.5" → [2, 2]; GLIBC_PRIVATE, GLIBCXX_3.4 → null. */
export function parseGlibcVersion(name: string): [number, number] | null {
  const marker = GLIBC_MARKERS[name]
  if (marker !== undefined) return [marker[0], marker[1]]
  const match = /^GLIBC_(\d+)\.(\d+)(?:\.\d+)*$/.exec(name)
  return match ? [Number(match[1]), Number(match[2])] : null
}
