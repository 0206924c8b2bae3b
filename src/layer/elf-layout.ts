/**
 * The layout of an ELF file: its sections and segments, how far the content
 * its headers describe reaches, and what the dynamic loader maps of it.
 * Enough to tell whether `strip` has anything to remove from a file, whether
 * the file carries bytes no header describes (which strip would drop), and
 * whether a stripped copy loads exactly as the original.
 *
 * Bounds-checked like elf.ts: garbage never throws, it reads as null.
 */
import { openElf, OutOfBounds, type Reader } from './elf.js'

/** e_type: a relocatable object file (.o). */
export const ET_REL = 1
/** e_type: an executable linked at a fixed address. */
export const ET_EXEC = 2
/** e_type: a shared object (or a position-independent executable). */
export const ET_DYN = 3

const SHT_SYMTAB = 2
const SHT_NOBITS = 8
const PT_LOAD = 1

/** The page size no Lambda architecture goes below (4 KiB on x86_64 and arm64). */
const MIN_PAGE = 0x1000

export interface ElfSection {
  name: string
  type: number
  offset: number
  size: number
}

export interface ElfSegment {
  type: number
  flags: number
  offset: number
  vaddr: number
  paddr: number
  filesz: number
  memsz: number
  align: number
}

export interface ElfLayout {
  elfClass: 32 | 64
  littleEndian: boolean
  /** e_type: ET_REL, ET_EXEC, ET_DYN, ... */
  type: number
  machine: number
  /** e_ehsize: the ELF header's own size. */
  headerSize: number
  /** Where the program header table lies, and the size of each entry. */
  phoff: number
  phentsize: number
  sections: ElfSection[]
  segments: ElfSegment[]
  /**
   * The first byte past everything the headers describe: the ELF header,
   * both header tables, every section's and every segment's bytes. A file
   * longer than this carries data that no header names.
   */
  end: number
}

/** Reads the headers of `buf`; null when it is not ELF or a header lies outside it. */
export function readElfLayout(buf: Buffer): ElfLayout | null {
  const r = openElf(buf, 0x34)
  if (r === null) return null
  try {
    return layout(r, r.is64 ? 64 : 32)
  } catch (error) {
    if (error instanceof OutOfBounds) return null
    throw error
  }
}

function layout(r: Reader, elfClass: 32 | 64): ElfLayout {
  const is64 = r.is64
  const type = r.u16(0x10)
  const machine = r.u16(0x12)
  const phoff = r.word(is64 ? 0x20 : 0x1c)
  const shoff = r.word(is64 ? 0x28 : 0x20)
  const headerSize = r.u16(is64 ? 0x34 : 0x28)
  const phentsize = r.u16(is64 ? 0x36 : 0x2a)
  const phnum = r.u16(is64 ? 0x38 : 0x2c)
  const shentsize = r.u16(is64 ? 0x3a : 0x2e)
  let shnum = r.u16(is64 ? 0x3c : 0x30)
  let shstrndx = r.u16(is64 ? 0x3e : 0x32)
  let end = Math.max(headerSize, is64 ? 0x40 : 0x34)

  const segments: ElfSegment[] = []
  if (phoff !== 0 && phnum > 0) {
    if (phentsize < (is64 ? 56 : 32)) throw new OutOfBounds()
    for (let i = 0; i < phnum; i++) {
      const base = phoff + i * phentsize
      const segment: ElfSegment = is64
        ? {
            type: r.u32(base),
            flags: r.u32(base + 4),
            offset: r.u64(base + 0x08),
            vaddr: r.u64(base + 0x10),
            paddr: r.u64(base + 0x18),
            filesz: r.u64(base + 0x20),
            memsz: r.u64(base + 0x28),
            align: r.u64(base + 0x30)
          }
        : {
            type: r.u32(base),
            offset: r.u32(base + 0x04),
            vaddr: r.u32(base + 0x08),
            paddr: r.u32(base + 0x0c),
            filesz: r.u32(base + 0x10),
            memsz: r.u32(base + 0x14),
            flags: r.u32(base + 0x18),
            align: r.u32(base + 0x1c)
          }
      segments.push(segment)
      end = Math.max(end, segment.offset + segment.filesz)
    }
    end = Math.max(end, phoff + phnum * phentsize)
  }

  const sections: ElfSection[] = []
  if (shoff !== 0) {
    if (shentsize < (is64 ? 64 : 40)) throw new OutOfBounds()
    // Extended numbering: the real count and string table index sit in section 0.
    if (shnum === 0) shnum = r.word(shoff + (is64 ? 0x20 : 0x14))
    if (shstrndx === 0xffff) shstrndx = r.u32(shoff + (is64 ? 0x28 : 0x18))
    if (shoff + shnum * shentsize > r.buf.length) throw new OutOfBounds()
    const header = (
      index: number
    ): { name: number; type: number; offset: number; size: number } => {
      const base = shoff + index * shentsize
      return is64
        ? {
            name: r.u32(base),
            type: r.u32(base + 4),
            offset: r.u64(base + 0x18),
            size: r.u64(base + 0x20)
          }
        : {
            name: r.u32(base),
            type: r.u32(base + 4),
            offset: r.u32(base + 0x10),
            size: r.u32(base + 0x14)
          }
    }
    const names = shstrndx < shnum ? header(shstrndx) : undefined
    for (let i = 0; i < shnum; i++) {
      const h = header(i)
      const name =
        names === undefined || i === 0
          ? ''
          : r.cstring(names.offset + h.name, names.offset + names.size)
      sections.push({ name, type: h.type, offset: h.offset, size: h.size })
      if (h.type !== SHT_NOBITS && i !== 0) end = Math.max(end, h.offset + h.size)
    }
    end = Math.max(end, shoff + shnum * shentsize)
  }
  return {
    elfClass,
    littleEndian: r.littleEndian,
    type,
    machine,
    headerSize,
    phoff,
    phentsize,
    sections,
    segments,
    end
  }
}

/** A section `strip --strip-unneeded` removes from a shared object or executable: the symbol table, debug information. */
export function isStrippable(section: ElfSection): boolean {
  return section.type === SHT_SYMTAB || /^\.(z?debug|stab)/.test(section.name)
}

/**
 * Byte ranges of the file the loader ignores but strip rewrites: the ELF
 * header's fields about section headers (e_shoff, e_shnum, e_shstrndx),
 * and the file offset of each program header.
 */
function ignoredRanges(l: ElfLayout): Array<[number, number]> {
  const is64 = l.elfClass === 64
  const ranges: Array<[number, number]> = [
    is64 ? [0x28, 0x30] : [0x20, 0x24],
    is64 ? [0x3c, 0x3e] : [0x30, 0x32],
    is64 ? [0x3e, 0x40] : [0x32, 0x34]
  ]
  for (let i = 0; i < l.segments.length; i++) {
    const at = l.phoff + i * l.phentsize + (is64 ? 0x08 : 0x04)
    ranges.push([at, at + (is64 ? 8 : 4)])
  }
  return ranges
}

/**
 * Whether `a` from `aStart` and `b` from `bStart` hold the same `length`
 * bytes, leaving out the ranges of `ignored` (file offsets of either).
 */
function sameBytes(
  a: Buffer,
  aStart: number,
  b: Buffer,
  bStart: number,
  length: number,
  ignored: ReadonlyArray<readonly [number, number]>
): boolean {
  if (aStart + length > a.length || bStart + length > b.length) return false
  const skip = ignored
    .flatMap(([from, to]) => [
      [from - aStart, to - aStart],
      [from - bStart, to - bStart]
    ])
    .map(([from, to]) => [Math.max(0, from), Math.min(length, to)] as const)
    .filter(([from, to]) => from < to)
    .sort((x, y) => x[0] - y[0])
  let at = 0
  for (const [from, to] of [...skip, [length, length] as const]) {
    if (
      from > at &&
      !a.subarray(aStart + at, aStart + from).equals(b.subarray(bStart + at, bStart + from))
    ) {
      return false
    }
    at = Math.max(at, to)
  }
  return true
}

const SEGMENT_FIELDS = ['type', 'flags', 'vaddr', 'paddr', 'filesz', 'memsz', 'align'] as const

/** "LOAD", "DYNAMIC", ... for messages. */
function segmentName(type: number): string {
  const names: Record<number, string> = {
    1: 'LOAD',
    2: 'DYNAMIC',
    3: 'INTERP',
    4: 'NOTE',
    6: 'PHDR',
    7: 'TLS',
    0x6474e550: 'GNU_EH_FRAME',
    0x6474e551: 'GNU_STACK',
    0x6474e552: 'GNU_RELRO',
    0x6474e553: 'GNU_PROPERTY'
  }
  return names[type] ?? `0x${type.toString(16)}`
}

/**
 * How `after` (a stripped copy) would load differently from `before`, or
 * undefined when it loads the same: the same ELF header (but for the
 * section header fields), the same program headers (but for file offsets,
 * which may move only by whole pages of the segment's alignment, so every
 * address keeps the offset the loader checks it against), and the same
 * bytes in every segment. What the loader maps is then byte for byte what
 * it mapped before; only what it never reads (symbol tables, debug
 * sections, section headers) can differ.
 */
export function loadedImageChange(before: Buffer, after: Buffer): string | undefined {
  const a = readElfLayout(before)
  const b = readElfLayout(after)
  if (a === null) return 'the original is not a readable ELF file'
  if (b === null) return 'the stripped file is not a readable ELF file'
  if (
    a.elfClass !== b.elfClass ||
    a.littleEndian !== b.littleEndian ||
    a.type !== b.type ||
    a.machine !== b.machine ||
    a.headerSize !== b.headerSize ||
    a.phoff !== b.phoff ||
    a.phentsize !== b.phentsize
  ) {
    return 'its ELF header changed'
  }
  if (a.segments.length !== b.segments.length) {
    return `its program headers changed (${a.segments.length} segments, then ${b.segments.length})`
  }
  const ignored = [...ignoredRanges(a), ...ignoredRanges(b)]
  if (!sameBytes(before, 0, after, 0, a.headerSize, ignored)) return 'its ELF header changed'
  for (let i = 0; i < a.segments.length; i++) {
    const x = a.segments[i]
    const y = b.segments[i]
    const name = segmentName(x.type)
    const field = SEGMENT_FIELDS.find(f => x[f] !== y[f])
    if (field !== undefined) return `its ${name} segment ${i} changed its ${field}`
    const page = Math.max(x.align, MIN_PAGE)
    if (x.type === PT_LOAD && (x.offset - y.offset) % page !== 0) {
      return `its ${name} segment ${i} moved from offset 0x${x.offset.toString(16)} to 0x${y.offset.toString(16)}, off its alignment`
    }
    if (!sameBytes(before, x.offset, after, y.offset, x.filesz, ignored)) {
      return `the bytes of its ${name} segment ${i} changed`
    }
  }
  return undefined
}
