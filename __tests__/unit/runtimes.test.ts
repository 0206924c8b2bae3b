import { describe, expect, it } from '@jest/globals'
import { extensionSuffix, platformTags, RUNTIMES, isRuntime } from '../../src/runtimes.js'

describe('platformTags', () => {
  it.each([
    {
      glibc: [2, 26] as const,
      arch: 'x86_64' as const,
      first: 'manylinux_2_26_x86_64',
      last: 'manylinux1_x86_64',
      count: 22 + 3
    },
    {
      glibc: [2, 34] as const,
      arch: 'x86_64' as const,
      first: 'manylinux_2_34_x86_64',
      last: 'manylinux1_x86_64',
      count: 30 + 3
    },
    {
      glibc: [2, 26] as const,
      arch: 'arm64' as const,
      first: 'manylinux_2_26_aarch64',
      last: 'manylinux2014_aarch64',
      count: 10 + 1
    },
    {
      glibc: [2, 34] as const,
      arch: 'arm64' as const,
      first: 'manylinux_2_34_aarch64',
      last: 'manylinux2014_aarch64',
      count: 18 + 1
    }
  ])('$arch glibc $glibc: $first … $last ($count tags)', ({ glibc, arch, first, last, count }) => {
    const tags = platformTags(glibc, arch)
    expect(tags[0]).toBe(first)
    expect(tags[tags.length - 1]).toBe(last)
    expect(tags).toHaveLength(count)
    expect(new Set(tags).size).toBe(tags.length)
  })

  it('never offers a tag newer than the runtime glibc', () => {
    for (const tag of platformTags(RUNTIMES['python3.11'].glibc, 'x86_64')) {
      const m = /^manylinux_2_(\d+)_/.exec(tag)
      if (m) expect(Number(m[1])).toBeLessThanOrEqual(26)
    }
    expect(platformTags([2, 26], 'x86_64')).not.toContain('manylinux_2_28_x86_64')
  })

  it('puts legacy aliases right after the perennial tag they equal', () => {
    const tags = platformTags([2, 26], 'x86_64')
    expect(tags.indexOf('manylinux2014_x86_64')).toBe(tags.indexOf('manylinux_2_17_x86_64') + 1)
    expect(tags.indexOf('manylinux2010_x86_64')).toBe(tags.indexOf('manylinux_2_12_x86_64') + 1)
    expect(tags.indexOf('manylinux1_x86_64')).toBe(tags.indexOf('manylinux_2_5_x86_64') + 1)
  })

  it('never mixes architectures', () => {
    expect(platformTags([2, 34], 'arm64').every(t => t.endsWith('_aarch64'))).toBe(true)
    expect(platformTags([2, 34], 'x86_64').every(t => t.endsWith('_x86_64'))).toBe(true)
  })
})

describe('runtime table', () => {
  it.each([
    ['python3.9', '3.9', [2, 26]],
    ['python3.11', '3.11', [2, 26]],
    ['python3.12', '3.12', [2, 34]],
    ['python3.14', '3.14', [2, 34]]
  ])('%s is Python %s on glibc %j', (runtime, python, glibc) => {
    expect(isRuntime(runtime)).toBe(true)
    if (!isRuntime(runtime)) return
    expect(RUNTIMES[runtime].python).toBe(python)
    expect(RUNTIMES[runtime].glibc).toEqual(glibc)
  })

  it.each(['python3.8', 'python3', 'Python3.12', 'nodejs20.x', ''])('%p is not a runtime', v =>
    expect(isRuntime(v)).toBe(false)
  )

  it('derives extension suffixes', () => {
    expect(extensionSuffix('python3.12', 'arm64')).toBe('cpython-312-aarch64-linux-gnu')
    expect(extensionSuffix('python3.9', 'x86_64')).toBe('cpython-39-x86_64-linux-gnu')
  })
})
