/** Credentials inside URLs (index URLs, direct references): found to mask them, removed to key the cache. */

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s'"]+)@/gi
const TOKEN_PARAM = /([?&](?:token|access_token|key|password|secret)=)([^&\s'"]+)/gi

/** Removes user:password@ from URLs, and the value of token-like query parameters. */
export function redactCredentials(text: string): string {
  return text.replace(USERINFO, '$1').replace(TOKEN_PARAM, '$1')
}

/** The credentials redactCredentials removes: passwords, tokens (and user:password pairs). */
export function credentialsIn(text: string): string[] {
  const found = new Set<string>()
  for (const m of text.matchAll(USERINFO)) {
    const userinfo = decodeURIComponent(m[2])
    found.add(m[2])
    const colon = userinfo.indexOf(':')
    // A lone user part is usually the token itself (https://<token>@host).
    found.add(colon === -1 ? userinfo : userinfo.slice(colon + 1))
  }
  for (const m of text.matchAll(TOKEN_PARAM)) found.add(m[2])
  return [...found].filter(v => v.length >= 3)
}
