/**
 * Installed distributions of a site dir, read from `*.dist-info`: which
 * package owns which file (RECORD), its name and version (METADATA), the
 * top-level import names (top_level.txt, RECORD).
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { normalizeName } from '../requirements/names.js'

export interface Distribution {
  /** Project name as published, e.g. "PyYAML". */
  name: string
  version: string
  /** Absolute path of the `*.dist-info` folder. */
  distInfo: string
  /** Absolute, normalized paths of the files RECORD lists (may lie outside the site dir). */
  files: string[]
  /** Importable top-level names (from top_level.txt, else from RECORD), sorted. */
  topLevel: string[]
}

/** A distribution by name and version, as the layer's package list names it. */
export type InstalledPackage = Pick<Distribution, 'name' | 'version'> & {
  /** Set when no wheel fitted and the action built it from its source distribution: how. */
  builtFromSource?: string
  /**
   * The hex SHA-256 of the wheel or source distribution it was installed
   * from, where the installer's report or the lock names that one file.
   */
  sha256?: string
}

/** "numpy==2.2.6", the way findings and logs name a distribution. */
export function distributionLabel(dist: Pick<Distribution, 'name' | 'version'>): string {
  return `${dist.name}==${dist.version}`
}

/** Every `*.dist-info` directly inside `siteDir`, sorted by folder name. Missing dir → []. */
export async function readDistributions(siteDir: string): Promise<Distribution[]> {
  let entries
  try {
    entries = await readdir(siteDir, { withFileTypes: true })
  } catch {
    return []
  }
  const folders = entries
    .filter(e => e.isDirectory() && e.name.endsWith('.dist-info'))
    .map(e => e.name)
    .sort()
  const dists: Distribution[] = []
  for (const folder of folders) {
    const distInfo = path.join(siteDir, folder)
    const fromFolder = nameFromDistInfoFolder(folder)
    const metadata = parseMetadata(await readText(path.join(distInfo, 'METADATA')))
    const recordPaths = parseRecord(await readText(path.join(distInfo, 'RECORD')))
    const files = recordPaths.map(p => path.resolve(siteDir, p))
    const topLevelText = await readText(path.join(distInfo, 'top_level.txt'))
    const topLevel =
      topLevelText.trim() !== ''
        ? topLevelText
            .split(/\r?\n/)
            .map(l => l.trim().replace(/\//g, '.'))
            .filter(l => l !== '')
        : topLevelFromRecord(recordPaths)
    dists.push({
      name: metadata.name ?? fromFolder.name,
      version: metadata.version ?? fromFolder.version,
      distInfo,
      files,
      topLevel: [...new Set(topLevel)].sort()
    })
  }
  return dists
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch {
    return ''
  }
}

/** "typing_extensions-4.12.2.dist-info" → typing_extensions / 4.12.2 (names hold no "-"). */
export function nameFromDistInfoFolder(folder: string): { name: string; version: string } {
  const stem = folder.replace(/\.dist-info$/, '')
  const dash = stem.indexOf('-')
  return dash === -1
    ? { name: stem, version: 'unknown' }
    : { name: stem.slice(0, dash), version: stem.slice(dash + 1) }
}

/** Name and Version from the header block of a METADATA (RFC 822 style) file. */
export function parseMetadata(text: string): { name?: string; version?: string } {
  const result: { name?: string; version?: string } = {}
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break // the body (long description) starts after a blank line
    const match = /^(Name|Version):\s*(.*?)\s*$/i.exec(line)
    if (!match) continue
    const key = match[1].toLowerCase() as 'name' | 'version'
    if (result[key] === undefined && match[2] !== '') result[key] = match[2]
  }
  return result
}

/** The first CSV column of every RECORD row (paths relative to the site dir). */
export function parseRecord(text: string): string[] {
  const paths: string[] = []
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue
    const first = firstCsvField(line)
    if (first !== '') paths.push(first)
  }
  return paths
}

/** The path of one RECORD row: its first CSV field (quoted when it holds a comma). */
export function firstCsvField(line: string): string {
  if (!line.startsWith('"')) {
    const comma = line.indexOf(',')
    return comma === -1 ? line : line.slice(0, comma)
  }
  let value = ''
  for (let i = 1; i < line.length; i++) {
    const c = line[i]
    if (c !== '"') {
      value += c
    } else if (line[i + 1] === '"') {
      value += '"'
      i++
    } else {
      break
    }
  }
  return value
}

/** Top-level names a RECORD installs: "yaml/__init__.py" → yaml, "six.py" → six. */
export function topLevelFromRecord(recordPaths: readonly string[]): string[] {
  const names = new Set<string>()
  for (const p of recordPaths) {
    const parts = p.split('/')
    if (parts[0] === '..' || parts[0] === '' || parts[0] === 'bin') continue
    if (/\.(dist-info|data|libs)$/.test(parts[0]) || parts[0] === '__pycache__') continue
    const name = parts.length > 1 ? parts[0] : moduleNameOfFile(parts[0])
    if (name !== null && isIdentifier(name)) names.add(name)
  }
  return [...names].sort()
}

/** "six.py" → six, "_cffi_backend.cpython-312-x86_64-linux-gnu.so" → _cffi_backend. */
export function moduleNameOfFile(file: string): string | null {
  if (file.endsWith('.py')) return file.slice(0, -3)
  if (file.endsWith('.so')) return file.slice(0, file.indexOf('.'))
  return null
}

export function isIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}

/** Name and version of every distribution in a site folder, sorted by normalized name. */
export async function installedDistributions(siteDir: string): Promise<InstalledPackage[]> {
  return (await readDistributions(siteDir))
    .map(({ name, version }) => ({ name, version }))
    .sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name), 'en'))
}
