import { afterAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  archiveHashes,
  pipHasReport,
  readPipReport,
  singleHashes
} from '../../../src/install/incremental.js'
import { parseRecord } from '../../../src/layer/dist-info.js'
import { isSiteResolution } from '../../../src/layer/earlier.js'
import { previousZipIn } from '../../../src/cache/downloads.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'incremental-unit-'))
afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

function report(install: unknown[], pipVersion: unknown = '25.2'): string {
  const file = path.join(work, `report-${Math.random()}.json`)
  fs.writeFileSync(file, JSON.stringify({ version: '1', pip_version: pipVersion, install }))
  return file
}

const wheel = (name: string, version: string, requested: boolean, url?: string): unknown => ({
  is_direct: false,
  requested,
  metadata: { name, version },
  download_info: {
    url:
      url ??
      `https://files.example/${name.replace(/-/g, '_')}-${version}-py3-none-any.whl#sha256=ab`,
    archive_info: { hashes: { sha256: `${name}-hash` } }
  }
})

describe('readPipReport', () => {
  it('reads each wheel: normalized name, version, file, hash and whether it was requested', () => {
    expect(
      readPipReport(
        report([wheel('Typing_Extensions', '4.12.2', false), wheel('six', '1.16.0', true)])
      )
    ).toEqual({
      pip: '25.2',
      dists: [
        {
          name: 'typing-extensions',
          version: '4.12.2',
          file: 'Typing_Extensions-4.12.2-py3-none-any.whl',
          sha256: 'Typing_Extensions-hash',
          requested: false
        },
        {
          name: 'six',
          version: '1.16.0',
          file: 'six-1.16.0-py3-none-any.whl',
          sha256: 'six-hash',
          requested: true
        }
      ]
    })
  })

  it('decodes a file name from a file: URL', () => {
    const url = 'file:///opt/wheels/my%2Bpkg-1.0-py3-none-any.whl'
    expect(readPipReport(report([wheel('my-pkg', '1.0', true, url)]))?.dists[0].file).toBe(
      'my+pkg-1.0-py3-none-any.whl'
    )
  })

  it('gives nothing for a direct URL, a source distribution, a missing hash or a broken file', () => {
    expect(
      readPipReport(report([{ ...(wheel('a', '1', true) as object), is_direct: true }]))
    ).toBeUndefined()
    expect(
      readPipReport(report([wheel('a', '1', true, 'https://files.example/a-1.tar.gz')]))
    ).toBeUndefined()
    expect(
      readPipReport(
        report([
          {
            ...(wheel('a', '1', true) as object),
            download_info: { url: 'https://x/a-1-py3-none-any.whl' }
          }
        ])
      )
    ).toBeUndefined()
    expect(readPipReport(report([wheel('a', '1', true)], null))).toBeUndefined()
    const broken = path.join(work, 'broken.json')
    fs.writeFileSync(broken, '{')
    expect(readPipReport(broken)).toBeUndefined()
    expect(readPipReport(path.join(work, 'missing.json'))).toBeUndefined()
  })
})

describe('parseRecord', () => {
  it('reads the first field of each row, quoted or not', () => {
    const record = [
      'six.py,sha256=abc,34549',
      '"odd,name.py",sha256=def,10',
      '"say ""hi"".txt",,',
      'six-1.16.0.dist-info/RECORD,,',
      '../../bin/tool,sha256=x,1',
      ''
    ].join('\r\n')
    expect(parseRecord(record)).toEqual([
      'six.py',
      'odd,name.py',
      'say "hi".txt',
      'six-1.16.0.dist-info/RECORD',
      '../../bin/tool'
    ])
  })
})

describe('pipHasReport', () => {
  it('is true from pip 22.2 on', () => {
    expect(pipHasReport('22.1.2')).toBe(false)
    expect(pipHasReport('22.2')).toBe(true)
    expect(pipHasReport('25.2')).toBe(true)
    expect(pipHasReport('9.0.1')).toBe(false)
  })
})

describe('the resolutions kept with the earlier zip', () => {
  const dist = { name: 'six', version: '1.16.0', file: 'six.whl', sha256: 'ab', requested: true }

  it('accepts a site resolution and refuses anything else', () => {
    expect(isSiteResolution({ pip: '25.2', dists: [dist] })).toBe(true)
    expect(isSiteResolution({ pip: '25.2', dists: [{ ...dist, requested: 'yes' }] })).toBe(false)
    expect(isSiteResolution({ pip: '25.2', dists: [{ ...dist, sha256: undefined }] })).toBe(false)
    expect(isSiteResolution({ pip: 25, dists: [] })).toBe(false)
    expect(isSiteResolution({ pip: '25.2', dists: {} })).toBe(false)
    expect(isSiteResolution(null)).toBe(false)
  })

  it('reads back only the well-formed ones from previous.json', () => {
    const dir = fs.mkdtempSync(path.join(work, 'previous-'))
    const origin = { formatVersion: 3, interpreters: { 'python3.12': '3.12.1' }, zlib: '1.3' }
    fs.writeFileSync(path.join(dir, 'previous.zip'), '')
    fs.writeFileSync(
      path.join(dir, 'previous.json'),
      JSON.stringify({
        sha256: 'x',
        origin,
        resolutions: { python: { pip: '25.2', dists: [dist] }, other: { pip: '25.2' } }
      })
    )
    expect(previousZipIn(dir, origin)?.resolutions).toEqual({
      python: { pip: '25.2', dists: [dist] }
    })
  })

  it('serves only a build that stripped alike: not stripped, or by the same strip', () => {
    // Its files are restored as they are in the zip: stripped or not, and by which strip.
    const base = { formatVersion: 3, interpreters: { 'python3.12': '3.12.1' }, zlib: '1.3' }
    const saved = (origin: object): string => {
      const dir = fs.mkdtempSync(path.join(work, 'previous-'))
      fs.writeFileSync(path.join(dir, 'previous.zip'), '')
      fs.writeFileSync(path.join(dir, 'previous.json'), JSON.stringify({ sha256: 'x', origin }))
      return dir
    }
    const gnu = { ...base, strip: 'x86_64: GNU strip (GNU Binutils for Ubuntu) 2.42' }
    const plain = saved(base)
    const stripped = saved(gnu)
    expect(previousZipIn(plain, base)).toBeDefined()
    expect(previousZipIn(stripped, gnu)).toBeDefined()
    expect(previousZipIn(stripped, base)).toBeUndefined()
    expect(previousZipIn(plain, gnu)).toBeUndefined()
    expect(
      previousZipIn(stripped, { ...base, strip: 'x86_64: GNU strip (GNU Binutils) 2.43' })
    ).toBeUndefined()
  })
})

describe('archiveHashes', () => {
  const A = 'a'.repeat(64)
  const B = 'B'.repeat(64)
  it('gives the hash of each archive from an index or a remote URL, by normalized name', () => {
    const file = report([
      {
        ...(wheel('Typing_Extensions', '4.12.2', false) as object),
        download_info: { url: 'https://x/t.whl', archive_info: { hashes: { sha256: A } } }
      },
      {
        is_direct: true,
        metadata: { name: 'remote', version: '1' },
        download_info: { url: 'https://x/remote-1.tar.gz', archive_info: { hash: `sha256=${B}` } }
      },
      {
        is_direct: true,
        metadata: { name: 'local', version: '1' },
        download_info: {
          url: 'file:///tmp/local-1-py3-none-any.whl',
          archive_info: { hashes: { sha256: A } }
        }
      },
      {
        is_direct: true,
        metadata: { name: 'tree', version: '1' },
        download_info: { url: 'file:///src/tree', dir_info: {} }
      }
    ])
    expect(Object.fromEntries(archiveHashes(file))).toEqual({
      'typing-extensions': A,
      remote: B.toLowerCase()
    })
  })

  it('is empty for a report it cannot read', () => {
    expect(archiveHashes(path.join(work, 'missing.json')).size).toBe(0)
  })
})

describe('singleHashes', () => {
  it('names the one file a pinned line allows, and nothing for a line that allows several', () => {
    const A = 'a'.repeat(64)
    const B = 'b'.repeat(64)
    expect(
      Object.fromEntries(
        singleHashes(
          [
            `Six==1.17.0 --hash=sha256:${A}`,
            `idna==3.10 --hash=sha256:${A} --hash=sha256:${B}`,
            `certifi==2024.8.30`,
            `lpl-helper @ file:///tmp/x.whl --hash=sha256:${B}`,
            ''
          ].join('\n')
        )
      )
    ).toEqual({ six: A })
  })
})
