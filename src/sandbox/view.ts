/**
 * What a sandboxed process sees of the file system: a fresh root holding
 * only the folders named here, each at its own path, most of them
 * read-only. The plan is a list of directives that the launcher script
 * (launcher.ts) carries out in the process's own mount namespace.
 */
import fs from 'node:fs'
import path from 'node:path'

export type Directive =
  /** A folder or file of the runner, read-only, at `path` (from `source`). */
  | { kind: 'ro'; path: string; source: string }
  /** A folder of the runner the process may write, at its own path. */
  | { kind: 'rw'; path: string; source: string }
  /** An empty in-memory folder (hides what is below it, or is HOME). */
  | { kind: 'tmpfs'; path: string }
  /** An empty in-memory folder anyone may write (sticky): /tmp, /dev/shm. */
  | { kind: 'tmp'; path: string }
  /** A symbolic link, as the runner has it (/bin → usr/bin). */
  | { kind: 'link'; path: string; target: string }
  /** A fresh /proc of the process's own PID namespace. */
  | { kind: 'proc'; path: string }
  /** A minimal /dev: null, zero, random, urandom, fd, an empty shm. */
  | { kind: 'dev'; path: string }
  /** An empty folder, in a folder made in memory (HOME in /tmp). */
  | { kind: 'dir'; path: string }

/** The system's own folders: programs, libraries, configuration. */
export const SYSTEM = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc',
  '/opt'
]

/** HOME inside the sandbox: an empty folder in its own /tmp. */
export const SANDBOX_HOME = '/tmp/home'

function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel))
}

/** Whether `p` is `other` or holds it. */
export function holds(p: string, other: string): boolean {
  return isWithin(other, p)
}

function stat(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p)
  } catch {
    return undefined
  }
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p)
  } catch {
    return undefined
  }
}

/**
 * The links on the way to `p` and its real path: /a/link/b with link → /x
 * gives [link /a/link → /x] and /x/b. A chain longer than 40 links (a loop)
 * ends the walk.
 */
export function resolveChain(p: string): { links: Directive[]; real: string } {
  const links: Directive[] = []
  let current = path.resolve(p)
  for (let hops = 0; hops < 40; hops++) {
    const parts = current.split('/').filter(Boolean)
    let prefix = ''
    let jumped = false
    for (let i = 0; i < parts.length; i++) {
      prefix = `${prefix}/${parts[i]}`
      const stat = lstat(prefix)
      if (!stat) return { links, real: current }
      if (stat.isSymbolicLink()) {
        const target = fs.readlinkSync(prefix)
        links.push({ kind: 'link', path: prefix, target })
        // Joined by hand: the bundler rewrites path.resolve(dirname(...), ...).
        const base = target.startsWith('/')
          ? target
          : `${prefix.slice(0, prefix.lastIndexOf('/'))}/${target}`
        current = path.posix.normalize([base, ...parts.slice(i + 1)].join('/'))
        jumped = true
        break
      }
    }
    if (!jumped) return { links, real: current }
  }
  return { links, real: current }
}

export interface ViewRequest {
  /** Read-only folders or files (besides the system's). */
  readable: readonly string[]
  /** Folders the process may write. */
  writable: readonly string[]
  /** Folders hidden behind an empty one (a checkout's .git). */
  hidden?: readonly string[]
  /** Files or folders to show inside the sandbox's HOME: [path inside HOME, runner path]. */
  home?: ReadonlyArray<readonly [string, string]>
  /** Folders never shown, nor any folder holding them (the runner's files, the job's HOME). */
  secret: readonly string[]
}

/**
 * The directives for a request, in the order they are carried out: a
 * parent before what is inside it. A readable or writable path that would
 * show a secret folder (the runner's temporary folder, the job's HOME)
 * is left out; so is one that does not exist.
 */
export function planView(request: ViewRequest): Directive[] {
  const out: Directive[] = [
    { kind: 'proc', path: '/proc' },
    { kind: 'dev', path: '/dev' },
    { kind: 'tmp', path: '/tmp' },
    { kind: 'dir', path: SANDBOX_HOME }
  ]
  // A secret named through a link is a secret under its real name too.
  const secret = request.secret.flatMap(s => {
    try {
      return [s, fs.realpathSync(s)]
    } catch {
      return [s]
    }
  })
  const shown = new Map<string, Directive>()
  const add = (p: string, kind: 'ro' | 'rw'): void => {
    if (!lstat(p)) return
    const { links, real } = resolveChain(p)
    // A link that leads nowhere (dangling, a loop) shows nothing; nor does
    // anything of the kernel's own file systems.
    if (!stat(real) || /^\/(proc|sys)(\/|$)/.test(real)) return
    if (secret.some(s => holds(real, s)) || real === '/') return
    for (const link of links) {
      if (!shown.has(link.path)) shown.set(link.path, link)
    }
    const previous = shown.get(real)
    if (previous?.kind === 'rw') return
    shown.set(real, { kind, path: real, source: real })
  }
  for (const p of SYSTEM) add(p, 'ro')
  for (const p of request.readable) add(p, 'ro')
  for (const p of request.writable) add(p, 'rw')
  // A link or folder inside one already shown is there by that folder.
  const entries = [...shown.values()].filter(
    d =>
      ![...shown.values()].some(
        other =>
          other !== d &&
          (other.kind === 'ro' || other.kind === 'rw') &&
          holds(other.path, d.path) &&
          other.path !== d.path &&
          (d.kind === 'link' || d.kind === other.kind)
      )
  )
  for (const [inside, source] of request.home ?? []) {
    if (lstat(source)) {
      entries.push({ kind: 'ro', path: path.posix.join(SANDBOX_HOME, inside), source })
    }
  }
  for (const p of request.hidden ?? []) {
    if (lstat(p)?.isDirectory()) entries.push({ kind: 'tmpfs', path: p })
  }
  // Parents first: a sort by path puts /a before /a/b. /proc, /dev and /tmp
  // come first of all, so that a runner folder below /tmp is shown on top.
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return [...out, ...entries]
}

/** The plan as the launcher reads it: one directive a line, fields separated by tabs. */
export function serializePlan(plan: readonly Directive[]): string {
  return plan
    .map(d => {
      const fields: string[] = [d.kind, d.path]
      if (d.kind === 'ro' || d.kind === 'rw') fields.push(d.source)
      if (d.kind === 'link') fields.push(d.target)
      for (const f of fields) {
        if (/[\t\n\r]/.test(f))
          throw new Error(`A path with a tab or line break: ${JSON.stringify(f)}`)
      }
      return `${fields.join('\t')}\n`
    })
    .join('')
}
