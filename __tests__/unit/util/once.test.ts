import { describe, expect, it } from '@jest/globals'
import { Once } from '../../../src/util/once.js'

describe('Once', () => {
  it('makes each key once, and every caller shares the result', async () => {
    const once = new Once<string, number>()
    let made = 0
    const make = async (): Promise<number> => ++made
    const results = await Promise.all([
      once.get('a', make),
      once.get('a', make),
      once.get('b', make)
    ])
    expect(results).toEqual([1, 1, 2])
    expect(await once.get('a', make)).toBe(1)
    expect(made).toBe(2)
  })

  it('forgets a failure: the callers waiting get it, the next call makes again', async () => {
    const once = new Once<string, string>()
    let calls = 0
    const flaky = async (): Promise<string> => {
      calls++
      if (calls === 1) throw new Error('no room')
      return 'made'
    }
    const first = once.get('k', flaky)
    const same = once.get('k', flaky)
    await expect(first).rejects.toThrow('no room')
    await expect(same).rejects.toThrow('no room')
    expect(await once.get('k', flaky)).toBe('made')
    expect(calls).toBe(2)
  })
})
