/**
 * Which files hold machine code: recognised by their first bytes (ELF,
 * Mach-O, PE), or by the name of a shared library even when its bytes are
 * not there to read. "Machine code" here always means compiled native code;
 * Python bytecode (.pyc) is "bytecode".
 */

export type BinaryFormat = 'elf' | 'macho' | 'pe' | null

/** Enough of a file's start to recognise ELF, Mach-O and PE (whose header offset sits at 0x3c). */
export const HEAD_BYTES = 1024

export function detectFormat(head: Buffer): BinaryFormat {
  if (head.length < 4) return null
  if (head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return 'elf'
  const be = head.readUInt32BE(0)
  const le = head.readUInt32LE(0)
  const machO = [0xfeedface, 0xfeedfacf]
  if (machO.includes(be) || machO.includes(le)) return 'macho'
  // 0xcafebabe is also the magic of Java class files; a universal (fat)
  // Mach-O has a small architecture count where a class file has its version.
  if ((be === 0xcafebabe || be === 0xcafebabf) && head.length >= 8) {
    const count = head.readUInt32BE(4)
    if (count > 0 && count < 20) return 'macho'
  }
  if (head[0] === 0x4d && head[1] === 0x5a && head.length >= 0x40) {
    const peOffset = head.readUInt32LE(0x3c)
    if (
      peOffset + 4 <= head.length &&
      head.toString('latin1', peOffset, peOffset + 4) === 'PE\0\0'
    ) {
      return 'pe'
    }
  }
  return null
}

const LIBRARY_SUFFIXES = ['.so', '.pyd', '.dll', '.dylib']

/** A shared library's name: x.so, x.so.1.2, x.pyd, x.dll, x.dylib. */
export function isLibraryName(name: string): boolean {
  return LIBRARY_SUFFIXES.some(s => name.endsWith(s) || name.includes(`${s}.`))
}
