/**
 * pip's command lines and output, as pure functions: the options that select
 * wheels for the Lambda target, and what to quote from a failed run. pip's
 * environment is the run's InstallerEnv (installer-env.ts).
 */
import path from 'node:path'
import {
  type Architecture,
  glibcString,
  platformTags,
  type Runtime,
  RUNTIMES
} from '../runtimes.js'
import { normalizeName } from '../requirements/names.js'

/** The pip arguments that select wheels for the Lambda target. */
export function targetArgs(runtime: Runtime, architecture: Architecture): string[] {
  const info = RUNTIMES[runtime]
  return [
    '--only-binary=:all:',
    '--implementation',
    'cp',
    '--python-version',
    info.python,
    '--abi',
    info.abi,
    ...platformTags(info.glibc, architecture).flatMap(tag => ['--platform', tag])
  ]
}

export function pipInstallArgs(options: {
  runtime: Runtime
  architecture: Architecture
  requirements: string
  targetDir: string
  pipArgs: string[]
  findLinks?: string
}): string[] {
  return [
    '-m',
    'pip',
    'install',
    '--target',
    options.targetDir,
    '--no-compile',
    '--disable-pip-version-check',
    // pip would check against the interpreter's own site-packages, not the layer.
    '--no-warn-conflicts',
    ...targetArgs(options.runtime, options.architecture),
    ...(options.findLinks ? ['--find-links', options.findLinks] : []),
    ...options.pipArgs,
    '-r',
    options.requirements
  ]
}

/** The requirement pip could not satisfy, from its output. */
export function unsatisfiedRequirement(output: string): string | undefined {
  const matches = [...output.matchAll(/No matching distribution found for (\S+)/g)]
  return matches.length ? matches[matches.length - 1][1] : undefined
}

/**
 * The dependencies pip names in a resolution conflict ("The conflict is
 * caused by: feedparser 6.0.11 depends on sgmllib3k"), as requirements
 * without their markers, each project once, in pip's order.
 */
export function conflictDependencies(output: string): string[] {
  const at = output.indexOf('The conflict is caused by:')
  if (at === -1) return []
  const seen = new Set<string>()
  const found: string[] = []
  for (const m of output.slice(at).matchAll(/^\s+\S+ \S+ depends on (.+)$/gm)) {
    // pip joins a specifier set with " and ": "urllib3<3 and >=1.21.1".
    const requirement = m[1].split(';')[0].trim().replace(/ and /g, ',')
    const name = normalizeName(requirementName(requirement))
    if (seen.has(name)) continue
    seen.add(name)
    found.push(requirement)
  }
  return found
}

/** A downloaded file whose hash is not one the requirements file allows. */
export interface HashMismatch {
  requirement: string
  /** The file's name. */
  file: string
  /** Where pip read the requirement: "requirements.txt, line 3". */
  origin?: string
  expected: string[]
  got: string
}

/** pip's "THESE PACKAGES DO NOT MATCH THE HASHES" report, read. */
export function hashMismatches(output: string): HashMismatch[] {
  const at = output.indexOf('DO NOT MATCH THE HASHES')
  if (at === -1) return []
  const found: HashMismatch[] = []
  let current: HashMismatch | undefined
  for (const line of output.slice(at).split(/\r?\n/).slice(1)) {
    const head = /^\s{2,}(\S+) from (\S+?)(?: \(from (.+)\))?:$/.exec(line)
    if (head) {
      const [, requirement, url, from] = head
      const origin = from && /-r (.+) \(line (\d+)\)/.exec(from)
      current = {
        requirement,
        file: decodeURIComponent(url.replace(/#.*$/, '').split('/').pop() ?? url),
        ...(origin ? { origin: `${path.basename(origin[1])}, line ${origin[2]}` } : {}),
        expected: [],
        got: ''
      }
      found.push(current)
      continue
    }
    const expected = /^\s+Expected\s+(?:sha256|sha384|sha512|or)\s+([0-9a-f]+)$/.exec(line)
    if (expected && current) current.expected.push(expected[1])
    const got = /^\s+Got\s+([0-9a-f]+)$/.exec(line)
    if (got && current) current.got = got[1]
    if (!/^\s/.test(line) && line.trim() !== '') break
  }
  return found.filter(m => m.got !== '')
}

/** pip lines that are progress, not the error. */
const PIP_NOISE =
  /━|^\s*(Collecting|Downloading|Using cached|Processing|Looking in|Obtaining|Requirement already|Saved |Installing build|Getting requirements|Preparing metadata|WARNING: Location )/

/**
 * What a user needs from a failed pip run: its error lines (stderr) and, for
 * a conflict, pip's explanation (which it prints to stdout); not its progress.
 */
export function pipErrorExcerpt(stdout: string, stderr: string, lines = 25): string {
  const keep = (text: string): string[] =>
    text.split(/\r?\n/).filter(l => l.trim() !== '' && !PIP_NOISE.test(l))
  const conflictAt = stdout.indexOf('The conflict is caused by:')
  const errors = keep(stderr.trim() ? stderr : conflictAt === -1 ? stdout : '')
  const explanation = conflictAt === -1 ? [] : keep(stdout.slice(conflictAt))
  return [...errors, ...explanation].slice(-lines).join('\n')
}

/** The project name of a requirement: "numpy>=2" → "numpy". */
export function requirementName(requirement: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(requirement)?.[0] ?? requirement
}

/** "python3.11 / x86_64 (Amazon Linux 2, glibc 2.26)". */
export function targetLabel(runtime: Runtime, architecture: Architecture): string {
  return `${runtime} / ${architecture} (${RUNTIMES[runtime].os}, glibc ${glibcString(runtime)})`
}
