/**
 * The installers' own caches (pip's downloads and the wheels it built, uv's
 * cache), kept between runs with @actions/cache, so that a build after an
 * edit of the requirements fetches and builds only what changed. Used on a
 * layer cache miss only.
 *
 * Keyed like the layer (the same digest), and a miss falls back to the
 * newest entry for the same OS, runtimes, architectures and installer: any
 * earlier build's downloads help. A cache the user set (PIP_CACHE_DIR,
 * UV_CACHE_DIR, or caching switched off) is left to the user. Never fails
 * the action.
 */
import * as cache from '@actions/cache'
import * as core from '@actions/core'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { useDownloadCache } from '../build/pip.js'
import { errorMessage } from '../errors.js'
import { formatBytes } from '../util/format.js'

/** Entries larger than this are not saved: restoring them would cost more than downloading. */
export const MAX_DOWNLOADS_BYTES = 2 * 1024 ** 3

export interface DownloadCache {
  /** Saves the caches after a successful build, under the layer's key (when it was not restored from it). */
  save(): Promise<void>
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

function sizeOf(dir: string): number {
  let total = 0
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (entry.isFile()) total += fs.statSync(p).size
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return total
}

/** Restores the newest fitting downloads into a folder the installers then use. */
export async function restoreDownloads(
  layerKey: string,
  installer: string
): Promise<DownloadCache> {
  const none: DownloadCache = { save: async () => undefined }
  const managed = userManagedCache()
  if (managed) {
    core.info(`Download cache: left to you (${managed}).`)
    return none
  }
  const { key, prefix } = downloadKeys(layerKey, installer)
  const dir = path.resolve(process.env.RUNNER_TEMP || os.tmpdir(), 'lambda-python-layer-downloads')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  let found: string | undefined
  try {
    found = await cache.restoreCache([dir], key, [prefix])
  } catch (error) {
    core.info(`Download cache not restored: ${errorMessage(error)}`)
  }
  core.info(
    found
      ? `Download cache: restored ${found}${found === key ? '' : ' (an earlier build)'}, ${formatBytes(sizeOf(dir))}.`
      : 'Download cache: none yet for this runtime, architecture and installer.'
  )
  useDownloadCache(dir)
  return {
    async save() {
      if (found === key) return
      const bytes = sizeOf(dir)
      if (bytes === 0) return
      if (bytes > MAX_DOWNLOADS_BYTES) {
        core.info(
          `Download cache not saved: ${formatBytes(bytes)} is more than restoring saves over downloading.`
        )
        return
      }
      try {
        const id = await cache.saveCache([dir], key)
        if (id !== -1) core.info(`Download cache saved as ${key} (${formatBytes(bytes)}).`)
      } catch (error) {
        core.info(`Download cache not saved: ${errorMessage(error)}`)
      }
    }
  }
}
