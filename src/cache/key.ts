/**
 * The cache key: a hash of everything that decides the layer's bytes, behind
 * a readable prefix. What goes in, and why, is listed in
 * docs/caching-and-staging.md ("Caching").
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { type InstallerEnv, type Interpreter, targetArgs } from '../install/index.js'
import type { Inputs } from '../inputs.js'
import { redactCredentials } from '../requirements/credentials.js'
import { fingerprint } from '../requirements/tree.js'
import type { Architecture, Runtime } from '../runtimes.js'

/** Bump when the layout, the zip format or the manifest changes, so old cache entries are not reused. */
export const BUILD_FORMAT_VERSION = 5

export interface KeyParts {
  /** Every requirements/constraints file, in the order pip reads them, normalized. */
  requirements: Array<{ name: string; lines: string[] }>
  /** Fingerprints of local files and folders the requirements point at. */
  localPaths: Array<{ name: string; digest: string }>
  runtimes: Runtime[]
  architectures: Architecture[]
  /** Exact interpreter version per runtime, e.g. python3.12 → 3.12.7. */
  interpreters: Record<string, string>
  /** pip-args, credentials removed. */
  pipArgs: string[]
  /** pip configuration in effect (pip config list), credentials removed. */
  pipConfig: string[]
  compile: boolean
  /** exclude patterns, as written (their order does not change what is removed). */
  exclude: string[]
  /** build-from-source: whether a package may be built, and how. */
  buildFromSource: string
  /** "pip", or uv and its version: the installer writes its name into each dist-info. */
  installer: string
  /**
   * strip: true: the strip of each architecture and its version (its output
   * depends on it). Absent with strip: false, so those keys are what they
   * were before the input existed.
   */
  strip?: string
  os: string
  formatVersion: number
}

/** pip config keys that do not change what gets installed. */
const IRRELEVANT_CONFIG =
  /\.(cert|client-cert|timeout|default-timeout|retries|proxy|disable-pip-version-check|no-input|progress-bar|root-user-action|cache-dir|no-cache-dir|verbose|quiet|log|no-color|trusted-host|keyring-provider)=/

/** The lines of `pip config list` that can change the result, credentials removed. */
export function relevantPipConfig(configList: string): string[] {
  return configList
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(Boolean)
    .filter(l => !IRRELEVANT_CONFIG.test(l))
    .map(redactCredentials)
    .map(l => {
      // A constraint or requirement file named by the config: its content counts.
      const m = /\.(constraint|requirement)='(.+)'$/.exec(l)
      if (!m) return l
      const digests = m[2]
        .split(/\s+/)
        .map(f => (fs.existsSync(f) ? fingerprint(f).slice(0, 16) : 'missing'))
      return `${l} (${digests.join(' ')})`
    })
    .sort()
}

function ladder(runtimes: Runtime[], architectures: Architecture[]): string[] {
  return runtimes.flatMap(r => architectures.map(a => targetArgs(r, a).join(' ')))
}

export function computeCacheKey(parts: KeyParts): string {
  const material = JSON.stringify({
    ...parts,
    pipArgs: parts.pipArgs.map(redactCredentials),
    exclude: [...parts.exclude].sort(),
    ladder: ladder(parts.runtimes, parts.architectures)
  })
  const digest = crypto.createHash('sha256').update(material).digest('hex').slice(0, 32)
  return [
    'lambda-python-layer',
    `v${parts.formatVersion}`,
    parts.os,
    parts.runtimes.join('+'),
    parts.architectures.join('+'),
    digest
  ].join('-')
}

/** Everything that decides the layer's bytes, read from the inputs, the interpreters and pip's configuration. */
export async function cacheKeyFor(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  tools: { installer: string; strip?: string },
  env: InstallerEnv
): Promise<string> {
  const configs = new Set<string>()
  for (const interpreter of new Set([...interpreters.values()].map(i => i.path))) {
    for (const line of relevantPipConfig(await env.pipConfig(interpreter))) configs.add(line)
  }
  const { requirements, localPaths } = inputs.requirements
  const named = inputs.pipFiles.map(file => ({ name: `pip-args: ${file}`, path: file }))
  return computeCacheKey({
    requirements,
    localPaths: [...localPaths, ...named].map(p => ({
      name: p.name,
      digest: fingerprint(p.path)
    })),
    runtimes: inputs.runtimes,
    architectures: inputs.architectures,
    interpreters: Object.fromEntries([...interpreters].map(([r, i]) => [r, i.version])),
    pipArgs: inputs.pipArgs,
    pipConfig: [...configs].sort(),
    compile: inputs.compile,
    exclude: inputs.exclude.map(g => g.pattern),
    buildFromSource: inputs.buildFromSource,
    installer: tools.installer,
    ...(tools.strip !== undefined ? { strip: tools.strip } : {}),
    os: process.platform === 'linux' ? 'Linux' : process.platform,
    formatVersion: BUILD_FORMAT_VERSION
  })
}
