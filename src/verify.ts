/**
 * Checks a staged layer tree before it is zipped: every binary must load on
 * the Lambda targets (architecture, glibc, Python version), nothing foreign
 * (Windows/macOS) may stand in for a Linux build, and the sizes must fit.
 */
import { mapConcurrent } from './concurrency.js'
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { distributionLabel, readDistributions } from './dist-info.js'
import { compareVersions, parseGlibcVersion, readElf, readHead, type ElfInfo } from './elf.js'
import { compareStrings, formatBytes, sortFindings, type Finding } from './findings.js'
import {
  ARCHITECTURES,
  LIMITS,
  RUNTIMES,
  extensionSuffix,
  glibcString,
  type Architecture,
  type Runtime
} from './runtimes.js'

export type { Finding, Severity } from './findings.js'

export interface VerifyTarget {
  runtime: Runtime
  /**
   * Relative to root: "python" for a single-version layer, or
   * "python/lib/python3.X/site-packages".
   */
  dir: string
}

export interface VerifyOptions {
  /** The folder that contains python/ (what gets zipped). */
  root: string
  targets: VerifyTarget[]
  architectures: Architecture[]
}

export interface PackageSize {
  name: string
  version: string
  /** Sum of the sizes of the files it owns (over all site dirs). */
  bytes: number
}

export interface VerifyReport {
  /** Binary findings only; call checkSizes() once the zip size is known. */
  findings: Finding[]
  /** Sum of the sizes of every regular file under root. */
  unzippedBytes: number
  /** Number of regular files under root. */
  files: number
  /** Largest first. Files no RECORD lists are not counted here. */
  packages: PackageSize[]
}

/** Share of the unzipped limit above which checkSizes warns. */
export const NEAR_LIMIT_RATIO = 0.8

/** Enough of a file's start to recognise ELF, Mach-O and PE (whose header offset sits at 0x3c). */
const HEAD_BYTES = 1024
/** Files read at once: small reads, so the walk is not a chain of round trips. */
const READ_CONCURRENCY = 16
/** ELF files are read whole: at most this many at once, to bound memory. */
const WHOLE_FILE_READS = 2

interface LayerFile {
  abs: string
  /** Relative to root, "/"-separated. */
  rel: string
  size: number
}

/** A problem with one file, before findings of the same kind and package are merged. */
interface Issue {
  severity: Finding['severity']
  code: string
  file: string
  package?: string
  /** "<file> (<package>) needs ... but ..." — what is wrong and for which target. */
  problem: string
  /** What the user can do. */
  advice: string
  /** Issues merged into one finding are represented by the highest rank (e.g. newest glibc). */
  rank: number
  /** Issues with equal keys become one finding. */
  group: string
}

type Format = 'elf' | 'macho' | 'pe' | null

export async function verifyLayer(options: VerifyOptions): Promise<VerifyReport> {
  const root = path.resolve(options.root)
  const { architectures } = options
  if (options.targets.length === 0) throw new Error('verifyLayer: no targets given')
  if (architectures.length === 0) throw new Error('verifyLayer: no architectures given')

  // Several runtimes may share one dir (a single-version python/ layer).
  const runtimesByDir = new Map<string, Runtime[]>()
  for (const target of options.targets) {
    const dir = normalizeDir(target.dir)
    const list = runtimesByDir.get(dir) ?? []
    if (!list.includes(target.runtime)) list.push(target.runtime)
    runtimesByDir.set(dir, list)
  }
  const allRuntimes = [...new Set(options.targets.map(t => t.runtime))]

  const files = await walk(root)
  const owners = await Ownership.read(root, [...runtimesByDir.keys()])
  const issues: Issue[] = []
  const machinesByOwner = new Map<
    string,
    { machines: Set<number>; file: string; package: string | undefined }
  >()
  const sizes = new Map<string, PackageSize>()
  let unzippedBytes = 0

  for (const dir of runtimesByDir.keys()) {
    if (!files.some(f => dir === '' || f.rel.startsWith(`${dir}/`))) {
      const runtimes = runtimesByDir.get(dir) ?? []
      issues.push({
        severity: 'warning',
        code: 'empty-target',
        file: dir,
        problem: `${dir || '.'} holds no files, so ${runtimes.join(', ')} get nothing from this layer`,
        advice: 'Check the requirements and the runtimes the layer is built for',
        rank: 0,
        group: `empty-target\0${dir}`
      })
    }
  }

  // Reading is the slow part: do it concurrently, then judge files in order.
  const scans = await mapConcurrent(files, READ_CONCURRENCY, scanFile)
  for (const [index, file] of files.entries()) {
    unzippedBytes += file.size
    const owner = owners.ownerOf(file.abs)
    if (owner !== undefined) {
      const entry = sizes.get(owner.label) ?? { name: owner.name, version: owner.version, bytes: 0 }
      entry.bytes += file.size
      sizes.set(owner.label, entry)
    }
    if (file.size === 0) continue

    const dir = targetDirOf(file.rel, runtimesByDir)
    // Files outside every target dir (e.g. lib/ for LD_LIBRARY_PATH) load under any runtime.
    const runtimes = dir === undefined ? allRuntimes : (runtimesByDir.get(dir) ?? allRuntimes)
    const context: FileContext = { file: file.rel, package: owner?.label, runtimes, architectures }

    const { format, elf } = scans[index]
    const foreign = foreignIssue(context, format)
    if (foreign !== null) {
      issues.push(foreign)
      continue
    }
    if (format !== 'elf') continue

    const elfIssue = checkElf(context, elf)
    issues.push(...elfIssue.issues)
    if (elfIssue.machine !== null) {
      const key = owner?.label ?? file.rel
      const seen = machinesByOwner.get(key) ?? {
        machines: new Set<number>(),
        file: file.rel,
        package: owner?.label
      }
      seen.machines.add(elfIssue.machine)
      machinesByOwner.set(key, seen)
    }
  }

  if (architectures.length > 1) {
    for (const [key, seen] of machinesByOwner) {
      const missing = architectures.filter(a => !seen.machines.has(ARCHITECTURES[a].elfMachine))
      if (missing.length === 0) continue
      const present = architectures.filter(a => seen.machines.has(ARCHITECTURES[a].elfMachine))
      const pkg = seen.package
      issues.push({
        severity: 'error',
        code: 'missing-architecture',
        file: seen.file,
        package: pkg,
        problem:
          `${pkg ?? seen.file} contains compiled code only for ${present.join(', ')} ` +
          `(e.g. ${seen.file}), but the layer is also declared for ${missing.join(', ')}, ` +
          `where it cannot be loaded`,
        advice:
          'Build one layer per architecture and attach each one only to functions of that ' +
          'architecture',
        rank: 0,
        group: `missing-architecture\0${key}`
      })
    }
  }

  const packages = [...sizes.values()].sort(
    (a, b) => b.bytes - a.bytes || compareStrings(a.name, b.name)
  )
  return { findings: mergeIssues(issues), unzippedBytes, files: files.length, packages }
}

/**
 * Size findings: over Lambda's unzipped limit (error), close to it (warning),
 * zip too large for a direct upload (error). zipBytes undefined: skip that check.
 */
export function checkSizes(
  unzippedBytes: number,
  zipBytes: number | undefined,
  packages: readonly PackageSize[]
): Finding[] {
  const findings: Finding[] = []
  const largest = [...packages].sort((a, b) => b.bytes - a.bytes).slice(0, 5)
  const largestText =
    largest.length === 0
      ? ''
      : ` Largest packages: ${largest.map(p => `${p.name}==${p.version} (${formatBytes(p.bytes)})`).join(', ')}.`
  const runtimeProvided = packages.filter(p => /^(boto3|botocore|s3transfer)$/i.test(p.name))
  const runtimeHint =
    runtimeProvided.length === 0
      ? ''
      : ` ${runtimeProvided.map(p => p.name).join(', ')} already ` +
        `${runtimeProvided.length === 1 ? 'ships' : 'ship'} with the Lambda Python runtime: ` +
        `leave ${runtimeProvided.length === 1 ? 'it' : 'them'} out unless you need a newer version.`
  const limit = LIMITS.unzippedBytes
  const limitText = `${formatBytes(limit)} (${limit.toLocaleString('en-US')} bytes)`

  if (unzippedBytes > limit) {
    findings.push({
      severity: 'error',
      code: 'unzipped-too-large',
      message:
        `The layer unzips to ${formatBytes(unzippedBytes)}, over Lambda's limit of ${limitText} ` +
        `for a function and all its layers together.${largestText}${runtimeHint} ` +
        'Remove packages the function does not need, or deploy the function as a container ' +
        'image (10 GB limit).'
    })
  } else if (unzippedBytes > limit * NEAR_LIMIT_RATIO) {
    const percent = Math.round((unzippedBytes / limit) * 100)
    findings.push({
      severity: 'warning',
      code: 'near-unzipped-limit',
      message:
        `The layer unzips to ${formatBytes(unzippedBytes)}, ${percent}% of Lambda's limit of ` +
        `${limitText}, which the function's own code and all its other layers share.` +
        `${largestText}${runtimeHint} Remove packages the function does not need before the ` +
        'limit is reached.'
    })
  }

  if (zipBytes !== undefined && zipBytes > LIMITS.directUploadBytes) {
    findings.push({
      severity: 'error',
      code: 'zip-too-large',
      message:
        `The layer zip is ${formatBytes(zipBytes)}, too large for a direct upload: Lambda ` +
        `accepts at most ${formatBytes(LIMITS.directUploadBytes)} in PublishLayerVersion ` +
        "(Content.ZipFile). Set `s3-bucket` (a bucket in the layer's region) to publish " +
        `through S3, or make the layer smaller.${largestText}${runtimeHint}`
    })
  }
  return findings
}

// ---------------------------------------------------------------------------
// per-file checks

interface FileContext {
  file: string
  package: string | undefined
  runtimes: Runtime[]
  architectures: Architecture[]
}

/** Extension-module suffixes with an interpreter version: cpython-312-x86_64-linux-gnu, pypy39-pp73-... */
const VERSIONED_SUFFIX = /\.((?:cpython-\d+|pypy\d+-pp\d+)[^.]*)\.so$/

export function detectFormat(head: Buffer): Format {
  if (head.length < 4) return null
  if (head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return 'elf'
  const be = head.readUInt32BE(0)
  const le = head.readUInt32LE(0)
  const machO = [0xfeedface, 0xfeedfacf]
  if (machO.includes(be) || machO.includes(le)) return 'macho'
  // 0xcafebabe is also the magic of Java class files; a universal (fat)
  // Mach-O has a small architecture count where a class file has its version.
  if ((be === 0xcafebabe || be === 0xcafebabf) && head.length >= 8) {
    const count = head.readUInt32BE(4)
    if (count > 0 && count < 20) return 'macho'
  }
  if (head[0] === 0x4d && head[1] === 0x5a && head.length >= 0x40) {
    const peOffset = head.readUInt32LE(0x3c)
    if (
      peOffset + 4 <= head.length &&
      head.toString('latin1', peOffset, peOffset + 4) === 'PE\0\0'
    ) {
      return 'pe'
    }
  }
  return null
}

function foreignIssue(ctx: FileContext, format: Format): Issue | null {
  const ext = path.posix.extname(ctx.file).toLowerCase()
  const byName: Record<string, string> = {
    '.pyd': 'a Windows Python extension (.pyd)',
    '.dll': 'a Windows DLL',
    '.dylib': 'a macOS library (.dylib)'
  }
  let kind = byName[ext]
  if (format === 'macho') kind = 'a macOS (Mach-O) binary'
  if (format === 'pe') kind = 'a Windows (PE) binary'
  if (kind === undefined) return null
  // An extension module that cannot load means an import fails; any other
  // foreign file is dead weight (or a tool the package never runs on Linux).
  const isExtension = ext === '.pyd' || ext === '.so'
  const who = ctx.package ?? 'the package that installs it'
  return {
    severity: isExtension ? 'error' : 'warning',
    code: 'foreign-binary',
    file: ctx.file,
    package: ctx.package,
    problem: `${describeFile(ctx)} is ${kind}; Lambda runs Amazon Linux and cannot load it`,
    advice: isExtension
      ? `Install a Linux (manylinux, ${ctx.architectures.map(a => ARCHITECTURES[a].wheelArch).join('/')}) ` +
        `wheel of ${who}: check that the requirements do not point at a Windows or macOS wheel file or URL`
      : `If ${who} needs this file on Lambda it will fail; otherwise it only takes space`,
    rank: 0,
    group: `foreign-binary\0${isExtension}\0${ctx.package ?? ctx.file}`
  }
}

function checkElf(
  ctx: FileContext,
  info: ElfInfo | null
): { issues: Issue[]; machine: number | null } {
  const pkg = ctx.package
  const who = pkg ?? 'the package that installs it'
  const base = { file: ctx.file, package: pkg, rank: 0 }
  if (info === null) {
    return {
      issues: [
        {
          ...base,
          severity: 'warning',
          code: 'unreadable-elf',
          problem: `${describeFile(ctx)} starts like an ELF binary but its header is invalid`,
          advice: `Reinstall ${who}; if the error persists, report it to its maintainers`,
          group: `unreadable-elf\0${ctx.file}`
        }
      ],
      machine: null
    }
  }
  const archNames = ctx.architectures.join(', ')
  if (info.elfClass !== 64) {
    return {
      issues: [
        {
          ...base,
          severity: 'error',
          code: 'not-64-bit',
          problem: `${describeFile(ctx)} is a 32-bit ${machineName(info.machine)} binary, but Lambda runs 64-bit code only (${archNames})`,
          advice: `Install a 64-bit Linux build of ${who} or remove the file`,
          group: `not-64-bit\0${pkg ?? ctx.file}`
        }
      ],
      machine: null
    }
  }
  const targetArch = ctx.architectures.find(a => ARCHITECTURES[a].elfMachine === info.machine)
  if (!info.littleEndian || targetArch === undefined) {
    const built = `${info.littleEndian ? '' : 'big-endian '}${machineName(info.machine)}`
    return {
      issues: [
        {
          ...base,
          severity: 'error',
          code: 'wrong-machine',
          problem: `${describeFile(ctx)} is compiled for ${built}, but the layer is for ${archNames}`,
          advice:
            'Build one layer per architecture, and set architectures to match the functions that ' +
            'use it; a package compiled from source on the runner matches the runner, so build ' +
            `the ${archNames} layer on a ${archNames} runner`,
          group: `wrong-machine\0${pkg ?? ctx.file}\0${built}`
        }
      ],
      machine: null
    }
  }

  // Per runtime: an extension with another Python's suffix is never loaded
  // (so its glibc does not matter there); otherwise its glibc must fit.
  const suffix = VERSIONED_SUFFIX.exec(path.posix.basename(ctx.file))?.[1]
  const glibcMax = info.glibcMax
  const wrongPython: Runtime[] = []
  const tooOld: Runtime[] = []
  for (const runtime of ctx.runtimes) {
    if (
      suffix !== undefined &&
      !ctx.architectures.some(a => extensionSuffix(runtime, a) === suffix)
    ) {
      wrongPython.push(runtime)
    } else if (glibcMax !== null && compareVersions(glibcMax, RUNTIMES[runtime].glibc) > 0) {
      tooOld.push(runtime)
    }
  }

  const issues: Issue[] = []
  if (suffix !== undefined && wrongPython.length > 0) {
    const expected = wrongPython
      .map(r => `*.${extensionSuffix(r, targetArch)}.so`)
      .filter((v, i, all) => all.indexOf(v) === i)
      .join(' or ')
    issues.push({
      ...base,
      severity: 'error',
      code: 'wrong-python',
      problem:
        `${describeFile(ctx)} is an extension module for ${describeSuffix(suffix)}, but ` +
        `${wrongPython.join(', ')} on ${targetArch} only imports ${expected} (or *.abi3.so), so ` +
        'importing it fails with "No module named ..."',
      advice:
        `pip installed ${who} for another Python version: install it with the interpreter of ` +
        `${wrongPython.join(', ')}; compiled packages for several Python versions need one ` +
        'python/lib/python3.X/site-packages folder per version',
      group: `wrong-python\0${pkg ?? ctx.file}\0${wrongPython.join(',')}\0${suffix}`
    })
  }

  if (glibcMax !== null && tooOld.length > 0) {
    const needed = glibcMax.join('.')
    const symbol =
      info.versionNames.find(n => {
        const v = parseGlibcVersion(n)
        return v !== null && compareVersions(v, glibcMax) === 0
      }) ?? `GLIBC_${needed}`
    const fits = (Object.keys(RUNTIMES) as Runtime[]).find(
      r => compareVersions(RUNTIMES[r].glibc, glibcMax) >= 0
    )
    const lowest = tooOld
      .map(r => RUNTIMES[r].glibc)
      .reduce((a, b) => (compareVersions(a, b) <= 0 ? a : b))
    const name = pkg?.split('==')[0]
    const pin = name
      ? `Pin an older ${name} (one that has manylinux_${lowest[0]}_${lowest[1]} or older wheels, e.g. manylinux2014)`
      : 'Use an older build of it (manylinux2014 or older)'
    const switchRuntime =
      fits === undefined
        ? `; no Lambda Python runtime has glibc ${needed} yet`
        : `, or use ${fits} or newer (${RUNTIMES[fits].os}, glibc ${glibcString(fits)})`
    issues.push({
      ...base,
      severity: 'error',
      code: 'glibc-too-new',
      problem:
        `${describeFile(ctx)} needs glibc ${needed} (${symbol}), but ` +
        `${tooOld.map(describeRuntime).join(', ')} on ${targetArch} cannot provide it; ` +
        `loading it fails with "version \`${symbol}' not found"`,
      advice: `${pin}${switchRuntime}`,
      rank: glibcMax[0] * 10_000 + glibcMax[1],
      group: `glibc-too-new\0${pkg ?? ctx.file}\0${tooOld.join(',')}`
    })
  }

  if (issues.length === 0 && info.incomplete) {
    issues.push({
      ...base,
      severity: 'warning',
      code: 'unreadable-elf',
      problem:
        `${describeFile(ctx)} looks truncated or corrupt: its glibc version needs could not ` +
        'be read, so whether it loads on Lambda is unknown',
      advice: `Reinstall ${who}; if the file stays like this, report it to its maintainers`,
      group: `unreadable-elf\0${ctx.file}`
    })
  }
  return { issues, machine: info.machine }
}

/** "cpython-312-x86_64-linux-gnu" → "CPython 3.12 (x86_64-linux-gnu)". */
function describeSuffix(suffix: string): string {
  const match = /^cpython-(\d)(\d+)(t?)[a-z]*-(.+)$/.exec(suffix)
  if (match === null) return suffix
  const [, major, minor, freeThreaded, platform] = match
  return `CPython ${major}.${minor}${freeThreaded ? ' free-threaded' : ''} (${platform})`
}

function describeFile(ctx: FileContext): string {
  return ctx.package === undefined ? ctx.file : `${ctx.file} (${ctx.package})`
}

function describeRuntime(runtime: Runtime): string {
  return `${runtime} (${RUNTIMES[runtime].os}, glibc ${glibcString(runtime)})`
}

const OTHER_MACHINES: Readonly<Record<number, string>> = {
  3: 'x86 (i386)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 's390x',
  40: 'ARM (32-bit)',
  243: 'RISC-V'
}

/** Lambda's name for our architectures (from ARCHITECTURES), a common name otherwise. */
export function machineName(machine: number): string {
  for (const [arch, info] of Object.entries(ARCHITECTURES)) {
    if (info.elfMachine === machine) {
      return arch === info.wheelArch ? arch : `${arch} (${info.wheelArch})`
    }
  }
  return OTHER_MACHINES[machine] ?? `ELF machine ${machine}`
}

/** One finding per group: the highest-ranked issue, noting how many files share it. */
function mergeIssues(issues: Issue[]): Finding[] {
  const groups = new Map<string, Issue[]>()
  for (const issue of issues) {
    const list = groups.get(issue.group) ?? []
    list.push(issue)
    groups.set(issue.group, list)
  }
  const findings: Finding[] = []
  for (const list of groups.values()) {
    const top = list.reduce((best, i) => (i.rank > best.rank ? i : best))
    const more = list.length - 1
    const moreText =
      more === 0
        ? ''
        : ` (${more} more file${more === 1 ? '' : 's'} of ${top.package ?? 'the layer'} ` +
          `${more === 1 ? 'has' : 'have'} the same problem)`
    const finding: Finding = {
      severity: top.severity,
      code: top.code,
      file: top.file,
      message: `${top.problem}${moreText}. ${top.advice}.`
    }
    if (top.package !== undefined) finding.package = top.package
    findings.push(finding)
  }
  return sortFindings(findings)
}

// ---------------------------------------------------------------------------
// tree walking, reading and ownership

/** Runs at most `size` tasks at a time. */
class Limiter {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) {
      await new Promise<void>(resolve => this.waiting.push(resolve))
    } else {
      this.active++
    }
    try {
      return await task()
    } finally {
      const wake = this.waiting.shift()
      if (wake !== undefined) wake()
      else this.active--
    }
  }
}

interface Scan {
  format: Format
  /** Parsed ELF header and version needs (format 'elf' only); null when invalid. */
  elf: ElfInfo | null
}

const wholeFileReads = new Limiter(WHOLE_FILE_READS)

async function scanFile(file: LayerFile): Promise<Scan> {
  if (file.size === 0) return { format: null, elf: null }
  const format = detectFormat(await readHead(file.abs, HEAD_BYTES))
  if (format !== 'elf') return { format, elf: null }
  const elf = await wholeFileReads.run(async () => readElf(await readFile(file.abs)))
  return { format, elf }
}

function normalizeDir(dir: string): string {
  const normalized = path.posix.normalize(dir.replace(/\\/g, '/')).replace(/\/+$/, '')
  return normalized === '.' ? '' : normalized.replace(/^\.\//, '')
}

/** The deepest target dir containing `rel`; Lambda puts nested site dirs on sys.path separately. */
function targetDirOf(rel: string, dirs: Map<string, Runtime[]>): string | undefined {
  let best: string | undefined
  for (const dir of dirs.keys()) {
    if (dir === '' || rel.startsWith(`${dir}/`)) {
      if (best === undefined || dir.length > best.length) best = dir
    }
  }
  return best
}

/** Every regular file under root (symlinks to files included, to dirs not followed), sorted. */
async function walk(root: string): Promise<LayerFile[]> {
  const visit = async (dir: string): Promise<LayerFile[]> => {
    const entries = await readdir(dir, { withFileTypes: true })
    entries.sort((x, y) => compareStrings(x.name, y.name))
    const parts = await Promise.all(
      entries.map(async (entry): Promise<LayerFile[]> => {
        const abs = path.join(dir, entry.name)
        if (entry.isDirectory()) return visit(abs)
        if (!entry.isFile() && !entry.isSymbolicLink()) return []
        let info
        try {
          info = await stat(abs)
        } catch {
          return [] // dangling symlink
        }
        if (!info.isFile()) return []
        return [{ abs, rel: path.relative(root, abs).split(path.sep).join('/'), size: info.size }]
      })
    )
    return parts.flat()
  }
  return visit(root)
}

interface Owner {
  label: string
  name: string
  version: string
}

/** Which distribution owns a file, from the RECORDs of every site dir. */
class Ownership {
  private readonly byFile = new Map<string, Owner>()
  /** Directory → owners of files inside it, for files a RECORD does not list (e.g. later .pyc). */
  private readonly byDir = new Map<string, Set<Owner>>()
  private readonly siteDirs = new Set<string>()

  static async read(root: string, dirs: string[]): Promise<Ownership> {
    const ownership = new Ownership()
    for (const dir of dirs) {
      const siteDir = path.resolve(root, dir)
      ownership.siteDirs.add(siteDir)
      for (const dist of await readDistributions(siteDir)) {
        const owner: Owner = {
          label: distributionLabel(dist),
          name: dist.name,
          version: dist.version
        }
        for (const file of [...dist.files, path.join(dist.distInfo, 'RECORD')]) {
          if (!ownership.byFile.has(file)) ownership.byFile.set(file, owner)
          for (let d = path.dirname(file); isInside(d, siteDir); d = path.dirname(d)) {
            const set = ownership.byDir.get(d) ?? new Set<Owner>()
            set.add(owner)
            ownership.byDir.set(d, set)
          }
        }
      }
    }
    return ownership
  }

  ownerOf(file: string): Owner | undefined {
    const direct = this.byFile.get(file)
    if (direct !== undefined) return direct
    for (let d = path.dirname(file); d !== path.dirname(d); d = path.dirname(d)) {
      if (this.siteDirs.has(d)) return undefined
      const owners = this.byDir.get(d)
      if (owners === undefined) continue
      return owners.size === 1 ? [...owners][0] : undefined
    }
    return undefined
  }
}

/** True when `dir` is strictly inside `parent`. */
function isInside(dir: string, parent: string): boolean {
  const rel = path.relative(parent, dir)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}
