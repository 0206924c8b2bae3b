/**
 * The `pip-args` input, read the way pip's own option parser (optparse) reads
 * it: a long option may be any unambiguous prefix (`--tar` is `--target`),
 * short options combine (`-qt/x` is `-q -t /x`), and an option that takes a
 * value consumes the next argument whatever it looks like. Each option is
 * then judged against an allow-list: options that change where the install
 * goes or which platform it is for are refused, and so is anything pip
 * would not know.
 */
import path from 'node:path'
import { ActionError } from '../errors.js'

type Verdict = 'allowed' | 'reserved'

interface PipOption {
  long: string[]
  short?: string
  takesValue: boolean
  verdict: Verdict
  /** For a reserved option: why the action sets or forbids it. */
  why?: string
}

const TARGET =
  'is set by the action from `runtimes` and `architectures`, so that pip installs into the layer and picks wheels for Lambda'
const WHERE = 'would make pip install or write outside the layer'

/** The options of `pip install` (and pip's general options), as pip defines them. */
const OPTIONS: PipOption[] = [
  // where and for which platform: the action decides
  { long: ['--target'], short: 't', takesValue: true, verdict: 'reserved', why: TARGET },
  { long: ['--platform'], takesValue: true, verdict: 'reserved', why: TARGET },
  { long: ['--python-version'], takesValue: true, verdict: 'reserved', why: TARGET },
  { long: ['--implementation'], takesValue: true, verdict: 'reserved', why: TARGET },
  { long: ['--abi'], takesValue: true, verdict: 'reserved', why: TARGET },
  { long: ['--only-binary'], takesValue: true, verdict: 'reserved', why: TARGET },
  { long: ['--prefer-binary'], takesValue: false, verdict: 'reserved', why: TARGET },
  {
    long: ['--python'],
    takesValue: true,
    verdict: 'reserved',
    why: "would run pip for another interpreter than the runtime's"
  },
  { long: ['--user'], takesValue: false, verdict: 'reserved', why: WHERE },
  { long: ['--root'], takesValue: true, verdict: 'reserved', why: WHERE },
  { long: ['--prefix'], takesValue: true, verdict: 'reserved', why: WHERE },
  {
    long: ['--src', '--source', '--source-dir', '--source-directory'],
    takesValue: true,
    verdict: 'reserved',
    why: WHERE
  },
  { long: ['--report'], takesValue: true, verdict: 'reserved', why: WHERE },
  {
    long: ['--editable'],
    short: 'e',
    takesValue: true,
    verdict: 'reserved',
    why: "installs a link to the runner's checkout, not the package: list the path without -e in the requirements file"
  },
  {
    long: ['--upgrade-strategy'],
    takesValue: true,
    verdict: 'reserved',
    why: 'has no effect on a fresh target folder'
  },
  {
    long: ['--compile'],
    takesValue: false,
    verdict: 'reserved',
    why: 'is what the `compile` input does, reproducibly: set `compile: true` instead'
  },
  {
    long: ['--dry-run'],
    takesValue: false,
    verdict: 'reserved',
    why: 'would install nothing, leaving the layer empty'
  },
  {
    long: ['--help'],
    short: 'h',
    takesValue: false,
    verdict: 'reserved',
    why: 'would install nothing'
  },
  {
    long: ['--version'],
    short: 'V',
    takesValue: false,
    verdict: 'reserved',
    why: 'would install nothing'
  },
  // what gets installed and from where
  { long: ['--requirement'], short: 'r', takesValue: true, verdict: 'allowed' },
  { long: ['--constraint'], short: 'c', takesValue: true, verdict: 'allowed' },
  { long: ['--no-deps', '--no-dependencies'], takesValue: false, verdict: 'allowed' },
  { long: ['--pre'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-user'], takesValue: false, verdict: 'allowed' },
  { long: ['--upgrade'], short: 'U', takesValue: false, verdict: 'allowed' },
  { long: ['--force-reinstall'], takesValue: false, verdict: 'allowed' },
  { long: ['--ignore-installed'], short: 'I', takesValue: false, verdict: 'allowed' },
  { long: ['--ignore-requires-python'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-build-isolation'], takesValue: false, verdict: 'allowed' },
  { long: ['--use-pep517'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-use-pep517'], takesValue: false, verdict: 'allowed' },
  { long: ['--check-build-dependencies'], takesValue: false, verdict: 'allowed' },
  { long: ['--break-system-packages'], takesValue: false, verdict: 'allowed' },
  { long: ['--config-settings'], short: 'C', takesValue: true, verdict: 'allowed' },
  { long: ['--global-option'], takesValue: true, verdict: 'allowed' },
  { long: ['--no-compile'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-warn-script-location'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-warn-conflicts'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-binary'], takesValue: true, verdict: 'allowed' },
  { long: ['--require-hashes'], takesValue: false, verdict: 'allowed' },
  { long: ['--progress-bar'], takesValue: true, verdict: 'allowed' },
  { long: ['--root-user-action'], takesValue: true, verdict: 'allowed' },
  { long: ['--no-clean'], takesValue: false, verdict: 'allowed' },
  { long: ['--index-url', '--pypi-url'], short: 'i', takesValue: true, verdict: 'allowed' },
  { long: ['--extra-index-url'], takesValue: true, verdict: 'allowed' },
  { long: ['--no-index'], takesValue: false, verdict: 'allowed' },
  { long: ['--find-links'], short: 'f', takesValue: true, verdict: 'allowed' },
  { long: ['--group'], takesValue: true, verdict: 'allowed' },
  { long: ['--only-final'], takesValue: true, verdict: 'allowed' },
  { long: ['--all-releases'], takesValue: true, verdict: 'allowed' },
  { long: ['--uploaded-prior-to'], takesValue: true, verdict: 'allowed' },
  // general options
  { long: ['--debug'], takesValue: false, verdict: 'allowed' },
  { long: ['--isolated'], takesValue: false, verdict: 'allowed' },
  { long: ['--require-virtualenv', '--require-venv'], takesValue: false, verdict: 'allowed' },
  { long: ['--verbose'], short: 'v', takesValue: false, verdict: 'allowed' },
  { long: ['--quiet'], short: 'q', takesValue: false, verdict: 'allowed' },
  { long: ['--log', '--log-file', '--local-log'], takesValue: true, verdict: 'allowed' },
  { long: ['--no-input'], takesValue: false, verdict: 'allowed' },
  { long: ['--keyring-provider'], takesValue: true, verdict: 'allowed' },
  { long: ['--proxy'], takesValue: true, verdict: 'allowed' },
  { long: ['--retries'], takesValue: true, verdict: 'allowed' },
  { long: ['--resume-retries'], takesValue: true, verdict: 'allowed' },
  { long: ['--timeout', '--default-timeout'], takesValue: true, verdict: 'allowed' },
  { long: ['--exists-action'], takesValue: true, verdict: 'allowed' },
  { long: ['--trusted-host'], takesValue: true, verdict: 'allowed' },
  { long: ['--cert'], takesValue: true, verdict: 'allowed' },
  { long: ['--client-cert'], takesValue: true, verdict: 'allowed' },
  { long: ['--cache-dir'], takesValue: true, verdict: 'allowed' },
  { long: ['--no-cache-dir'], takesValue: false, verdict: 'allowed' },
  { long: ['--disable-pip-version-check'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-color'], takesValue: false, verdict: 'allowed' },
  { long: ['--no-python-version-warning'], takesValue: false, verdict: 'allowed' },
  { long: ['--use-feature'], takesValue: true, verdict: 'allowed' },
  { long: ['--use-deprecated'], takesValue: true, verdict: 'allowed' }
]

const BY_LONG = new Map(OPTIONS.flatMap(o => o.long.map(name => [name, o] as const)))
const BY_SHORT = new Map(OPTIONS.flatMap(o => (o.short ? [[o.short, o] as const] : [])))

/** One option as pip understands it: the canonical name, its value, and what the user wrote. */
export interface ParsedOption {
  name: string
  value?: string
  written: string
}

function refuse(written: string, reason: string): ActionError {
  return new ActionError(`Input \`pip-args\` contains "${written}": ${reason}. Remove it.`)
}

/** optparse's rule: an exact name, else the one option that the text is a prefix of. */
function matchLong(text: string, written: string): PipOption {
  const exact = BY_LONG.get(text)
  if (exact) return exact
  const candidates = [...BY_LONG.keys()].filter(name => name.startsWith(text))
  const options = [...new Set(candidates.map(c => BY_LONG.get(c)))]
  if (options.length === 1 && options[0]) return options[0]
  if (candidates.length > 1) {
    throw refuse(written, `${text} is ambiguous to pip (${candidates.join(', ')})`)
  }
  throw refuse(written, `${text} is not an option of pip install that the action passes on`)
}

/** Parses the arguments with pip's option semantics; throws for anything refused. */
export function parsePipOptions(args: readonly string[]): ParsedOption[] {
  const parsed: ParsedOption[] = []
  const judge = (option: PipOption, written: string, value?: string): void => {
    if (option.verdict === 'reserved') {
      throw refuse(written, `pip reads it as ${option.long[0]}, which ${option.why ?? TARGET}`)
    }
    parsed.push({ name: option.long[0], ...(value !== undefined ? { value } : {}), written })
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') {
      if (i + 1 < args.length) throw refuse(args[i + 1], 'packages belong in the requirements file')
      break
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const text = eq === -1 ? arg : arg.slice(0, eq)
      const option = matchLong(text, arg)
      if (!option.takesValue) {
        if (eq !== -1) throw refuse(arg, `${option.long[0]} takes no value`)
        judge(option, arg)
      } else if (eq !== -1) {
        judge(option, arg, arg.slice(eq + 1))
      } else {
        if (i + 1 >= args.length) throw refuse(arg, `${option.long[0]} needs a value`)
        judge(option, arg, args[++i])
      }
    } else if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short options: flags until one that takes a value, which
      // takes the rest of the cluster, or else the next argument.
      for (let k = 1; k < arg.length; k++) {
        const option = BY_SHORT.get(arg[k])
        if (!option) throw refuse(arg, `-${arg[k]} is not an option of pip install`)
        if (!option.takesValue) {
          judge(option, arg)
          continue
        }
        const rest = arg.slice(k + 1)
        if (rest !== '') judge(option, arg, rest)
        else if (i + 1 < args.length) judge(option, arg, args[++i])
        else throw refuse(arg, `-${arg[k]} needs a value`)
        break
      }
    } else {
      throw refuse(arg, 'pip-args takes pip options only; packages belong in the requirements file')
    }
  }
  return parsed
}

/** Splits pip-args like a POSIX shell would (quotes and backslashes), without expanding anything. */
export function splitArgs(value: string): string[] {
  const args: string[] = []
  let current = ''
  let inToken = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (quote === "'") {
      if (c === "'") quote = undefined
      else current += c
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === '\\' && i + 1 < value.length && '"\\$`'.includes(value[i + 1])) {
        current += value[++i]
      } else current += c
    } else if (c === "'" || c === '"') {
      quote = c
      inToken = true
    } else if (c === '\\' && i + 1 < value.length) {
      current += value[++i]
      inToken = true
    } else if (/\s/.test(c)) {
      if (inToken) args.push(current)
      current = ''
      inToken = false
    } else {
      current += c
      inToken = true
    }
  }
  if (quote) throw new ActionError(`Input \`pip-args\` has an unclosed ${quote} quote: ${value}`)
  if (inToken) args.push(current)
  return args
}

/** The options that tell pip where packages live (for the action's own index queries). */
export function indexArgs(options: readonly ParsedOption[]): string[] {
  const where = new Set(['--index-url', '--extra-index-url', '--find-links', '--trusted-host'])
  const flags = new Set(['--no-index', '--pre'])
  return options.flatMap(o =>
    where.has(o.name) && o.value !== undefined
      ? [o.name, o.value]
      : flags.has(o.name)
        ? [o.name]
        : []
  )
}

/** Files pip-args names (-r, -c, --find-links on a local path): their content decides the layer. */
export function filesNamed(
  options: readonly ParsedOption[],
  names: readonly string[] = ['--requirement', '--constraint', '--find-links']
): string[] {
  const files = new Set(names)
  return options.flatMap(o =>
    files.has(o.name) && o.value !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(o.value)
      ? [o.value.replace(/^file:(\/\/)?/, '')]
      : []
  )
}

/**
 * The index options written in requirements files (`--index-url`, `-i`,
 * `--extra-index-url`, `--find-links`/`-f`, `--trusted-host`, `--no-index`,
 * `--pre`), as pip-args, so that the probes that explain a failed install
 * ask the indexes the install asked. A local `--find-links` is resolved
 * against the folder of the file naming it, as pip does.
 */
export function requirementIndexArgs(
  files: ReadonlyArray<{ path: string; lines: readonly string[] }>
): string[] {
  const args: string[] = []
  for (const file of files) {
    for (const line of file.lines) {
      const m =
        /^(--index-url|-i|--extra-index-url|--find-links|-f|--trusted-host)(?:\s*=\s*|\s+)(\S+)$/.exec(
          line
        )
      if (m) {
        const name = m[1] === '-i' ? '--index-url' : m[1] === '-f' ? '--find-links' : m[1]
        const local =
          name === '--find-links' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(m[2])
            ? path.resolve(path.dirname(file.path), m[2].replace(/^file:(\/\/)?/, ''))
            : m[2]
        args.push(name, local)
      } else if (line === '--no-index' || line === '--pre') {
        args.push(line)
      }
    }
  }
  return args
}
