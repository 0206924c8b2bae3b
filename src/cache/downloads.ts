/**
 * The installers' own caches (pip's downloads and the wheels it built, uv's
 * cache), kept between runs with @actions/cache, so that a build after an
 * edit of the requirements fetches and builds only what changed. Used on a
 * layer cache miss only.
 *
 * Keyed like the layer (the same digest), and a miss falls back to the
 * newest entry for the same OS, runtimes, architectures and installer: any
 * earlier build's downloads help. A cache the user set (PIP_CACHE_DIR,
 * UV_CACHE_DIR, or caching switched off) is left to the user.
 *
 * The entry also holds the earlier build's zip: a build after an edit
 * copies the compressed bytes and the .pyc of every unchanged file from it
 * (the result is the same bytes as a fresh build), when it was built with
 * the same interpreters, zlib and build format. And the wheel of the
 * action's own uv (tools/, checked against its pin before use), so a
 * build after an edit does not download it again. Never fails the action.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { type EarlierZip, isSiteResolution, type SiteResolution } from '../layer/earlier.js'
import type { InstallerEnv } from '../install/index.js'
import { errorMessage } from '../errors.js'
import type { ZipReuse } from '../layer/zip.js'
import { actionsCache } from './client.js'
import { formatBytes } from '../util/format.js'
import { cachePath, runnerTemp } from '../util/runner-temp.js'

/** Entries larger than this are not saved: restoring them would cost more than downloading. */
export const MAX_DOWNLOADS_BYTES = 2 * 1024 ** 3

/** What must match for an earlier zip to give the same bytes as a fresh build. */
export interface ZipOrigin {
  formatVersion: number
  /** Exact interpreter version per runtime: the .pyc bytes depend on it. */
  interpreters: Record<string, string>
  /** zlib's version: the deflated bytes depend on it. */
  zlib: string
  /**
   * strip: true: the strip of each architecture and its version. The
   * incremental install restores files from the earlier zip as they are
   * there: stripped or not, by this strip, they must be what this build
   * makes of them. Absent with strip: false.
   */
  strip?: string
}

export interface DownloadCache {
  /** The earlier build's zip, when it can serve this build. */
  earlier?: EarlierZip
  /** The installers' environment with these caches (see InstallerEnv.withCaches). */
  env: InstallerEnv
  /**
   * Saves the caches and `zip` (as the next build's earlier zip) after a
   * successful build.
   */
  save(after: DownloadsToSave): Promise<void>
}

/** What a successful build leaves for the next one. */
export interface DownloadsToSave {
  /** The zip built, and what it took from the earlier zip (zip.ts). */
  zip?: { path: string; sha256: string; unzippedBytes?: number; reused?: ZipReuse }
  /** What pip installed in each site folder of the zip, for the next build's incremental install. */
  resolutions?: Record<string, SiteResolution>
  /** The environment the build ran with: uv's cache may be in its scratch. */
  env: InstallerEnv
  /** Trims the installer's cache (the folder it uses) first, when the action manages it. */
  prune?: (cacheDir: string) => Promise<void>
}

const PREVIOUS_ZIP = 'previous.zip'
const PREVIOUS_JSON = 'previous.json'

/** The earlier zip in `dir`, if it was built under the same origin. */
export function previousZipIn(dir: string, origin: ZipOrigin): EarlierZip | undefined {
  try {
    const saved = JSON.parse(fs.readFileSync(path.join(dir, PREVIOUS_JSON), 'utf8')) as {
      sha256?: unknown
      origin?: unknown
      resolutions?: unknown
    }
    const zip = path.join(dir, PREVIOUS_ZIP)
    if (
      typeof saved.sha256 !== 'string' ||
      JSON.stringify(saved.origin) !== JSON.stringify(origin) ||
      !fs.existsSync(zip)
    ) {
      return undefined
    }
    // Only well-formed ones: an entry written by another version is no reason to fail.
    const resolutions = Object.fromEntries(
      Object.entries(
        typeof saved.resolutions === 'object' && saved.resolutions !== null ? saved.resolutions : {}
      ).filter(([, r]) => isSiteResolution(r))
    ) as Record<string, SiteResolution>
    return { path: zip, sha256: saved.sha256, resolutions }
  } catch {
    return undefined
  }
}

/** `lambda-python-layer-v3-Linux-python3.12-x86_64-<digest>` → the downloads key and its fallback prefix. */
export function downloadKeys(layerKey: string, installer: string): { key: string; prefix: string } {
  const digestAt = layerKey.lastIndexOf('-')
  const head = layerKey.slice(0, digestAt).replace(/^lambda-python-layer-/, '')
  const tool = installer.split(' ')[0]
  const prefix = `lambda-python-layer-downloads-${head}-${tool}-`
  return { key: `${prefix}${layerKey.slice(digestAt + 1)}`, prefix }
}

/** Why the action leaves the installers' caches alone, if it does. */
export function userManagedCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of ['PIP_CACHE_DIR', 'UV_CACHE_DIR']) {
    if (env[name]) return `${name} is set`
  }
  for (const name of ['PIP_NO_CACHE_DIR', 'UV_NO_CACHE']) {
    const v = env[name]
    if (v && !/^(0|false|no|off)$/i.test(v)) return `${name} is set`
  }
  return undefined
}

/** Every file below `dir` (relative path → size). */
function filesOf(dir: string): Map<string, number> {
  const files = new Map<string, number>()
  const walk = (d: string, prefix: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name)
      if (entry.isDirectory()) walk(p, `${prefix}${entry.name}/`)
      else if (entry.isFile()) files.set(`${prefix}${entry.name}`, fs.statSync(p).size)
    }
  }
  if (fs.existsSync(dir)) walk(dir, '')
  return files
}

const total = (files: Map<string, number>): number =>
  [...files.values()].reduce((sum, size) => sum + size, 0)

function sizeOf(dir: string): number {
  return total(filesOf(dir))
}

/** What an entry saved again must add, at least, to what was restored: a tenth. */
export const RESAVE_FRACTION = 0.1

/**
 * Why the restored entry (another build's) serves the next build about as
 * well as a new one would, if it does: the installers' caches gained less
 * than a tenth of what was restored, and the zip took at least nine tenths
 * of its bytes from the earlier zip. Saving 60 MB again for a one-package
 * edit would cost every such run its upload, and the repository's cache
 * quota a near copy.
 */
export function enoughRestored(
  restored: Map<string, number>,
  now: Map<string, number>,
  zip: DownloadsToSave['zip']
): string | undefined {
  const kept = (files: Map<string, number>): Map<string, number> =>
    new Map([...files].filter(([rel]) => rel !== PREVIOUS_ZIP && rel !== PREVIOUS_JSON))
  // The installers' caches proper: the action's own uv (tools/) is no measure of them.
  const before = new Map([...kept(restored)].filter(([rel]) => !rel.startsWith('tools/')))
  // What changed counts, tools/ included: a uv kept anew is saved.
  const added = total(new Map([...kept(now)].filter(([rel, size]) => restored.get(rel) !== size)))
  const reused = zip?.reused?.readable ? zip.reused.bytes / Math.max(1, zip.unzippedBytes ?? 0) : 0
  if (total(before) === 0 || added > RESAVE_FRACTION * total(before)) return undefined
  if (reused < 1 - RESAVE_FRACTION) return undefined
  return `this build added ${formatBytes(added)} to the ${formatBytes(total(before))} of installers' caches restored, and its zip took ${Math.floor(reused * 100)}% of its bytes from the earlier one`
}

/**
 * Restores the newest fitting entry: the installers' caches (into a folder
 * they then use) and the earlier build's zip.
 */
export async function restoreDownloads(
  layerKey: string,
  installer: string,
  origin: ZipOrigin,
  env: InstallerEnv
): Promise<DownloadCache> {
  const managed = userManagedCache()
  if (managed) core.info(`Download cache: left to you (${managed}); the earlier zip is kept.`)
  const { key, prefix } = downloadKeys(layerKey, installer)
  const dir = runnerTemp('lambda-python-layer-downloads')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  let found: string | undefined
  try {
    found = await (await actionsCache()).restoreCache([cachePath(dir)], key, [prefix])
  } catch (error) {
    core.info(`Download cache not restored: ${errorMessage(error)}`)
  }
  core.info(
    found
      ? `Download cache: restored ${found}${found === key ? '' : ' (an earlier build)'}, ${formatBytes(sizeOf(dir))}.`
      : 'Download cache: none yet for this runtime, architecture and installer.'
  )
  const previous = found ? previousZipIn(dir, origin) : undefined
  const restored = filesOf(dir)
  if (found) {
    core.info(
      previous
        ? `Earlier zip found (CodeSha256 ${previous.sha256}): unchanged files are reused from it.`
        : 'No earlier zip from the same interpreters and zlib: everything is compiled and compressed.'
    )
  }
  return {
    ...(previous ? { earlier: previous } : {}),
    env: env.withCaches(dir, managed !== undefined),
    async save({ zip, resolutions, env: built, prune }) {
      if (found === key) return
      const uvCache = built.uvCache()
      if (prune && uvCache) await prune(uvCache)
      // From a build staged in memory: its copy, pruned, replaces the one restored.
      built.keepUvCache()
      const enough = found ? enoughRestored(restored, filesOf(dir), zip) : undefined
      if (enough) {
        core.info(
          `Download cache: not saved again: ${enough}. The next build after an edit starts from ${found} too.`
        )
        return
      }
      if (zip) {
        fs.copyFileSync(zip.path, path.join(dir, PREVIOUS_ZIP))
        fs.writeFileSync(
          path.join(dir, PREVIOUS_JSON),
          `${JSON.stringify({ sha256: zip.sha256, origin, resolutions: resolutions ?? {} })}\n`
        )
      }
      const bytes = sizeOf(dir)
      if (bytes === 0) return
      if (bytes > MAX_DOWNLOADS_BYTES) {
        core.info(
          `Download cache not saved: ${formatBytes(bytes)} is more than restoring saves over downloading.`
        )
        return
      }
      try {
        const id = await (await actionsCache()).saveCache([cachePath(dir)], key)
        if (id !== -1) core.info(`Download cache saved as ${key} (${formatBytes(bytes)}).`)
      } catch (error) {
        core.info(`Download cache not saved: ${errorMessage(error)}`)
      }
    }
  }
}
