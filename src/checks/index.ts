/**
 * The checks of a staged layer, as phases: its binaries and sizes (verify),
 * the import smoke test, and, once zipped, the zip's size.
 */
import * as core from '@actions/core'
import path from 'node:path'
import type { Inputs } from '../inputs.js'
import { bytecodeBytes, type LayerScan, machineCodeFiles } from '../layer/scan.js'
import type { ZipResult } from '../layer/zip.js'
import type { RunReport } from '../report/run-report.js'
import type { Runtime } from '../runtimes.js'
import { formatBytes } from '../util/format.js'
import { packageCodeEnv } from '../sandbox/env.js'
import { verifyLayer } from './binaries.js'
import { enforce, type Finding, sortFindings } from './findings.js'
import { type Measured, unzippedSizeFindings, zipSizeFindings } from './sizes.js'
import { canRunTarget, smokeTest } from './smoke-test.js'

export interface StagedSite {
  runtime: Runtime
  /** Relative to the layer root. */
  dir: string
  /** The interpreter of the runtime. */
  python: string
}

/**
 * Verifies the binaries and the unzipped size, then import-tests the layer
 * while `alongside` (the zip) runs: the smoke test only reads the tree
 * (`python -B`), so neither waits for the other. The smoke test's log
 * follows the zip's, and its problems come first. Returns what the zip's
 * size check needs and what `alongside` gave.
 */
export async function checkLayer<T>(
  inputs: Inputs,
  root: string,
  sites: readonly StagedSite[],
  scan: LayerScan,
  report: RunReport,
  alongside: () => Promise<T>
): Promise<{ measured: Measured; alongside: T }> {
  const measured: Measured = {
    unzippedBytes: scan.unzippedBytes,
    packages: [],
    bytecodeBytes: bytecodeBytes(scan)
  }
  if (inputs.verify) {
    await report.phase(
      'Verify',
      async () => {
        const verified = await verifyLayer({
          root,
          targets: sites.map(s => ({ runtime: s.runtime, dir: s.dir })),
          architectures: inputs.architectures,
          scan
        })
        measured.packages = verified.packages
        const findings = sortFindings([...verified.findings, ...unzippedSizeFindings(measured)])
        report.summary.findings.push(...findings)
        enforce(findings, 'Verification')
        core.info(
          `Checked ${verified.files} files (${formatBytes(verified.unzippedBytes)}): every binary fits ${inputs.runtimes.join(', ')} on ${inputs.architectures.join(', ')}.`
        )
      },
      'Verify the layer'
    )
  }
  const smoke =
    inputs.smokeTest === 'false'
      ? undefined
      : report.background(async () =>
          report.phase('Smoke test', async () => runSmokeTest(inputs, root, sites, scan))
        )
  const [smoked, other] = await Promise.allSettled([smoke, alongside()])
  if (smoked.status === 'rejected') throw smoked.reason
  if (smoked.value) {
    const outcome = smoked.value
    await core.group('Import smoke test', async () => {
      if ('skipped' in outcome) {
        if (inputs.smokeTest === 'true') core.notice(`smoke-test skipped: ${outcome.skipped}`)
        else core.info(`Import smoke test skipped: ${outcome.skipped}`)
        return
      }
      report.summary.findings.push(...outcome.findings)
      enforce(outcome.findings, 'The import smoke test')
      core.info(
        outcome.findings.length === 0
          ? 'Every top-level module of the layer imports in a clean interpreter.'
          : 'The layer imports, but for the warnings above.'
      )
    })
  }
  if (other.status === 'rejected') throw other.reason
  return { measured, alongside: other.value }
}

/** Imports every top-level module of each site, or says why the runner cannot. Logs nothing. */
async function runSmokeTest(
  inputs: Inputs,
  root: string,
  sites: readonly StagedSite[],
  scan: LayerScan
): Promise<{ findings: Finding[] } | { skipped: string }> {
  if (!smokeTestRuns(inputs, machineCodeFiles(scan).length > 0)) {
    return {
      skipped: `this runner (${process.platform}/${process.arch}) cannot execute ${inputs.architectures.join(', ')} Lambda code. Run the step on a Linux runner of the layer's architecture (e.g. ubuntu-24.04-arm for arm64) to import-test the layer.`
    }
  }
  const findings: Finding[] = []
  for (const site of sites) {
    findings.push(
      ...(await smokeTest({
        python: site.python,
        siteDir: path.join(root, site.dir),
        runtime: site.runtime,
        env: packageCodeEnv(),
        strict: inputs.smokeTest === 'true'
      }))
    )
  }
  return { findings }
}

/** The zip's size against the inline upload limit: an error when publishing, a warning otherwise. */
export function checkZipSize(
  inputs: Inputs,
  zip: ZipResult,
  measured: Measured,
  report: RunReport
): void {
  if (!inputs.verify) return
  const findings = zipSizeFindings({ ...measured, zipBytes: inputs.s3 ? undefined : zip.bytes })
  report.summary.findings.push(...findings)
  if (inputs.publish) enforce(findings, 'The size check')
  else for (const f of findings) core.warning(f.message)
}

/**
 * Whether the import smoke test runs for these inputs on this runner: where
 * the runner executes one of the layer's architectures, or, for a layer
 * without machine code, on any Linux runner (pure Python imports the same
 * on every CPU; its markers were evaluated for Linux).
 */
export function smokeTestRuns(
  inputs: Pick<Inputs, 'smokeTest' | 'architectures'>,
  machineCode: boolean
): boolean {
  if (inputs.smokeTest === 'false') return false
  return (
    inputs.architectures.some(a => canRunTarget(a)) ||
    (!machineCode && process.platform === 'linux')
  )
}
