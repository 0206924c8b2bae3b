import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { ActionError } from '../../../src/errors.js'
import { escapingArchiveLinks, tarLinks } from '../../../src/install/sdist-links.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdist-links-'))

/** A ustar header block; sizes past the octal field's reach are written in base 256 (GNU). */
function header(name: string, type: string, size: number, link = '', base256 = false): Buffer {
  const block = Buffer.alloc(512)
  block.write(name, 0, 100, 'utf8')
  block.write('0000644\0', 100)
  if (base256 || size > 0o77777777777) {
    block[124] = 0x80
    let rest = size
    for (let i = 135; i > 124; i--) {
      block[i] = rest % 256
      rest = Math.floor(rest / 256)
    }
  } else {
    block.write(`${size.toString(8).padStart(11, '0')}\0`, 124)
  }
  block.write(type, 156)
  block.write(link, 157, 100, 'utf8')
  block.write('ustar\0', 257)
  block.write('00', 263)
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return block
}

/** An entry: its header, then its data padded to whole blocks. */
function entry(name: string, type: string, link = '', data = Buffer.alloc(0)): Buffer {
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512)
  data.copy(padded)
  return Buffer.concat([header(name, type, data.length, link), padded])
}

/** One pax record: "len key=value\n", its length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  let length = body.length + 1
  while (`${length}${body}`.length !== length) length++
  return `${length}${body}`
}

const END = Buffer.alloc(1024)

/**
 * Runs `work`, then gives a timer a turn: a synchronous run that overstays
 * the test's timeout then fails the test (rather than passing late). No
 * duration is asserted.
 */
async function completes<T>(work: () => T): Promise<T> {
  const result = work()
  await new Promise(resolve => setTimeout(resolve, 0))
  return result
}

/** A generous guard: the scans take milliseconds; the quadratic ones took minutes. */
const GUARD = 10_000
const LEAK = { entry: 'pkg-1.0/leak', target: '/etc/passwd' }

/** Writes a gzipped tar, streaming its parts (a part may repeat a buffer many times). */
async function gzipTar(name: string, parts: Iterable<Buffer>): Promise<string> {
  const file = path.join(dir, name)
  await pipeline(
    async function* () {
      yield* parts
    },
    zlib.createGzip({ level: 1 }),
    fs.createWriteStream(file)
  )
  return file
}

/** `size` bytes of zeros as MiB chunks (one buffer, yielded again and again). */
function* zeros(size: number): Generator<Buffer> {
  const chunk = Buffer.alloc(1024 * 1024)
  for (let left = size; left > 0; left -= chunk.length) {
    yield left >= chunk.length ? chunk : chunk.subarray(0, left)
  }
}

describe('escapingArchiveLinks, streamed', () => {
  it('finds a link after a 300 MB entry without holding the entry in memory', async () => {
    const size = 300 * 1024 * 1024
    const file = await gzipTar(
      'big-1.0.tar.gz',
      (function* () {
        yield header('pkg-1.0/big.bin', '0', size)
        yield* zeros(size)
        yield entry('pkg-1.0/leak', '2', '/etc/passwd')
        yield entry('pkg-1.0/alias', '2', 'big.bin')
        yield END
      })()
    )
    expect(fs.statSync(file).size).toBeLessThan(size / 100)

    const before = process.memoryUsage().rss
    let peak = before
    const watch = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 2)
    try {
      expect(await escapingArchiveLinks(file)).toEqual([LEAK])
    } finally {
      clearInterval(watch)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    expect(peak - before).toBeLessThan(size / 6)
  })

  it('stops, naming the archive and the limit, past the cap on unpacked bytes', async () => {
    const file = await gzipTar('capped-1.0.tar.gz', [
      entry('pkg-1.0/data.bin', '0', '', Buffer.alloc(1024 * 1024)),
      entry('pkg-1.0/leak', '2', '/etc/passwd'),
      END
    ])
    const scan = escapingArchiveLinks(file, { maxBytes: 256 * 1024 })
    await expect(scan).rejects.toThrow(ActionError)
    await expect(escapingArchiveLinks(file, { maxBytes: 256 * 1024 })).rejects.toThrow(
      /capped-1\.0\.tar\.gz.*more than 256\.0 KiB/
    )
    // Under the cap, the same archive is read to its end.
    expect(await escapingArchiveLinks(file, { maxBytes: 2 * 1024 * 1024 })).toEqual([LEAK])
  })

  it('stops past the cap on entries', async () => {
    const file = await gzipTar('many-1.0.tar.gz', [
      ...Array.from({ length: 5 }, (_, i) => entry(`pkg-1.0/f${i}`, '0')),
      END
    ])
    await expect(escapingArchiveLinks(file, { maxEntries: 3 })).rejects.toThrow(
      /many-1\.0\.tar\.gz.*more than 3 entries/
    )
    expect(await escapingArchiveLinks(file, { maxEntries: 5 })).toEqual([])
  })

  it('refuses a pax header or long name past its cap', async () => {
    const pax = Buffer.from(paxRecord('comment', 'x'.repeat(2000)))
    const file = await gzipTar('pax-1.0.tar.gz', [
      entry('pax', 'x', '', pax),
      entry('pkg-1.0/a', '0'),
      END
    ])
    await expect(escapingArchiveLinks(file, { maxHeaderData: 1024 })).rejects.toThrow(
      /pax-1\.0\.tar\.gz.*1\.0 KiB/
    )
    expect(await escapingArchiveLinks(file)).toEqual([])
  })

  it('reads an uncompressed tar the same way', async () => {
    const file = path.join(dir, 'plain-1.0.tar')
    fs.writeFileSync(file, Buffer.concat([entry('pkg-1.0/leak', '2', '/etc/passwd'), END]))
    expect(await escapingArchiveLinks(file)).toEqual([LEAK])
  })

  it('leaves other archives alone', async () => {
    expect(await escapingArchiveLinks(path.join(dir, 'pkg-1.0.zip'))).toEqual([])
  })
})

describe('tarLinks, framing', () => {
  it('skips an entry whose size is in a pax record', () => {
    const data = Buffer.alloc(1024)
    const tar = Buffer.concat([
      entry('pax', 'x', '', Buffer.from(paxRecord('size', '1024'))),
      header('pkg-1.0/data.bin', '0', 0),
      data,
      entry('pkg-1.0/leak', '2', '/etc/passwd'),
      END
    ])
    expect(tarLinks(tar)).toEqual([LEAK])
  })

  it('skips an entry whose size is written in base 256', () => {
    const tar = Buffer.concat([
      header('pkg-1.0/data.bin', '0', 1024, '', true),
      Buffer.alloc(1024),
      entry('pkg-1.0/leak', '2', '/etc/passwd'),
      END
    ])
    expect(tarLinks(tar)).toEqual([LEAK])
  })

  it.each(['1', '2', '5', '\0'])(
    'reads what follows a type %j entry of nonzero size as tarfile does',
    type => {
      // tarfile skips no data after links, devices and folders (an old-style
      // folder: type NUL, name ending "/"): the next block is a header.
      const name = type === '\0' ? 'pkg-1.0/dir/' : 'pkg-1.0/x'
      const tar = Buffer.concat([
        header(name, type, 1024, type === '1' || type === '2' ? 'pkg-1.0/y' : ''),
        entry('pkg-1.0/leak', '2', '/etc/passwd'),
        entry('pkg-1.0/pad', '0', '', Buffer.alloc(512)),
        END
      ])
      expect(tarLinks(tar).filter(link => link.entry === 'pkg-1.0/leak')).toEqual([LEAK])
    }
  )

  it('skips the data of a plain file of type NUL', () => {
    const data = Buffer.concat([header('pkg-1.0/fake', '2', 0, '/etc/passwd'), Buffer.alloc(512)])
    const tar = Buffer.concat([header('pkg-1.0/file', '\0', 1024), data, END])
    expect(tarLinks(tar)).toEqual([])
  })

  it("reads Solaris' X header as a pax header", () => {
    const tar = Buffer.concat([
      entry('pax', 'X', '', Buffer.from(paxRecord('linkpath', '/etc/passwd'))),
      entry('pkg-1.0/leak', '2', 'harmless'),
      END
    ])
    expect(tarLinks(tar)).toEqual([LEAK])
  })

  it(
    'reads a GNU long name up to its first NUL',
    async () => {
      const name = Buffer.concat([
        Buffer.from('pkg-1.0/a/very/long/name\0'),
        Buffer.alloc(256 * 1024),
        Buffer.from('x')
      ])
      const tar = Buffer.concat([
        entry('././@LongLink', 'L', '', name),
        entry('ignored', '2', '/etc/passwd'),
        END
      ])
      expect(await completes(() => tarLinks(tar))).toEqual([
        { entry: 'pkg-1.0/a/very/long/name', target: '/etc/passwd' }
      ])
    },
    GUARD
  )

  it(
    'reads a pax header of zero-padded lengths in one pass',
    async () => {
      const pax = Buffer.from(`${'0'.repeat(256 * 1024)}1 `)
      const tar = Buffer.concat([
        entry('pax', 'x', '', pax),
        entry('pkg-1.0/leak', '2', '/etc/passwd'),
        END
      ])
      expect(await completes(() => tarLinks(tar))).toEqual([LEAK])
    },
    GUARD
  )
})
