/**
 * Whether a binary of the layer links on its Lambda target, from the files
 * alone: every library it needs (DT_NEEDED) is either in the layer or one
 * of the target OS's own libraries (lambda-os.ts), and every symbol version
 * it needs of an OS library is one that library defines. Nothing of the
 * runner is used, so the proof holds for every architecture, and an
 * Ubuntu runner's libGL.so.1 cannot make a layer pass that fails on Lambda.
 */
import path from 'node:path'
import type { ElfInfo } from '../layer/elf.js'
import type { ScannedFile } from '../layer/scan.js'
import { type LambdaOs, type TargetLibraries, targetLibraries } from '../lambda-os.js'
import { type Architecture, type Runtime } from '../runtimes.js'
import { compareVersions } from '../util/format.js'

/**
 * The libraries the layer carries, by every name they answer to (file name,
 * soname). The loader finds one on the file's RUNPATH ($ORIGIN, auditwheel's
 * `<package>.libs/`), on Lambda's LD_LIBRARY_PATH (/opt/lib: the layer's
 * lib/), or already loaded under its soname by another module: a library
 * the layer carries is never reported missing.
 */
export class LayerLibraries {
  private readonly byName = new Map<string, ScannedFile>()

  constructor(files: readonly ScannedFile[]) {
    for (const file of files) {
      if (file.format !== 'elf') continue
      for (const name of [path.posix.basename(file.rel), file.elf?.soname]) {
        if (name && !this.byName.has(name)) this.byName.set(name, file)
      }
    }
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  /**
   * The layer's libraries that loading `info` loads, directly or through
   * one another, each with the first file that needs it.
   */
  loadedBy(info: ElfInfo): LoadedLibrary[] {
    const seen = new Set<string>()
    const found: LoadedLibrary[] = []
    const queue: Array<{ needed: readonly string[]; by: string | undefined }> = [
      { needed: info.needed, by: undefined }
    ]
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const name of next.needed) {
        const file = this.byName.get(name)
        if (!file || seen.has(file.rel)) continue
        seen.add(file.rel)
        found.push({ file, neededBy: next.by })
        if (file.elf) queue.push({ needed: file.elf.needed, by: file.rel })
      }
    }
    return found
  }
}

/** A library of the layer that loading a binary loads, and the file that needs it (undefined: the binary itself). */
export interface LoadedLibrary {
  file: ScannedFile
  neededBy: string | undefined
}

/**
 * A Python extension module that importing its package loads: at the top of
 * a site folder (`six.so`) or directly in a top-level package
 * (`cv2/cv2.abi3.so`). A module deeper down may be one the package loads
 * only on demand (numba's OpenMP pool): what it lacks is a warning.
 */
export function loadedOnImport(relToSite: string): boolean {
  const parts = relToSite.split('/')
  const name = parts[parts.length - 1]
  return parts.length <= 2 && name.endsWith('.so') && !name.startsWith('lib')
}

/** A library the target lacks, or a symbol version its library does not define. */
export interface LinkProblem {
  library: string
  /** Set for a version problem: the version needed ("GLIBCXX_3.4.26"). */
  version?: string
  /** For a version problem: the highest the target's library defines ("GLIBCXX_3.4.24"). */
  has?: string
  /** The runtimes (all on one OS) that lack it. */
  runtimes: Runtime[]
  os: LambdaOs
  /** A library of the layer that the file loads and that needs it (relative path). */
  neededBy?: string
}

/** "GLIBCXX_3.4.26" → ["GLIBCXX", [3, 4, 26]]; names without a numeric version → undefined. */
export function splitVersion(name: string): [string, number[]] | undefined {
  const match = /^(.+?)_(\d+(?:\.\d+)*)$/.exec(name)
  return match ? [match[1], match[2].split('.').map(Number)] : undefined
}

/**
 * Whether `target`'s `library` defines the version `name`, and the highest
 * of that kind it defines ("GLIBCXX_3.4.24"); undefined when the table does
 * not know (the library, its versions of that kind, or a name without a
 * number), and then any version is accepted.
 */
export function versionFit(
  target: TargetLibraries,
  library: string,
  name: string
): { fits: boolean; highest: string } | undefined {
  const needed = splitVersion(name)
  if (!needed || !target.has(library)) return undefined
  const highest = target.versions(library)?.[needed[0]]
  if (highest === undefined) return undefined
  return {
    fits: compareVersions(needed[1], highest.split('.').map(Number)) <= 0,
    highest: `${needed[0]}_${highest}`
  }
}

/**
 * What keeps `info` (a binary for `architecture`) from linking on each of
 * `runtimes`. What one of `loaded` (the layer's libraries it loads, from
 * LayerLibraries.loadedBy) lacks, `info` lacks too (`neededBy` names it).
 * GLIBC_ versions are left to the glibc check (binaries.ts); the versions
 * the layer's libraries need are checked on their own files.
 */
export function linkProblems(
  info: ElfInfo,
  architecture: Architecture,
  runtimes: readonly Runtime[],
  layer: LayerLibraries,
  loaded: readonly LoadedLibrary[] = []
): LinkProblem[] {
  const found = new Map<string, LinkProblem>()
  const add = (problem: Omit<LinkProblem, 'runtimes'>, runtime: Runtime): void => {
    const key = `${problem.os}\0${problem.library}\0${problem.version ?? ''}`
    const seen = found.get(key)
    if (seen) {
      if (!seen.runtimes.includes(runtime)) seen.runtimes.push(runtime)
    } else found.set(key, { ...problem, runtimes: [runtime] })
  }
  const needs: Array<{ needed: readonly string[]; by: string | undefined }> = [
    { needed: info.needed, by: undefined },
    ...loaded.map(l => ({ needed: l.file.elf?.needed ?? [], by: l.file.rel }))
  ]
  for (const runtime of runtimes) {
    const target = targetLibraries(runtime, architecture)
    for (const { needed, by } of needs) {
      for (const library of needed) {
        // A path is opened as it is written, not searched for.
        if (library.includes('/') || layer.has(library) || target.has(library)) continue
        add({ library, os: target.os, ...(by ? { neededBy: by } : {}) }, runtime)
      }
    }
    for (const [library, names] of Object.entries(info.versionsByLibrary)) {
      // The layer's own copy may be the one that loads: its versions are its own.
      if (layer.has(library)) continue
      for (const name of names) {
        if (name.startsWith('GLIBC_')) continue
        const fit = versionFit(target, library, name)
        if (fit?.fits === false) {
          add({ library, version: name, has: fit.highest, os: target.os }, runtime)
        }
      }
    }
  }
  return [...found.values()]
}

/** Libraries of a desktop (display, GUI) that no Lambda OS has, and the packages that bring them. */
const DESKTOP =
  /^lib(GL|GLX|EGL|X\w*|xcb\w*|SM|ICE|glib-2\.0|gthread-2\.0|gobject-2\.0|fontconfig|freetype)\.so/
const HEADLESS: Readonly<Record<string, string>> = {
  'opencv-python': 'opencv-python-headless',
  'opencv-contrib-python': 'opencv-contrib-python-headless'
}

/** What to do about a library the target lacks, for the package that needs it. */
export function missingAdvice(library: string, packageName: string | undefined): string {
  const headless = packageName ? HEADLESS[packageName.toLowerCase()] : undefined
  if (headless) {
    return `Use ${headless} instead of ${packageName}: the same package built for servers, without the desktop libraries Lambda lacks`
  }
  const who = packageName ?? 'the package'
  if (DESKTOP.test(library)) {
    return `${library} is part of a desktop (display, OpenGL, GUI toolkit), which Lambda has none of: use a headless build of ${who}, or one that does not need it`
  }
  return `Use a build of ${who} whose wheel carries ${library} (a manylinux wheel repaired by auditwheel carries its libraries in <package>.libs/), or one that does not need it`
}
