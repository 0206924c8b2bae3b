/**
 * The cache key: a hash of everything that decides the layer's bytes, behind
 * a readable prefix. What goes in, and why, is listed in the README
 * ("Caching").
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from './errors.js'
import { targetArgs } from './install.js'
import type { Architecture, Runtime } from './runtimes.js'

/** Bump when the layout or zip format changes, so old cache entries are not reused. */
export const BUILD_FORMAT_VERSION = 1

export interface KeyParts {
  /** Every requirements/constraints file, in the order pip reads them, normalized. */
  requirements: Array<{ name: string; lines: string[] }>
  /** Fingerprints of local files and folders the requirements point at. */
  localPaths: Array<{ name: string; digest: string }>
  runtimes: Runtime[]
  architectures: Architecture[]
  /** Exact interpreter version per runtime, e.g. python3.12 → 3.12.7. */
  interpreters: Record<string, string>
  /** pip-args, credentials removed. */
  pipArgs: string[]
  /** pip configuration in effect (pip config list), credentials removed. */
  pipConfig: string[]
  compile: boolean
  os: string
  formatVersion: number
}

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

/**
 * A requirements line without its comment; empty for a comment or blank line.
 * pip's own rule: `#` starts a comment at the line start or after whitespace.
 */
function stripComment(line: string): string {
  return line.replace(/(^|\s)#.*$/, '').trim()
}

/** Logical lines: comments and blank lines dropped, `\` continuations joined. */
export function requirementLines(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, '')
  return joined
    .split(/\r?\n/)
    .map(stripComment)
    .map(l => l.replace(/\s+/g, ' '))
    .filter(Boolean)
}

const INCLUDE = /^(-r|--requirement|-c|--constraint)(?:\s+|=)(.+)$/
const FIND_LINKS = /^(-f|--find-links)(?:\s+|=)(.+)$/

function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !value.startsWith('file:')
}

function localPathOf(line: string, dir: string): string | undefined {
  const findLinks = FIND_LINKS.exec(line)
  const candidate = findLinks
    ? findLinks[2].trim()
    : line.startsWith('-e ') || line.startsWith('--editable ')
      ? line.split(' ').slice(1).join(' ')
      : /^(\.{1,2}[\\/]|\/|file:)/.test(line)
        ? line.split(/\s|;/)[0]
        : /\s@\s*file:/.test(line)
          ? line.split('@').slice(1).join('@').trim().split(/\s|;/)[0]
          : undefined
  if (!candidate || isUrl(candidate)) return undefined
  const plain = candidate
    .replace(/^file:(\/\/)?/, '')
    .replace(/#.*$/, '')
    .replace(/\[.*\]$/, '')
  return path.resolve(dir, plain)
}

/** A digest of a file's bytes, or of every file below a folder (names and bytes). */
export function fingerprint(target: string): string {
  const hash = crypto.createHash('sha256')
  const skip = new Set(['.git', '__pycache__', '.tox', '.venv', 'node_modules', '.mypy_cache'])
  const visit = (p: string, rel: string): void => {
    const stat = fs.statSync(p)
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (!skip.has(name)) visit(path.join(p, name), `${rel}/${name}`)
      }
    } else if (stat.isFile()) {
      hash.update(`${rel}\0${stat.size}\0`)
      hash.update(fs.readFileSync(p))
    }
  }
  if (!fs.existsSync(target)) return 'missing'
  visit(target, '')
  return hash.digest('hex')
}

/**
 * Reads a requirements file and every file it pulls in (-r, -c), and
 * fingerprints the local paths they name, resolved as pip does: included
 * files and --find-links relative to the file naming them, package paths
 * (./pkg, -e ./pkg) relative to the folder pip runs in (`cwd`). Names are
 * relative to `cwd`.
 */
export function readRequirementsTree(
  file: string,
  cwd: string = path.dirname(file),
  options: { fingerprints?: boolean } = {}
): Pick<KeyParts, 'requirements' | 'localPaths'> {
  const fingerprints = options.fingerprints ?? true
  const base = cwd
  const requirements: KeyParts['requirements'] = []
  const localPaths: KeyParts['localPaths'] = []
  const seen = new Set<string>()
  const visit = (current: string, from?: string): void => {
    const resolved = path.resolve(current)
    if (seen.has(resolved)) return
    seen.add(resolved)
    let text: string
    try {
      text = fs.readFileSync(resolved, 'utf8')
    } catch {
      throw new ActionError(
        `Input \`requirements\`: ${from ?? 'the requirements file'} refers to ${path.relative(base, resolved) || resolved}, which cannot be read.`
      )
    }
    const lines = requirementLines(text)
    requirements.push({ name: path.relative(base, resolved), lines })
    const dir = path.dirname(resolved)
    for (const line of lines) {
      const include = INCLUDE.exec(line)
      if (include) {
        const target = include[2].trim()
        if (!isUrl(target)) visit(path.resolve(dir, target), path.relative(base, resolved))
        continue
      }
      const local = localPathOf(line, FIND_LINKS.test(line) ? dir : cwd)
      if (local && fingerprints) {
        localPaths.push({ name: path.relative(base, local), digest: fingerprint(local) })
      }
    }
  }
  visit(file)
  return { requirements, localPaths }
}

/** pip config keys that do not change what gets installed. */
const IRRELEVANT_CONFIG =
  /\.(cert|client-cert|timeout|default-timeout|retries|proxy|disable-pip-version-check|no-input|progress-bar|root-user-action|cache-dir|no-cache-dir|verbose|quiet|log|no-color|trusted-host|keyring-provider)=/

/** The lines of `pip config list` that can change the result, credentials removed. */
export function relevantPipConfig(configList: string): string[] {
  return configList
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(Boolean)
    .filter(l => !IRRELEVANT_CONFIG.test(l))
    .map(redactCredentials)
    .map(l => {
      // A constraint or requirement file named by the config: its content counts.
      const m = /\.(constraint|requirement)='(.+)'$/.exec(l)
      if (!m) return l
      const digests = m[2]
        .split(/\s+/)
        .map(f => (fs.existsSync(f) ? fingerprint(f).slice(0, 16) : 'missing'))
      return `${l} (${digests.join(' ')})`
    })
    .sort()
}

function ladder(runtimes: Runtime[], architectures: Architecture[]): string[] {
  return runtimes.flatMap(r => architectures.map(a => targetArgs(r, a).join(' ')))
}

export function computeCacheKey(parts: KeyParts): string {
  const material = JSON.stringify({
    ...parts,
    pipArgs: parts.pipArgs.map(redactCredentials),
    ladder: ladder(parts.runtimes, parts.architectures)
  })
  const digest = crypto.createHash('sha256').update(material).digest('hex').slice(0, 32)
  return [
    'lambda-python-layer',
    `v${parts.formatVersion}`,
    parts.os,
    parts.runtimes.join('+'),
    parts.architectures.join('+'),
    digest
  ].join('-')
}
