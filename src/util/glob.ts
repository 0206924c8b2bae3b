/**
 * Path globs (the `exclude` input), matched against "/"-separated paths
 * relative to a site folder:
 *
 * - `*` matches any characters within one path segment, `?` one character;
 * - `**` as a whole segment matches any number of segments, none included;
 * - a pattern ending in `/` or `/**` matches folders only, and with them
 *   everything they hold;
 * - every other character stands for itself; there is no negation.
 *
 * A pattern that matches a folder matches everything inside it.
 */

export interface PathGlob {
  /** The pattern as written. */
  pattern: string
  /** One matcher per segment; GLOBSTAR for `**`. */
  segments: Array<RegExp | typeof GLOBSTAR>
  /** Ends in `/` or `/**`: matches folders only. */
  folderOnly: boolean
}

export const GLOBSTAR = '**'

/** Why a pattern cannot be used: thrown by parseGlob, its message says what to write instead. */
export class GlobError extends Error {}

/** One segment as an anchored regular expression. */
function segmentRegExp(segment: string): RegExp {
  let source = ''
  for (const c of segment) {
    if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 'su')
}

/** Checks a pattern and compiles it; throws GlobError saying what is wrong. */
export function parseGlob(pattern: string): PathGlob {
  if (pattern === '') throw new GlobError('the pattern is empty')
  if (pattern.startsWith('!')) {
    throw new GlobError('negation (!) is not supported: list only what to leave out')
  }
  if (pattern.includes('\\')) throw new GlobError('separate folders with /, not \\')
  if (pattern.startsWith('/') || pattern.startsWith('~') || /^[A-Za-z]:/.test(pattern)) {
    throw new GlobError(
      'it is absolute: patterns are relative to the site folder (boto3/** means python/boto3/**)'
    )
  }
  if (/[[\]{}]/.test(pattern)) {
    throw new GlobError('[...] and {...} are not supported: use *, ? and **, or several patterns')
  }
  let body = pattern
  let folderOnly = false
  if (body.endsWith('/')) {
    body = body.slice(0, -1)
    folderOnly = true
  }
  if (body === GLOBSTAR || body.endsWith(`/${GLOBSTAR}`)) {
    body = body === GLOBSTAR ? '' : body.slice(0, -GLOBSTAR.length - 1)
    folderOnly = true
  }
  if (body === '') throw new GlobError('it matches the whole layer')
  const parts = body.split('/')
  if (parts.some(p => p === '')) {
    throw new GlobError('it has an empty path segment (// or a lone /)')
  }
  for (const part of parts) {
    if (part === '..' || part === '.') {
      throw new GlobError(
        `it has a "${part}" segment: patterns name paths inside the site folder, without . or ..`
      )
    }
    if (part !== GLOBSTAR && part.includes(GLOBSTAR)) {
      throw new GlobError('** must be a whole path segment (a/**/b, **/tests/**)')
    }
  }
  if (parts.every(p => p === GLOBSTAR)) {
    throw new GlobError('it matches the whole layer')
  }
  return {
    pattern,
    segments: parts.map(p => (p === GLOBSTAR ? GLOBSTAR : segmentRegExp(p))),
    folderOnly
  }
}

/** Whether the segments match the whole of `parts`. */
function matchSegments(segments: PathGlob['segments'], parts: readonly string[]): boolean {
  // reachable[j]: the segments consumed so far can match parts[0..j).
  let reachable = new Array<boolean>(parts.length + 1).fill(false)
  reachable[0] = true
  for (const segment of segments) {
    const next = new Array<boolean>(parts.length + 1).fill(false)
    if (segment === GLOBSTAR) {
      let any = false
      for (let j = 0; j <= parts.length; j++) {
        any ||= reachable[j]
        next[j] = any
      }
    } else {
      for (let j = 0; j < parts.length; j++) {
        if (reachable[j] && segment.test(parts[j])) next[j + 1] = true
      }
    }
    reachable = next
  }
  return reachable[parts.length]
}

/** Whether the glob matches this very path (not one of its folders). */
export function matchesEntry(glob: PathGlob, rel: string, isFolder: boolean): boolean {
  if (glob.folderOnly && !isFolder) return false
  return matchSegments(glob.segments, rel.split('/'))
}

/**
 * Whether the glob matches the path or one of the folders it is in: what
 * excluding with it leaves out. `rel` is "/"-separated, relative to the site
 * folder; `isFolder` says whether the path itself is a folder.
 */
export function globMatches(glob: PathGlob, rel: string, isFolder: boolean): boolean {
  const parts = rel.split('/')
  for (let n = 1; n <= parts.length; n++) {
    const folder = n < parts.length || isFolder
    if (glob.folderOnly && !folder) continue
    if (matchSegments(glob.segments, parts.slice(0, n))) return true
  }
  return false
}
