/**
 * The shape of src/, read from its imports: no file imports itself through
 * others, no folder does, and outside a folder with an index.ts only that
 * index is imported. Type-only imports count: they tie files as much.
 */
import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from '../helpers/action.js'

const SRC = path.join(ROOT, 'src')

type Graph = Map<string, Set<string>>

/** Every .ts file under `dir`, relative to SRC, with '/' separators. */
function sources(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sources(full)
    return entry.name.endsWith('.ts') ? [path.relative(SRC, full).split(path.sep).join('/')] : []
  })
}

/** The relative modules a file names: import/export … from, and import(). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8')
  const named = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s+['"](\.[^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)
  ].map(m => m[1])
  return named.map(spec => {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec))
    const ts = target.replace(/\.js$/, '.ts')
    return fs.existsSync(path.join(SRC, ts)) ? ts : `${target.replace(/\.js$/, '')}/index.ts`
  })
}

function fileGraph(): Graph {
  return new Map(sources().map(file => [file, new Set(importsOf(file))]))
}

/** A file's folder under src/ ("aws"), or the file itself at the top ("main.ts"). */
const unitOf = (file: string): string => file.split('/')[0]

function folderGraph(files: Graph): Graph {
  const graph: Graph = new Map()
  for (const [file, targets] of files) {
    const from = unitOf(file)
    if (!graph.has(from)) graph.set(from, new Set())
    for (const target of targets) {
      if (unitOf(target) !== from) graph.get(from)?.add(unitOf(target))
    }
  }
  return graph
}

/**
 * The floors of CONTRIBUTING.md's code map, top first: the name at the
 * start of each line of its first code block ("cache/" → "cache"), below
 * the entry point src/index.ts.
 */
function floors(): string[] {
  const text = fs.readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8')
  const block = /## How the code is organised[\s\S]*?```\n([\s\S]*?)```/.exec(text)?.[1] ?? ''
  const names = [...block.matchAll(/^([a-z][\w.-]*\/?)\s/gm)].map(m => m[1].replace(/\/$/, ''))
  return ['index.ts', ...names]
}

/** The strongly connected parts of more than one node, or with a self loop (Tarjan). */
function cycles(graph: Graph): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter)
    counter++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0))
      }
    }
    if (low.get(v) === index.get(v)) {
      const part: string[] = []
      let w: string | undefined
      do {
        w = stack.pop()
        if (w === undefined) break
        onStack.delete(w)
        part.push(w)
      } while (w !== v)
      if (part.length > 1 || graph.get(v)?.has(v)) found.push(part.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

describe('the cycle finder', () => {
  it('finds a loop through three nodes and a self loop, and nothing in a tree', () => {
    const graph: Graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a', 'd'])],
      ['d', new Set(['d'])],
      ['e', new Set(['a'])]
    ])
    expect(cycles(graph)).toEqual([['d'], ['a', 'b', 'c']])
    expect(
      cycles(
        new Map([
          ['x', new Set(['y'])],
          ['y', new Set<string>()]
        ])
      )
    ).toEqual([])
  })
})

describe('src/', () => {
  const files = fileGraph()

  it('is read whole: every import names a file that exists', () => {
    const missing = [...files].flatMap(([file, targets]) =>
      [...targets].filter(t => !fs.existsSync(path.join(SRC, t))).map(t => `${file} -> ${t}`)
    )
    expect(missing).toEqual([])
    expect(files.size).toBeGreaterThan(50)
  })

  it('imports only downwards, along the floors of the code map in CONTRIBUTING.md', () => {
    const order = floors()
    const units = new Set([...files.keys()].map(unitOf))
    expect([...units].filter(u => !order.includes(u)).sort()).toEqual([])
    expect(order.filter(u => !units.has(u))).toEqual([])
    const upwards = [...files].flatMap(([file, targets]) =>
      [...targets]
        .filter(t => order.indexOf(unitOf(t)) < order.indexOf(unitOf(file)))
        .map(t => `${file} -> ${t}`)
    )
    expect(upwards).toEqual([])
  })

  it('has no import cycle between files', () => {
    expect(cycles(files)).toEqual([])
  })

  it('has no import cycle between folders', () => {
    expect(cycles(folderGraph(files))).toEqual([])
  })

  it('imports a folder that has an index.ts only through it', () => {
    const faced = new Set(
      [...files.keys()].filter(f => /^[^/]+\/index\.ts$/.test(f)).map(f => f.split('/')[0])
    )
    expect(faced.size).toBeGreaterThan(3)
    const bypassing = [...files].flatMap(([file, targets]) =>
      [...targets]
        .filter(t => {
          const folder = unitOf(t)
          return faced.has(folder) && unitOf(file) !== folder && t !== `${folder}/index.ts`
        })
        .map(t => `${file} -> ${t}`)
    )
    expect(bypassing).toEqual([])
  })
})

/**
 * The packages and relative modules a file loads when it is loaded: static
 * imports and re-exports that bring values (not `import type`, not an
 * import whose every name is a type), and no `import()`.
 */
function valueImportsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8')
  const statements = [
    ...text.matchAll(/^\s*(import|export)\s+(?!type\b)([^'"`;]*?)\bfrom\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*(import)\s+()['"]([^'"]+)['"]/gm)
  ]
  return statements
    .filter(([, , names]) => {
      const braces = /^\{([\s\S]*)\}\s*$/.exec(names.trim())
      if (!braces) return true
      const items = braces[1]
        .split(',')
        .map(n => n.trim())
        .filter(Boolean)
      return items.length === 0 || items.some(n => !n.startsWith('type '))
    })
    .map(([, , , spec]) => spec)
}

describe('what src/index.ts loads at start', () => {
  it('holds neither the AWS SDK nor the cache client: they are reached only through import()', () => {
    const seen = new Set<string>()
    const packages = new Map<string, string>()
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      for (const spec of valueImportsOf(file)) {
        if (!spec.startsWith('.')) {
          packages.set(spec, file)
          continue
        }
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec))
        const ts = target.replace(/\.js$/, '.ts')
        visit(fs.existsSync(path.join(SRC, ts)) ? ts : `${target.replace(/\.js$/, '')}/index.ts`)
      }
    }
    visit('index.ts')
    expect(seen.has('inputs.ts')).toBe(true)
    expect(packages.has('@actions/core')).toBe(true)
    const sdk = [...packages]
      .filter(([spec]) => /^@(aws-sdk|smithy)\//.test(spec))
      .map(([spec, file]) => `${file} -> ${spec}`)
    expect(sdk).toEqual([])
    // The cache client (and the Azure SDK under it) loads while the first programs run.
    expect([...packages.keys()].filter(spec => /^@actions\/cache$|^@azure\//.test(spec))).toEqual(
      []
    )
  })
})
