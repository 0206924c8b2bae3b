/**
 * PEP 508 environment markers, evaluated for the Lambda target rather than
 * for the runner: `platform_machine == "aarch64"` is true for an arm64
 * layer built on an x86_64 runner. Lock files carry markers on every
 * package; pip would evaluate them against the interpreter it runs in.
 */
import { ActionError } from '../errors.js'
import { ARCHITECTURES, type Architecture, RUNTIMES, type Runtime } from '../runtimes.js'
import { normalizeName } from './names.js'

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

/** A PEP 440 version as comparable parts: release numbers, then pre/post/dev rank. */
function versionKey(v: string): { release: number[]; rank: number[] } | undefined {
  const m =
    /^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+.*)?$/i.exec(
      v.trim()
    )
  if (!m) return undefined
  const release = m[1].split('.').map(Number)
  const pre = m[2]
    ? { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 }[m[2].toLowerCase()]
    : undefined
  // Ranks: dev < pre < final < post.
  const rank = [
    m[6] !== undefined && !m[2] && !m[4] ? -1 : pre !== undefined ? 0 : 1,
    pre ?? 0,
    Number(m[3] || 0),
    m[4] ? Number(m[5] || 0) + 1 : 0,
    m[6] !== undefined ? -1 : 0
  ]
  return { release, rank }
}

function compareKeys(
  a: NonNullable<ReturnType<typeof versionKey>>,
  b: NonNullable<ReturnType<typeof versionKey>>
): number {
  const n = Math.max(a.release.length, b.release.length)
  for (let i = 0; i < n; i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  for (let i = 0; i < a.rank.length; i++) {
    const d = a.rank[i] - b.rank[i]
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

function compare(left: string, op: string, right: string): boolean {
  if (op === 'in') return right.includes(left)
  if (op === 'not in') return !right.includes(left)
  if (op === '===') return left === right
  const a = versionKey(left)
  const b = versionKey(right)
  if (a && b) {
    const d = compareKeys(a, b)
    switch (op) {
      case '==': {
        // "3.12.*" style wildcards are not in markers' version values; plain equality.
        return d === 0
      }
      case '!=':
        return d !== 0
      case '<':
        return d < 0
      case '<=':
        return d <= 0
      case '>':
        return d > 0
      case '>=':
        return d >= 0
      case '~=': {
        const prefix = b.release.slice(0, Math.max(1, b.release.length - 1))
        return d >= 0 && prefix.every((p, i) => a.release[i] === p)
      }
    }
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

/**
 * Evaluates a PEP 508 marker (the part after ";") in `env`. Throws an
 * ActionError naming the marker when it cannot be read.
 */
export function evaluateMarker(marker: string, env: MarkerEnvironment): boolean {
  const tokens = tokenize(marker)
  let pos = 0
  let depth = 0
  const fail = (why: string): never => {
    throw new ActionError(`Environment marker "${marker}": ${why}.`)
  }
  const value = (t: Token | undefined): { var?: string; value: string } => {
    if (t?.kind === 'str') return { value: t.value }
    if (t?.kind === 'var') {
      // Old spellings: os.name, sys.platform, platform.machine, python_implementation.
      const dotted = t.name.replace('.', '_')
      const name = dotted === 'python_implementation' ? 'platform_python_implementation' : dotted
      const v = (env as unknown as Record<string, unknown>)[name]
      return { var: name, value: typeof v === 'string' ? v : '' }
    }
    return fail('expected a variable or a quoted string')
  }
  const expression = (): boolean => {
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
    const left = value(tokens[pos++])
    const opToken = tokens[pos++]
    if (opToken?.kind !== 'op') return fail('expected a comparison')
    const right = value(tokens[pos++])
    const op = opToken.value
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
        return fail(`"${op}" is not a comparison for ${side.var}`)
      }
    }
    return compare(left.value, op, right.value)
  }
  const and = (): boolean => {
    let result = expression()
    while (tokens[pos]?.kind === 'and') {
      pos++
      const next = expression()
      result = result && next
    }
    return result
  }
  const or = (): boolean => {
    let result = and()
    while (tokens[pos]?.kind === 'or') {
      pos++
      const next = and()
      result = result || next
    }
    return result
  }
  const result = or()
  if (pos !== tokens.length) fail('unexpected text after the expression')
  return result
}
