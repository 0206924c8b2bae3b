/**
 * Caches the finished zip and a manifest with @actions/cache. The cache is an
 * optimization only: outside GitHub (no cache service) it is skipped with one
 * log line, and no cache error ever fails the action.
 */
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { errorMessage } from '../errors.js'
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
export function cacheServiceAvailable(): boolean {
  const probe = (cache as { isFeatureAvailable?: () => boolean }).isFeatureAvailable
  if (typeof probe !== 'function') return true
  try {
    return probe()
  } catch {
    return false
  }
}

/**
 * Restores the entry for `key` into `dir`; returns its manifest when the zip
 * is there and matches the manifest's SHA-256, undefined otherwise.
 */
export async function restoreLayer(dir: string, key: string): Promise<Manifest | undefined> {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  let hit: string | undefined
  try {
    hit = await cache.restoreCache([dir], key)
  } catch (error) {
    core.warning(`Cache restore failed, building instead: ${errorMessage(error)}`)
    return undefined
  }
  if (!hit) {
    core.info(`Cache miss for ${key}.`)
    return undefined
  }
  const zipPath = path.join(dir, ZIP_NAME)
  let manifest: Manifest
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_NAME), 'utf8')) as Manifest
  } catch (error) {
    core.warning(
      `Cache entry ${hit} has no readable manifest (${errorMessage(error)}); rebuilding.`
    )
    return undefined
  }
  if (!fs.existsSync(zipPath) || fileSha256(zipPath) !== manifest.sha256 || manifest.key !== key) {
    core.warning(`Cache entry ${hit} does not match its manifest's SHA-256; rebuilding.`)
    return undefined
  }
  core.info(`Cache hit for ${key}: ${manifest.bytes} bytes, CodeSha256 ${manifest.sha256}.`)
  return manifest
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
    const id = await cache.saveCache([dir], key)
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
