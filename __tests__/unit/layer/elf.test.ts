import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { highestGlibc, parseGlibcVersion, readElf } from '../../../src/layer/elf.js'
import {
  EM_386,
  EM_AARCH64,
  EM_PPC64,
  EM_X86_64,
  MACHO_64,
  buildElf,
  glibcNeeds,
  peStub,
  type ElfFixtureOptions
} from '../../helpers/elf-fixtures.js'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'elf-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function hasReadelf(): boolean {
  try {
    execFileSync('readelf', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Version names `readelf -V` lists in the version-needs section (not the definitions). */
function readelfNeeds(file: string): string[] {
  const out = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const at = out.indexOf('Version needs section')
  if (at === -1) return []
  return [...new Set([...out.slice(at).matchAll(/Name: (\S+)/g)].map(m => m[1]))].sort()
}

describe('readElf on generated binaries', () => {
  it.each<{ name: string; options: ElfFixtureOptions; expected: object }>([
    {
      name: 'x86_64 extension needing GLIBC_2.17',
      options: { needs: glibcNeeds('GLIBC_2.2.5', 'GLIBC_2.17') },
      expected: { elfClass: 64, littleEndian: true, machine: EM_X86_64, glibcMax: [2, 17] }
    },
    {
      name: 'aarch64 extension needing GLIBC_2.28',
      options: { machine: EM_AARCH64, needs: glibcNeeds('GLIBC_2.17', 'GLIBC_2.28') },
      expected: { elfClass: 64, littleEndian: true, machine: EM_AARCH64, glibcMax: [2, 28] }
    },
    {
      name: 'highest version across several libraries',
      options: {
        needs: [
          { file: 'libm.so.6', versions: ['GLIBC_2.29'] },
          { file: 'libc.so.6', versions: ['GLIBC_2.14', 'GLIBC_2.2.5'] },
          { file: 'libpthread.so.0', versions: ['GLIBC_2.3.2'] }
        ]
      },
      expected: { machine: EM_X86_64, glibcMax: [2, 29] }
    },
    {
      name: 'libstdc++ and private versions do not count as glibc',
      options: {
        needs: [
          { file: 'libstdc++.so.6', versions: ['GLIBCXX_3.4.30', 'CXXABI_1.3.13'] },
          { file: 'libc.so.6', versions: ['GLIBC_PRIVATE', 'GLIBC_2.4'] }
        ]
      },
      expected: { glibcMax: [2, 4] }
    },
    {
      name: 'GLIBC_ABI_DT_RELR means glibc 2.36',
      options: { needs: glibcNeeds('GLIBC_ABI_DT_RELR', 'GLIBC_2.34') },
      expected: { glibcMax: [2, 36] }
    },
    {
      name: 'no version needs',
      options: {},
      expected: { machine: EM_X86_64, glibcMax: null, versionNames: [], incomplete: false }
    },
    {
      name: '32-bit i386',
      options: { elfClass: 32, machine: EM_386, needs: glibcNeeds('GLIBC_2.0', 'GLIBC_2.1.3') },
      expected: { elfClass: 32, littleEndian: true, machine: EM_386, glibcMax: [2, 1] }
    },
    {
      name: 'big-endian ppc64',
      options: { littleEndian: false, machine: EM_PPC64, needs: glibcNeeds('GLIBC_2.17') },
      expected: { elfClass: 64, littleEndian: false, machine: EM_PPC64, glibcMax: [2, 17] }
    },
    {
      name: 'big-endian 32-bit',
      options: { littleEndian: false, elfClass: 32, machine: 8, needs: glibcNeeds('GLIBC_2.0') },
      expected: { elfClass: 32, littleEndian: false, machine: 8, glibcMax: [2, 0] }
    },
    {
      name: 'no section headers: needs read through the dynamic segment',
      options: { sectionHeaders: false, needs: glibcNeeds('GLIBC_2.17', 'GLIBC_2.34') },
      expected: { glibcMax: [2, 34], incomplete: false }
    }
  ])('$name', ({ options, expected }) => {
    expect(readElf(buildElf(options))).toMatchObject(expected)
  })

  it('lists every needed version name once, sorted', () => {
    const info = readElf(
      buildElf({
        needs: [
          { file: 'libc.so.6', versions: ['GLIBC_2.4', 'GLIBC_2.2.5'] },
          { file: 'libm.so.6', versions: ['GLIBC_2.2.5'] }
        ]
      })
    )
    expect(info?.versionNames).toEqual(['GLIBC_2.2.5', 'GLIBC_2.4'])
  })
})

describe('readElf on non-ELF and damaged input', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('import os\n')],
    ['Mach-O', MACHO_64],
    ['PE', peStub()],
    ['magic only', Buffer.from([0x7f, 0x45, 0x4c, 0x46])],
    [
      'invalid class byte',
      Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9, 1]), Buffer.alloc(58)])
    ]
  ])('%s → null', (_name, buf) => {
    expect(readElf(buf)).toBeNull()
  })

  const full = buildElf({ needs: glibcNeeds('GLIBC_2.17', 'GLIBC_2.28') })

  it('never throws on any truncation of a valid file', () => {
    for (let length = 0; length <= full.length; length++) {
      expect(() => readElf(full.subarray(0, length))).not.toThrow()
    }
  })

  it('still reports class, endianness and machine when only the header is there', () => {
    expect(readElf(full.subarray(0, 64))).toMatchObject({
      elfClass: 64,
      littleEndian: true,
      machine: EM_X86_64
    })
  })

  it('says incomplete when the version needs are cut off', () => {
    const sectionsGone = readElf(full.subarray(0, 100))
    expect(sectionsGone).toMatchObject({ glibcMax: null, incomplete: true })
  })

  it('falls back to the dynamic segment when the section table is cut off', () => {
    // The section header table sits at the end of the generated file.
    const withoutTail = full.subarray(0, full.length - 8)
    expect(readElf(withoutTail)).toMatchObject({ glibcMax: [2, 28], incomplete: false })
  })

  it('never throws or hangs on randomly corrupted files', () => {
    let seed = 12345
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const sources = [
      full,
      buildElf({ elfClass: 32, needs: glibcNeeds('GLIBC_2.1') }),
      buildElf({ sectionHeaders: false, needs: glibcNeeds('GLIBC_2.17') })
    ]
    for (let round = 0; round < 3000; round++) {
      const buf = Buffer.from(sources[round % sources.length])
      const flips = 1 + Math.floor(random() * 8)
      for (let i = 0; i < flips; i++) {
        // keep the magic so the parser goes past the first check
        const at = 4 + Math.floor(random() * (buf.length - 4))
        buf[at] = Math.floor(random() * 256)
      }
      expect(() => readElf(buf)).not.toThrow()
    }
  })
})

describe('glibc version names', () => {
  it.each<[string, [number, number] | null]>([
    ['GLIBC_2.28', [2, 28]],
    ['GLIBC_2.2.5', [2, 2]],
    ['GLIBC_2.3.4', [2, 3]],
    ['GLIBC_PRIVATE', null],
    ['GLIBCXX_3.4.29', null],
    ['GLIBC_ABI_DT_RELR', [2, 36]],
    ['XGLIBC_2.30', null]
  ])('%s → %j', (name, expected) => {
    expect(parseGlibcVersion(name)).toEqual(expected)
  })

  it('compares numerically, not as text (2.9 < 2.17)', () => {
    expect(highestGlibc(['GLIBC_2.9', 'GLIBC_2.17', 'GLIBC_2.3'])).toEqual([2, 17])
  })
})

describe('cross-check with readelf', () => {
  const available = hasReadelf()
  const maybe = available ? it : it.skip

  maybe.each<[string, ElfFixtureOptions]>([
    [
      'ELF64 LE',
      {
        needs: [
          ...glibcNeeds('GLIBC_2.2.5', 'GLIBC_2.28'),
          { file: 'libm.so.6', versions: ['GLIBC_2.29'] }
        ]
      }
    ],
    ['ELF64 BE', { littleEndian: false, machine: EM_PPC64, needs: glibcNeeds('GLIBC_2.17') }],
    ['ELF32', { elfClass: 32, machine: EM_386, needs: glibcNeeds('GLIBC_2.0', 'GLIBC_2.1.3') }]
  ])('readelf reads the generated %s fixture the same way', (name, options) => {
    const file = path.join(tmp, `${name.replace(/\W/g, '_')}.so`)
    const buf = buildElf(options)
    writeFileSync(file, buf)
    expect(readElf(buf)?.versionNames).toEqual(readelfNeeds(file))
  })

  const candidates = [
    '/lib/x86_64-linux-gnu/libm.so.6',
    '/lib/aarch64-linux-gnu/libm.so.6',
    '/usr/lib64/libm.so.6',
    ...libDynload()
  ].filter(f => existsSync(f))

  const realMaybe = available && candidates.length > 0 ? it : it.skip

  realMaybe.each(candidates.length > 0 ? candidates : ['(none)'])(
    'reads the same version needs as readelf from %s',
    file => {
      expect(readElf(readFileSync(file))?.versionNames).toEqual(readelfNeeds(file))
    }
  )

  realMaybe('finds a glibc version in a real libm (the comparison above is not vacuous)', () => {
    const libm = candidates.find(f => f.endsWith('libm.so.6')) ?? candidates[0]
    expect(readElf(readFileSync(libm))?.glibcMax).toEqual(highestGlibc(readelfNeeds(libm)))
    expect(readElf(readFileSync(libm))?.glibcMax).not.toBeNull()
  })

  realMaybe('reports the machine readelf reports for a real shared object', () => {
    const file = candidates[0]
    const header = execFileSync('readelf', ['-h', file], { encoding: 'utf8' })
    const machine = readElf(readFileSync(file))?.machine
    const expected = /X86-64/.test(header) ? EM_X86_64 : /AArch64/.test(header) ? EM_AARCH64 : -1
    expect(machine).toBe(expected)
  })
})

/** A few CPython extension modules, when a pyenv or system Python is around. */
function libDynload(): string[] {
  const dirs = [
    '/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload',
    '/usr/lib/python3.11/lib-dynload'
  ]
  for (const dir of dirs) {
    if (!existsSync(dir)) continue
    return readdirSync(dir)
      .filter(f => f.endsWith('.so'))
      .sort()
      .slice(0, 10)
      .map(f => path.join(dir, f))
  }
  return []
}
