/**
 * The `exclude` input: after the install and before bytecode, removes what
 * its patterns match from each site folder (so it is neither compiled nor
 * zipped), and says what that did to the packages the files belong to.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { type Distribution, distributionLabel, readDistributions } from '../layer/dist-info.js'
import type { RunReport } from '../report/run-report.js'
import { formatBytes, plural } from '../util/format.js'
import { matchesEntry, parseGlob, type PathGlob } from '../util/glob.js'
import { inTestSuite } from './bytecode.js'
import type { Site } from './targets.js'
import { normalizeName } from '../requirements/names.js'

/** What one pattern removed; a file counts for the first pattern that reaches it. */
export interface PatternCount {
  pattern: string
  files: number
  bytes: number
  /** Files removed per top-level entry of the site folder, most first. */
  byTop: Array<{ top: string; files: number }>
}

/** A distribution the patterns removed entirely. */
export interface RemovedPackage {
  /** Site folder, relative to the layer root. */
  site: string
  name: string
  version: string
}

export interface ExcludeResult {
  files: number
  bytes: number
  /** In the order of the input. */
  patterns: PatternCount[]
  removedPackages: RemovedPackage[]
  /** Packages left half there or without their metadata, and patterns that matched nothing. */
  warnings: string[]
  /** One line per removed file or folder, for the log. */
  removed: string[]
}

interface FileEntry {
  /** "/"-separated, relative to the site folder. */
  rel: string
  size: number
}

/** A file or folder a pattern matched, with the files it held. */
interface Removal {
  rel: string
  folder: boolean
  files: FileEntry[]
  /** Index of the first pattern that matched it. */
  pattern: number
}

const count = (n: number): string => n.toLocaleString('en-US')

/** Files a removed package may lose without changing what imports: test suites, type stubs. */
function isInert(rel: string): boolean {
  return inTestSuite(rel) || rel.endsWith('.pyi') || path.posix.basename(rel) === 'py.typed'
}

/** Every file below `abs` (links count as files, never followed), each entry seen by `visit`. */
function filesBelow(
  abs: string,
  prefix: string,
  visit: (rel: string, folder: boolean) => void = () => undefined
): FileEntry[] {
  const files: FileEntry[] = []
  const walk = (dir: string, relDir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = `${relDir}${entry.name}`
      const folder = entry.isDirectory()
      visit(rel, folder)
      if (folder) walk(path.join(dir, entry.name), `${rel}/`)
      else files.push({ rel, size: fs.lstatSync(path.join(dir, entry.name)).size })
    }
  }
  walk(abs, prefix)
  return files
}

/** "botocore/ (350 files), six.py": where the given files lie, by top-level entry. */
function where(files: readonly string[], limit = 4): string {
  const tops = new Map<string, number>()
  for (const rel of files) {
    const slash = rel.indexOf('/')
    const top = slash === -1 ? rel : `${rel.slice(0, slash)}/`
    tops.set(top, (tops.get(top) ?? 0) + 1)
  }
  const sorted = [...tops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const shown = sorted
    .slice(0, limit)
    .map(([top, n]) =>
      top.endsWith('/') ? `${top} (${n === 1 ? '1 file' : `${count(n)} files`})` : top
    )
  return `${shown.join(', ')}${sorted.length > limit ? ', ...' : ''}`
}

/** The files a distribution owns in the site folder: RECORD entries that exist, and its dist-info. */
function ownedFiles(
  siteAbs: string,
  dist: Distribution
): { files: Set<string>; meta: Set<string> } {
  const toRel = (abs: string): string | undefined => {
    const rel = path.relative(siteAbs, abs)
    return rel === '' || rel.startsWith('..') || path.isAbsolute(rel)
      ? undefined
      : rel.split(path.sep).join('/')
  }
  const metaRel = toRel(dist.distInfo) ?? path.basename(dist.distInfo)
  const meta = new Set(filesBelow(dist.distInfo, `${metaRel}/`).map(f => f.rel))
  const files = new Set<string>()
  for (const file of dist.files) {
    const rel = toRel(file)
    if (rel === undefined || meta.has(rel) || rel.startsWith(`${metaRel}/`)) continue
    let stat: fs.Stats | undefined
    try {
      stat = fs.lstatSync(file)
    } catch {
      stat = undefined
    }
    if (stat && !stat.isDirectory()) files.add(rel)
  }
  return { files, meta }
}

/** `six-*.dist-info/**` for six-1.16.0.dist-info: the pattern that takes the metadata of any version. */
function metadataPattern(dist: Distribution): string {
  const folder = path.basename(dist.distInfo)
  const dash = folder.indexOf('-')
  return dash === -1 ? `${folder}/**` : `${folder.slice(0, dash)}-*.dist-info/**`
}

interface DistOutcome {
  kind: 'untouched' | 'trimmed' | 'removed' | 'metadata' | 'half'
  message?: string
}

/** What excluding `excluded` does to one distribution, and the warning it deserves. */
function judge(siteAbs: string, dist: Distribution, excluded: ReadonlySet<string>): DistOutcome {
  const { files, meta } = ownedFiles(siteAbs, dist)
  const gone = [...files].filter(f => excluded.has(f))
  const metaGone = [...meta].filter(f => excluded.has(f))
  if (gone.length === 0 && metaGone.length === 0) return { kind: 'untouched' }
  const total = files.size + meta.size
  if (gone.length + metaGone.length === total) return { kind: 'removed' }
  const live = gone.filter(f => !isInert(f))
  if (metaGone.length === 0 && live.length === 0) return { kind: 'trimmed' }
  if (metaGone.length === meta.size && live.length === 0) return { kind: 'metadata' }
  const label = distributionLabel(dist)
  const left = [...files, ...meta].filter(f => !excluded.has(f))
  const head = `exclude: ${label}: ${count(gone.length + metaGone.length)} of ${count(total)} files excluded; left: ${where(left)}.`
  const metaFolder = path.basename(dist.distInfo)
  let why: string
  if (files.size > 0 && gone.length === files.size) {
    why = `Its files are gone but its metadata (${metaFolder}) is ${metaGone.length > 0 ? 'partly ' : ''}left, so it still looks installed while its modules cannot be imported: exclude \`${metadataPattern(dist)}\` too.`
  } else if (metaGone.length > 0) {
    why = `Its metadata (${metaFolder}) is ${metaGone.length === meta.size ? '' : 'partly '}excluded while files of the package stay: importlib.metadata and pip no longer see it as installed, and the package is half there and may fail to import.`
  } else {
    why =
      'The package is half there and may fail to import: exclude all of it (with its *.dist-info) or none of it.'
  }
  return { kind: 'half', message: `${head} ${why}` }
}

/**
 * Removes from each site folder (relative to `root`) every file and folder a
 * pattern matches, and reports per pattern, per package and per removal.
 * Patterns that matched nothing, packages left half there and packages whose
 * metadata was removed while their files stay are warnings; packages removed
 * entirely are listed.
 */
export async function excludeFromLayer(
  root: string,
  siteDirs: readonly string[],
  globs: readonly PathGlob[]
): Promise<ExcludeResult> {
  const used = new Set<number>()
  // A one-segment pattern that matched nothing at the top may match deeper: say so.
  const deeper = globs.map(g =>
    g.segments.length === 1 ? parseGlob(`**/${g.pattern}`) : undefined
  )
  const matchedDeeper = new Set<number>()
  const counts = globs.map(() => ({ files: 0, bytes: 0, byTop: new Map<string, number>() }))
  const result: ExcludeResult = {
    files: 0,
    bytes: 0,
    patterns: [],
    removedPackages: [],
    warnings: [],
    removed: []
  }
  const metadataOnly: string[] = []
  const seeEntry = (rel: string, folder: boolean): number[] => {
    deeper.forEach((g, i) => {
      if (g && matchesEntry(g, rel, folder)) matchedDeeper.add(i)
    })
    const hits: number[] = []
    globs.forEach((g, i) => {
      if (matchesEntry(g, rel, folder)) hits.push(i)
    })
    for (const i of hits) used.add(i)
    return hits
  }

  for (const site of siteDirs) {
    const siteAbs = path.join(root, site)
    if (!fs.existsSync(siteAbs)) continue
    const removals: Removal[] = []
    const walk = (dir: string, prefix: string): void => {
      const entries = fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const entry of entries) {
        const rel = `${prefix}${entry.name}`
        const abs = path.join(dir, entry.name)
        const folder = entry.isDirectory()
        const hits = seeEntry(rel, folder)
        if (hits.length === 0) {
          if (folder) walk(abs, `${rel}/`)
          continue
        }
        const files = folder
          ? filesBelow(abs, `${rel}/`, (inner, innerFolder) => void seeEntry(inner, innerFolder))
          : [{ rel, size: fs.lstatSync(abs).size }]
        removals.push({ rel, folder, files, pattern: hits[0] })
      }
    }
    walk(siteAbs, '')

    const excluded = new Set(removals.flatMap(r => r.files.map(f => f.rel)))
    if (excluded.size > 0 || removals.length > 0) {
      for (const dist of await readDistributions(siteAbs)) {
        const outcome = judge(siteAbs, dist, excluded)
        if (outcome.kind === 'removed') {
          result.removedPackages.push({ site, name: dist.name, version: dist.version })
        } else if (outcome.kind === 'metadata') {
          metadataOnly.push(distributionLabel(dist))
        } else if (outcome.kind === 'half' && outcome.message) {
          result.warnings.push(outcome.message)
        }
      }
    }

    for (const removal of removals) {
      const bytes = removal.files.reduce((sum, f) => sum + f.size, 0)
      const c = counts[removal.pattern]
      c.files += removal.files.length
      c.bytes += bytes
      const top = removal.rel.split('/')[0]
      c.byTop.set(top, (c.byTop.get(top) ?? 0) + removal.files.length)
      result.files += removal.files.length
      result.bytes += bytes
      result.removed.push(
        `${site}/${removal.rel}${removal.folder ? `/ (${plural(removal.files.length, 'file')}, ${formatBytes(bytes)})` : ` (${formatBytes(bytes)})`}: ${globs[removal.pattern].pattern}`
      )
      fs.rmSync(path.join(siteAbs, removal.rel), { recursive: true, force: true })
    }
  }

  if (metadataOnly.length > 0) {
    const labels = [...new Set(metadataOnly)]
    result.warnings.push(
      `exclude removes the metadata (*.dist-info) of ${plural(labels.length, 'package')} whose files stay: ${labels.join(', ')}. importlib.metadata and pip no longer see them, and code that looks up its version or entry points at import fails.`
    )
  }
  const within = siteDirs.length === 1 ? `${siteDirs[0]}/` : 'each site folder'
  globs.forEach((g, i) => {
    if (used.has(i)) return
    const hint = matchedDeeper.has(i)
      ? `: patterns start at ${within}, and \`**/${g.pattern}\` would match at any depth`
      : ` (patterns start at ${within})`
    result.warnings.push(`exclude pattern \`${g.pattern}\` matched nothing${hint}.`)
  })
  result.patterns = globs.map((g, i) => ({
    pattern: g.pattern,
    files: counts[i].files,
    bytes: counts[i].bytes,
    byTop: [...counts[i].byTop]
      .map(([top, files]) => ({ top, files }))
      .sort((a, b) => b.files - a.files || (a.top < b.top ? -1 : 1))
  }))
  return result
}

/** "botocore (1,560), boto3 (300), ...": the top-level entries a pattern removed files from. */
export function topLevelSummary(byTop: PatternCount['byTop'], limit = 5): string {
  const shown = byTop.slice(0, limit).map(t => `${t.top} (${count(t.files)})`)
  return `${shown.join(', ')}${byTop.length > limit ? `, ... (${byTop.length} in all)` : ''}`
}

/**
 * The exclude phase of a build: removes what the patterns match, logs each
 * removal, warns, fills the job summary, and drops the packages removed
 * entirely from the sites' package lists.
 */
export async function excludeFiles(
  root: string,
  sites: Site[],
  globs: readonly PathGlob[],
  report: RunReport
): Promise<ExcludeResult> {
  const result = await excludeFromLayer(
    root,
    sites.map(s => s.dir),
    globs
  )
  for (const line of result.removed) core.info(`excluded ${line}`)
  for (const p of result.patterns) {
    core.info(
      `exclude \`${p.pattern}\`: ${plural(p.files, 'file')}, ${formatBytes(p.bytes)}${p.files > 0 ? ` from ${topLevelSummary(p.byTop)}` : ''}`
    )
  }
  core.info(
    `exclude: ${plural(result.files, 'file')} (${formatBytes(result.bytes)}) removed from the layer${result.removedPackages.length > 0 ? `; packages removed entirely: ${[...new Set(result.removedPackages.map(p => `${p.name}==${p.version}`))].join(', ')}` : ''}.`
  )
  for (const warning of result.warnings) report.warn(warning)
  for (const site of sites) {
    const gone = new Set(
      result.removedPackages.filter(p => p.site === site.dir).map(p => normalizeName(p.name))
    )
    site.packages = site.packages.filter(p => !gone.has(normalizeName(p.name)))
  }
  report.summary.excluded = {
    files: result.files,
    bytes: result.bytes,
    patterns: result.patterns.map(p => ({
      pattern: p.pattern,
      files: p.files,
      bytes: p.bytes,
      where: topLevelSummary(p.byTop)
    })),
    removedPackages: [...new Set(result.removedPackages.map(p => `${p.name}==${p.version}`))]
  }
  return result
}
