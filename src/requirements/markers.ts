/**
 * PEP 508 environment markers, evaluated for the Lambda target rather than
 * for the runner: `platform_machine == "aarch64"` is true for an arm64
 * layer built on an x86_64 runner. Lock files carry markers on every
 * package; pip would evaluate them against the interpreter it runs in.
 */
import { ActionError } from '../errors.js'
import { ARCHITECTURES, type Architecture, RUNTIMES, type Runtime } from '../runtimes.js'
import { normalizeName } from './names.js'
import { compareKeys, orderHolds, versionKey } from './versions.js'

/** The marker variables of one target, plus the extras and dependency groups asked for. */
export interface MarkerEnvironment {
  python_version: string
  python_full_version: string
  os_name: string
  sys_platform: string
  platform_system: string
  platform_machine: string
  platform_release: string
  platform_version: string
  platform_python_implementation: string
  implementation_name: string
  implementation_version: string
  /** `extra == "x"`: true for each extra asked for. */
  extras: readonly string[]
  /** PEP 751: `"dev" in dependency_groups`. */
  dependencyGroups: readonly string[]
}

/** The environment of a Lambda runtime on an architecture; `fullVersion` is the interpreter's (3.12.7). */
export function lambdaEnvironment(
  runtime: Runtime,
  architecture: Architecture,
  fullVersion: string,
  options: { extras?: readonly string[]; dependencyGroups?: readonly string[] } = {}
): MarkerEnvironment {
  return {
    python_version: RUNTIMES[runtime].python,
    python_full_version: fullVersion,
    os_name: 'posix',
    sys_platform: 'linux',
    platform_system: 'Linux',
    platform_machine: ARCHITECTURES[architecture].wheelArch,
    platform_release: '',
    platform_version: '',
    platform_python_implementation: 'CPython',
    implementation_name: 'cpython',
    implementation_version: fullVersion,
    extras: options.extras ?? [],
    dependencyGroups: options.dependencyGroups ?? []
  }
}

type Token =
  | { kind: 'var'; name: string }
  | { kind: 'str'; value: string }
  | { kind: 'op'; value: string }
  | { kind: 'and' | 'or' | '(' | ')' }

const VARIABLES = new Set([
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_system',
  'platform_machine',
  'platform_release',
  'platform_version',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  'extras',
  'dependency_groups',
  // Old spellings pip still accepts.
  'os.name',
  'sys.platform',
  'platform.version',
  'platform.machine',
  'platform.python_implementation',
  'python_implementation'
])

function tokenize(marker: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const fail = (why: string): never => {
    throw new ActionError(`Environment marker "${marker}": ${why} at position ${i + 1}.`)
  }
  while (i < marker.length) {
    const c = marker[i]
    if (/\s/.test(c)) {
      i++
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c })
      i++
    } else if (c === '"' || c === "'") {
      const end = marker.indexOf(c, i + 1)
      if (end === -1) fail('unclosed quote')
      tokens.push({ kind: 'str', value: marker.slice(i + 1, end) })
      i = end + 1
    } else {
      const op = /^(===|==|!=|<=|>=|~=|<|>)/.exec(marker.slice(i))
      if (op) {
        tokens.push({ kind: 'op', value: op[1] })
        i += op[1].length
        continue
      }
      const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(marker.slice(i))
      if (!word) fail(`unexpected "${c}"`)
      const w = (word as RegExpExecArray)[0]
      i += w.length
      if (w === 'and' || w === 'or') tokens.push({ kind: w })
      else if (w === 'in') tokens.push({ kind: 'op', value: 'in' })
      else if (w === 'not') {
        const rest = /^\s+in\b/.exec(marker.slice(i))
        if (!rest) fail('"not" without "in"')
        i += (rest as RegExpExecArray)[0].length
        tokens.push({ kind: 'op', value: 'not in' })
      } else if (VARIABLES.has(w)) tokens.push({ kind: 'var', name: w })
      else fail(`unknown marker variable "${w}"`)
    }
  }
  return tokens
}

function compare(left: string, op: string, right: string): boolean {
  if (op === 'in') return right.includes(left)
  if (op === 'not in') return !right.includes(left)
  if (op === '===') return left === right
  const a = versionKey(left)
  const b = versionKey(right)
  if (a && b) {
    const d = compareKeys(a, b)
    if (op === '~=') {
      const prefix = b.release.slice(0, Math.max(1, b.release.length - 1))
      return d >= 0 && prefix.every((p, i) => a.release[i] === p)
    }
    // "3.12.*" style wildcards are not in markers' version values: == is plain equality.
    const held = orderHolds(op, d)
    if (held !== undefined) return held
  }
  if (op === '==') return left === right
  if (op === '!=') return left !== right
  // Python compares other strings lexically.
  if (op === '<') return left < right
  if (op === '<=') return left <= right
  if (op === '>') return left > right
  if (op === '>=') return left >= right
  return false
}

/** Parentheses nested deeper are refused (the parser recurses once per level). */
const MAX_NESTING = 100

/** One side of a comparison: a variable (its canonical name) or a quoted string. */
type Operand = { var: string } | { value: string }

/** A marker read into a tree: comparisons joined by "and" and "or". */
export type MarkerNode =
  | { kind: 'compare'; left: Operand; op: string; right: Operand }
  | { kind: 'and' | 'or'; items: MarkerNode[] }

/**
 * Reads a PEP 508 marker (the part after ";") into a tree. Throws an
 * ActionError naming the marker when it cannot be read.
 */
export function parseMarker(marker: string): MarkerNode {
  const tokens = tokenize(marker)
  let pos = 0
  let depth = 0
  const fail = (why: string): never => {
    throw new ActionError(`Environment marker "${marker}": ${why}.`)
  }
  const operand = (t: Token | undefined): Operand => {
    if (t?.kind === 'str') return { value: t.value }
    if (t?.kind === 'var') {
      // Old spellings: os.name, sys.platform, platform.machine, python_implementation.
      const dotted = t.name.replace('.', '_')
      return { var: dotted === 'python_implementation' ? 'platform_python_implementation' : dotted }
    }
    return fail('expected a variable or a quoted string')
  }
  const expression = (): MarkerNode => {
    const t = tokens[pos]
    if (t?.kind === '(') {
      if (depth === MAX_NESTING) fail(`nests parentheses deeper than ${MAX_NESTING} levels`)
      pos++
      depth++
      const inner = or()
      if (tokens[pos]?.kind !== ')') fail('unclosed parenthesis')
      pos++
      depth--
      return inner
    }
    const left = operand(tokens[pos++])
    const opToken = tokens[pos++]
    if (opToken?.kind !== 'op') return fail('expected a comparison')
    const right = operand(tokens[pos++])
    return { kind: 'compare', left, op: opToken.value, right }
  }
  const joined = (kind: 'and' | 'or', next: () => MarkerNode): MarkerNode => {
    const items = [next()]
    while (tokens[pos]?.kind === kind) {
      pos++
      items.push(next())
    }
    return items.length === 1 ? items[0] : { kind, items }
  }
  const and = (): MarkerNode => joined('and', expression)
  const or = (): MarkerNode => joined('or', and)
  const result = or()
  if (pos !== tokens.length) fail('unexpected text after the expression')
  return result
}

/** The text of a marker tree, for messages. */
function markerText(node: MarkerNode): string {
  if (node.kind === 'compare') {
    const side = (o: Operand) => ('var' in o ? o.var : `"${o.value}"`)
    return `${side(node.left)} ${node.op} ${side(node.right)}`
  }
  return node.items
    .map(i => (i.kind === 'compare' ? markerText(i) : `(${markerText(i)})`))
    .join(` ${node.kind} `)
}

/** Evaluates a marker tree in `env`; every part is evaluated, so an error anywhere is reported. */
export function evaluateNode(node: MarkerNode, env: MarkerEnvironment, text?: string): boolean {
  if (node.kind !== 'compare') {
    const results = node.items.map(i => evaluateNode(i, env, text))
    return node.kind === 'and' ? results.every(Boolean) : results.some(Boolean)
  }
  const valueOf = (o: Operand): { var?: string; value: string } => {
    if ('value' in o) return { value: o.value }
    const v = (env as unknown as Record<string, unknown>)[o.var]
    return { var: o.var, value: typeof v === 'string' ? v : '' }
  }
  const left = valueOf(node.left)
  const right = valueOf(node.right)
  const op = node.op
  // extra / extras / dependency_groups: membership of what was asked for.
  const sets: Record<string, readonly string[]> = {
    extra: env.extras,
    extras: env.extras,
    dependency_groups: env.dependencyGroups
  }
  for (const [side, other] of [
    [left, right],
    [right, left]
  ] as const) {
    if (side.var && side.var in sets) {
      const asked = sets[side.var].map(normalizeName)
      const wanted = normalizeName(other.value)
      if (side.var === 'extra') {
        if (op === '==') return asked.includes(wanted)
        if (op === '!=') return !asked.includes(wanted)
      } else {
        if (op === 'in') return asked.includes(wanted)
        if (op === 'not in') return !asked.includes(wanted)
      }
      throw new ActionError(
        `Environment marker "${text ?? markerText(node)}": "${op}" is not a comparison for ${side.var}.`
      )
    }
  }
  return compare(left.value, op, right.value)
}

/**
 * Evaluates a PEP 508 marker (the part after ";") in `env`. Throws an
 * ActionError naming the marker when it cannot be read.
 */
export function evaluateMarker(marker: string, env: MarkerEnvironment): boolean {
  return evaluateNode(parseMarker(marker), env, marker)
}

function isExtra(node: MarkerNode): boolean {
  return (
    node.kind === 'compare' &&
    (('var' in node.left && node.left.var === 'extra') ||
      ('var' in node.right && node.right.var === 'extra'))
  )
}

/** The marker as "or" of "and" of comparisons. */
function disjunctiveTerms(node: MarkerNode): MarkerNode[][] {
  if (node.kind === 'compare') return [[node]]
  const parts = node.items.map(disjunctiveTerms)
  if (node.kind === 'or') return parts.flat()
  return parts.reduce<MarkerNode[][]>(
    (acc, terms) => acc.flatMap(a => terms.map(t => [...a, ...t])),
    [[]]
  )
}

/**
 * A dependency's marker with its `extra == "…"` comparisons taken out, as
 * Poetry's export takes them out when it follows a locked package's
 * dependencies (`without_extras()` of the marker joined with its parent's):
 * in the "or" of "and" terms, an extra is dropped from a term; a term that
 * was nothing but extras holds, except a lone extra beside other terms
 * when the parent had no condition, which is dropped. Undefined: it holds
 * everywhere.
 */
export function withoutExtras(
  marker: MarkerNode | undefined,
  parentUnconditional: boolean
): MarkerNode | undefined {
  if (!marker) return undefined
  const terms = disjunctiveTerms(marker)
  const kept: MarkerNode[][] = []
  for (const term of terms) {
    const rest = term.filter(c => !isExtra(c))
    if (rest.length === 0) {
      // Joined with the parent's condition, the term is that condition: it holds here.
      if (!parentUnconditional || term.length > 1 || terms.length === 1) return undefined
      continue
    }
    kept.push(rest)
  }
  if (kept.length === 0) return undefined
  const ors = kept.map<MarkerNode>(t => (t.length === 1 ? t[0] : { kind: 'and', items: t }))
  return ors.length === 1 ? ors[0] : { kind: 'or', items: ors }
}
