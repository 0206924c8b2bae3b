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
import { type LayerTree, walkLayer } from './scan.js'

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

/** Zips a listed layer tree (see scan.ts) to `outFile`. */
export async function zipLayer(tree: LayerTree, outFile: string): Promise<ZipResult> {
  const zip = new AdmZip({ noSort: true })
  let unzippedBytes = 0
  let files = 0
  const reading = progress('Reading files', tree.entries.length)
  tree.entries.forEach((item, index) => {
    const data = item.directory ? Buffer.alloc(0) : fs.readFileSync(item.abs)
    const entry = zip.addFile(
      item.name,
      data,
      '',
      item.directory || item.executable ? 0o755 : 0o644
    )
    entry.header.time = FIXED_TIME
    entry.header.made = MADE_BY_UNIX_V20
    if (!item.directory) {
      unzippedBytes += data.length
      files++
    }
    reading(index + 1)
  })

  const compressing = progress('Compressing', tree.entries.length)
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

/** Zips everything under `root` (a folder holding python/); refuses links that leave it. */
export async function zipDirectory(root: string, outFile: string): Promise<ZipResult> {
  const tree = walkLayer(root)
  if (tree.escapes.length > 0) {
    throw new Error(`${tree.escapes[0].rel} links outside ${root}, to ${tree.escapes[0].target}`)
  }
  return await zipLayer(tree, outFile)
}

/** Base64 SHA-256 of a file, as Lambda's CodeSha256. */
export function fileSha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('base64')
}
