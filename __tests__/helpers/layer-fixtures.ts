/**
 * Staged layer trees for verify and smoke tests: site dirs holding packages
 * with a real *.dist-info (METADATA + RECORD), as pip --target leaves them.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface FakeDistribution {
  name: string
  version: string
  /** Path relative to the site dir → content. */
  files: Record<string, string | Buffer>
  /** false: no METADATA (the name then comes from the dist-info folder). */
  metadata?: boolean
  /** Written to top_level.txt when given. */
  topLevel?: string[]
  /** Extra RECORD lines, verbatim. */
  extraRecordLines?: string[]
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function writeFile(file: string, content: string | Buffer): void {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, content)
}

export function distInfoFolder(dist: Pick<FakeDistribution, 'name' | 'version'>): string {
  return `${dist.name.replace(/[-.]+/g, '_')}-${dist.version}.dist-info`
}

/** Writes the distribution's files and its dist-info into `siteDir`. */
export function installDistribution(siteDir: string, dist: FakeDistribution): void {
  const info = distInfoFolder(dist)
  const record: string[] = []
  for (const [rel, content] of Object.entries(dist.files)) {
    writeFile(path.join(siteDir, rel), content)
    const size = Buffer.byteLength(content)
    record.push(`${rel.includes(',') ? `"${rel}"` : rel},sha256=x,${size}`)
  }
  const meta: Record<string, string> = {
    INSTALLER: 'pip\n',
    WHEEL: 'Wheel-Version: 1.0\n'
  }
  if (dist.metadata !== false) {
    // The body after the blank line must not be read as headers.
    meta.METADATA = `Metadata-Version: 2.1\nName: ${dist.name}\nVersion: ${dist.version}\n\nName: not-this\n`
  }
  if (dist.topLevel) meta['top_level.txt'] = `${dist.topLevel.join('\n')}\n`
  for (const [file, content] of Object.entries(meta)) {
    writeFile(path.join(siteDir, info, file), content)
    record.push(`${info}/${file},sha256=x,${Buffer.byteLength(content)}`)
  }
  record.push(`${info}/RECORD,,`, ...(dist.extraRecordLines ?? []))
  writeFile(path.join(siteDir, info, 'RECORD'), `${record.join('\n')}\n`)
}

/** A layer root with the given site dirs (relative to root) and their distributions. */
export function makeLayer(sites: Record<string, FakeDistribution[]>): string {
  const root = tempDir('layer-verify-')
  for (const [dir, dists] of Object.entries(sites)) {
    mkdirSync(path.join(root, dir), { recursive: true })
    for (const dist of dists) installDistribution(path.join(root, dir), dist)
  }
  return root
}
