import { describe, expect, it } from '@jest/globals'
import { UntrustedOutput } from '../../../src/util/process.js'

/** What an UntrustedOutput writes for `chunks`, pushed one by one, then end(). */
function written(chunks: readonly string[]): string {
  let text = ''
  const out = new UntrustedOutput(t => {
    text += t
  })
  for (const chunk of chunks) out.push(chunk)
  out.end()
  return text
}

/**
 * Reads the log as the runner does: outside a block, a line must open one
 * (`::stop-commands::<token>`); inside, only `::<token>::` ends it. Gives the
 * token, the lines inside blocks, and the lines found outside any block.
 */
function readLog(text: string): { token: string; inside: string[]; outside: string[] } {
  expect(text.endsWith('\n')).toBe(true)
  const lines = text.slice(0, -1).split('\n')
  const token = /^::stop-commands::(.*)$/.exec(lines[0] ?? '')?.[1] ?? ''
  const inside: string[] = []
  const outside: string[] = []
  let open = false
  for (const line of lines) {
    if (!open && line === `::stop-commands::${token}`) open = true
    else if (open && line === `::${token}::`) open = false
    else (open ? inside : outside).push(line)
  }
  if (open) outside.push('<block never closed>')
  return { token, inside, outside }
}

describe('UntrustedOutput', () => {
  it.each([
    ['one chunk of whole lines', ['a\nb\n'], ['a', 'b']],
    [
      'a line split across chunks',
      ['pip ins', 'talling\nsix', '==1.17\n'],
      ['pip installing', 'six==1.17']
    ],
    ['a last line without newline, flushed by end()', ['done\nno newline'], ['done', 'no newline']],
    ['a chunk without any newline', ['partial'], ['partial']],
    ['empty lines', ['\n\nx\n'], ['', '', 'x']],
    ['a newline alone in its chunk', ['x', '\n', 'y'], ['x', 'y']]
  ])('%s: every line is inside a block, in order', (_what, chunks, lines) => {
    const log = readLog(written(chunks))
    expect(log.outside).toEqual([])
    expect(log.inside).toEqual(lines)
  })

  it('writes nothing for no output', () => {
    expect(written([])).toBe('')
    expect(written(['', ''])).toBe('')
  })

  it('the token is 32 hexadecimal digits', () => {
    expect(readLog(written(['x\n'])).token).toMatch(/^[0-9a-f]{32}$/)
  })

  it('the token differs between instances', () => {
    const tokens = new Set(Array.from({ length: 5 }, () => readLog(written(['x\n'])).token))
    expect(tokens.size).toBe(5)
  })

  it('one instance keeps its token for every block it writes', () => {
    let text = ''
    const out = new UntrustedOutput(t => {
      text += t
    })
    out.push('first\n')
    out.push('second\n')
    out.end()
    const tokens = [...text.matchAll(/^::stop-commands::(.*)$/gm)].map(m => m[1])
    expect(tokens).toHaveLength(2)
    expect(tokens[1]).toBe(tokens[0])
  })

  const HOSTILE = [
    '::stop-commands::x',
    '::x::',
    '::add-mask::y',
    '::set-output name=a::b',
    '::error::forged',
    '::stop-commands::',
    '::::'
  ]

  it.each([
    ['in one chunk', [`${HOSTILE.join('\n')}\n`]],
    ['a line at a time', HOSTILE.map(l => `${l}\n`)],
    [
      'split inside the commands',
      [HOSTILE.join('\n').slice(0, 7), `${HOSTILE.join('\n').slice(7)}\n`]
    ],
    ['as the last line, without newline', [`ok\n${HOSTILE.join('\n')}`]]
  ])('workflow commands pushed %s stay inside the block', (_what, chunks) => {
    const log = readLog(written(chunks))
    expect(log.outside).toEqual([])
    expect(log.inside.filter(l => l !== 'ok')).toEqual(HOSTILE)
    // The block is ended by the real token only: a guessed one is not it.
    expect(log.token).not.toBe('x')
    expect(log.token).not.toBe('')
  })
})
