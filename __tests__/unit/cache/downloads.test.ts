import { describe, expect, it } from '@jest/globals'
import { downloadKeys, enoughRestored, userManagedCache } from '../../../src/cache/downloads.js'

describe('downloadKeys', () => {
  it('keeps the layer key readable parts and digest, and falls back to its prefix', () => {
    const keys = downloadKeys(
      'lambda-python-layer-v3-Linux-python3.11+python3.12-x86_64-0123abcd',
      'uv 0.13.9'
    )
    expect(keys).toEqual({
      key: 'lambda-python-layer-downloads-v3-Linux-python3.11+python3.12-x86_64-uv-0123abcd',
      prefix: 'lambda-python-layer-downloads-v3-Linux-python3.11+python3.12-x86_64-uv-'
    })
  })

  it('separates the installers (their caches differ)', () => {
    const key = 'lambda-python-layer-v3-Linux-python3.12-arm64-ff'
    expect(downloadKeys(key, 'pip').prefix).not.toBe(downloadKeys(key, 'uv 0.13.9').prefix)
  })
})

describe('userManagedCache', () => {
  it.each([
    [{ PIP_CACHE_DIR: '/c' }, 'PIP_CACHE_DIR is set'],
    [{ UV_CACHE_DIR: '/c' }, 'UV_CACHE_DIR is set'],
    [{ PIP_NO_CACHE_DIR: '1' }, 'PIP_NO_CACHE_DIR is set'],
    [{ UV_NO_CACHE: 'true' }, 'UV_NO_CACHE is set']
  ])('%j: left to the user', (env, why) => {
    expect(userManagedCache(env)).toBe(why)
  })

  it('takes it over otherwise (a switch that says off does not count)', () => {
    expect(userManagedCache({})).toBeUndefined()
    expect(userManagedCache({ PIP_NO_CACHE_DIR: 'false' })).toBeUndefined()
  })
})

describe('enoughRestored', () => {
  const MiB = 1024 * 1024
  const restored = new Map([
    ['uv/archive-v0/a.whl', 50 * MiB],
    ['uv/simple-v16/pypi/requests.rkyv', 20_000],
    ['previous.zip', 40 * MiB],
    ['previous.json', 300],
    ['tools/uv-0.13.9-x86_64', 37 * MiB]
  ])
  const zip = (reusedBytes: number) => ({
    path: 'layer.zip',
    sha256: 'x',
    unzippedBytes: 126 * MiB,
    reused: { readable: true, entries: 4600, bytes: reusedBytes }
  })

  it('keeps the restored entry when the build added little and reused most of the earlier zip', () => {
    const now = new Map([
      ...restored,
      ['uv/archive-v0/b.whl', 2 * MiB],
      ['uv/simple-v16/pypi/requests.rkyv', 21_000],
      // The zip of this build replaces the earlier one: not counted.
      ['previous.zip', 41 * MiB]
    ])
    expect(enoughRestored(restored, now, zip(125 * MiB))).toMatch(
      /^this build added 2\.0 MiB to the 50\.0 MiB of installers' caches restored, and its zip took 99% of its bytes from the earlier one$/
    )
  })

  it('saves again when the caches gained a tenth or more, or the zip reused less than nine tenths', () => {
    const grown = new Map([...restored, ['uv/archive-v0/c.whl', 6 * MiB]])
    expect(enoughRestored(restored, grown, zip(125 * MiB))).toBeUndefined()
    expect(enoughRestored(restored, restored, zip(100 * MiB))).toBeUndefined()
    expect(enoughRestored(restored, restored, { path: 'layer.zip', sha256: 'x' })).toBeUndefined()
    expect(enoughRestored(new Map(), new Map(), zip(125 * MiB))).toBeUndefined()
    // The action's uv counts when it is new, never as a measure of the caches.
    const withoutUv = new Map([...restored].filter(([rel]) => !rel.startsWith('tools/')))
    expect(enoughRestored(withoutUv, restored, zip(125 * MiB))).toBeUndefined()
  })
})
