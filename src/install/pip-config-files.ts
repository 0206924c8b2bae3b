/**
 * `pip config list` read from pip's configuration files and PIP_* variables
 * without starting pip (a pip start costs 0.3–0.4 s, on the path of every
 * run, cached or not). The files and the order are pip's (pip 20 to 24,
 * pip/_internal/configuration.py): global (/etc/xdg/pip, /etc), user
 * (~/.pip, then ~/.config/pip; not when PIP_CONFIG_FILE names a file that
 * exists), site (the interpreter's sys.prefix), PIP_CONFIG_FILE, then the
 * PIP_* variables as `:env:`; later ones win; keys sorted.
 *
 * It is a forecast: pip itself is asked in the background, and the run
 * goes on only once the two agree (InstallerEnv.confirmPipConfig). Any file
 * this reader is not sure to read as configparser does (a [DEFAULT]
 * section, a line it cannot place, a value repr would escape) gives no
 * forecast at all, and pip's own answer is awaited, as before.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface PipConfigPlaces {
  /** The interpreter's sys.prefix: its site configuration, <prefix>/pip.conf. */
  prefix: string
  /** pip's environment (PIP_* variables included), as the action starts pip. */
  env: NodeJS.ProcessEnv
  /**
   * The user's configuration folders pip sees: the job's ~/.pip and
   * $XDG_CONFIG_HOME/pip (or ~/.config/pip); undefined where pip runs with a
   * HOME of its own that holds none (the sandbox's fallback).
   */
  user?: { legacy: string; config: string }
}

/** pip's names of variables it ignores (ENV_NAMES_IGNORED). */
const IGNORED = new Set(['version', 'help'])

const normalize = (name: string): string => {
  const n = name.toLowerCase().replace(/_/g, '-')
  return n.startsWith('--') ? n.slice(2) : n
}

/** Printable ASCII, tab and newline: what this reader writes as repr does. */
const PLAIN = /^[\x20-\x7e\t\n]*$/

/**
 * A configparser (RawConfigParser) file's options, "section.key" → value;
 * undefined when the file holds anything this reader does not read as
 * configparser does.
 */
export function parseIni(text: string): Map<string, string> | undefined {
  // A byte-order mark is part of the first line to configparser, which then finds no section.
  if (text.startsWith('\uFEFF')) return undefined
  const options = new Map<string, string[]>()
  const sections = new Set<string>()
  let section: string | undefined
  let current: string[] | undefined
  let indentOfKey = 0
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const stripped = raw.trim()
    const indent = raw.length - raw.trimStart().length
    if (stripped.startsWith('#') || stripped.startsWith(';')) continue
    if (stripped === '') {
      // An empty line inside a value is kept (trailing ones are stripped below).
      current?.push('')
      continue
    }
    if (current !== undefined && indent > indentOfKey) {
      current.push(stripped)
      continue
    }
    current = undefined
    const header = /^\[([^\]]+)\]$/.exec(stripped)
    if (header) {
      // configparser refuses a section twice in one file; [DEFAULT] feeds every section.
      if (header[1] === 'DEFAULT' || sections.has(header[1])) return undefined
      section = header[1]
      sections.add(section)
      continue
    }
    const delimiter = stripped.search(/[=:]/)
    if (section === undefined || delimiter <= 0) return undefined
    const key = `${section}.${normalize(stripped.slice(0, delimiter).trim())}`
    // configparser refuses a repeated option or section in one file; so would pip.
    if (options.has(key)) return undefined
    current = [stripped.slice(delimiter + 1).trim()]
    indentOfKey = indent
    options.set(key, current)
  }
  const out = new Map<string, string>()
  for (const [key, lines] of options) out.set(key, lines.join('\n').trimEnd())
  return out
}

/** Python's repr() of a string of PLAIN characters. */
export function pythonRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
  let out = ''
  for (const ch of value) {
    if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === quote) out += `\\${ch}`
    else out += ch
  }
  return `${quote}${out}${quote}`
}

/** Reads one configuration file: an empty map when it is not there, undefined when unsure. */
function readFile(file: string): Map<string, string> | undefined {
  let text: string
  try {
    if (!fs.statSync(file).isFile()) return undefined
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new Map() : undefined
  }
  return parseIni(text)
}

/**
 * What `pip config list` prints in `places`, line for line; undefined when
 * only pip can tell.
 */
export function pipConfigFromFiles(places: PipConfigPlaces): string | undefined {
  const { env } = places
  // Options that change which files pip reads: pip is asked.
  if (env.PIP_ISOLATED !== undefined || env.XDG_CONFIG_DIRS !== undefined) return undefined
  const configFile = env.PIP_CONFIG_FILE
  const files: string[] = []
  if (configFile !== '/dev/null') {
    files.push('/etc/xdg/pip/pip.conf', '/etc/pip.conf')
    const envFileExists = Boolean(configFile) && fs.existsSync(configFile as string)
    if (places.user && !envFileExists) {
      files.push(
        path.join(places.user.legacy, 'pip.conf'),
        path.join(places.user.config, 'pip.conf')
      )
    }
    files.push(path.join(places.prefix, 'pip.conf'))
    if (configFile) files.push(configFile)
  }
  const merged = new Map<string, string>()
  for (const file of files) {
    const options = readFile(file)
    if (options === undefined) return undefined
    for (const [key, value] of options) merged.set(key, value)
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('PIP_') || value === undefined) continue
    const option = name.slice(4).toLowerCase()
    if (!IGNORED.has(option)) merged.set(`:env:.${normalize(option)}`, value)
  }
  const lines: string[] = []
  for (const key of [...merged.keys()].sort()) {
    const value = merged.get(key) as string
    if (!PLAIN.test(key) || !PLAIN.test(value)) return undefined
    lines.push(`${key}=${pythonRepr(value)}`)
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/**
 * The job's user configuration folders of pip, as the sandbox shows them
 * to pip in its own HOME (~/.pip, and ~/.config/pip from $XDG_CONFIG_HOME).
 */
export function jobUserPipDirs(env: NodeJS.ProcessEnv): NonNullable<PipConfigPlaces['user']> {
  const home = env.HOME || os.homedir()
  const config = env.XDG_CONFIG_HOME || path.join(home, '.config')
  return { legacy: path.join(home, '.pip'), config: path.join(config, 'pip') }
}
