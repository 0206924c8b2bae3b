import AdmZip from 'adm-zip'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Unzips a layer into a fresh temp folder with the system unzip. */
export function extract(zipPath: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-'))
  execFileSync('unzip', ['-q', zipPath, '-d', dir])
  return dir
}

export function entries(zipPath: string | Buffer): string[] {
  return new AdmZip(zipPath).getEntries().map(e => e.entryName)
}

export function sha256Base64(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('base64')
}

export function walk(dir: string): string[] {
  const out: string[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(full))
    else out.push(full)
  }
  return out
}

/** The "Machine:" line of readelf -h, e.g. "Advanced Micro Devices X86-64" or "AArch64". */
export function elfMachine(file: string): string {
  const out = execFileSync('readelf', ['-h', file], { encoding: 'utf8' })
  return /Machine:\s+(.+)/.exec(out)?.[1].trim() ?? ''
}

/** Highest GLIBC_2.N a shared object needs, per readelf -V. */
export function glibcNeeded(file: string): number {
  const out = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8' })
  return Math.max(0, ...[...out.matchAll(/GLIBC_2\.(\d+)/g)].map(m => Number(m[1])))
}

/** The platform tags of an installed wheel, from its WHEEL file. */
export function wheelTags(distInfo: string): string[] {
  return fs
    .readFileSync(path.join(distInfo, 'WHEEL'), 'utf8')
    .split('\n')
    .filter(l => l.startsWith('Tag:'))
    .map(l => l.slice(4).trim())
}
