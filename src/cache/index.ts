/**
 * The cache as a phase: a key from everything that decides the layer's
 * bytes, a restored zip when an entry fits (and passed the checks asked
 * for), and the built zip saved after a miss.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import {
  type InstallerEnv,
  type Interpreter,
  stripLabel,
  type StripTools
} from '../install/index.js'
import { smokeTestRuns } from '../checks/index.js'
import type { Inputs } from '../inputs.js'
import type { BuiltLayer } from '../layer/built.js'
import type { RunReport } from '../report/run-report.js'
import type { Runtime } from '../runtimes.js'
import { type DownloadCache, restoreDownloads } from './downloads.js'
import { actionsCache } from './client.js'
import { BUILD_FORMAT_VERSION, cacheKeyFor } from './key.js'
import {
  cacheServiceAvailable,
  replacementKey,
  restoreLayer,
  saveLayer,
  ZIP_NAME
} from './store.js'
import { runnerTemp } from '../util/runner-temp.js'

export interface LayerCache {
  /** The cached layer, its zip copied to `zipPath`; undefined on a miss (or without a cache). */
  restore(zipPath: string): Promise<BuiltLayer | undefined>
  /**
   * Before a build: the installers' caches of an earlier build (in `env`),
   * to save after it. Restored once: a second call answers the first's.
   */
  downloads(): Promise<DownloadCache>
  /** Saves a built layer under the key (a no-op without a cache). */
  save(layer: BuiltLayer): Promise<void>
}

const cacheDir = (): string => runnerTemp('lambda-python-layer-cache')

/** The programs besides the interpreters whose versions decide the layer's bytes. */
export interface BuildTools {
  /** "pip" or "uv 0.13.9". */
  installer: string
  /** With `strip: true`, the strip of each architecture. */
  strip?: StripTools
}

/**
 * Starts loading the cache client when the run will use it, so that it
 * loads while the run's first programs (the interpreters' probes, pip's
 * configuration) run instead of after them. Its failure shows when it is used.
 */
export function preloadCache(inputs: Pick<Inputs, 'cache'>): void {
  if (inputs.cache) actionsCache().catch(() => undefined)
}

export async function openCache(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  tools: BuildTools,
  env: InstallerEnv,
  report: RunReport
): Promise<LayerCache> {
  const cache = await openLayerCacheOf(inputs, interpreters, tools, env, report)
  let downloads: Promise<DownloadCache> | undefined
  return { ...cache, downloads: async () => await (downloads ??= cache.downloads()) }
}

async function openLayerCacheOf(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  tools: BuildTools,
  env: InstallerEnv,
  report: RunReport
): Promise<LayerCache> {
  const { installer } = tools
  const strip = tools.strip ? stripLabel(tools.strip) : undefined
  const none: LayerCache = {
    restore: async () => undefined,
    downloads: async () => ({ env, save: async () => undefined }),
    save: async () => undefined
  }
  if (!inputs.cache) {
    report.summary.cache = 'disabled (cache: false)'
    return none
  }
  if (!(await cacheServiceAvailable())) {
    report.summary.cache = 'unavailable (no GitHub cache service)'
    core.info(
      'No GitHub Actions cache service here (not running on GitHub): building without cache.'
    )
    return none
  }
  const key = await cacheKeyFor(inputs, interpreters, { installer, strip }, env)
  const dir = cacheDir()
  // Set when the entry found cannot serve this run: the rebuild is saved
  // under a new key that later lookups prefer, since entries are immutable.
  let saveAs = key
  return {
    async restore(zipPath) {
      const found = await report.phase('Cache restore', async () => restoreLayer(dir, key))
      let manifest = found.manifest
      if (found.problem) {
        saveAs = replacementKey(key)
        core.warning(
          `Cache entry ${found.entry} is unusable (${found.problem}). Rebuilding; the new build is saved as ${saveAs} and replaces it for later runs.`
        )
      } else if (manifest && inputs.verify && !manifest.verified) {
        saveAs = replacementKey(key)
        core.info(
          `The cached zip was built without verify; rebuilding to verify it (saved as ${saveAs}).`
        )
        manifest = undefined
      } else if (manifest && smokeTestRuns(inputs, manifest.machineCode) && !manifest.smokeTested) {
        saveAs = replacementKey(key)
        core.info(
          `The cached zip was not import-tested; rebuilding to run the smoke test (saved as ${saveAs}).`
        )
        manifest = undefined
      }
      if (!manifest) {
        report.summary.cache = `miss (${key})`
        // A second look (pip's configuration decided again) may miss where the first hit.
        report.output('cache-hit', 'false')
        return undefined
      }
      report.summary.cache = `hit (${found.entry ?? key})`
      report.output('cache-hit', 'true')
      fs.copyFileSync(path.join(dir, ZIP_NAME), zipPath)
      const { bytes, sha256, unzippedBytes, files } = manifest
      return {
        zip: { path: zipPath, bytes, sha256, unzippedBytes, files },
        sites: manifest.sites,
        machineCode: manifest.machineCode
      }
    },
    async downloads() {
      return await report.phase('Download cache restore', async () =>
        restoreDownloads(
          key,
          installer,
          {
            formatVersion: BUILD_FORMAT_VERSION,
            interpreters: Object.fromEntries([...interpreters].map(([r, i]) => [r, i.version])),
            zlib: process.versions.zlib ?? '',
            ...(strip !== undefined ? { strip } : {})
          },
          env
        )
      )
    },
    async save(layer) {
      const { path: zipPath, ...zip } = layer.zip
      const saved = await report.phase('Cache save', async () =>
        saveLayer(dir, saveAs, zipPath, {
          formatVersion: BUILD_FORMAT_VERSION,
          key,
          ...zip,
          sites: layer.sites,
          verified: inputs.verify,
          smokeTested: smokeTestRuns(inputs, layer.machineCode),
          bytecode: inputs.compile,
          machineCode: layer.machineCode
        })
      )
      report.summary.cache = saved
        ? `miss (${key}); saved as ${saveAs}`
        : `miss (${key}); not saved`
    }
  }
}
