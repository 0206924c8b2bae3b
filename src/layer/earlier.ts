/**
 * The earlier build: its zip, kept in the download cache, and what pip
 * installed in each of its site folders. A build reuses its unchanged files
 * (compressed bytes, .pyc) and installs only what changed.
 */

/** One distribution as pip resolved it: what decides the files it installs. */
export interface ResolvedDist {
  /** Normalized project name. */
  name: string
  version: string
  /** The wheel's file name. */
  file: string
  /** The wheel's SHA-256 (hex). */
  sha256: string
  /** Named by the requirements (pip writes REQUESTED for it), not only a dependency. */
  requested: boolean
}

/** A site's resolution: what pip installed there, and which pip. */
export interface SiteResolution {
  pip: string
  dists: ResolvedDist[]
}

/** An earlier build's zip, whose unchanged entries and .pyc files a build may reuse. */
export interface EarlierZip {
  path: string
  /** Its base64 SHA-256 (CodeSha256): checked before anything is copied from it. */
  sha256: string
  /** What pip installed in each site folder of the zip, where it reported it. */
  resolutions: Record<string, SiteResolution>
}

/** Whether `value` (read back from the download cache) is a site resolution. */
export function isSiteResolution(value: unknown): value is SiteResolution {
  const v = value as Partial<SiteResolution> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.pip === 'string' &&
    Array.isArray(v.dists) &&
    v.dists.every(
      d =>
        typeof d === 'object' &&
        d !== null &&
        ['name', 'version', 'file', 'sha256'].every(
          k => typeof (d as unknown as Record<string, unknown>)[k] === 'string'
        ) &&
        typeof d.requested === 'boolean'
    )
  )
}
