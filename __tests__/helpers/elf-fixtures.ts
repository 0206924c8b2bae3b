/**
 * Builds small but structurally valid ELF files for tests: an ELF header,
 * PT_LOAD + PT_DYNAMIC program headers, .dynstr, .gnu.version_r (Verneed +
 * Vernaux chains), .dynamic and a section header table. `readelf -V` parses
 * them (checked in elf.test.ts), so readElf is exercised on the real format.
 */

export interface VersionNeed {
  /** The library the versions come from, e.g. "libc.so.6". */
  file: string
  /** Version names, e.g. ["GLIBC_2.17", "GLIBC_2.28"]. */
  versions: string[]
}

export interface ElfFixtureOptions {
  /** e_machine; 62 (x86_64) by default. */
  machine?: number
  elfClass?: 32 | 64
  littleEndian?: boolean
  /** Version needs; none by default (no .gnu.version_r section then). */
  needs?: VersionNeed[]
  /** false: drop the section header table (like sstrip), keep the dynamic segment. */
  sectionHeaders?: boolean
  /** DT_NEEDED entries; the libraries of `needs` by default, as a linker writes them. */
  needed?: string[]
  /** DT_SONAME. */
  soname?: string
  /** DT_RUNPATH, e.g. "$ORIGIN/../pkg.libs". */
  runpath?: string
  /** e_type; 3 (ET_DYN, a shared object) by default. */
  type?: number
  /** Add a symbol table (.symtab, .strtab, not loaded), as a linker leaves it unstripped. */
  symtab?: boolean
  /** Bytes after the section header table, which no header describes. */
  appended?: Buffer
}

export const EM_386 = 3
export const EM_PPC64 = 21
export const EM_X86_64 = 62
export const EM_AARCH64 = 183

/** glibc's needs, the usual shape of a manylinux extension module. */
export function glibcNeeds(...versions: string[]): VersionNeed[] {
  return [{ file: 'libc.so.6', versions }]
}

/** Base virtual address of the single PT_LOAD segment (maps the whole file). */
const BASE = 0x10000

class Writer {
  private chunks: Buffer[] = []
  length = 0

  constructor(
    private readonly le: boolean,
    private readonly is64: boolean
  ) {}

  bytes(data: Buffer | number[]): void {
    const b = Buffer.isBuffer(data) ? data : Buffer.from(data)
    this.chunks.push(b)
    this.length += b.length
  }

  u8(v: number): void {
    this.bytes([v & 0xff])
  }

  u16(v: number): void {
    const b = Buffer.alloc(2)
    if (this.le) b.writeUInt16LE(v)
    else b.writeUInt16BE(v)
    this.bytes(b)
  }

  u32(v: number): void {
    const b = Buffer.alloc(4)
    if (this.le) b.writeUInt32LE(v >>> 0)
    else b.writeUInt32BE(v >>> 0)
    this.bytes(b)
  }

  u64(v: number): void {
    const b = Buffer.alloc(8)
    if (this.le) b.writeBigUInt64LE(BigInt(v))
    else b.writeBigUInt64BE(BigInt(v))
    this.bytes(b)
  }

  /** Address/offset-sized field. */
  word(v: number): void {
    if (this.is64) this.u64(v)
    else this.u32(v)
  }

  align(n: number): void {
    while (this.length % n !== 0) this.u8(0)
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

/** The SysV ELF hash, as stored in vna_hash. */
function elfHash(name: string): number {
  let h = 0
  for (const c of Buffer.from(name, 'latin1')) {
    h = ((h << 4) + c) >>> 0
    const g = h & 0xf0000000
    if (g !== 0) h ^= g >>> 24
    h &= ~g >>> 0
  }
  return h >>> 0
}

class StringTable {
  private data: number[] = [0]
  private index = new Map<string, number>([['', 0]])

  add(s: string): number {
    const known = this.index.get(s)
    if (known !== undefined) return known
    const at = this.data.length
    this.data.push(...Buffer.from(s, 'latin1'), 0)
    this.index.set(s, at)
    return at
  }

  buffer(): Buffer {
    return Buffer.from(this.data)
  }
}

export function buildElf(options: ElfFixtureOptions = {}): Buffer {
  const machine = options.machine ?? EM_X86_64
  const is64 = (options.elfClass ?? 64) === 64
  const le = options.littleEndian ?? true
  const needs = options.needs ?? []
  const withSections = options.sectionHeaders ?? true

  const ehsize = is64 ? 64 : 52
  const phentsize = is64 ? 56 : 32
  const shentsize = is64 ? 64 : 40
  const dynEntry = is64 ? 16 : 8
  const phnum = 2

  // --- string tables
  const dynstr = new StringTable()
  const needed = options.needed ?? [...new Set(needs.map(n => n.file))]
  const named: Array<[number, string]> = [
    ...needed.map((n): [number, string] => [1, n]), // DT_NEEDED
    ...(options.soname !== undefined ? [[14, options.soname] as [number, string]] : []), // DT_SONAME
    ...(options.runpath !== undefined ? [[29, options.runpath] as [number, string]] : []) // DT_RUNPATH
  ]
  for (const [, value] of named) dynstr.add(value)
  for (const need of needs) {
    dynstr.add(need.file)
    for (const v of need.versions) dynstr.add(v)
  }
  const dynstrBuf = dynstr.buffer()

  // --- .gnu.version_r: each Verneed directly followed by its Vernaux entries
  const vr = new Writer(le, is64)
  let versionIndex = 2
  needs.forEach((need, i) => {
    const cnt = need.versions.length
    vr.u16(1) // vn_version
    vr.u16(cnt) // vn_cnt
    vr.u32(dynstr.add(need.file)) // vn_file
    vr.u32(cnt > 0 ? 16 : 0) // vn_aux
    vr.u32(i === needs.length - 1 ? 0 : 16 + 16 * cnt) // vn_next
    need.versions.forEach((v, k) => {
      vr.u32(elfHash(v)) // vna_hash
      vr.u16(0) // vna_flags
      vr.u16(versionIndex++) // vna_other
      vr.u32(dynstr.add(v)) // vna_name
      vr.u32(k === cnt - 1 ? 0 : 16) // vna_next
    })
  })
  const verneedBuf = vr.buffer()

  // --- file layout
  const phoff = ehsize
  let at = phoff + phnum * phentsize
  const dynstrOff = at
  at += dynstrBuf.length
  at = Math.ceil(at / 8) * 8
  const verneedOff = at
  at += verneedBuf.length
  at = Math.ceil(at / 8) * 8
  const dynamicOff = at
  const dynamicEntries: Array<[number, number]> = [
    ...named.map(([tag, value]): [number, number] => [tag, dynstr.add(value)]),
    [5, BASE + dynstrOff], // DT_STRTAB
    [10, dynstrBuf.length] // DT_STRSZ
  ]
  if (needs.length > 0) {
    dynamicEntries.push([0x6ffffffe, BASE + verneedOff]) // DT_VERNEED
    dynamicEntries.push([0x6fffffff, needs.length]) // DT_VERNEEDNUM
  }
  dynamicEntries.push([0, 0]) // DT_NULL
  const dynamicSize = dynamicEntries.length * dynEntry
  at += dynamicSize

  const shstr = new StringTable()
  const sections: Array<{
    name: number
    type: number
    flags: number
    offset: number
    size: number
    link: number
    info: number
    align: number
    entsize: number
  }> = [{ name: 0, type: 0, flags: 0, offset: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0 }]
  const SHF_ALLOC = 2
  const dynstrIndex = sections.length
  sections.push({
    name: shstr.add('.dynstr'),
    type: 3,
    flags: SHF_ALLOC,
    offset: dynstrOff,
    size: dynstrBuf.length,
    link: 0,
    info: 0,
    align: 1,
    entsize: 0
  })
  if (needs.length > 0) {
    sections.push({
      name: shstr.add('.gnu.version_r'),
      type: 0x6ffffffe,
      flags: SHF_ALLOC,
      offset: verneedOff,
      size: verneedBuf.length,
      link: dynstrIndex,
      info: needs.length,
      align: 8,
      entsize: 0
    })
  }
  sections.push({
    name: shstr.add('.dynamic'),
    type: 6,
    flags: SHF_ALLOC | 1,
    offset: dynamicOff,
    size: dynamicSize,
    link: dynstrIndex,
    info: 0,
    align: 8,
    entsize: dynEntry
  })
  const shstrtabIndex = sections.length
  const shstrtabName = shstr.add('.shstrtab')
  const symtabName = options.symtab ? shstr.add('.symtab') : 0
  const strtabName = options.symtab ? shstr.add('.strtab') : 0
  const shstrBuf = shstr.buffer()
  const shstrOff = at
  sections.push({
    name: shstrtabName,
    type: 3,
    flags: 0,
    offset: shstrOff,
    size: shstrBuf.length,
    link: 0,
    info: 0,
    align: 1,
    entsize: 0
  })
  at += shstrBuf.length
  at = Math.ceil(at / 8) * 8
  // A symbol table of one null and one local symbol, and its strings.
  const symEntry = is64 ? 24 : 16
  const strtabBuf = Buffer.from('\0local_symbol\0', 'latin1')
  const symtabOff = at
  if (options.symtab) {
    sections.push({
      name: symtabName,
      type: 2,
      flags: 0,
      offset: symtabOff,
      size: 2 * symEntry,
      link: sections.length + 1,
      info: 2,
      align: 8,
      entsize: symEntry
    })
    sections.push({
      name: strtabName,
      type: 3,
      flags: 0,
      offset: symtabOff + 2 * symEntry,
      size: strtabBuf.length,
      link: 0,
      info: 0,
      align: 1,
      entsize: 0
    })
    at = Math.ceil((symtabOff + 2 * symEntry + strtabBuf.length) / 8) * 8
  }
  const shoff = withSections ? at : 0
  const loadSize = dynamicOff + dynamicSize

  // --- write
  const w = new Writer(le, is64)
  w.bytes([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0])
  w.bytes(Buffer.alloc(8)) // EI_ABIVERSION + padding
  w.u16(options.type ?? 3) // e_type, ET_DYN by default
  w.u16(machine)
  w.u32(1) // e_version
  w.word(0) // e_entry
  w.word(phoff)
  w.word(shoff)
  w.u32(0) // e_flags
  w.u16(ehsize)
  w.u16(phentsize)
  w.u16(phnum)
  w.u16(withSections ? shentsize : 0)
  w.u16(withSections ? sections.length : 0)
  w.u16(withSections ? shstrtabIndex : 0)

  const phdr = (type: number, flags: number, offset: number, size: number, align: number) => {
    w.u32(type)
    if (is64) w.u32(flags)
    w.word(offset) // p_offset
    w.word(BASE + offset) // p_vaddr
    w.word(BASE + offset) // p_paddr
    w.word(size) // p_filesz
    w.word(size) // p_memsz
    if (!is64) w.u32(flags)
    w.word(align)
  }
  phdr(1, 6, 0, loadSize, 0x1000) // PT_LOAD, RW
  phdr(2, 6, dynamicOff, dynamicSize, 8) // PT_DYNAMIC

  w.bytes(dynstrBuf)
  w.align(8)
  w.bytes(verneedBuf)
  w.align(8)
  for (const [tag, value] of dynamicEntries) {
    w.word(tag)
    w.word(value)
  }
  w.bytes(shstrBuf)
  w.align(8)
  if (options.symtab) {
    w.bytes(Buffer.alloc(symEntry)) // the null symbol
    // local_symbol: st_name 1, STT_NOTYPE, STB_LOCAL, in .dynamic
    const sym = Buffer.alloc(symEntry)
    if (is64) {
      if (le) sym.writeUInt32LE(1, 0)
      else sym.writeUInt32BE(1, 0)
    } else if (le) sym.writeUInt32LE(1, 0)
    else sym.writeUInt32BE(1, 0)
    w.bytes(sym)
    w.bytes(strtabBuf)
    w.align(8)
  }
  if (withSections) {
    for (const s of sections) {
      w.u32(s.name)
      w.u32(s.type)
      w.word(s.flags)
      w.word(s.type === 0 ? 0 : s.flags & SHF_ALLOC ? BASE + s.offset : 0) // sh_addr
      w.word(s.offset)
      w.word(s.size)
      w.u32(s.link)
      w.u32(s.info)
      w.word(s.align)
      w.word(s.entsize)
    }
  }
  if (options.appended) w.bytes(options.appended)
  return w.buffer()
}

/** Starts of foreign binaries (only their magic matters to the checks). */
export const MACHO_64 = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x07, 0x00, 0x00, 0x01, 0, 0, 0, 0])
export const MACHO_FAT = Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2, 0, 0, 0, 0])

/** A minimal PE image start: "MZ", e_lfanew at 0x3c pointing at "PE\0\0". */
export function peStub(): Buffer {
  const buf = Buffer.alloc(0x80)
  buf.write('MZ', 0, 'latin1')
  buf.writeUInt32LE(0x40, 0x3c)
  buf.write('PE\0\0', 0x40, 'latin1')
  return buf
}
