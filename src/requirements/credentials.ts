/** Credentials inside URLs (index URLs, direct references): found to mask them, removed to key the cache. */

// Linear: a match can only start at "[?&]", and its value ends at the first "&", space or quote.
const TOKEN_PARAM = /([?&](?:token|access_token|key|password|secret)=)([^&\s'"]+)/gi
const SCHEME_CHAR = /[a-z0-9+.-]/i
const LETTER = /[a-z]/i
const USERINFO_CHARS = /[^/@\s'"]*/y

/** The "user:password" of one "scheme://user:password@": from `start` to `end`, before its "@". */
interface Userinfo {
  start: number
  end: number
}

/**
 * What /([a-z][a-z0-9+.-]*:\/\/)([^/@\s'"]+)@/gi finds, in one pass: that
 * expression backtracks over every start in a long run of letters (seconds
 * for a 50,000-character line). Each "://" is looked at once: its scheme is
 * the run of scheme characters before it, from its first letter; its
 * userinfo runs to the next "/", "@", space or quote, and counts when that
 * is an "@". Neither walk passes the previous or the next "://" (nor the
 * "@" that ends the previous match, where the expression would resume).
 */
function userinfos(text: string): Userinfo[] {
  const found: Userinfo[] = []
  for (let sep = text.indexOf('://'); sep !== -1; sep = text.indexOf('://', sep + 1)) {
    let scheme = sep
    while (scheme > 0 && SCHEME_CHAR.test(text[scheme - 1])) scheme--
    while (scheme < sep && !LETTER.test(text[scheme])) scheme++
    if (scheme === sep) continue
    const start = sep + 3
    USERINFO_CHARS.lastIndex = start
    USERINFO_CHARS.exec(text)
    const end = USERINFO_CHARS.lastIndex
    if (end === start || text[end] !== '@') continue
    found.push({ start, end })
  }
  return found
}

/** Removes user:password@ from URLs, and the value of token-like query parameters. */
export function redactCredentials(text: string): string {
  let kept = ''
  let at = 0
  for (const { start, end } of userinfos(text)) {
    kept += text.slice(at, start)
    at = end + 1
  }
  kept += text.slice(at)
  return kept.replace(TOKEN_PARAM, '$1')
}

/** The credentials redactCredentials removes: passwords, tokens (and user:password pairs). */
export function credentialsIn(text: string): string[] {
  const found = new Set<string>()
  for (const { start, end } of userinfos(text)) {
    const raw = text.slice(start, end)
    const userinfo = decodeURIComponent(raw)
    found.add(raw)
    const colon = userinfo.indexOf(':')
    // A lone user part is usually the token itself (https://<token>@host).
    found.add(colon === -1 ? userinfo : userinfo.slice(colon + 1))
  }
  for (const m of text.matchAll(TOKEN_PARAM)) found.add(m[2])
  return [...found].filter(v => v.length >= 3)
}
