import { describe, expect, it } from '@jest/globals'
import { downloadKeys, userManagedCache } from '../../../src/cache/downloads.js'

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
