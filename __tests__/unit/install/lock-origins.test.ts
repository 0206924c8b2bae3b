import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { wheelFileTags, withLockedOrigins } from '../../../src/install/lock-install.js'
import type { InstallerEnv } from '../../../src/install/installer-env.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const C = 'c'.repeat(64)

describe('wheelFileTags', () => {
  it.each([
    ['six-1.17.0-py2.py3-none-any.whl', ['py2-none-any', 'py3-none-any']],
    [
      'numpy-2.2.6-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      ['cp312-cp312-manylinux2014_x86_64', 'cp312-cp312-manylinux_2_17_x86_64']
    ],
    ['six-1.17.0.tar.gz', []],
    ['broken.whl', []]
  ])('%s', (file, tags) => {
    expect(wheelFileTags(file)).toEqual(tags)
  })
})

describe('withLockedOrigins', () => {
  it("gives a package the hash of the lock's wheel whose tags are the installed WHEEL's", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-origins-'))
    const lock = path.join(dir, 'pylock.toml')
    const url = 'https://files.example/packages'
    fs.writeFileSync(
      lock,
      [
        'lock-version = "1.0"',
        '[[packages]]',
        'name = "six"',
        'version = "1.17.0"',
        `sdist = { url = "${url}/six-1.17.0.tar.gz", hashes = { sha256 = "${A}" } }`,
        `wheels = [{ url = "${url}/six-1.17.0-py2.py3-none-any.whl", hashes = { sha256 = "${B}" } }]`,
        '[[packages]]',
        'name = "idna"',
        'version = "3.10"',
        `sdist = { url = "${url}/idna-3.10.tar.gz", hashes = { sha256 = "${C}" } }`,
        ''
      ].join('\n')
    )
    const site = path.join(dir, 'python')
    const wheel = (folder: string, tags: string[]) => {
      fs.mkdirSync(path.join(site, folder), { recursive: true })
      const [name, version] = folder.replace('.dist-info', '').split('-')
      fs.writeFileSync(
        path.join(site, folder, 'METADATA'),
        `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`
      )
      fs.writeFileSync(
        path.join(site, folder, 'WHEEL'),
        `Wheel-Version: 1.0\n${tags.map(t => `Tag: ${t}\n`).join('')}`
      )
    }
    wheel('six-1.17.0.dist-info', ['py2-none-any', 'py3-none-any'])
    wheel('idna-3.10.dist-info', ['py3-none-any'])
    const packages = await withLockedOrigins(
      { kind: 'pylock', file: lock, groups: [], extras: [] },
      'python3',
      undefined as unknown as InstallerEnv,
      site,
      [
        { name: 'six', version: '1.17.0' },
        // The lock names no wheel that fits: no hash rather than the sdist's.
        { name: 'idna', version: '3.10' }
      ]
    )
    expect(packages).toEqual([
      { name: 'six', version: '1.17.0', sha256: B },
      { name: 'idna', version: '3.10' }
    ])
  })
})
