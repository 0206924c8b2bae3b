/**
 * The checks of a staged layer, as phases: its binaries and sizes (verify),
 * the import smoke test, and, once zipped, the zip's size; and that package
 * code left the staged tree as it was checked (unchanged.ts).
 */
import * as core from '@actions/core'
import path from 'node:path'
import { bytecodeBytes, type LayerScan, machineCodeFiles } from '../layer/scan.js'
import type { ZipResult } from '../layer/zip.js'
import type { RunReport } from '../report/run-report.js'
import type { Architecture, Runtime } from '../runtimes.js'
import { formatBytes } from '../util/format.js'
import { packageCodeEnv } from '../sandbox/index.js'
import { verifyLayer } from './binaries.js'
import { enforce, type Finding, sortFindings } from './findings.js'
import { type Measured, unzippedSizeFindings, zipSizeFindings } from './sizes.js'

export { directUploadProblem, type Measured, NEAR_LIMIT_RATIO } from './sizes.js'
export { assertUnchanged, fingerprintTree } from './unchanged.js'
export { enforce, type Finding } from './findings.js'
export { type ImportResult, importFindings } from './smoke-test.js'
import { canRunTarget, smokeTest } from './smoke-test.js'

export interface StagedSite {
  runtime: Runtime
  /** Relative to the layer root. */
  dir: string
  /** The interpreter of the runtime. */
  python: string
}

/** What the checks read of the inputs. */
export interface CheckSettings {
  runtimes: Runtime[]
  architectures: Architecture[]
  verify: boolean
  smokeTest: 'auto' | 'true' | 'false'
  publish: boolean
  /** The zip is uploaded through S3, so the direct-upload limit does not apply. */
  s3?: unknown
  /** lambda-smoke-test-role is set: the layer is import-tested on Lambda after publishing. */
  lambdaSmokeTest?: unknown
}

/** The result of the import smoke test: its findings, or why it did not run. */
export type SmokeOutcome =
  | {
      findings: Finding[]
      /** Architectures of a layer with machine code that this runner cannot import-test. */
      untested: Architecture[]
    }
  | { skipped: string }

/**
 * Verifies the binaries and the unzipped size (input `verify`); returns
 * what the zip's size check needs. `levers`: what was measured of the
 * ways to make the layer smaller (what `strip: true` would save), for the
 * size messages.
 */
export async function verifyStaged(
  settings: CheckSettings,
  root: string,
  sites: readonly StagedSite[],
  scan: LayerScan,
  report: RunReport,
  levers: Pick<Measured, 'strip'> = {}
): Promise<Measured> {
  const measured: Measured = {
    unzippedBytes: scan.unzippedBytes,
    packages: [],
    bytecodeBytes: bytecodeBytes(scan),
    ...levers
  }
  if (!settings.verify) return measured
  await report.phase(
    'Verify',
    async () => {
      const verified = await verifyLayer({
        root,
        targets: sites.map(s => ({ runtime: s.runtime, dir: s.dir })),
        architectures: settings.architectures,
        scan
      })
      measured.packages = verified.packages
      const findings = sortFindings([...verified.findings, ...unzippedSizeFindings(measured)])
      report.summary.findings.push(...findings)
      enforce(findings, 'Verification')
      core.info(
        `Checked ${verified.files} files (${formatBytes(verified.unzippedBytes)}): every binary fits ${settings.runtimes.join(', ')} on ${settings.architectures.join(', ')}.`
      )
    },
    'Verify the layer'
  )
  return measured
}

/**
 * Starts the import smoke test in the background (input `smoke-test`);
 * undefined when it is off. It only reads the tree (`python -B`), so other
 * work may run alongside it; its log waits for finishSmokeTest.
 */
export function startSmokeTest(
  settings: CheckSettings,
  root: string,
  sites: readonly StagedSite[],
  scan: LayerScan,
  report: RunReport
): Promise<SmokeOutcome> | undefined {
  if (settings.smokeTest === 'false') return undefined
  return report.background(async () =>
    report.phase('Smoke test', async () => runSmokeTest(settings, root, sites, scan))
  )
}

/** Logs the smoke test's outcome and fails on what proves the layer broken. */
export async function finishSmokeTest(
  settings: CheckSettings,
  smoked: PromiseSettledResult<SmokeOutcome | undefined>,
  report: RunReport
): Promise<void> {
  if (smoked.status === 'rejected') throw smoked.reason
  const outcome = smoked.value
  if (!outcome) return
  await core.group('Import smoke test', async () => {
    const onLambda = settings.lambdaSmokeTest
      ? ' The import test on Lambda (`lambda-smoke-test-role`) runs after publishing.'
      : ' Set `lambda-smoke-test-role` to import-test it on Lambda: that is the only import test it can get from this runner.'
    if ('skipped' in outcome) {
      if (settings.smokeTest === 'true')
        core.notice(`smoke-test skipped: ${outcome.skipped}${onLambda}`)
      else core.info(`Import smoke test skipped: ${outcome.skipped}${onLambda}`)
      return
    }
    if (outcome.untested.length > 0) {
      core.info(
        `The layer's machine code for ${outcome.untested.join(', ')} cannot run on this runner (${process.platform}/${process.arch}), so it was not import-tested here.${onLambda}`
      )
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

/** Imports every top-level module of each site, or says why the runner cannot. Logs nothing. */
async function runSmokeTest(
  settings: CheckSettings,
  root: string,
  sites: readonly StagedSite[],
  scan: LayerScan
): Promise<SmokeOutcome> {
  const machineCode = machineCodeFiles(scan).length > 0
  if (!smokeTestRuns(settings, machineCode)) {
    return {
      skipped: `this runner (${process.platform}/${process.arch}) cannot execute ${settings.architectures.join(', ')} Lambda code. Run the step on a Linux runner of the layer's architecture (e.g. ubuntu-24.04-arm for arm64) to import-test the layer.`
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
        strict: settings.smokeTest === 'true'
      }))
    )
  }
  const untested = machineCode ? settings.architectures.filter(a => !canRunTarget(a)) : []
  return { findings, untested }
}

/** The zip's size against the inline upload limit: an error when publishing, a warning otherwise. */
export function checkZipSize(
  settings: CheckSettings,
  zip: ZipResult,
  measured: Measured,
  report: RunReport
): void {
  if (!settings.verify) return
  const findings = zipSizeFindings({ ...measured, zipBytes: settings.s3 ? undefined : zip.bytes })
  report.summary.findings.push(...findings)
  if (settings.publish) enforce(findings, 'The size check')
  else for (const f of findings) core.warning(f.message)
}

/**
 * Whether the import smoke test runs for these inputs on this runner: where
 * the runner executes one of the layer's architectures, or, for a layer
 * without machine code, on any Linux runner (pure Python imports the same
 * on every CPU; its markers were evaluated for Linux).
 */
export function smokeTestRuns(
  settings: Pick<CheckSettings, 'smokeTest' | 'architectures'>,
  machineCode: boolean
): boolean {
  if (settings.smokeTest === 'false') return false
  return (
    settings.architectures.some(a => canRunTarget(a)) ||
    (!machineCode && process.platform === 'linux')
  )
}
