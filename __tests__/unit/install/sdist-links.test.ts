import { describe, expect, it } from '@jest/globals'
import { staysInside, tarLinks } from '../../../src/install/sdist-links.js'

/** A ustar header block (plus data blocks) for one entry. */
function entry(name: string, type: string, link = '', data = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(512)
  header.write(name, 0, 100, 'utf8')
  header.write('0000644\0', 100)
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124)
  header.write(type, 156)
  header.write(link, 157, 100, 'utf8')
  header.write('ustar\0', 257)
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512)
  data.copy(padded)
  return Buffer.concat([header, padded])
}

describe('tarLinks', () => {
  it('lists symbolic and hard links, with pax paths', () => {
    const pax = Buffer.from('30 path=pkg-1.0/pkg/long_name\n')
    const tar = Buffer.concat([
      entry('pkg-1.0/pkg/__init__.py', '0', '', Buffer.from('x = 1\n')),
      entry('pkg-1.0/pkg/alias.py', '2', '__init__.py'),
      entry('pkg-1.0/pkg/leak', '2', '/etc/passwd'),
      entry('pax', 'x', '', pax),
      entry('short', '2', '../../../home/runner/.ssh/id_rsa'),
      entry('pkg-1.0/pkg/hard', '1', 'pkg-1.0/pkg/__init__.py'),
      Buffer.alloc(1024)
    ])
    expect(tarLinks(tar)).toEqual([
      { entry: 'pkg-1.0/pkg/alias.py', target: '__init__.py' },
      { entry: 'pkg-1.0/pkg/leak', target: '/etc/passwd' },
      { entry: 'pkg-1.0/pkg/long_name', target: '../../../home/runner/.ssh/id_rsa' },
      { entry: 'pkg-1.0/pkg/hard', target: 'pkg-1.0/pkg/__init__.py' }
    ])
  })

  it.each([
    [{ entry: 'pkg-1.0/pkg/alias.py', target: '__init__.py' }, false, true],
    [{ entry: 'pkg-1.0/pkg/alias.py', target: '../README' }, false, true],
    [{ entry: 'pkg-1.0/pkg/leak', target: '/etc/passwd' }, false, false],
    [{ entry: 'pkg-1.0/pkg/leak', target: '../../../etc/passwd' }, false, false],
    [{ entry: 'pkg-1.0/pkg/hard', target: 'pkg-1.0/pkg/__init__.py' }, true, true],
    [{ entry: 'pkg-1.0/pkg/hard', target: '../outside' }, true, false]
  ])('%j (hard: %p) stays inside: %p', (link, hard, expected) => {
    expect(staysInside(link, hard)).toBe(expected)
  })
})
