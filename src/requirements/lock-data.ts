/**
 * What every lock reader shares: one locked package, the error that names
 * the lock file, TOML read with its syntax error named, sha256 hashes.
 */
import path from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { ActionError } from '../errors.js'

/** One package of a lock. */
export interface LockedPackage {
  name: string
  /** Exact version; absent for a local directory. */
  version?: string
  /** PEP 508 marker: when it is needed. */
  marker?: string
  /** sha256 digests of its files (any of them may be the one installed). */
  hashes: string[]
  /** Its files that the lock names, with their digests (the SBOM tells which one was installed). */
  files?: LockedFile[]
  /** A local project (path relative to the lock's folder), installed as a regular package. */
  directory?: string
  /** The package index (simple API URL) the lock says the package comes from. */
  index?: string
}

/** A file of a locked package, by its name: a wheel or a source distribution. */
export interface LockedFile {
  name: string
  sha256: string
}

/** The file name at the end of a URL or path ("six-1.17.0-py2.py3-none-any.whl"). */
export function fileNameOf(location: string): string {
  const last =
    location
      .replace(/[#?].*$/, '')
      .split(/[/\\]/)
      .pop() ?? ''
  try {
    return decodeURIComponent(last)
  } catch {
    return last
  }
}

/** Fails the `requirements` input, naming the lock file. */
export function fail(file: string, why: string): never {
  throw new ActionError(`Input \`requirements\`: ${path.basename(file)} ${why}`)
}

/** A TOML file's data; a syntax error names the file. */
export function tomlData(text: string, file: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>
  } catch (error) {
    return fail(file, `is not valid TOML: ${(error as Error).message.split('\n')[0]}`)
  }
}

/** The hex digest of a "sha256:<hex>" hash, lowercased; undefined for any other. */
export function sha256Hex(hash: unknown): string | undefined {
  return /^sha256:([0-9a-f]{64})$/i.exec(String(hash ?? ''))?.[1]?.toLowerCase()
}
