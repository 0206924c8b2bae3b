/**
 * Checks a staged layer tree before it is zipped: every binary must load on
 * the Lambda targets (architecture, glibc, Python version), nothing foreign
 * (Windows/macOS) may stand in for a Linux build, and the sizes must fit.
 */
import path from 'node:path'
import type { BinaryFormat } from '../layer/binary.js'
import { distributionLabel, readDistributions } from '../layer/dist-info.js'
import { parseGlibcVersion, type ElfInfo } from '../layer/elf.js'
import { type LayerScan, scanLayer, type ScannedFile } from '../layer/scan.js'
import {
  ARCHITECTURES,
  RUNTIMES,
  extensionSuffix,
  glibcString,
  type Architecture,
  type Runtime
} from '../runtimes.js'
import { compareStrings, compareVersions } from '../util/format.js'
import { sortFindings, type Finding } from './findings.js'
import {
  LayerLibraries,
  type LoadedLibrary,
  linkProblems,
  loadedOnImport,
  missingAdvice,
  splitVersion,
  versionFit
} from './links.js'
import { targetLibraries } from '../lambda-os.js'
import type { PackageSize } from './sizes.js'

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
  /** The staged layer as already scanned; scanned here when absent. */
  scan?: LayerScan
}

export interface VerifyReport {
  /** Binary findings only; the size rules are in sizes.ts. */
  findings: Finding[]
  /** Sum of the sizes of every regular file under root. */
  unzippedBytes: number
  /** Number of regular files under root. */
  files: number
  /** Largest first. Files no RECORD lists are not counted here. */
  packages: PackageSize[]
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

  const scan = options.scan ?? (await scanLayer(root))
  const files = inTreeOrder(scan.files)
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

  const layerFiles = new Set(files.map(f => f.rel))
  const libraries = new LayerLibraries(files)
  // The extension modules importing a package loads (by the name imported),
  // the layer's libraries each loads, and every file loaded so.
  const modules = new Map<string, { importName: string; loads: LoadedLibrary[] }>()
  const onImport = new Set<string>()
  for (const file of files) {
    const dir = targetDirOf(file.rel, runtimesByDir)
    const inSite = dir ? file.rel.slice(dir.length + 1) : file.rel
    if (!file.elf || !loadedOnImport(inSite)) continue
    const loads = libraries.loadedBy(file.elf)
    modules.set(file.rel, { importName: inSite.split(/[/.]/)[0], loads })
    onImport.add(file.rel)
    for (const loaded of loads) onImport.add(loaded.file.rel)
  }
  for (const file of files) {
    unzippedBytes += file.size
    const owner = owners.ownerOf(path.join(root, ...file.rel.split('/')))
    if (owner !== undefined) {
      const entry = sizes.get(owner.label) ?? { name: owner.name, version: owner.version, bytes: 0 }
      entry.bytes += file.size
      sizes.set(owner.label, entry)
    }
    if (file.size === 0) continue

    const dir = targetDirOf(file.rel, runtimesByDir)
    // Files outside every target dir (e.g. lib/ for LD_LIBRARY_PATH) load under any runtime.
    const runtimes = dir === undefined ? allRuntimes : (runtimesByDir.get(dir) ?? allRuntimes)
    const context: FileContext = {
      file: file.rel,
      package: owner?.label,
      runtimes,
      architectures,
      layerFiles,
      libraries,
      module: modules.get(file.rel),
      onImport: onImport.has(file.rel)
    }

    const { format, elf } = file
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

// ---------------------------------------------------------------------------
// per-file checks

interface FileContext {
  file: string
  package: string | undefined
  runtimes: Runtime[]
  architectures: Architecture[]
  /** Every file of the layer (relative paths): a module's variant for the target may sit beside this one. */
  layerFiles?: ReadonlySet<string>
  /** The libraries the layer carries (links.ts). */
  libraries?: LayerLibraries
  /** Set for an extension module that importing its package loads (links.ts, loadedOnImport). */
  module?: { importName: string; loads: LoadedLibrary[] }
  /** Loaded when a package is imported: such a module, or a library of the layer it loads. */
  onImport?: boolean
}

/** Extension-module suffixes with an interpreter version: cpython-312-x86_64-linux-gnu, pypy39-pp73-... */
const VERSIONED_SUFFIX = /\.((?:cpython-\d+|pypy\d+-pp\d+)[^.]*)\.so$/

function foreignIssue(ctx: FileContext, format: BinaryFormat): Issue | null {
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
  // Some wheels carry a module's build for several Python versions side by
  // side: the ones for other versions are never loaded, and harmless, when
  // the runtime's own (or an abi3 one) is there too.
  const variantFor = (runtime: Runtime): boolean => {
    if (suffix === undefined || !ctx.layerFiles) return false
    const base = ctx.file.slice(0, -`.${suffix}.so`.length)
    return (
      ctx.architectures.some(a =>
        ctx.layerFiles?.has(`${base}.${extensionSuffix(runtime, a)}.so`)
      ) || ctx.layerFiles.has(`${base}.abi3.so`)
    )
  }
  for (const runtime of ctx.runtimes) {
    if (
      suffix !== undefined &&
      !ctx.architectures.some(a => extensionSuffix(runtime, a) === suffix)
    ) {
      if (!variantFor(runtime)) wrongPython.push(runtime)
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

  const loaded = ctx.runtimes.filter(r => !wrongPython.includes(r))
  issues.push(...linkIssues(ctx, info, targetArch, loaded))

  if (issues.length === 0 && (info.incomplete || info.linksIncomplete)) {
    const unread = info.incomplete ? 'its glibc version needs' : 'the libraries it needs'
    issues.push({
      ...base,
      severity: 'warning',
      code: 'unreadable-elf',
      problem:
        `${describeFile(ctx)} looks truncated or corrupt: ${unread} could not ` +
        'be read, so whether it loads on Lambda is unknown',
      advice: `Reinstall ${who}; if the file stays like this, report it to its maintainers`,
      group: `unreadable-elf\0${ctx.file}`
    })
  }
  return { issues, machine: info.machine }
}

/**
 * The libraries `runtimes` on `architecture` lack, and the symbol versions
 * their libraries do not define (links.ts), as issues.
 */
function linkIssues(
  ctx: FileContext,
  info: ElfInfo,
  architecture: Architecture,
  runtimes: readonly Runtime[]
): Issue[] {
  if (runtimes.length === 0 || !ctx.libraries) return []
  // An extension module loaded on import answers for the libraries it loads;
  // a library it loads is reported through it; anything else (a module or a
  // plugin loaded on demand, a program) only warns.
  const problems = linkProblems(info, architecture, runtimes, ctx.libraries, ctx.module?.loads)
  const pkg = ctx.package
  const name = pkg?.split('==')[0]
  const base = { file: ctx.file, package: pkg }
  const severity: Issue['severity'] = ctx.onImport ? 'error' : 'warning'
  const when = ctx.module
    ? `importing ${ctx.module.importName} fails with`
    : ctx.onImport
      ? 'loading it fails with'
      : /\.so(\.|$)/.test(ctx.file)
        ? 'loading it (on import or on demand, as its package decides) fails with'
        : 'running it fails with'
  const issues: Issue[] = []
  const missing = ctx.onImport && !ctx.module ? [] : problems.filter(p => p.version === undefined)
  for (const os of new Set(missing.map(p => p.os))) {
    const here = missing.filter(p => p.os === os)
    const libs = here.map(p => p.library)
    const through = [
      ...new Set(here.flatMap(p => (p.neededBy ? [path.posix.basename(p.neededBy)] : [])))
    ]
    const where = describeTargets(here[0].runtimes, architecture, os)
    issues.push({
      ...base,
      severity,
      code: 'missing-library',
      problem:
        `${describeFile(ctx)} needs ${listLibraries(libs)}${through.length ? ` (through ${listLibraries(through)})` : ''}, which ${where} does not have and the ` +
        `layer does not carry; ${when} "${libs[0]}: cannot open shared object file"`,
      advice: missingAdvice(libs[0], name),
      rank: libs.length,
      group: `missing-library\0${severity}\0${pkg ?? ctx.file}\0${os}`
    })
  }
  for (const problem of problems) {
    if (problem.version === undefined) continue
    const version = problem.version
    const fits = (Object.keys(RUNTIMES) as Runtime[]).find(
      r => versionFit(targetLibraries(r, architecture), problem.library, version)?.fits === true
    )
    const pin = name
      ? `pin an older ${name} (one built for manylinux2014 or manylinux_2_26)`
      : 'use an older build of it (manylinux2014 or manylinux_2_26)'
    issues.push({
      ...base,
      severity,
      code: 'symbol-version-too-new',
      problem:
        `${describeFile(ctx)} needs ${problem.version} of ${problem.library}, but ` +
        `${describeTargets(problem.runtimes, architecture, problem.os)} has up to ${problem.has}; ` +
        `${when} "version \`${problem.version}' not found"`,
      advice:
        fits === undefined
          ? `No Lambda Python runtime has it yet: ${pin}`
          : `Use ${fits} or newer (${RUNTIMES[fits].os}), or ${pin}`,
      rank: (splitVersion(version)?.[1] ?? []).reduce((sum, n) => sum * 1000 + n, 0),
      group: `symbol-version-too-new\0${severity}\0${pkg ?? ctx.file}\0${problem.library}\0${problem.runtimes.join(',')}`
    })
  }
  return issues
}

/** "python3.9, python3.11 on x86_64 Lambda (Amazon Linux 2)". */
function describeTargets(
  runtimes: readonly Runtime[],
  architecture: Architecture,
  os: string
): string {
  return `${runtimes.join(', ')} on ${architecture} Lambda (${os})`
}

/** "libGL.so.1", "libGL.so.1 and libX11.so.6", "libGL.so.1, libSM.so.6 and libX11.so.6". */
function listLibraries(libs: readonly string[]): string {
  return libs.length === 1
    ? libs[0]
    : `${libs.slice(0, -1).join(', ')} and ${libs[libs.length - 1]}`
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

/**
 * Files in depth-first order (each folder's names in code-unit order): the
 * order in which findings of one kind name their first file.
 */
function inTreeOrder(files: readonly ScannedFile[]): ScannedFile[] {
  const compare = (a: ScannedFile, b: ScannedFile): number => {
    const pa = a.rel.split('/')
    const pb = b.rel.split('/')
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      const d = compareStrings(pa[i], pb[i])
      if (d !== 0) return d
    }
    return pa.length - pb.length
  }
  return [...files].sort(compare)
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
