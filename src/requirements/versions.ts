/**
 * Versions and version constraints: PEP 440 versions ordered as pip orders
 * them, and the constraints projects write, in PEP 440 (`>=3.9,<3.13`,
 * `==3.12.*`, `~=3.10`) and in Poetry's syntax, which adds `^3.9`, `~3.9`,
 * `3.9.*`, `*`, a space for "and" and `||` for "or". A constraint is kept as
 * "or" of "and" of single comparisons, each remembering how many release
 * numbers it was written with: Poetry compares a Python version written as
 * `3.9` with `python_version`, one written as `3.9.1` with
 * `python_full_version`.
 */

/** A PEP 440 version as comparable parts: release numbers, then pre/post/dev rank. */
export interface VersionKey {
  release: number[]
  rank: number[]
}

export function versionKey(v: string): VersionKey | undefined {
  const m =
    /^v?(?:\d+!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+.*)?$/i.exec(
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

/** -1, 0 or 1; release numbers are padded with zeros (3.9 == 3.9.0). */
export function compareKeys(a: VersionKey, b: VersionKey): number {
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

/** Compares two versions; undefined when either is not a PEP 440 version. */
export function compareVersions(a: string, b: string): number | undefined {
  const ka = versionKey(a)
  const kb = versionKey(b)
  return ka && kb ? compareKeys(ka, kb) : undefined
}

/** One comparison: `>=3.9`; `==3.9.*` and `!=3.9.*` compare a release prefix. */
export interface Comparison {
  op: '<' | '<=' | '>' | '>=' | '==' | '!=' | '==*' | '!=*'
  version: string
  /** How many release numbers it was written with (`3.9` → 2). */
  precision: number
}

/** "or" of "and" of comparisons; `[[]]` allows every version. */
export type Constraint = Comparison[][]

export class ConstraintError extends Error {}

function comparison(op: Comparison['op'], version: string): Comparison {
  const key = versionKey(version)
  if (!key) throw new ConstraintError(`"${version}" is not a version`)
  return { op, version, precision: key.release.length }
}

/** The release numbers of `version` cut to `length`, the last one raised by one. */
function bump(version: string, length: number): string {
  const release = (versionKey(version) as VersionKey).release.slice(0, length)
  while (release.length < length) release.push(0)
  release[length - 1] += 1
  return release.join('.')
}

/** One constraint without "and"/"or": `^1.2`, `~1.2`, `~=1.2`, `1.2.*`, `>=1.2`, `1.2`. */
function single(text: string): Comparison[] {
  const t = text.trim()
  if (/^v?[xX*](\.[xX*])*$/.test(t)) return []
  let m = /^\^\s*(.+)$/.exec(t)
  if (m) {
    // Caret: up to the next change of the first non-zero number (of those written).
    const release = versionKey(m[1])?.release
    if (!release) throw new ConstraintError(`"${t}" is not a constraint`)
    const nonZero = release.findIndex(n => n !== 0)
    const length = Math.min(nonZero === -1 ? release.length : nonZero + 1, 3)
    return [comparison('>=', m[1]), comparison('<', bump(m[1], length))]
  }
  m = /^~=\s*(.+)$/.exec(t)
  if (m) {
    const release = versionKey(m[1])?.release
    if (!release || release.length < 2) throw new ConstraintError(`"${t}" is not a constraint`)
    return [comparison('>=', m[1]), comparison('<', bump(m[1], release.length - 1))]
  }
  m = /^~\s*(.+)$/.exec(t)
  if (m) {
    // Tilde: up to the next minor; `~1` up to the next major.
    const release = versionKey(m[1])?.release
    if (!release) throw new ConstraintError(`"${t}" is not a constraint`)
    return [comparison('>=', m[1]), comparison('<', bump(m[1], release.length === 1 ? 1 : 2))]
  }
  m = /^(==|!=|=)?\s*v?(\d+(?:\.\d+)*)(?:\.[xX*])+$/.exec(t)
  if (m) return [comparison(m[1] === '!=' ? '!=*' : '==*', m[2])]
  m = /^(<>|!=|>=|<=|===|==|=|<|>)?\s*(\S+)$/.exec(t)
  if (m) {
    const op = m[1] ?? '=='
    const version = m[2]
    if (op === '<>' || op === '!=') return [comparison('!=', version)]
    if (op === '=' || op === '==' || op === '===') return [comparison('==', version)]
    return [comparison(op as Comparison['op'], version)]
  }
  throw new ConstraintError(`"${t}" is not a constraint`)
}

/**
 * A constraint in Poetry's syntax, which also reads PEP 440 specifiers:
 * `||` (or `|`) separates alternatives; a comma or a space separates
 * constraints that must all hold.
 */
export function parseConstraint(text: string): Constraint {
  const t = text.trim()
  if (t === '' || t === '*') return [[]]
  return t.split(/\s*\|\|?\s*/).map(alternative => {
    const joined = alternative
      .trim()
      .replace(/,+$/, '')
      // "> = 3.9", ">= 3.9", "^ 3.9": the operator belongs to the version after it.
      .replace(/(===|==|!=|<>|>=|<=|~=|[<>=^~])\s+/g, '$1')
    return joined
      .split(/\s*,\s*|\s+/)
      .filter(Boolean)
      .flatMap(single)
  })
}

/** `python_version` and `python_full_version` of one interpreter. */
export interface PythonVersion {
  version: string
  full: string
}

/**
 * How a Python constraint is turned into markers: `nested` as Poetry writes
 * a package's or a project's Python range (`>3.9` as `python_full_version >
 * "3.9.0"`), `region` as the export walks the versions of a package locked
 * for several Python ranges (`>3.9` as `python_version > "3.9"`).
 */
export type PythonStyle = 'nested' | 'region'

function holds(c: Comparison, key: VersionKey): boolean {
  const target = versionKey(c.version) as VersionKey
  if (c.op === '==*' || c.op === '!=*') {
    const prefix = target.release
    const same = prefix.every((n, i) => (key.release[i] ?? 0) === n)
    return c.op === '==*' ? same : !same
  }
  return orderHolds(c.op, compareKeys(key, target)) ?? false
}

/**
 * Whether a comparison by order holds, given the sign of left - right
 * (compareKeys); undefined for an operator that is not an order.
 */
export function orderHolds(op: string, d: number): boolean | undefined {
  switch (op) {
    case '<':
      return d < 0
    case '<=':
      return d <= 0
    case '>':
      return d > 0
    case '>=':
      return d >= 0
    case '==':
      return d === 0
    case '!=':
      return d !== 0
  }
  return undefined
}

/** True when `version` satisfies the constraint (a package's version). */
export function allows(constraint: Constraint, version: string): boolean {
  const key = versionKey(version)
  if (!key) return false
  return constraint.some(all => all.every(c => holds(c, key)))
}

/**
 * True when the Python of a target satisfies a Python constraint, compared
 * as Poetry's markers compare it: a bound written with one or two numbers
 * against `python_version` where the marker would use it (`==3.9` holds for
 * 3.9.18), otherwise against the full version.
 */
export function allowsPython(
  constraint: Constraint,
  python: PythonVersion,
  style: PythonStyle = 'nested'
): boolean {
  const short = versionKey(python.version)
  const full = versionKey(python.full) ?? short
  if (!short || !full) return false
  const check = (c: Comparison): boolean => {
    if (c.precision >= 3) return holds(c, full)
    switch (c.op) {
      case '==':
        return holds(c, short)
      case '!=':
        // Poetry writes it as "< v or > v".
        return holds({ ...c, op: '<' }, full) || check({ ...c, op: '>' })
      case '>':
      case '<=':
        return holds(c, style === 'nested' ? full : short)
      default:
        return holds(c, full)
    }
  }
  return constraint.some(all => all.every(check))
}
