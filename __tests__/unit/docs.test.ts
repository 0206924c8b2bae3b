/**
 * The documentation against the code: the tables of inputs and
 * outputs are the ones action.yml gives, the code map in CONTRIBUTING.md names
 * folders that exist, and every relative link leads to a file (and heading)
 * that exists.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from '../helpers/action.js'
import {
  changedTables,
  escapeCell,
  inputsTable,
  outputsTable,
  renderTables,
  namesIndex,
  renderNames,
  replaceBetweenMarkers
} from '../../scripts/readme-tables.js'

const read = (relative: string): string => fs.readFileSync(path.join(ROOT, relative), 'utf8')

/** The documentation pages whose links are checked, relative to the root. */
function pages(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter(name => name.endsWith('.md'))
    .map(name => `docs/${name}`)
  return ['README.md', 'CONTRIBUTING.md', 'bench/README.md', ...docs.sort()]
}

/** The text with fenced code blocks and inline code blanked out (line numbers kept). */
function prose(markdown: string): string {
  let fence: string | undefined
  return markdown
    .split('\n')
    .map(line => {
      const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
      if (fence) {
        if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
        return ''
      }
      if (marker) {
        fence = marker
        return ''
      }
      return line.replace(/(`+)[\s\S]*?\1/g, '')
    })
    .join('\n')
}

/** The anchors GitHub gives a page: one per heading, and the ids of its HTML anchors. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>()
  const seen = new Map<string, number>()
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
      continue
    }
    if (marker) {
      fence = marker
      continue
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]
    if (heading !== undefined) {
      const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]*>/g, '')
      const base = text
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
        .replace(/ /g, '-')
      const count = seen.get(base) ?? 0
      seen.set(base, count + 1)
      found.add(count === 0 ? base : `${base}-${count}`)
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(match[1])
  }
  return found
}

interface Link {
  page: string
  line: number
  target: string
}

/** The relative links of a page: `[text](target)`, outside code. */
function relativeLinks(page: string): Link[] {
  const links: Link[] = []
  prose(read(page))
    .split('\n')
    .forEach((text, index) => {
      for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = match[1]
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:, …
        links.push({ page, line: index + 1, target })
      }
    })
  return links
}

describe('the tables of inputs and outputs in docs/reference.md', () => {
  it('are the ones action.yml gives (run `npm run docs:tables` after editing action.yml)', () => {
    const readme = read('docs/reference.md')
    const rendered = renderTables(readme, read('action.yml'))
    expect(changedTables(readme, rendered)).toEqual([])
    expect(rendered).toBe(readme)
  })

  it('list every input and output of action.yml, in its order', () => {
    const actionYml = `
inputs:
  name:
    description: 'The name | or <id>, e.g. a_b or *.txt'
    required: true
  flag:
    description: Off unless set.
    default: 'false'
  empty:
    description: Nothing by default.
    default: ''
outputs:
  out:
    description: 'JSON array of \`name==version\`.'
`
    expect(inputsTable(actionYml).split('\n')).toEqual([
      '| Name | Default | Description |',
      '|---|---|---|',
      '| `name` | (required) | The name \\| or \\<id>, e.g. a_b or \\*.txt |',
      '| `flag` | `false` | Off unless set. |',
      '| `empty` |  | Nothing by default. |'
    ])
    expect(outputsTable(actionYml).split('\n')).toEqual([
      '| Name | Description |',
      '|---|---|',
      '| `out` | JSON array of \\`name==version\\`. |'
    ])
  })

  it('escape what Markdown would read as syntax, and nothing inside words', () => {
    expect(escapeCell('AWS_REGION, _x_, a|b, **/tests/**, C:\\dir')).toBe(
      'AWS_REGION, \\_x\\_, a\\|b, \\*\\*/tests/\\*\\*, C:\\\\dir'
    )
  })

  it('are named in full in the README (run `npm run docs:tables` after editing action.yml)', () => {
    const readme = read('README.md')
    expect(renderNames(readme, read('action.yml'))).toBe(readme)
    const spec = read('action.yml')
    expect(namesIndex(spec)).toContain('`layer-name`')
    expect(namesIndex(spec)).toContain('`layer-version-arn`')
  })

  it('fail clearly when a marker is missing', () => {
    expect(() => replaceBetweenMarkers('no markers here', 'inputs', '')).toThrow(
      '<!-- inputs:start -->'
    )
  })
})

describe('CONTRIBUTING.md', () => {
  const text = read('CONTRIBUTING.md')
  const section = text.slice(text.indexOf('## How the code is organised'))
  const block = /```[^\n]*\n([\s\S]*?)```/.exec(section)?.[1] ?? ''

  it('has the stage map', () => {
    expect(block).toContain('sandbox/')
  })

  it('names only folders of src/ in its stage map', () => {
    const folders = [...block.matchAll(/^([\w-]+)\/(?=\s|$)/gm)].map(match => match[1])
    expect(folders.length).toBeGreaterThan(5)
    const missing = folders.filter(
      folder =>
        !fs.statSync(path.join(ROOT, 'src', folder), { throwIfNoEntry: false })?.isDirectory()
    )
    expect(missing).toEqual([])
  })

  it('names only files of src/ in its stage map and the order of a run', () => {
    const next = section.indexOf('\n## ')
    const order = next < 0 ? section : section.slice(0, next)
    const files = new Set(
      [...order.matchAll(/(?<![\w./-])((?:[\w-]+\/)*[\w-]+\.ts)\b/g)].map(match =>
        match[1].replace(/^src\//, '')
      )
    )
    expect(files.size).toBeGreaterThan(5)
    const missing = [...files].filter(file => !fs.existsSync(path.join(ROOT, 'src', file)))
    expect(missing).toEqual([])
  })
})

describe('relative links in the documentation', () => {
  it('lead to files that exist, and to headings that exist there', () => {
    const broken: string[] = []
    for (const page of pages()) {
      for (const link of relativeLinks(page)) {
        const [file, anchor] = link.target.split('#', 2)
        const target = file
          ? path.resolve(path.dirname(path.join(ROOT, page)), file)
          : path.join(ROOT, page)
        const where = `${link.page}:${link.line} → ${link.target}`
        if (!fs.existsSync(target)) {
          broken.push(`${where}: no such file`)
          continue
        }
        if (anchor && target.endsWith('.md')) {
          if (!anchors(fs.readFileSync(target, 'utf8')).has(decodeURIComponent(anchor))) {
            broken.push(`${where}: no such heading`)
          }
        }
      }
    }
    expect(broken).toEqual([])
  })

  it('start every page with a title and a link back to the README', () => {
    for (const page of pages().filter(page => page !== 'README.md')) {
      const [title, , back] = read(page).split('\n')
      expect({ page, title: /^# \S/.test(title) }).toEqual({ page, title: true })
      expect({ page, back: /\]\((\.\.\/)*README\.md\)/.test(back ?? '') }).toEqual({
        page,
        back: true
      })
    }
  })

  it('reach every page from the README', () => {
    const linked = new Set(
      relativeLinks('README.md').map(link => path.normalize(link.target.split('#')[0]))
    )
    const unlinked = pages().filter(page => page !== 'README.md' && !linked.has(page))
    expect(unlinked).toEqual([])
  })
})
