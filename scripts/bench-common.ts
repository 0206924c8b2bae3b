/** What the benchmarks share: timing, medians, and the manual recipe they compare against. */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * The manual recipe, timed: `pip install -t python`, `zip -r`, `aws lambda
 * publish-layer-version` (to `endpoint`). Returns the seconds it took; the
 * folder is removed afterwards.
 */
export function manualRecipe(o: {
  python: string
  requirementsFile: string
  dir: string
  layerName: string
  runtime: string
  endpoint: string
  env: Record<string, string>
  /** pip's cache folder; the user's default cache when not given. */
  pipCache?: string
}): number {
  const start = process.hrtime.bigint()
  execFileSync(
    o.python,
    [
      '-m',
      'pip',
      'install',
      '-q',
      '--disable-pip-version-check',
      '-t',
      path.join(o.dir, 'python'),
      '-r',
      o.requirementsFile
    ],
    {
      stdio: 'ignore',
      env: { ...process.env, ...(o.pipCache ? { PIP_CACHE_DIR: o.pipCache } : {}) }
    }
  )
  execFileSync('zip', ['-q', '-r', 'layer.zip', 'python'], { cwd: o.dir })
  execFileSync(
    'aws',
    [
      'lambda',
      'publish-layer-version',
      '--endpoint-url',
      o.endpoint,
      '--layer-name',
      o.layerName,
      '--zip-file',
      `fileb://${path.join(o.dir, 'layer.zip')}`,
      '--compatible-runtimes',
      o.runtime
    ],
    { env: { ...process.env, ...o.env }, stdio: 'ignore' }
  )
  const elapsed = seconds(start)
  fs.rmSync(o.dir, { recursive: true, force: true })
  return elapsed
}
