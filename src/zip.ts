/**
 * Reproducible layer zips: the same tree gives the same bytes on every run
 * and machine, so an unchanged rebuild has the CodeSha256 of the published
 * version and publishing can be skipped.
 *
 * - entries sorted by their byte-wise path (not by locale),
 * - one fixed timestamp (1980-01-01 00:00, the DOS epoch),
 * - normalized permissions: files 0644, executables 0755, directories 0755,
 * - "made by" Unix on every OS, no extra fields, no comments.
 */
import * as core from '@actions/core'
import AdmZip from 'adm-zip'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export const FIXED_TIME = new Date(1980, 0, 1, 0, 0, 0)
const MADE_BY_UNIX_V20 = (3 << 8) | 20

export interface ZipResult {
  path: string
  /** Size of the zip in bytes. */
  bytes: number
  /** Base64 SHA-256 of the zip, as Lambda's CodeSha256. */
  sha256: string
  /** Sum of the file sizes in the zip. */
  unzippedBytes: number
  files: number
}

interface TreeEntry {
  name: string
  absolute: string
  directory: boolean
  mode: number
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Every file and folder under `root`, as zip entry names, sorted. Symlinks are followed. */
export function listTree(root: string): TreeEntry[] {
  const entries: TreeEntry[] = []
  const walk = (dir: string, prefix: string, seen: Set<string>): void => {
    const names = fs.readdirSync(dir).sort(compareBytes)
    for (const name of names) {
      const absolute = path.join(dir, name)
      const stat = fs.statSync(absolute)
      const entryName = prefix + name
      if (stat.isDirectory()) {
        const real = fs.realpathSync(absolute)
        if (seen.has(real)) {
          core.warning(`Skipping ${entryName}: a symbolic link that loops back to ${real}.`)
          continue
        }
        entries.push({ name: `${entryName}/`, absolute, directory: true, mode: 0o755 })
        walk(absolute, `${entryName}/`, new Set([...seen, real]))
      } else if (stat.isFile()) {
        const executable = (stat.mode & 0o111) !== 0
        entries.push({
          name: entryName,
          absolute,
          directory: false,
          mode: executable ? 0o755 : 0o644
        })
      }
    }
  }
  walk(root, '', new Set([fs.realpathSync(root)]))
  return entries.sort((a, b) => compareBytes(a.name, b.name))
}

/** Logs "label: n/total (p%)" at most every 10% for long phases. */
export function progress(label: string, total: number): (done: number) => void {
  let nextPercent = 10
  return done => {
    if (total < 500) return
    const percent = Math.floor((done / total) * 100)
    if (percent >= nextPercent) {
      core.info(`${label}: ${done}/${total} (${percent}%)`)
      nextPercent = percent - (percent % 10) + 10
    }
  }
}

/** Zips the contents of `root` (e.g. a folder holding python/) to `outFile`. */
export async function zipDirectory(root: string, outFile: string): Promise<ZipResult> {
  const tree = listTree(root)
  const zip = new AdmZip({ noSort: true })
  let unzippedBytes = 0
  let files = 0
  const reading = progress('Reading files', tree.length)
  tree.forEach((item, index) => {
    const data = item.directory ? Buffer.alloc(0) : fs.readFileSync(item.absolute)
    const entry = zip.addFile(item.name, data, '', item.mode)
    entry.header.time = FIXED_TIME
    entry.header.made = MADE_BY_UNIX_V20
    if (!item.directory) {
      unzippedBytes += data.length
      files++
    }
    reading(index + 1)
  })

  const compressing = progress('Compressing', tree.length)
  let compressed = 0
  const buffer = await new Promise<Buffer>((resolve, reject) => {
    zip.toBuffer(
      (data: Buffer) => resolve(data),
      (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      () => undefined,
      () => compressing(++compressed)
    )
  })
  fs.mkdirSync(path.dirname(outFile), { recursive: true })
  fs.writeFileSync(outFile, buffer)
  return {
    path: outFile,
    bytes: buffer.length,
    sha256: crypto.createHash('sha256').update(buffer).digest('base64'),
    unzippedBytes,
    files
  }
}

/** Base64 SHA-256 of a file, as Lambda's CodeSha256. */
export function fileSha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('base64')
}
