/**
 * pip's command lines and output, as pure functions: the options that select
 * wheels for the Lambda target, pip's environment, and what to quote from a
 * failed run.
 */
import fs from 'node:fs'
import path from 'node:path'
import {
  type Architecture,
  glibcString,
  platformTags,
  type Runtime,
  RUNTIMES
} from '../runtimes.js'
import { packageCodeEnv } from '../sandbox/env.js'

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

/** An index the action was given (codeartifact), for pip and uv alike. */
let givenIndex: string | undefined

/** Makes `url` the index every install of this run uses (pip's index-url, uv's default index). */
export function useIndex(url: string | undefined): void {
  givenIndex = url
}

/** The folder of the installers' caches the action keeps between runs (see cache/downloads.ts). */
let downloadCache: string | undefined

/** Makes pip and uv cache their downloads and built wheels under `dir`. */
export function useDownloadCache(dir: string | undefined): void {
  downloadCache = dir
}

/**
 * The installers' caches are the action's own (the download cache): uv's is
 * pruned of every unpacked wheel before it is kept (pruneUvCache), so
 * nothing the layer's files could share outlives the run.
 */
export function ownsInstallerCaches(): boolean {
  return downloadCache !== undefined
}

/** Where pip's and uv's caches go inside the folder the action keeps. */
export function installerCaches(dir: string): { pip: string; uv: string } {
  return { pip: path.join(dir, 'pip'), uv: path.join(dir, 'uv') }
}

/** Where the installers work during a build staged in memory (staging.ts). */
let scratch: { tmp: string; uvCache?: string } | undefined

/**
 * Points the installers' scratch at `dir`, a build's staging folder in
 * memory: their temporary files (TMPDIR: `pip install --target` installs
 * into one, then moves it into the target), and uv's cache, copied there
 * from the one the action keeps, so that uv links the layer's files within
 * one file system. undefined: back to the defaults (staging on disk).
 */
export function useScratch(dir: string | undefined): void {
  scratch = undefined
  if (!dir) return
  const tmp = path.join(dir, 'tmp')
  fs.mkdirSync(tmp, { recursive: true })
  scratch = { tmp }
  if (!downloadCache) return
  const kept = installerCaches(downloadCache).uv
  const uvCache = path.join(dir, 'uv-cache')
  fs.rmSync(uvCache, { recursive: true, force: true })
  if (fs.existsSync(kept)) fs.cpSync(kept, uvCache, { recursive: true, verbatimSymlinks: true })
  scratch.uvCache = uvCache
}

/** uv's cache as this build uses it, when the action keeps it. */
export function workingUvCache(): string | undefined {
  if (!downloadCache) return undefined
  return scratch?.uvCache ?? installerCaches(downloadCache).uv
}

/** Copies uv's cache from memory back to the folder the action keeps (once it is pruned). */
export function keepWorkingUvCache(): void {
  if (!downloadCache || !scratch?.uvCache) return
  const kept = installerCaches(downloadCache).uv
  fs.rmSync(kept, { recursive: true, force: true })
  if (fs.existsSync(scratch.uvCache)) {
    fs.cpSync(scratch.uvCache, kept, { recursive: true, verbatimSymlinks: true })
  }
}

/**
 * The environment that hands the given index to pip (and, through pip's
 * configuration, to uv), and the caches the action keeps.
 */
export function indexEnv(): Record<string, string> {
  const uvCache = workingUvCache()
  return {
    ...(givenIndex ? { PIP_INDEX_URL: givenIndex } : {}),
    ...(downloadCache ? { PIP_CACHE_DIR: installerCaches(downloadCache).pip } : {}),
    ...(uvCache ? { UV_CACHE_DIR: uvCache } : {}),
    ...(scratch ? { TMPDIR: scratch.tmp } : {})
  }
}

/**
 * pip's environment: the job's, without its credentials (pip runs build
 * backends, which are package code), plus switches that keep pip quiet and
 * non-interactive, and the index the action was given.
 */
export function pipEnv(): NodeJS.ProcessEnv {
  return {
    ...packageCodeEnv(),
    ...indexEnv(),
    PIP_NO_INPUT: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_ROOT_USER_ACTION: 'ignore',
    PYTHONDONTWRITEBYTECODE: '1'
  }
}

/**
 * pip's environment for installing the action's own tools (uv, auditwheel):
 * outside the layer's scratch, and without the user's constraints, which
 * are about the layer's packages.
 */
export function toolPipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...pipEnv(), PIP_CONSTRAINT: '', PIP_REQUIREMENT: '' }
  if (scratch) {
    if (process.env.TMPDIR === undefined) delete env.TMPDIR
    else env.TMPDIR = process.env.TMPDIR
  }
  return env
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
    const name = requirementName(requirement)
      .toLowerCase()
      .replace(/[-_.]+/g, '-')
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
