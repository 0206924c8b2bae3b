/**
 * Caches the finished zip and a manifest with @actions/cache. The cache is an
 * optimization only: outside GitHub (no cache service) it is skipped with one
 * log line, and no cache error ever fails the action.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { errorMessage } from '../errors.js'
import { actionsCache, type ActionsCache } from './client.js'
import { cachePath } from '../util/runner-temp.js'
import type { SiteRecord } from '../layer/built.js'
import { fileSha256, type ZipResult } from '../layer/zip.js'

/** What a cached zip holds, saved beside it. */
export interface Manifest extends Omit<ZipResult, 'path'> {
  formatVersion: number
  key: string
  sites: SiteRecord[]
  /** The checks the zip passed before it was saved. */
  verified: boolean
  smokeTested: boolean
  /** Precompiled .pyc files are in the zip (compile: true). */
  bytecode: boolean
  /** The layer holds shared objects (machine code), so it is tied to its runtimes and architecture. */
  machineCode: boolean
}

export const ZIP_NAME = 'layer.zip'
export const MANIFEST_NAME = 'manifest.json'

/** Whether a cache service is there to talk to (on GitHub, or a stand-in that provides one). */
export async function cacheServiceAvailable(): Promise<boolean> {
  let cache: ActionsCache
  try {
    cache = await actionsCache()
  } catch {
    return false
  }
  const probe = (cache as { isFeatureAvailable?: () => boolean }).isFeatureAvailable
  if (typeof probe !== 'function') return true
  try {
    return probe()
  } catch {
    return false
  }
}

/**
 * An entry that replaces an unusable one is saved as `<key>-rebuilt-<id>`:
 * cache entries are immutable, so the bad one stays, and the lookup prefers
 * the newest replacement over it.
 */
export const REBUILT = '-rebuilt'

/** A key for a rebuild that replaces an unusable entry of `key`; unique per run. */
export function replacementKey(key: string, now = Date.now()): string {
  const run = [process.env.GITHUB_RUN_ID, process.env.GITHUB_RUN_ATTEMPT].filter(Boolean).join('.')
  return `${key}${REBUILT}-${run ? `${run}-` : ''}${now.toString(36)}`
}

/** What the lookup found for a key. */
export interface Restored {
  /** The entry's manifest, when its zip is usable. */
  manifest?: Manifest
  /** The key of the entry found (the key itself or a replacement of it), if any. */
  entry?: string
  /** Why the entry found cannot be used; its rebuild is saved under a replacement key. */
  problem?: string
}

/**
 * Restores the newest entry for `key` (a replacement of it, or the key
 * itself) into `dir`. The manifest comes back when the zip is there and
 * matches the manifest's SHA-256; an entry that exists but cannot be used
 * comes back with the problem, so that its rebuild replaces it.
 */
export async function restoreLayer(dir: string, key: string): Promise<Restored> {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  // No entry is ever saved under `${key}${REBUILT}` itself: the primary key
  // only prefix-matches replacements, and the restore key `key` matches the
  // newest of the original and its replacements.
  const keys: [string, string[]] = [`${key}${REBUILT}`, [key]]
  let entry: string | undefined
  try {
    entry = await (await actionsCache()).restoreCache([cachePath(dir)], ...keys)
    if (!entry) {
      // A miss, or an entry whose archive failed to download or unpack
      // (@actions/cache logs that as a warning and returns undefined).
      const found = await (
        await actionsCache()
      ).restoreCache([cachePath(dir)], ...keys, { lookupOnly: true })
      if (found) return { entry: found, problem: 'its archive could not be restored' }
    }
  } catch (error) {
    core.warning(`Cache restore failed, building instead: ${errorMessage(error)}`)
    return {}
  }
  if (!entry) {
    core.info(`Cache miss for ${key}.`)
    return {}
  }
  const zipPath = path.join(dir, ZIP_NAME)
  let manifest: Manifest
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_NAME), 'utf8')) as Manifest
  } catch (error) {
    return { entry, problem: `it has no readable manifest: ${errorMessage(error)}` }
  }
  if (manifest.key !== key) {
    return { entry, problem: `its manifest names another key (${manifest.key})` }
  }
  if (!fs.existsSync(zipPath) || fileSha256(zipPath) !== manifest.sha256) {
    return { entry, problem: "its zip does not match the manifest's SHA-256" }
  }
  core.info(`Cache hit for ${key}: ${manifest.bytes} bytes, CodeSha256 ${manifest.sha256}.`)
  return { manifest, entry }
}

/** Saves the zip and manifest under `key`. Never throws. */
export async function saveLayer(
  dir: string,
  key: string,
  zipPath: string,
  manifest: Manifest
): Promise<boolean> {
  try {
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    fs.copyFileSync(zipPath, path.join(dir, ZIP_NAME))
    fs.writeFileSync(path.join(dir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`)
    const id = await (await actionsCache()).saveCache([cachePath(dir)], key)
    if (id === -1) {
      core.info(`Cache not saved for ${key} (see @actions/cache's message above).`)
      return false
    }
    core.info(`Saved cache ${key}.`)
    return true
  } catch (error) {
    const message = errorMessage(error)
    if (/already exists|another job/i.test(message)) {
      core.info(`Cache ${key} was saved by another job.`)
    } else {
      core.warning(`Cache save failed (the layer is not affected): ${message}`)
    }
    return false
  }
}
