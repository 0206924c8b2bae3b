/** The finished layer, built now or restored from the cache: what publishing and reporting need. */
import type { SiteResolution } from './earlier.js'
import type { Runtime } from '../runtimes.js'
import { type InstalledPackage } from './dist-info.js'
import type { ZipResult } from './zip.js'
import { normalizeName } from '../requirements/names.js'

/** One site folder of the layer: which runtime reads it, with which packages. */
export interface SiteRecord {
  runtime: Runtime
  /** Relative to the layer root: "python" or "python/lib/python3.X/site-packages". */
  dir: string
  /** The interpreter version that installed it, e.g. "3.12.7". */
  python: string
  packages: InstalledPackage[]
}

export interface BuiltLayer {
  zip: ZipResult
  sites: SiteRecord[]
  /** The layer holds shared objects (machine code), so it is tied to its runtimes and architecture. */
  machineCode: boolean
  /** A layer built now: what pip installed in each site folder, where it reported it. */
  resolutions?: Record<string, SiteResolution>
  /** The CycloneDX SBOM beside the zip, once it is written (sbom.ts). */
  sbom?: string
}

/** "name==version" of every package in the layer, once each, sorted by normalized name. */
export function packageList(layer: BuiltLayer): string[] {
  const all = new Set(layer.sites.flatMap(s => s.packages.map(p => `${p.name}==${p.version}`)))
  return [...all].sort((a, b) => normalizeName(a).localeCompare(normalizeName(b), 'en'))
}
