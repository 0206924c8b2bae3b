import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findInterpreter, toolCacheInterpreters } from '../../../src/install/interpreters.js'

/** A tool cache with Python/<version>/<arch>/bin/python3 for each version. */
function toolCache(versions: string[], arch = 'x64'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-'))
  for (const v of versions) {
    const bin = path.join(root, 'Python', v, arch, 'bin')
    fs.mkdirSync(bin, { recursive: true })
    fs.writeFileSync(path.join(bin, 'python3'), '')
  }
  return root
}

const noPath = async (): Promise<string | undefined> => undefined

describe('toolCacheInterpreters', () => {
  const cache = toolCache(['3.11.9', '3.12.1', '3.12.10', '3.12.7', '3.13.0'])

  it('lists the minor version newest first (3.12.10 > 3.12.7)', () => {
    expect(toolCacheInterpreters(cache, '3.12', 'x64').map(i => i.version)).toEqual([
      '3.12.10',
      '3.12.7',
      '3.12.1'
    ])
  })

  it('does not take 3.1 for 3.12, nor another architecture', () => {
    expect(toolCacheInterpreters(cache, '3.1', 'x64')).toEqual([])
    expect(toolCacheInterpreters(cache, '3.12', 'arm64')).toEqual([])
  })

  it('takes an exact version when asked', () => {
    expect(toolCacheInterpreters(cache, '3.12', 'x64', '3.12.7').map(i => i.version)).toEqual([
      '3.12.7'
    ])
  })
})

describe('findInterpreter', () => {
  const cache = toolCache(['3.12.7'])

  it('prefers the tool cache', async () => {
    const found = await findInterpreter({
      minor: '3.12',
      toolCache: cache,
      hostArch: 'x64',
      probe: noPath
    })
    expect(found).toMatchObject({ version: '3.12.7', source: 'tool cache' })
    expect(found.path).toBe(path.join(cache, 'Python', '3.12.7', 'x64', 'bin', 'python3'))
  })

  it('falls back to PATH, skipping commands of another version or that do not run', async () => {
    const versions: Record<string, string | undefined> = {
      'python3.13': undefined,
      python3: '3.11.7',
      python: '3.13.2'
    }
    const found = await findInterpreter({
      minor: '3.13',
      toolCache: toolCache([]),
      probe: async c => versions[c]
    })
    expect(found).toEqual({ path: 'python', version: '3.13.2', source: 'PATH' })
  })

  it('fails naming the version and showing the setup-python step', async () => {
    await expect(
      findInterpreter({ minor: '3.14', toolCache: cache, hostArch: 'x64', probe: noPath })
    ).rejects.toThrow(
      /No Python 3\.14 interpreter found[\s\S]*actions\/setup-python[\s\S]*python-version: '3\.14'/
    )
  })

  it('checks that a python-version path is the runtime version', async () => {
    await expect(
      findInterpreter({
        minor: '3.12',
        override: '/opt/py/bin/python',
        probe: async () => '3.11.2'
      })
    ).rejects.toThrow(
      /`python-version` is "\/opt\/py\/bin\/python", which is Python 3\.11\.2; the runtime needs Python 3\.12/
    )
  })

  it('takes an exact python-version from the tool cache', async () => {
    const found = await findInterpreter({
      minor: '3.12',
      override: '3.12.7',
      toolCache: toolCache(['3.12.7', '3.12.9']),
      hostArch: 'x64',
      probe: noPath
    })
    expect(found.version).toBe('3.12.7')
  })
})
