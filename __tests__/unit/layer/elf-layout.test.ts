import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import {
  ET_DYN,
  ET_REL,
  isStrippable,
  loadedImageChange,
  readElfLayout
} from '../../../src/layer/elf-layout.js'
import { buildElf, EM_AARCH64, glibcNeeds } from '../../helpers/elf-fixtures.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-layout-test-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

/** GNU strip --strip-unneeded of `data`, through a file. */
function gnuStrip(data: Buffer): Buffer {
  const file = path.join(tmp, `strip-${Math.random().toString(36).slice(2)}.so`)
  fs.writeFileSync(file, data)
  execFileSync('strip', ['--strip-unneeded', file])
  return fs.readFileSync(file)
}

/** The 64-bit little-endian program header `index` of `buf`: where its fields lie. */
function phdrAt(buf: Buffer, index: number): number {
  return Number(buf.readBigUInt64LE(0x20)) + index * buf.readUInt16LE(0x36)
}

describe('readElfLayout', () => {
  it('reads the type, machine, sections by name and the end of the content', () => {
    const data = buildElf({ machine: EM_AARCH64, symtab: true, needs: glibcNeeds('GLIBC_2.17') })
    const layout = readElfLayout(data)
    expect(layout).not.toBeNull()
    expect(layout?.type).toBe(ET_DYN)
    expect(layout?.machine).toBe(EM_AARCH64)
    expect(layout?.sections.map(s => s.name)).toEqual([
      '',
      '.dynstr',
      '.gnu.version_r',
      '.dynamic',
      '.shstrtab',
      '.symtab',
      '.strtab'
    ])
    expect(layout?.segments.map(s => s.type)).toEqual([1, 2])
    // The section header table is the last thing in the file.
    expect(layout?.end).toBe(data.length)
  })

  it('ends before bytes appended to the file', () => {
    const data = buildElf({ appended: Buffer.from('PK\u0003\u0004 an archive') })
    expect(readElfLayout(data)?.end).toBe(data.length - 15)
  })

  it('reads an object file as ET_REL', () => {
    expect(readElfLayout(buildElf({ type: ET_REL }))?.type).toBe(ET_REL)
  })

  it('reads a file without section headers: no sections, the segments still', () => {
    const layout = readElfLayout(buildElf({ sectionHeaders: false }))
    expect(layout?.sections).toEqual([])
    expect(layout?.segments.length).toBe(2)
  })

  it.each<[string, Buffer]>([
    ['text', Buffer.from('not an ELF file at all, just some text here')],
    ['an ELF header cut short', buildElf().subarray(0, 40)],
    ['section headers past the end', buildElf({ symtab: true }).subarray(0, 0x140)],
    [
      'a bad class byte',
      Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9]), Buffer.alloc(80)])
    ]
  ])('null for %s', (_what, data) => {
    expect(readElfLayout(data)).toBeNull()
  })

  it('counts a symbol table and debug sections as strippable, nothing else', () => {
    const section = (name: string, type = 1): Parameters<typeof isStrippable>[0] => ({
      name,
      type,
      offset: 0,
      size: 1
    })
    expect(isStrippable(section('.symtab', 2))).toBe(true)
    expect(isStrippable(section('.debug_info'))).toBe(true)
    expect(isStrippable(section('.zdebug_line'))).toBe(true)
    expect(isStrippable(section('.stab'))).toBe(true)
    expect(isStrippable(section('.dynsym', 11))).toBe(false)
    expect(isStrippable(section('.comment'))).toBe(false)
    expect(isStrippable(section('.gnu_debuglink'))).toBe(false)
  })
})

describe('loadedImageChange', () => {
  const original = buildElf({ symtab: true, soname: 'libx.so', needs: glibcNeeds('GLIBC_2.17') })

  it('the same file loads the same', () => {
    expect(loadedImageChange(original, Buffer.from(original))).toBeUndefined()
  })

  it("GNU strip's copy loads the same: only the symbol table and section headers went", () => {
    const stripped = gnuStrip(original)
    expect(stripped.length).toBeLessThan(original.length)
    expect(readElfLayout(stripped)?.sections.some(isStrippable)).toBe(false)
    expect(loadedImageChange(original, stripped)).toBeUndefined()
  })

  it('ignores the section header fields of the ELF header', () => {
    // As if the section headers were gone: the loader never reads them.
    const changed = Buffer.from(original)
    changed.writeBigUInt64LE(0n, 0x28) // e_shoff
    changed.writeUInt16LE(0, 0x3c) // e_shnum
    changed.writeUInt16LE(0, 0x3e) // e_shstrndx
    expect(readElfLayout(changed)?.sections).toEqual([])
    expect(loadedImageChange(original, changed)).toBeUndefined()
  })

  it('a byte changed inside a loaded segment', () => {
    const changed = Buffer.from(original)
    changed[0xb1] ^= 0xff // in .dynstr, inside the LOAD segment
    expect(loadedImageChange(original, changed)).toBe('the bytes of its LOAD segment 0 changed')
  })

  it('a field of the ELF header the loader reads', () => {
    const changed = Buffer.from(original)
    changed.writeBigUInt64LE(0x999n, 0x18) // e_entry
    expect(loadedImageChange(original, changed)).toBe('its ELF header changed')
  })

  it('a segment that shrank', () => {
    const changed = Buffer.from(original)
    const at = phdrAt(changed, 0)
    changed.writeBigUInt64LE(changed.readBigUInt64LE(at + 0x20) - 8n, at + 0x20) // p_filesz
    expect(loadedImageChange(original, changed)).toBe('its LOAD segment 0 changed its filesz')
  })

  it('a LOAD segment moved off its alignment (what the loader refuses)', () => {
    // The same bytes, one page and 0x10 further into the file.
    const shift = 0x1010
    const moved = Buffer.concat([
      original.subarray(0, 0x40 + 2 * 56),
      Buffer.alloc(shift),
      original.subarray(0x40 + 2 * 56)
    ])
    const at = phdrAt(moved, 0)
    moved.writeBigUInt64LE(BigInt(shift), at + 0x08) // p_offset
    moved.writeBigUInt64LE(0n, 0x28) // no section headers: they moved too
    moved.writeUInt16LE(0, 0x3c)
    expect(loadedImageChange(original, moved)).toMatch(
      /^its LOAD segment 0 moved from offset 0x0 to 0x1010, off its alignment$/
    )
  })

  it('another segment count, or a file that is no longer ELF', () => {
    const changed = Buffer.from(original)
    changed.writeUInt16LE(1, 0x38) // e_phnum
    expect(loadedImageChange(original, changed)).toBe(
      'its program headers changed (2 segments, then 1)'
    )
    expect(loadedImageChange(original, Buffer.from('garbage'))).toBe(
      'the stripped file is not a readable ELF file'
    )
  })
})
