/**
 * The install after an edit of the requirements: pip resolves as always
 * (`--dry-run --report`), every distribution whose wheel is the one the
 * earlier build installed (same file, same SHA-256, requested alike) is
 * restored from the earlier build's zip, file by file as its RECORD lists
 * them, and pip installs only the others, `--no-deps`, each pinned to the
 * file the resolution chose by its hash. The tree is the one a full install
 * gives, without unpacking the unchanged wheels again.
 *
 * Anything unexpected (a direct URL, a wheel whose files are not all in the
 * earlier zip, two distributions owning one file, a failed pip call, a
 * different pip) makes the caller run the full install instead: this path is
 * an optimisation, never a reason to fail.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { installedDistributions, parseRecord } from '../layer/dist-info.js'
import { type ResolvedDist, type SiteResolution } from '../layer/earlier.js'
import { ZipReader } from '../layer/zip-reader.js'
import { plural } from '../util/format.js'
import { run } from '../util/process.js'
import { pipInstallArgs } from './pip.js'
import type { EarlierSite, InstallOptions } from './options.js'
import { normalizeName } from '../requirements/names.js'

/** pip 22.2 added `--report`. */
export function pipHasReport(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(n => Number.parseInt(n, 10))
  return major > 22 || (major === 22 && minor >= 2)
}

/**
 * A pip installation report (`--report`) as a site resolution; undefined
 * when it is unreadable or when any distribution comes from something other
 * than a hashed wheel of an index or a folder (a direct URL, a source tree).
 */
export function readPipReport(file: string): SiteResolution | undefined {
  let parsed: {
    pip_version?: unknown
    install?: Array<{
      is_direct?: boolean
      requested?: boolean
      metadata?: { name?: string; version?: string }
      download_info?: { url?: string; archive_info?: { hashes?: { sha256?: string } } }
    }>
  }
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed
  } catch {
    return undefined
  }
  if (typeof parsed.pip_version !== 'string' || !Array.isArray(parsed.install)) return undefined
  const dists: ResolvedDist[] = []
  for (const item of parsed.install) {
    const url = item.download_info?.url
    const sha256 = item.download_info?.archive_info?.hashes?.sha256
    const name = item.metadata?.name
    const version = item.metadata?.version
    if (item.is_direct !== false || !url || !sha256 || !name || !version) return undefined
    const fileName = decodeURIComponent(
      url
        .replace(/[#?].*$/, '')
        .split('/')
        .pop() ?? ''
    )
    if (!fileName.endsWith('.whl')) return undefined
    dists.push({
      name: normalizeName(name),
      version,
      file: fileName,
      sha256,
      requested: item.requested === true
    })
  }
  return { pip: parsed.pip_version, dists }
}

/**
 * The hex SHA-256 of the file each distribution of a pip installation report
 * came from (normalized name → digest): every archive from an index or a
 * remote URL that the report gives a sha256 for. A direct `file:` URL is a
 * wheel the action built from a local project: no origin. Empty when
 * unreadable.
 */
export function archiveHashes(file: string): Map<string, string> {
  const hashes = new Map<string, string>()
  let parsed: {
    install?: Array<{
      is_direct?: boolean
      metadata?: { name?: string }
      download_info?: {
        url?: string
        archive_info?: { hashes?: { sha256?: string }; hash?: string }
      }
    }>
  }
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed
  } catch {
    return hashes
  }
  for (const item of Array.isArray(parsed.install) ? parsed.install : []) {
    const name = item.metadata?.name
    if (item.is_direct === true && item.download_info?.url?.startsWith('file:')) continue
    const archive = item.download_info?.archive_info
    const sha256 =
      archive?.hashes?.sha256 ?? /^sha256=([0-9a-f]{64})$/i.exec(archive?.hash ?? '')?.[1]
    if (name && sha256 && /^[0-9a-f]{64}$/i.test(sha256)) {
      hashes.set(normalizeName(name), sha256.toLowerCase())
    }
  }
  return hashes
}

/**
 * The one hash each line of a pinned, hashed requirements file allows
 * (`six==1.17.0 --hash=sha256:…`, as a lock is installed): normalized name
 * → digest, for the lines that allow exactly one file.
 */
export function singleHashes(text: string): Map<string, string> {
  const hashes = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const pin =
      /^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+((?:\s+--hash=sha256:[0-9a-fA-F]{64})+)\s*$/.exec(
        line.trim()
      )
    if (!pin) continue
    const digests = [...pin[2].matchAll(/sha256:([0-9a-fA-F]{64})/g)].map(m => m[1].toLowerCase())
    if (new Set(digests).size === 1) hashes.set(normalizeName(pin[1]), digests[0])
  }
  return hashes
}

const identity = (d: ResolvedDist): string =>
  `${d.name}\n${d.version}\n${d.file}\n${d.sha256}\n${d.requested}`

/**
 * The files of a distribution below the site, when every one is in the zip;
 * undefined otherwise. With `pycs`, the .pyc files the earlier build
 * compiled from its sources come too (by source path).
 */
function filesInZip(
  zip: ZipReader,
  site: string,
  distInfo: string,
  pycs: ReadonlyMap<string, string[]> | undefined
): string[] | undefined {
  const record = zip.get(`${site}/${distInfo}/RECORD`)
  const text = record && zip.dataSync(record)
  if (!text) return undefined
  const files: string[] = []
  for (const rel of parseRecord(text.toString('utf8'))) {
    const normal = path.posix.normalize(rel)
    // Scripts (../../bin) are outside the site, and the layer drops them.
    if (normal.startsWith('../') || path.posix.isAbsolute(normal)) continue
    const entry = zip.get(`${site}/${normal}`)
    if (!entry || entry.name.endsWith('/')) return undefined
    files.push(normal)
    if (pycs && normal.endsWith('.py')) files.push(...(pycs.get(normal.slice(0, -3)) ?? []))
  }
  return files
}

/** The .pyc files of the site in the zip ("pkg/__pycache__/mod.cpython-312.pyc"), by their source's path without ".py". */
function bytecodeIn(zip: ZipReader, site: string): Map<string, string[]> {
  const found = new Map<string, string[]>()
  const prefix = `${site}/`
  for (const name of zip.names()) {
    const m = /^(.*?)(?:^|\/)__pycache__\/([^/]+)\.[^./]+\.pyc$/.exec(name.slice(prefix.length))
    if (!name.startsWith(prefix) || !m) continue
    const source = m[1] === '' ? m[2] : `${m[1]}/${m[2]}`
    const list = found.get(source) ?? []
    list.push(name.slice(prefix.length))
    found.set(source, list)
  }
  return found
}

/** Each `name-version.dist-info` folder of the site in the zip, by normalized name and version. */
function distInfosIn(zip: ZipReader, site: string): Map<string, string> {
  const found = new Map<string, string>()
  const prefix = `${site}/`
  for (const name of zip.names()) {
    if (!name.startsWith(prefix) || !name.endsWith('.dist-info/RECORD')) continue
    const folder = name.slice(prefix.length, -'/RECORD'.length)
    if (folder.includes('/')) continue
    const stem = folder.slice(0, -'.dist-info'.length)
    const dash = stem.lastIndexOf('-')
    if (dash <= 0) continue
    found.set(`${normalizeName(stem.slice(0, dash))}\n${stem.slice(dash + 1)}`, folder)
  }
  return found
}

/** Files written between two turns of the event loop. */
const RESTORE_BATCH = 64

/**
 * Writes `files` (relative to `site` in the zip) below `targetDir`, with
 * their executable bit. One file after another on this thread, in batches
 * that let the event loop turn: pip resolves meanwhile on the other core, and
 * a restore spread over the thread pool would take its core from pip.
 */
async function restoreFiles(
  zip: ZipReader,
  site: string,
  files: readonly string[],
  targetDir: string
): Promise<boolean> {
  const dirs = new Set(files.map(f => path.posix.dirname(f)))
  for (const dir of dirs) fs.mkdirSync(path.join(targetDir, dir), { recursive: true })
  for (let at = 0; at < files.length; at += RESTORE_BATCH) {
    await new Promise(resolve => setImmediate(resolve))
    for (const rel of files.slice(at, at + RESTORE_BATCH)) {
      const entry = zip.get(`${site}/${rel}`)
      const data = entry && zip.dataSync(entry)
      if (!entry || !data) return false
      const executable = ((entry.attr >>> 16) & 0o111) !== 0
      fs.writeFileSync(path.join(targetDir, rel), data, { mode: executable ? 0o755 : 0o644 })
    }
  }
  return true
}

/**
 * Removes REQUESTED (and its RECORD row) from the distributions installed
 * here that the full install would not have marked: pip marks every
 * requirement it is handed, and the changed ones are handed by name.
 */
function unmarkRequested(siteDir: string, dependencies: ReadonlySet<string>): void {
  for (const entry of fs.readdirSync(siteDir)) {
    if (!entry.endsWith('.dist-info')) continue
    const stem = entry.slice(0, -'.dist-info'.length)
    if (!dependencies.has(normalizeName(stem.slice(0, stem.lastIndexOf('-'))))) continue
    const requested = path.join(siteDir, entry, 'REQUESTED')
    if (!fs.existsSync(requested)) continue
    fs.rmSync(requested)
    const record = path.join(siteDir, entry, 'RECORD')
    const rows = fs.readFileSync(record, 'utf8').split(/(?<=\n)/)
    const kept = rows.filter(row => !row.startsWith(`${entry}/REQUESTED,`))
    fs.rmSync(record)
    fs.writeFileSync(record, kept.join(''))
  }
}

/** Moves every file below `from` to the same place below `to`; false when one is already there. */
function mergeInto(from: string, to: string): boolean {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = path.join(to, entry.name)
    if (entry.isDirectory()) {
      if (!fs.existsSync(target)) {
        fs.renameSync(source, target)
      } else if (!fs.statSync(target).isDirectory() || !mergeInto(source, target)) {
        return false
      }
    } else {
      if (fs.existsSync(target)) return false
      fs.renameSync(source, target)
    }
  }
  return true
}

/** pip's resolution of the target, without installing; undefined when pip could not resolve. */
async function resolveTarget(
  options: InstallOptions,
  report: string
): Promise<SiteResolution | undefined> {
  fs.rmSync(report, { force: true })
  const args = [
    ...pipInstallArgs({
      runtime: options.runtime,
      architecture: options.architecture,
      requirements: options.requirements,
      targetDir: path.join(options.workDir, 'pip-dry-run'),
      pipArgs: options.pipArgs
    }),
    '--dry-run',
    '--ignore-installed',
    '--quiet',
    '--report',
    report
  ]
  core.info(
    'Incremental install: pip resolves the requirements (a dry run) to find what changed since the earlier build.'
  )
  const result = await run(options.interpreter.path, args, {
    env: options.env.pip(),
    cwd: options.cwd,
    confine: { profile: 'install' }
  })
  return result.exitCode === 0 ? readPipReport(report) : undefined
}

/** Removes `files` below `dir`, then the folders they leave empty. */
function removeFiles(dir: string, files: readonly string[]): void {
  const folders = new Set<string>()
  for (const rel of files) {
    fs.rmSync(path.join(dir, rel), { force: true })
    for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) folders.add(d)
  }
  // Deepest first; a folder another distribution still fills stays.
  for (const folder of [...folders].sort((a, b) => b.split('/').length - a.split('/').length)) {
    try {
      fs.rmdirSync(path.join(dir, folder))
    } catch {
      // not empty
    }
  }
}

/**
 * Installs the target reusing the earlier build's unchanged distributions;
 * the resolution when it did, undefined when the caller must install in full
 * (the target folder is then left to the caller to recreate).
 *
 * The earlier distributions are restored while pip resolves (pip takes one
 * core, the writes the other); those the resolution no longer wants are
 * removed again.
 */
export async function installIncrementally(
  options: InstallOptions,
  earlier: EarlierSite,
  report: string
): Promise<SiteResolution | undefined> {
  const { targetDir } = options
  const skip = (why: string): undefined => {
    core.info(`Incremental install not used: ${why}; pip installs everything.`)
    return undefined
  }
  const zip = await ZipReader.open(earlier.zip, earlier.sha256)
  if (!zip) return skip('the earlier zip cannot be read')
  try {
    // Each earlier distribution whose files are all in the zip, owned by it alone.
    const folders = distInfosIn(zip, earlier.site)
    const pycs = options.restoreBytecode ? bytecodeIn(zip, earlier.site) : undefined
    const available = new Map<string, string[]>()
    const owners = new Set<string>()
    for (const dist of earlier.resolution.dists) {
      const folder = folders.get(`${dist.name}\n${dist.version}`)
      const files = folder === undefined ? undefined : filesInZip(zip, earlier.site, folder, pycs)
      if (!files || files.some(f => owners.has(f))) continue
      for (const file of files) owners.add(file)
      available.set(identity(dist), files)
    }
    if (available.size === 0)
      return skip('no distribution of the earlier build is whole in its zip')

    fs.rmSync(targetDir, { recursive: true, force: true })
    fs.mkdirSync(targetDir, { recursive: true })
    const started = Date.now()
    const took = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`
    let resolved = ''
    let restoredIn = ''
    const [resolution, copied] = await Promise.all([
      resolveTarget(options, report).finally(() => (resolved = took(started))),
      restoreFiles(zip, earlier.site, [...available.values()].flat(), targetDir).finally(
        () => (restoredIn = took(started))
      )
    ])
    const installStarted = Date.now()
    if (!resolution) return skip('pip did not resolve the requirements to hashed wheels alone')
    if (resolution.pip !== earlier.resolution.pip) {
      return skip(
        `the earlier build used pip ${earlier.resolution.pip}, this one pip ${resolution.pip}`
      )
    }
    if (!copied) return skip('a file of the earlier zip did not read back intact')

    const wanted = new Set(resolution.dists.map(identity))
    const changed = resolution.dists.filter(d => !available.has(identity(d)))
    const kept = resolution.dists.length - changed.length
    if (kept === 0) return skip('no distribution is the one the earlier build installed')
    removeFiles(
      targetDir,
      [...available].flatMap(([id, files]) => (wanted.has(id) ? [] : files))
    )

    if (changed.length > 0) {
      const changedDir = path.join(
        options.workDir,
        `changed-${options.runtime}-${options.architecture}`
      )
      fs.rmSync(changedDir, { recursive: true, force: true })
      const pinned = `${changedDir}.txt`
      // Each pinned to the very file the resolution chose.
      fs.writeFileSync(
        pinned,
        changed.map(d => `${d.name}==${d.version} --hash=sha256:${d.sha256}\n`).join('')
      )
      const installed = await run(
        options.interpreter.path,
        pipInstallArgs({
          runtime: options.runtime,
          architecture: options.architecture,
          requirements: pinned,
          targetDir: changedDir,
          pipArgs: [...options.pipArgs, '--no-deps']
        }),
        {
          env: options.env.pip(),
          cwd: options.cwd,
          confine: { profile: 'install', writable: [changedDir] }
        }
      )
      if (installed.exitCode !== 0)
        return skip('pip could not install the changed distributions alone')
      unmarkRequested(changedDir, new Set(changed.filter(d => !d.requested).map(d => d.name)))
      if (!mergeInto(changedDir, targetDir)) {
        return skip('a changed distribution installs a file an unchanged one has')
      }
    }
    const present = (await installedDistributions(targetDir)).map(
      p => `${normalizeName(p.name)}==${p.version}`
    )
    const expected = resolution.dists.map(d => `${d.name}==${d.version}`)
    if (present.sort().join(' ') !== expected.sort().join(' ')) {
      return skip('the installed distributions differ from the resolution')
    }
    core.info(
      `Incremental install: ${plural(kept, 'distribution')} restored from the earlier zip (${restoredIn}, while pip resolved in ${resolved}); pip installed ${changed.length === 0 ? 'nothing else' : `${changed.map(d => `${d.name}==${d.version}`).join(' ')} (${took(installStarted)})`}.`
    )
    return resolution
  } finally {
    await zip.close()
  }
}
