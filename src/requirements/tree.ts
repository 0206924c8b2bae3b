/**
 * The requirements file and everything it pulls in: read once, when the
 * inputs are read, and carried as a typed tree to the phases that need it
 * (the cache key, the install).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'

export interface RequirementsTree {
  /** The requirements file (absolute). */
  file: string
  /** Every requirements/constraints file, in the order pip reads them, normalized; names relative to the workspace. */
  requirements: Array<{ name: string; lines: string[] }>
  /** Local files and folders the requirements point at (packages, --find-links). */
  localPaths: Array<{ name: string; path: string; digest?: string; project?: boolean }>
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
  options: { fingerprints?: boolean; input?: string } = {}
): RequirementsTree {
  const fingerprints = options.fingerprints ?? true
  // The input that named the file, for messages: `requirements` or `pip-args`.
  const input = options.input ?? 'requirements'
  const base = cwd
  const requirements: RequirementsTree['requirements'] = []
  const localPaths: RequirementsTree['localPaths'] = []
  const seen = new Set<string>()
  // The files being read, outermost first: an include of one of them is a loop.
  const chain: string[] = []
  const visit = (current: string, from?: string): void => {
    const resolved = path.resolve(current)
    const name = shown(base, resolved)
    const loopAt = chain.indexOf(resolved)
    if (loopAt !== -1) {
      const cycle = [...chain.slice(loopAt), resolved].map(f => shown(base, f)).join(' → ')
      throw new ActionError(
        `Input \`${input}\`: requirements files include each other in a loop (${cycle}); pip would recurse until it crashes. Remove one of these -r/-c lines.`
      )
    }
    if (seen.has(resolved)) return
    seen.add(resolved)
    chain.push(resolved)
    let text: string
    try {
      text = decodeRequirements(fs.readFileSync(resolved))
    } catch {
      throw new ActionError(
        `Input \`${input}\`: ${from ? `${from} refers to ` : ''}${name}${from ? ', which' : ''} cannot be read.`
      )
    }
    refuseNonRequirements(input, name, resolved, text)
    const lines = requirementLines(text)
    requirements.push({ name: path.relative(base, resolved), lines })
    const dir = path.dirname(resolved)
    for (const line of lines) {
      if (/^(-e|--editable)(\s|=)/.test(line)) {
        throw new ActionError(
          `Input \`${input}\`: ${name} has the editable requirement "${line}". An editable install puts a link to the runner's checkout in the layer, not the package, and the link breaks on Lambda. List the path without -e (for example "${line.replace(/^(-e|--editable)(\s+|=)/, '')}"): the action installs it as a regular package.`
        )
      }
      const include = INCLUDE.exec(line)
      if (include) {
        const target = include[2].trim()
        if (!isUrl(target)) visit(path.resolve(dir, target), name)
        continue
      }
      const findLinks = FIND_LINKS.test(line)
      const local = localPathOf(line, findLinks ? dir : cwd)
      if (local) {
        const project = !findLinks && isDirectory(local)
        if (project) refuseLinksLeaving(input, local, line, base)
        localPaths.push({
          name: path.relative(base, local),
          path: local,
          ...(fingerprints ? { digest: fingerprint(local) } : {}),
          ...(project ? { project } : {})
        })
      }
    }
    chain.pop()
  }
  visit(file)
  return { file: path.resolve(file), requirements, localPaths }
}

/**
 * A requirements file's text, decoded as pip does: a byte-order mark selects
 * UTF-8 or UTF-16 (PowerShell writes `pip freeze > requirements.txt` as
 * UTF-16), and UTF-8 otherwise.
 */
export function decodeRequirements(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le')
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const even = bytes.subarray(2, bytes.length - (bytes.length % 2))
    return Buffer.from(even).swap16().toString('utf16le')
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return bytes.subarray(3).toString('utf8')
  }
  return bytes.toString('utf8')
}

/**
 * A file that is not a requirements file (an environment dump, a key, a
 * binary) must not reach pip, which quotes invalid lines in its errors: its
 * content would land in the log and the job summary. Refuse it here, naming
 * the file and at most a line number and a variable's name, never a value.
 */
function refuseNonRequirements(input: string, name: string, file: string, text: string): void {
  const refuse = (why: string): never => {
    throw new ActionError(
      `Input \`${input}\`: ${name} is not a requirements file (${why}). Name a text file of requirements, one per line (pip's requirements format); its content is not shown here.`
    )
  }
  let regular = false
  try {
    regular = fs.statSync(file).isFile()
  } catch {
    // read above, so it exists; a race at worst
  }
  if (!regular) refuse('it is not a regular file')
  if (text.includes('\0')) refuse('it holds binary data: NUL bytes')
  if (text.includes('\uFFFD')) refuse('it is not UTF-8 text')
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    // NAME=value: a shell or .env assignment; pip would echo it whole.
    const assignment = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)/.exec(lines[i])
    if (assignment) {
      refuse(`line ${i + 1} assigns the variable ${assignment[1]}, which is not a requirement`)
    }
  }
}

/** A path for messages: relative to the workspace when inside it, absolute otherwise. */
function shown(base: string, p: string): string {
  const rel = path.relative(base, p)
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}

const NOT_BUILT = new Set([
  '.git',
  '.hg',
  '.svn',
  '.tox',
  '.nox',
  '.venv',
  'node_modules',
  '__pycache__'
])

/**
 * A local project whose source tree links outside itself would have the
 * link's target copied into the layer by its build (setuptools copies the
 * bytes a link points at). Refuse it, naming each link and its target.
 */
function refuseLinksLeaving(input: string, project: string, line: string, base: string): void {
  const root = fs.realpathSync(project)
  const found: string[] = []
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (NOT_BUILT.has(entry.name)) continue
      const abs = path.join(dir, entry.name)
      if (entry.isSymbolicLink()) {
        let target: string
        try {
          target = fs.realpathSync(abs)
        } catch {
          continue // dangling: nothing to copy
        }
        const rel = path.relative(root, target)
        if (rel.startsWith('..') || path.isAbsolute(rel)) {
          found.push(`${shown(base, abs)} links to ${target}`)
        }
      } else if (entry.isDirectory()) {
        visit(abs)
      }
    }
  }
  visit(project)
  if (found.length > 0) {
    throw new ActionError(
      `Input \`${input}\`: the local project "${line}" has symbolic links to files outside it, whose contents its build would copy into the layer:\n${found.map(f => `- ${f}`).join('\n')}\nOnly files inside the project go into a layer: replace each link with the file itself, or remove it.`
    )
  }
}
