/**
 * One pass over the staged layer: every file and folder that will go into the
 * zip, with its size, mode and binary format (and ELF details). Verification,
 * machine-code detection and the zip all read this list; none walks the tree
 * again.
 *
 * The layer holds only what is physically inside the staging folder. A
 * symbolic link whose target resolves inside it is stored as its target's
 * bytes (a file) or contents (a folder): the zip then works wherever it is
 * unpacked, whether or not the unpacker keeps links. A link that resolves
 * outside it, or that dangles, is reported in `escapes` and never read.
 */
import fs from 'node:fs'
import path from 'node:path'
import { compareBytes } from '../util/format.js'
import { type BinaryFormat, detectFormat, HEAD_BYTES, isLibraryName } from './binary.js'
import { type ElfInfo, readElf } from './elf.js'

export interface LayerEntry {
  /** Relative to the layer root, "/"-separated, no trailing slash. */
  rel: string
  /** The zip entry name: `rel`, plus "/" for a folder. */
  name: string
  /** The path to read: the entry itself, or the target of a link inside the layer. */
  abs: string
  directory: boolean
  /** Bytes (0 for folders). */
  size: number
  /** Any execute bit set (files only). */
  executable: boolean
}

export interface ScannedFile extends LayerEntry {
  format: BinaryFormat
  /** Parsed ELF header and version needs (format 'elf' only); null when invalid. */
  elf: ElfInfo | null
}

/** A symbolic link in the layer that points outside it, or nowhere. */
export interface EscapingLink {
  rel: string
  /** What the link resolves to (or its literal target, when that does not exist). */
  target: string
}

export interface LayerTree {
  root: string
  /** Files and folders, in zip order (byte-wise by entry name). */
  entries: LayerEntry[]
  escapes: EscapingLink[]
  /** Links to a folder that contains them, not followed. */
  loops: string[]
}

export interface LayerScan extends LayerTree {
  /** The files of `entries`, in the same order, with what their bytes are. */
  files: ScannedFile[]
  unzippedBytes: number
}

/**
 * Files inspected between two yields to the event loop. The reads are
 * synchronous: a head is one small read from the page cache, and a
 * promise-based read costs several times that in thread-pool round trips
 * (measured: 0.1 s against 0.4 s for 4,000 files).
 */
const FILES_PER_SLICE = 256

function isInside(target: string, root: string): boolean {
  const rel = path.relative(root, target)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Lists the tree under `root` (synchronously: names and stats only, no file content). */
export function walkLayer(root: string): LayerTree {
  const realRoot = fs.realpathSync(root)
  const entries: LayerEntry[] = []
  const escapes: EscapingLink[] = []
  const loops: string[] = []
  const visit = (dir: string, prefix: string, ancestors: Set<string>): void => {
    for (const name of fs.readdirSync(dir).sort(compareBytes)) {
      const abs = path.join(dir, name)
      const rel = prefix + name
      let stat = fs.lstatSync(abs)
      let source = abs
      if (stat.isSymbolicLink()) {
        let real: string | undefined
        try {
          real = fs.realpathSync(abs)
        } catch {
          real = undefined
        }
        if (real === undefined || !isInside(real, realRoot)) {
          escapes.push({ rel, target: real ?? fs.readlinkSync(abs) })
          continue
        }
        source = real
        stat = fs.statSync(real)
      }
      if (stat.isDirectory()) {
        const real = fs.realpathSync(source)
        if (ancestors.has(real)) {
          loops.push(rel)
          continue
        }
        entries.push({
          rel,
          name: `${rel}/`,
          abs: source,
          directory: true,
          size: 0,
          executable: false
        })
        visit(source, `${rel}/`, new Set([...ancestors, real]))
      } else if (stat.isFile()) {
        entries.push({
          rel,
          name: rel,
          abs: source,
          directory: false,
          size: stat.size,
          executable: (stat.mode & 0o111) !== 0
        })
      }
    }
  }
  visit(realRoot, '', new Set([realRoot]))
  entries.sort((a, b) => compareBytes(a.name, b.name))
  return { root: realRoot, entries, escapes, loops }
}

/** What one file is: its head says its format; an ELF file is read whole (one at a time). */
function inspect(entry: LayerEntry, head: Buffer): ScannedFile {
  if (entry.size === 0) return { ...entry, format: null, elf: null }
  const fd = fs.openSync(entry.abs, 'r')
  let length: number
  try {
    length = fs.readSync(fd, head, 0, HEAD_BYTES, 0)
  } finally {
    fs.closeSync(fd)
  }
  const format = detectFormat(head.subarray(0, length))
  if (format !== 'elf') return { ...entry, format, elf: null }
  return { ...entry, format, elf: readElf(fs.readFileSync(entry.abs)) }
}

/** Lists the tree and reads what every file is. */
export async function scanLayer(root: string): Promise<LayerScan> {
  const tree = walkLayer(root)
  const head = Buffer.alloc(HEAD_BYTES)
  const files: ScannedFile[] = []
  for (const entry of tree.entries) {
    if (entry.directory) continue
    files.push(inspect(entry, head))
    // Signals and timers are served between slices.
    if (files.length % FILES_PER_SLICE === 0) await new Promise(resolve => setImmediate(resolve))
  }
  return { ...tree, files, unzippedBytes: files.reduce((sum, f) => sum + f.size, 0) }
}

/** Files holding machine code (shared objects, DLLs, executables), by name or by header, sorted. */
export function machineCodeFiles(scan: LayerScan): string[] {
  return scan.files
    .filter(f => f.format !== null || isLibraryName(path.posix.basename(f.rel)))
    .map(f => f.rel)
}

/** Bytes of precompiled .pyc files in the scan. */
export function bytecodeBytes(scan: LayerScan): number {
  return scan.files.filter(f => f.rel.endsWith('.pyc')).reduce((sum, f) => sum + f.size, 0)
}
