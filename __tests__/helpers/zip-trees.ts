/**
 * Deterministic layer trees for the zip tests and the zip benchmark: the same
 * seed writes the same names, modes and bytes on every machine, so a zip of
 * the tree can be pinned to one CodeSha256.
 */
import fs from 'node:fs'
import path from 'node:path'

/** A small seeded generator (xorshift32): not for security, only repeatable. */
export class SeededRandom {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    let x = this.state
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    this.state = x >>> 0
    return this.state
  }

  /** An integer in [0, max). */
  below(max: number): number {
    return this.next() % max
  }

  /** Bytes that deflate cannot shrink. */
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length)
    let at = 0
    for (; at + 4 <= length; at += 4) out.writeUInt32LE(this.next(), at)
    for (; at < length; at++) out[at] = this.next() & 0xff
    return out
  }

  /** Python-like source text, which deflates well. */
  text(length: number): Buffer {
    const out = Buffer.alloc(length)
    let at = 0
    let column = 0
    while (at < length) {
      const word = WORDS[this.below(WORDS.length)]
      const token =
        column > 60 ? '\n' : column === 0 ? `${INDENTS[this.below(3)]}${word}` : ` ${word}`
      at += out.write(token, at, 'utf8')
      column = token === '\n' ? 0 : column + token.length
    }
    return out
  }

  /** Machine-code-like bytes: random runs between runs of zeros, deflates part way. */
  binary(length: number): Buffer {
    const out = Buffer.alloc(length)
    let at = 0
    while (at < length) {
      const run = Math.min(length - at, 64 + this.below(4096))
      if (this.below(3) === 0) this.bytes(run).copy(out, at)
      at += run
    }
    return out
  }
}

const WORDS = [
  'def',
  'return',
  'import',
  'self',
  'None',
  'if',
  'else:',
  'for',
  'in',
  'range(n):',
  'value',
  'numpy',
  'array',
  '=',
  '+=',
  '(x,',
  'y)',
  'raise',
  'ValueError("bad")',
  'class',
  'Frame:',
  '# comment',
  'lambda',
  'yield',
  'data[i]'
]
const INDENTS = ['', '    ', '        ']

function write(root: string, rel: string, content: Buffer, mode = 0o644): void {
  const file = path.join(root, rel)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, content)
  fs.chmodSync(file, mode)
}

/**
 * The pinned tree: empty, one-byte, small, text, incompressible and
 * partly compressible files, executables (0755 and owner-only 0700), a file
 * whose mode is group-writable, nested and empty folders, and names in
 * several scripts. About 2.5 MiB.
 */
export function writeFixedTree(root: string): void {
  const random = new SeededRandom(20240611)
  write(root, 'python/pkg/__init__.py', Buffer.alloc(0))
  write(root, 'python/pkg/one.txt', Buffer.from('x'))
  write(root, 'python/pkg/small.py', Buffer.from('VALUE = 1\n'))
  write(root, 'python/pkg/core.py', random.text(48 * 1024), 0o664)
  write(root, 'python/pkg/large.txt', random.text(1536 * 1024))
  write(root, 'python/pkg/random.bin', random.bytes(300 * 1024))
  write(root, 'python/pkg/_native.so', random.binary(400 * 1024), 0o755)
  write(root, 'python/pkg/zeros.dat', Buffer.alloc(256 * 1024))
  write(root, 'python/bin/tool', Buffer.from('#!/bin/sh\necho tool\n'), 0o700)
  write(root, 'python/pkg/deep/a/b/c/leaf.py', random.text(3000))
  write(root, 'python/pkg-1.0.dist-info/RECORD', Buffer.from('pkg/__init__.py,,\n'))
  write(root, 'python/pkg-1.0.dist-info/METADATA', Buffer.from('Name: pkg\nVersion: 1.0\n'))
  write(root, 'python/données/é-unicode.py', Buffer.from('u = "é"\n'))
  write(root, 'python/日本語/名前.txt', Buffer.from('名前\n'))
  write(root, 'python/emoji-🐍.py', random.text(700))
  fs.mkdirSync(path.join(root, 'python', 'empty-dir'), { recursive: true })
}

export interface GeneratedTreeOptions {
  /** Approximate total bytes of the files. */
  bytes: number
  seed: number
}

/**
 * A tree shaped like an installed package set: many small text files, fewer
 * medium files, a few large ones (mostly binary), some empty files and
 * executables, spread over nested folders. Returns the bytes written.
 */
export function writeGeneratedTree(root: string, options: GeneratedTreeOptions): number {
  const random = new SeededRandom(options.seed)
  let written = 0
  let index = 0
  while (written < options.bytes) {
    const pkg = `pkg${random.below(12)}`
    const sub = random.below(4) === 0 ? `/sub${random.below(6)}/inner${random.below(3)}` : ''
    const roll = random.below(100)
    let size: number
    let content: (n: number) => Buffer
    let name: string
    if (roll < 3) {
      size = 0
      content = () => Buffer.alloc(0)
      name = `__init__${index}.py`
    } else if (roll < 88) {
      size = 200 + random.below(24 * 1024)
      content = n => random.text(n)
      name = `module_${index}.py`
    } else if (roll < 99) {
      size = 16 * 1024 + random.below(480 * 1024)
      content = n => (random.below(2) === 0 ? random.binary(n) : random.text(n))
      name = `data_${index}.${random.below(2) === 0 ? 'so' : 'json'}`
    } else {
      size = 1024 * 1024 + random.below(8 * 1024 * 1024)
      content = n => (random.below(3) === 0 ? random.bytes(n) : random.binary(n))
      name = `lib_${index}.so`
    }
    size = Math.max(0, Math.min(size, options.bytes - written))
    const mode = name.endsWith('.so') && random.below(2) === 0 ? 0o755 : 0o644
    write(root, `python/${pkg}${sub}/${name}`, content(size), mode)
    written += size
    index++
  }
  return written
}
