/**
 * `strip: true`: the symbol tables and debug sections that loading does not
 * need are removed from the layer's ELF files with binutils' strip
 * (`--strip-unneeded`, which keeps the dynamic symbols), after the install
 * and `exclude`, before the bytecode, the scan, verify and the smoke test.
 *
 * strip is a trusted program working on bytes that packages installed, so
 * nothing it writes reaches the layer unchecked:
 * - only shared objects and executables whose headers read, that have a
 *   symbol table or debug sections, and that carry no bytes after their
 *   ELF content (which strip would drop) are given to it;
 * - it works on copies in a scratch folder, the only folder it may write,
 *   in the run's sandbox with the environment of package code (no
 *   credentials) and a time limit; a staged file may be a hard link into an
 *   installer's cache, so no staged file is ever written in place;
 * - a stripped copy replaces its original only when it is smaller and
 *   loads exactly as it did (loadedImageChange): strip rewrites the layout
 *   of libraries patched by patchelf (auditwheel's vendored libraries) into
 *   segments the loader refuses ("ELF load command address/offset not
 *   page-aligned"), and those are left as they are;
 * - the RECORD row of each stripped file gets its new hash and size.
 *
 * strip's output depends on the input bytes and strip's version only (the
 * version is in the cache key), and a stripped file has nothing left to
 * strip, so a file restored stripped from an earlier build is left as it
 * is: the same bytes as a build from scratch.
 */
import * as core from '@actions/core'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { firstCsvField } from '../layer/dist-info.js'
import { detectFormat } from '../layer/binary.js'
import {
  ET_DYN,
  ET_EXEC,
  type ElfLayout,
  isStrippable,
  loadedImageChange,
  readElfLayout
} from '../layer/elf-layout.js'
import { walkLayer } from '../layer/scan.js'
import type { RunReport } from '../report/run-report.js'
import { ARCHITECTURES, type Architecture } from '../runtimes.js'
import { codeEnv, whichOnPath } from '../sandbox/index.js'
import { mapConcurrent } from '../util/concurrency.js'
import { formatBytes, plural } from '../util/format.js'
import { run, tail } from '../util/process.js'
import type { Site } from './targets.js'

/** What strip is asked to do: remove what relocation does not need; the dynamic symbols stay. */
export const STRIP_ARGS: readonly string[] = ['--strip-unneeded']

export interface StripTool {
  path: string
  /** The first line of its `--version`, e.g. "GNU strip (GNU Binutils for Ubuntu) 2.42". */
  version: string
}

/** The strip that reads each architecture's ELF files. */
export type StripTools = ReadonlyMap<Architecture, StripTool>

/** BFD's name of each architecture's ELF format, as GNU strip lists its supported targets. */
const BFD_TARGET: Readonly<Record<Architecture, string>> = {
  x86_64: 'elf64-x86-64',
  arm64: 'elf64-littleaarch64'
}

/** The names binutils' strip goes by: the cross-named ones (aarch64-linux-gnu-strip), and strip. */
function stripNames(arch: Architecture): string[] {
  return [`${ARCHITECTURES[arch].wheelArch}-linux-gnu-strip`, 'strip']
}

/** Whether any strip program is on `pathVar` (checked with the inputs, before anything runs). */
export function stripOnPath(pathVar: string = process.env.PATH ?? ''): boolean {
  return (Object.keys(ARCHITECTURES) as Architecture[])
    .flatMap(stripNames)
    .some(name => whichOnPath(name, pathVar) !== undefined)
}

/** What `<strip> --version` and `--help` say about a program named strip. */
interface Probe {
  path: string
  version: string
  /** GNU strip reads the architectures its BFD targets name; llvm-strip reads every ELF. */
  reads: (arch: Architecture) => boolean
  /** Why it is not binutils' strip, when it is not. */
  notStrip?: string
}

const STRIP_ENV = (): NodeJS.ProcessEnv => ({ ...codeEnv(), LC_ALL: 'C' })

async function probe(program: string): Promise<Probe> {
  const version = await run(program, ['--version'], {
    silent: true,
    timeoutMs: 30_000,
    env: STRIP_ENV()
  })
  const first = version.stdout.split('\n')[0]?.trim() ?? ''
  if (version.exitCode !== 0 || !/\b(GNU strip|llvm-strip)\b/.test(first)) {
    const said = first || tail(version.stderr, 1) || version.spawnError || 'nothing'
    return {
      path: program,
      version: first,
      reads: () => false,
      notStrip: `\`${program} --version\` says "${said}", not GNU strip (binutils) or llvm-strip`
    }
  }
  if (first.includes('llvm-strip')) return { path: program, version: first, reads: () => true }
  const help = await run(program, ['--help'], { silent: true, timeoutMs: 30_000, env: STRIP_ENV() })
  const targets = /supported targets:([^\n]*)/.exec(help.stdout)?.[1]?.trim().split(/\s+/) ?? []
  return {
    path: program,
    version: first,
    reads: arch => targets.includes(BFD_TARGET[arch])
  }
}

/**
 * The strip for each architecture that has one here: the cross-named
 * binutils (aarch64-linux-gnu-strip) first, then `strip`, whichever reads
 * that architecture's ELF files. With `required`, a layer of one
 * architecture with no such strip fails, saying what to install (a layer
 * of two architectures holds no machine code).
 */
export async function findStripTools(
  architectures: readonly Architecture[],
  options: { required?: boolean; pathVar?: string } = {}
): Promise<Map<Architecture, StripTool>> {
  const pathVar = options.pathVar ?? process.env.PATH ?? ''
  const probes = new Map<string, Promise<Probe>>()
  const tools = new Map<Architecture, StripTool>()
  for (const arch of architectures) {
    const seen: Probe[] = []
    for (const name of stripNames(arch)) {
      const found = whichOnPath(name, pathVar)
      if (found === undefined) continue
      const real = fs.realpathSync(found)
      if (!probes.has(real)) probes.set(real, probe(found))
      const probed = await (probes.get(real) as Promise<Probe>)
      seen.push(probed)
      if (probed.notStrip === undefined && probed.reads(arch)) {
        tools.set(arch, { path: probed.path, version: probed.version })
        break
      }
    }
    if (!tools.has(arch) && options.required && architectures.length === 1) {
      throw new ActionError(noStripFor(arch, seen))
    }
  }
  return tools
}

function noStripFor(arch: Architecture, seen: readonly Probe[]): string {
  const cross = `binutils-${ARCHITECTURES[arch].wheelArch.replace('_', '-')}-linux-gnu`
  const found =
    seen.length === 0
      ? 'no strip program is on PATH'
      : seen
          .map(p =>
            p.notStrip !== undefined
              ? p.notStrip
              : `${p.path} (${p.version}) does not read ${arch} ELF files (${BFD_TARGET[arch]} is not among its targets)`
          )
          .join('; ')
  return `Input \`strip\` is true, but no strip on this runner reads ${arch} ELF files: ${found}. Install ${cross} (\`sudo apt-get install -y ${cross}\`, which brings ${stripNames(arch)[0]}), or build on a runner of the layer's architecture, or set \`strip: false\`. Nothing was installed.`
}

/** The strip programs, for the cache key and the earlier zip: their versions decide the bytes. */
export function stripLabel(tools: StripTools): string {
  return [...tools]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([arch, tool]) => `${arch}: ${tool.version}`)
    .join('; ')
}

/** Why an ELF file is not given to strip. */
export type Skip = 'unreadable' | 'not-loadable' | 'appended-data' | 'nothing-to-strip'

/** Why files were left as they are, for the log. */
const SKIP_TEXT: Readonly<Record<Exclude<Skip, 'nothing-to-strip'>, string>> = {
  unreadable: 'their ELF headers do not read',
  'not-loadable': 'they are object files or core dumps, not shared objects or executables',
  'appended-data':
    'they carry bytes after their ELF content, which strip would drop (libraries patched by patchelf, as auditwheel repairs wheels, commonly end so)'
}

/** What becomes of an ELF file of `size` bytes with this layout: a reason to leave it, or undefined to strip it. */
export function stripVerdict(layout: ElfLayout | null, size: number): Skip | undefined {
  if (layout === null) return 'unreadable'
  if (layout.type !== ET_DYN && layout.type !== ET_EXEC) return 'not-loadable'
  if (size > layout.end) return 'appended-data'
  if (!layout.sections.some(isStrippable)) return 'nothing-to-strip'
  return undefined
}

/** The Lambda architecture of an ELF e_machine, if it is one. */
export function architectureOf(machine: number): Architecture | undefined {
  return (Object.keys(ARCHITECTURES) as Architecture[]).find(
    a => ARCHITECTURES[a].elfMachine === machine
  )
}

/** Files one strip invocation takes at most. */
const BATCH_FILES = 32

/**
 * Files in batches, one strip invocation each, for `workers` running side
 * by side: at least four batches a worker where there are files enough, at
 * most BATCH_FILES files a batch, the bytes spread evenly (largest file
 * first into the lightest batch), the heaviest batch first. The batches
 * decide only the time, never the bytes: strip treats each file alone.
 */
export function planBatches<T extends { size: number }>(
  files: readonly T[],
  workers: number
): T[][] {
  if (files.length === 0) return []
  const count = Math.min(
    files.length,
    Math.max(Math.max(1, workers) * 4, Math.ceil(files.length / BATCH_FILES))
  )
  const batches = Array.from({ length: count }, () => ({ bytes: 0, files: [] as T[] }))
  const order = files.map((file, index) => ({ file, index }))
  order.sort((a, b) => b.file.size - a.file.size || a.index - b.index)
  for (const { file } of order) {
    let lightest = batches[0]
    for (const batch of batches) {
      if (batch.files.length >= BATCH_FILES) continue
      if (lightest.files.length >= BATCH_FILES || batch.bytes < lightest.bytes) lightest = batch
    }
    lightest.files.push(file)
    lightest.bytes += file.size
  }
  return batches
    .filter(b => b.files.length > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .map(b => b.files)
}

/** A file of the layer as the strip step sees it. */
export interface LayerFile {
  /** Relative to the layer root, "/"-separated. */
  rel: string
  /** The path to read and replace (a link's target inside the layer). */
  abs: string
  size: number
}

export interface StripOutcome {
  /** ELF files in the layer. */
  elfFiles: number
  /** Files whose stripped copy replaced them (or would, when measuring). */
  stripped: Array<{ rel: string; before: number; after: number; sha256: string }>
  /** Files strip changed in a way that would load differently, or did not make smaller. */
  kept: Array<{ rel: string; why: string }>
  /** Files strip refused or did not finish, or that no strip here reads. */
  refused: Array<{ rel: string; why: string }>
  /** ELF files not given to strip, and why (files with nothing to strip included). */
  skipped: Array<{ rel: string; why: Skip }>
}

/** Bytes of the layer saved by an outcome. */
export function savedBytes(outcome: StripOutcome): number {
  return outcome.stripped.reduce((sum, f) => sum + f.before - f.after, 0)
}

interface Candidate extends LayerFile {
  arch: Architecture
  /** Other names of the same file in the layer (links inside it). */
  aliases: string[]
}

/** Whether the file starts as an ELF file does (layer/binary.ts's detectFormat). */
function startsWithElfMagic(file: string): boolean {
  const head = Buffer.alloc(4)
  let fd: number | undefined
  try {
    fd = fs.openSync(file, 'r')
    return fs.readSync(fd, head, 0, 4, 0) === 4 && detectFormat(head) === 'elf'
  } catch {
    return false
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/** Every name of a candidate in the layer. */
function namesOf(file: Candidate): string[] {
  return [file.rel, ...file.aliases]
}

/**
 * The ELF files to strip, each once (a file linked under two names in the
 * layer is stripped once, and both names count), and those left.
 */
function select(
  files: readonly LayerFile[],
  tools: StripTools,
  outcome: StripOutcome
): Candidate[] {
  const byPath = new Map<string, LayerFile[]>()
  for (const file of files) {
    const same = byPath.get(file.abs)
    if (same) same.push(file)
    else byPath.set(file.abs, [file])
  }
  const candidates: Candidate[] = []
  for (const [abs, named] of byPath) {
    const [file] = named
    if (file.size === 0 || !startsWithElfMagic(abs)) continue
    outcome.elfFiles += named.length
    const layout = readElfLayout(fs.readFileSync(abs))
    const skip = stripVerdict(layout, file.size)
    if (skip !== undefined || layout === null) {
      for (const n of named) outcome.skipped.push({ rel: n.rel, why: skip ?? 'unreadable' })
      continue
    }
    const arch = architectureOf(layout.machine)
    if (arch === undefined || !tools.has(arch)) {
      const why =
        arch === undefined
          ? `its machine (e_machine ${layout.machine}) is no Lambda architecture`
          : `no strip on this runner reads ${arch} ELF files`
      for (const n of named) outcome.refused.push({ rel: n.rel, why })
      continue
    }
    candidates.push({ ...file, arch, aliases: named.slice(1).map(n => n.rel) })
  }
  return candidates
}

/** How long one strip invocation may take: a minute, and a second per MiB it reads. */
function timeLimit(bytes: number): number {
  return 60_000 + Math.ceil(bytes / 1024 ** 2) * 1000
}

/** Runs strip on the copies `names` in `dir`: whether it failed, and what it said. */
async function stripCopies(
  tool: StripTool,
  dir: string,
  names: readonly string[],
  bytes: number
): Promise<{ failed: boolean; timedOut: boolean; said: string }> {
  const limit = timeLimit(bytes)
  const result = await run(tool.path, [...STRIP_ARGS, ...names], {
    silent: true,
    cwd: dir,
    env: STRIP_ENV(),
    timeoutMs: limit,
    confine: { writable: [dir] }
  })
  const said = result.timedOut
    ? `strip did not finish within ${Math.round(limit / 1000)} s`
    : (result.spawnError ?? tail(`${result.stderr}\n${result.stdout}`, 3))
  return { failed: result.exitCode !== 0 || result.timedOut, timedOut: result.timedOut, said }
}

/** RECORD's hash of some bytes: sha256=<urlsafe base64, no padding>. */
function recordHash(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('base64url')
}

/**
 * Strips one batch: copies, one strip for them all (each file alone again
 * when it fails, to tell which one strip refuses), then each copy checked
 * and, with `apply`, moved over its original.
 */
async function stripBatch(
  batch: readonly Candidate[],
  tool: StripTool,
  scratch: string,
  apply: boolean,
  outcome: StripOutcome
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(scratch, 'strip-'))
  try {
    const names = batch.map((_, i) => `copy${i}`)
    const copy = (i: number): void => {
      // A copy keeps its original's mode, which may not let it be written over.
      fs.rmSync(path.join(dir, names[i]), { force: true })
      fs.copyFileSync(batch[i].abs, path.join(dir, names[i]))
    }
    batch.forEach((_, i) => copy(i))
    const bytes = batch.reduce((sum, f) => sum + f.size, 0)
    const together = await stripCopies(tool, dir, names, bytes)
    const refused = new Map<number, string>()
    // strip names the copy ("strip: copy3: file format not recognized"): the layer's name is shown instead.
    const own = (i: number, said: string): string => said.replaceAll(`${names[i]}: `, '')
    if (together.failed && (batch.length === 1 || together.timedOut)) {
      // A strip that hangs is not given each file again: the whole batch stays as it was.
      batch.forEach((_, i) => refused.set(i, own(i, together.said)))
    } else if (together.failed) {
      for (let i = 0; i < batch.length; i++) {
        // Fresh: strip may have left a copy half written.
        copy(i)
        const alone = await stripCopies(tool, dir, [names[i]], batch[i].size)
        if (alone.failed) refused.set(i, own(i, alone.said))
      }
    }
    for (let i = 0; i < batch.length; i++) {
      const file = batch[i]
      const why = refused.get(i)
      if (why !== undefined) {
        for (const rel of namesOf(file)) {
          outcome.refused.push({ rel, why: why || 'strip failed without a message' })
        }
        continue
      }
      const stripped = path.join(dir, names[i])
      const after = fs.readFileSync(stripped)
      const before = fs.readFileSync(file.abs)
      const change =
        after.length >= before.length
          ? 'stripping did not make it smaller'
          : loadedImageChange(before, after)
      if (change !== undefined) {
        for (const rel of namesOf(file)) outcome.kept.push({ rel, why: change })
        continue
      }
      if (apply) {
        fs.chmodSync(stripped, fs.statSync(file.abs).mode & 0o7777)
        // A new file in its place: the original may be a hard link into an installer's cache.
        fs.renameSync(stripped, file.abs)
      }
      const sha256 = recordHash(after)
      for (const rel of namesOf(file)) {
        outcome.stripped.push({ rel, before: before.length, after: after.length, sha256 })
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export interface StripOptions {
  files: readonly LayerFile[]
  tools: StripTools
  /** A folder for the copies; on the layer's file system when `apply`. */
  scratch: string
  /** Replace the originals (strip: true); false only measures what stripping would save. */
  apply: boolean
  /** strip invocations side by side (default: the cores). */
  workers?: number
}

/** Strips the ELF files among `files`, in batches on every core, with progress in the log. */
export async function stripFiles(o: StripOptions): Promise<StripOutcome> {
  const outcome: StripOutcome = { elfFiles: 0, stripped: [], kept: [], refused: [], skipped: [] }
  const candidates = select(o.files, o.tools, outcome)
  const workers = o.workers ?? os.availableParallelism()
  const batches = [...o.tools].flatMap(([arch, tool]) =>
    planBatches(
      candidates.filter(c => c.arch === arch),
      workers
    ).map(files => ({ files, tool }))
  )
  const total = candidates.reduce((sum, f) => sum + f.size, 0)
  let done = 0
  let doneFiles = 0
  let nextPercent = 10
  await mapConcurrent(batches, workers, async batch => {
    await stripBatch(batch.files, batch.tool, o.scratch, o.apply, outcome)
    done += batch.files.reduce((sum, f) => sum + f.size, 0)
    doneFiles += batch.files.length
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100)
    if (batches.length > 1 && total >= 64 * 1024 ** 2 && percent >= nextPercent) {
      core.info(
        `strip: ${doneFiles}/${candidates.length} files, ${formatBytes(done)} of ${formatBytes(total)} (${percent}%)`
      )
      nextPercent = percent - (percent % 10) + 10
    }
  })
  // In the layer's order, whatever order the batches finished in.
  const byRel = (a: { rel: string }, b: { rel: string }): number => (a.rel < b.rel ? -1 : 1)
  outcome.stripped.sort(byRel)
  outcome.kept.sort(byRel)
  outcome.refused.sort(byRel)
  outcome.skipped.sort(byRel)
  return outcome
}

/** The raw first field of a RECORD row (quoted as written), and the rest after its comma. */
function splitRow(row: string): { path: string; raw: string } {
  if (!row.startsWith('"')) {
    const comma = row.indexOf(',')
    return { path: firstCsvField(row), raw: comma === -1 ? row : row.slice(0, comma) }
  }
  let i = 1
  while (i < row.length) {
    if (row[i] === '"' && row[i + 1] === '"') i += 2
    else if (row[i] === '"') break
    else i++
  }
  return { path: firstCsvField(row), raw: row.slice(0, i + 1) }
}

/**
 * Gives the RECORD row of each stripped file its new hash and size, in
 * every site's dist-info. RECORD is replaced, not edited in place (it may
 * be a hard link into an installer's cache).
 */
export function updateRecords(
  root: string,
  sites: readonly Pick<Site, 'dir'>[],
  stripped: ReadonlyArray<{ rel: string; after: number; sha256: string }>
): number {
  const byRel = new Map(stripped.map(f => [f.rel, f]))
  let rewritten = 0
  for (const site of sites) {
    const siteDir = path.join(root, site.dir)
    let entries: string[]
    try {
      entries = fs.readdirSync(siteDir)
    } catch {
      continue
    }
    for (const entry of entries.filter(e => e.endsWith('.dist-info')).sort()) {
      const record = path.join(siteDir, entry, 'RECORD')
      let text: string
      try {
        text = fs.readFileSync(record, 'utf8')
      } catch {
        continue
      }
      let changed = false
      const rows = text.split('\n').map(line => {
        const eol = line.endsWith('\r') ? '\r' : ''
        const row = eol ? line.slice(0, -1) : line
        if (row.trim() === '') return line
        const { path: name, raw } = splitRow(row)
        const file = byRel.get(path.posix.normalize(path.posix.join(site.dir, name)))
        if (file === undefined) return line
        changed = true
        return `${raw},sha256=${file.sha256},${file.after}${eol}`
      })
      if (!changed) continue
      fs.rmSync(record)
      fs.writeFileSync(record, rows.join('\n'))
      rewritten++
    }
  }
  return rewritten
}

/** "a, b, c and 4 more": the first `limit` names of a list. */
function someOf(items: readonly string[], limit = 5): string {
  const shown = items.slice(0, limit).join(', ')
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown
}

/**
 * The strip step of a build (input `strip`): strips the staged layer's ELF
 * files in place (through copies in `scratch`, on the layer's file system),
 * updates their RECORD rows, and says what it saved in the log and the
 * summary; strip's refusals warn, grouped, and never fail the build.
 */
export async function stripLayer(o: {
  root: string
  sites: readonly Pick<Site, 'dir'>[]
  tools: StripTools
  scratch: string
  report: RunReport
}): Promise<StripOutcome> {
  const tree = walkLayer(o.root)
  const files = tree.entries
    .filter(e => !e.directory)
    .map(e => ({ rel: e.rel, abs: e.abs, size: e.size }))
  const outcome = await stripFiles({ files, tools: o.tools, scratch: o.scratch, apply: true })
  const records = updateRecords(tree.root, o.sites, outcome.stripped)
  const before = outcome.stripped.reduce((sum, f) => sum + f.before, 0)
  const after = outcome.stripped.reduce((sum, f) => sum + f.after, 0)
  const tools = [...o.tools.values()].map(t => t.version)
  core.info(
    outcome.stripped.length === 0
      ? `strip: ${plural(outcome.elfFiles, 'ELF file')} in the layer, none stripped.`
      : `strip (${[...new Set(tools)].join(', ')} ${STRIP_ARGS.join(' ')}): ${outcome.stripped.length} of ${plural(outcome.elfFiles, 'ELF file')} stripped, ${formatBytes(before)} → ${formatBytes(after)} (${formatBytes(before - after)} saved, ${before === 0 ? 0 : Math.round(((before - after) / before) * 100)}%); ${plural(records, 'RECORD file')} updated.`
  )
  const leftAsIs = (n: number): string =>
    `${plural(n, 'file')} left as ${n === 1 ? 'it is' : 'they are'}`
  const nothing = outcome.skipped.filter(s => s.why === 'nothing-to-strip')
  if (nothing.length > 0) {
    core.info(
      `strip: ${leftAsIs(nothing.length)}, with no symbol table or debug sections to remove.`
    )
  }
  for (const why of ['unreadable', 'not-loadable', 'appended-data'] as const) {
    const left = outcome.skipped.filter(s => s.why === why).map(s => s.rel)
    if (left.length > 0) {
      core.info(`strip: ${leftAsIs(left.length)}, since ${SKIP_TEXT[why]}: ${someOf(left, 20)}.`)
    }
  }
  if (outcome.kept.length > 0) {
    core.info(
      `strip: ${leftAsIs(outcome.kept.length)}, since the stripped copy would not load as the original does (strip rewrites the layout of libraries patched by patchelf, as auditwheel repairs wheels):\n${outcome.kept.map(k => `  ${k.rel}: ${k.why}`).join('\n')}`
    )
  }
  if (outcome.refused.length > 0) {
    const reasons = [...new Set(outcome.refused.map(r => r.why))]
    o.report.warn(
      `strip left ${plural(outcome.refused.length, 'file')} as ${outcome.refused.length === 1 ? 'it was' : 'they were'}: ${someOf(
        outcome.refused.map(r => r.rel),
        10
      )}. ${reasons.length === 1 ? 'Reason' : 'Reasons'}: ${someOf(reasons, 3)}. The layer is built and checked with ${outcome.refused.length === 1 ? 'that file' : 'those files'} unstripped.`
    )
  }
  o.report.summary.strip = {
    elfFiles: outcome.elfFiles,
    stripped: outcome.stripped.length,
    before,
    after,
    left: outcome.skipped.length + outcome.kept.length,
    refused: outcome.refused.length
  }
  return outcome
}
