/**
 * The tables of inputs and outputs in docs/reference.md, generated from action.yml so
 * that the two cannot drift apart. Each table sits between two markers:
 *
 *   <!-- inputs:start -->  …  <!-- inputs:end -->
 *   <!-- outputs:start --> …  <!-- outputs:end -->
 *
 *   npx tsx scripts/readme-tables.ts           rewrite the tables in docs/reference.md
 *   npx tsx scripts/readme-tables.ts --check   exit 1 when docs/reference.md differs
 *
 * (`npm run docs:tables [-- --check]`). The description is action.yml's text,
 * with what Markdown would read as syntax (`|`, `*`, `<`, `\`, a backtick, an
 * underscore at the edge of a word) escaped, so that it shows as written.
 * __tests__/unit/docs.test.ts runs renderTables on the committed files.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import YAML from 'yaml'

interface InputSpec {
  description?: string
  required?: boolean | string
  default?: string | number | boolean | null
}

interface OutputSpec {
  description?: string
}

interface ActionSpec {
  inputs?: Record<string, InputSpec | null>
  outputs?: Record<string, OutputSpec | null>
}

/** The names of the tables, as used in the markers. */
export const TABLES = ['inputs', 'outputs'] as const
export type TableName = (typeof TABLES)[number]

/** Text shown as written in a Markdown table cell. */
export function escapeCell(text: string): string {
  return (
    text
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/[\\`*<|]/g, ch => `\\${ch}`)
      // An underscore inside a word (AWS_REGION, manylinux_2_28) is no emphasis.
      .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
  )
}

/** A value shown as inline code, whatever backticks it holds. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}

function parseAction(actionYml: string): ActionSpec {
  const spec = YAML.parse(actionYml) as ActionSpec | null
  if (!spec || typeof spec !== 'object') throw new Error('action.yml does not hold a mapping')
  return spec
}

function isRequired(input: InputSpec): boolean {
  return input.required === true || input.required === 'true'
}

/** The Markdown table of the inputs of action.yml: Name, Default, Description. */
export function inputsTable(actionYml: string): string {
  const inputs = parseAction(actionYml).inputs ?? {}
  const rows = Object.entries(inputs).map(([name, spec]) => {
    const input = spec ?? {}
    const value = input.default === undefined || input.default === null ? '' : String(input.default)
    const shown = isRequired(input) ? '(required)' : value === '' ? '' : code(value)
    return `| ${code(name)} | ${shown} | ${escapeCell(input.description ?? '')} |`
  })
  return ['| Name | Default | Description |', '|---|---|---|', ...rows].join('\n')
}

/** The Markdown table of the outputs of action.yml: Name, Description. */
export function outputsTable(actionYml: string): string {
  const outputs = parseAction(actionYml).outputs ?? {}
  const rows = Object.entries(outputs).map(
    ([name, spec]) => `| ${code(name)} | ${escapeCell(spec?.description ?? '')} |`
  )
  return ['| Name | Description |', '|---|---|', ...rows].join('\n')
}

/** Replaces what is between the markers of one table; throws when they are missing. */
export function replaceBetweenMarkers(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < 0 || to < from) {
    throw new Error(`the page has no "${start}" … "${end}" markers, in that order`)
  }
  if (text.indexOf(start, from + start.length) >= 0 || text.indexOf(end, to + end.length) >= 0) {
    throw new Error(`the page has the "${start}" or "${end}" marker more than once`)
  }
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`
}

/** The page with both tables generated from action.yml. */
export function renderTables(readme: string, actionYml: string): string {
  let text = replaceBetweenMarkers(readme, 'inputs', inputsTable(actionYml))
  text = replaceBetweenMarkers(text, 'outputs', outputsTable(actionYml))
  return text
}

/**
 * The README's index of every input and output name, each linked to its
 * row's table in docs/reference.md: the README names them all, and the
 * reference page describes them.
 */
export function namesIndex(actionYml: string): string {
  const spec = parseAction(actionYml)
  const list = (names: string[]): string => names.map(code).join(', ')
  return [
    `All inputs ([described](docs/reference.md#inputs)): ${list(Object.keys(spec.inputs ?? {}))}.`,
    '',
    `All outputs ([described](docs/reference.md#outputs)): ${list(Object.keys(spec.outputs ?? {}))}.`
  ].join('\n')
}

/** The README with its index of names generated from action.yml. */
export function renderNames(readme: string, actionYml: string): string {
  return replaceBetweenMarkers(readme, 'names', namesIndex(actionYml))
}

/** The names of the tables whose text differs between two versions of the page. */
export function changedTables(before: string, after: string): TableName[] {
  const between = (text: string, name: string): string => {
    const start = text.indexOf(`<!-- ${name}:start -->`)
    const end = text.indexOf(`<!-- ${name}:end -->`)
    return start < 0 || end < 0 ? '' : text.slice(start, end)
  }
  return TABLES.filter(name => between(before, name) !== between(after, name))
}

function main(argv: string[]): number {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const readmePath = path.join(root, 'docs', 'reference.md')
  const readme = fs.readFileSync(readmePath, 'utf8')
  const rendered = renderTables(readme, fs.readFileSync(path.join(root, 'action.yml'), 'utf8'))
  const check = argv.includes('--check')
  const indexPath = path.join(root, 'README.md')
  const index = fs.readFileSync(indexPath, 'utf8')
  const indexed = renderNames(index, fs.readFileSync(path.join(root, 'action.yml'), 'utf8'))
  if (indexed !== index) {
    if (check) {
      console.error(
        'README.md names other inputs or outputs than action.yml. Run `npm run docs:tables` to regenerate the list.'
      )
      return 1
    }
    fs.writeFileSync(indexPath, indexed)
    console.log('README.md: regenerated the list of inputs and outputs from action.yml.')
  }
  if (rendered === readme) {
    console.log('docs/reference.md: the tables of inputs and outputs match action.yml.')
    return 0
  }
  const changed = changedTables(readme, rendered)
  const tables =
    changed.length === 1 ? `table of ${changed[0]}` : `tables of ${changed.join(' and ')}`
  if (check) {
    console.error(
      `docs/reference.md differs from action.yml in the ${tables}. Run \`npm run docs:tables\` to regenerate them.`
    )
    return 1
  }
  fs.writeFileSync(readmePath, rendered)
  console.log(`docs/reference.md: regenerated the ${tables} from action.yml.`)
  return 0
}

const entry = process.argv[1]
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  process.exitCode = main(process.argv.slice(2))
}
