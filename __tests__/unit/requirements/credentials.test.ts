import { describe, expect, it } from '@jest/globals'
import { credentialsIn, redactCredentials } from '../../../src/requirements/credentials.js'

/**
 * The patterns credentials.ts used before it scanned by hand: the reference
 * its results must equal (they take quadratic time on long runs, so only
 * short inputs are compared).
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s'"]+)@/gi
const TOKEN_PARAM = /([?&](?:token|access_token|key|password|secret)=)([^&\s'"]+)/gi

function referenceRedact(text: string): string {
  return text.replace(USERINFO, '$1').replace(TOKEN_PARAM, '$1')
}

function referenceCredentials(text: string): string[] {
  const found = new Set<string>()
  for (const m of text.matchAll(USERINFO)) {
    const userinfo = decodeURIComponent(m[2])
    found.add(m[2])
    const colon = userinfo.indexOf(':')
    found.add(colon === -1 ? userinfo : userinfo.slice(colon + 1))
  }
  for (const m of text.matchAll(TOKEN_PARAM)) found.add(m[2])
  return [...found].filter(v => v.length >= 3)
}

/** The result, or the error's message: malformed %-escapes throw in both. */
function outcome<T>(work: () => T): T | string {
  try {
    return work()
  } catch (error) {
    return `threw ${String(error)}`
  }
}

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

describe('credentials on short inputs', () => {
  it.each([
    ['https://user:s3cret@x.example/simple', 'https://x.example/simple'],
    ['git+https://tok@github.com/o/r.git@v1', 'git+https://github.com/o/r.git@v1'],
    ['1abc://u:p@h', '1abc://h'],
    ['HTTPS://U:P@H/', 'HTTPS://H/'],
    ['a://@h', 'a://@h'],
    ['x://a@b@c', 'x://b@c'],
    ['https://a:b@h https://c:d@i', 'https://h https://i'],
    ["'https://a:b@h'", "'https://h'"],
    ['://u@h', '://u@h'],
    ['9://u@h', '9://u@h'],
    ['https://h/simple?token=xyz&key=k2', 'https://h/simple?token=&key=']
  ])('%p → %p', (text, redacted) => {
    expect(redactCredentials(text)).toBe(redacted)
    expect(redactCredentials(text)).toBe(referenceRedact(text))
    expect(credentialsIn(text)).toEqual(referenceCredentials(text))
  })

  it('match the regular expressions on random URL-ish text', () => {
    // xorshift32 from a fixed seed, so a failure reproduces.
    let seed = 12345
    const next = (n: number): number => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % n
    }
    const pick = (from: readonly string[]): string => from[next(from.length)]
    const run = (from: readonly string[], min: number, max: number): string => {
      let text = ''
      for (let n = min + next(max - min + 1); n > 0; n--) text += pick(from)
      return text
    }
    const scheme = ['a', 'b', 'Z', '1', '+', '.', '-', '\u017f', '@']
    const separator = ['://', '://', '://', ':/', '']
    const userinfo = ['a', '1', ':', '%41', '%', '.', 'Z', '\u017f', '?', '=']
    const stop = ['@', '@', '@', '/', ' ', '\u00a0', '"', "'", '', '&key=']
    for (let i = 0; i < 5_000; i++) {
      let text = ''
      for (let parts = next(4); parts >= 0; parts--) {
        text += run(scheme, 1, 3) + pick(separator) + run(userinfo, 0, 3) + pick(stop)
      }
      expect([text, redactCredentials(text)]).toEqual([text, referenceRedact(text)])
      expect([text, outcome(() => credentialsIn(text))]).toEqual([
        text,
        outcome(() => referenceCredentials(text))
      ])
    }
  })
})

describe('credentials on long lines', () => {
  const n = 200_000
  it.each<[string, string]>([
    ['letters without "@"', 'a'.repeat(n)],
    ['a URL without "@"', `https://${'a'.repeat(n)}`],
    ['letters and digits before "://"', `${'a1'.repeat(n / 2)}://x`],
    ['a long scheme, then a long userinfo', `${'a'.repeat(n / 2)}://${'b'.repeat(n / 2)}`],
    ['many "://"', 'a://'.repeat(n / 4)],
    ['many "://" between letters', 'ab://cd'.repeat(n / 7)],
    ['many empty token parameters', '&token=&key='.repeat(n / 12)]
  ])(
    '%s, without credentials: completes',
    async (_name, text) => {
      expect(await completes(() => redactCredentials(text))).toBe(text)
      expect(await completes(() => credentialsIn(text))).toEqual([])
    },
    GUARD
  )

  it(
    'finds the credentials at the end of a long line',
    async () => {
      const text = `${'a'.repeat(n / 2)}://${'b'.repeat(n / 2)}@host/simple`
      expect(await completes(() => redactCredentials(text))).toBe(
        `${'a'.repeat(n / 2)}://host/simple`
      )
      expect(await completes(() => credentialsIn(text))).toEqual(['b'.repeat(n / 2)])
    },
    GUARD
  )

  it(
    'finds a long token parameter',
    async () => {
      const token = 'x'.repeat(n)
      expect(await completes(() => redactCredentials(`?token=${token}`))).toBe('?token=')
      expect(await completes(() => credentialsIn(`?token=${token}`))).toEqual([token])
    },
    GUARD
  )
})
