/**
 * Orchestrates the phases: inputs → preflight → cache → build (pip) → verify →
 * zip → publish → attach → outputs and job summary. Each phase lives in its
 * own module; this file only decides the order and reports.
 */
import * as core from '@actions/core'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  attachToFunctions,
  breakingMismatches,
  type FunctionPlan,
  planFunctions
} from './attach.js'
import { buildLayer, compiledFiles, findInterpreters, type Site } from './build.js'
import { cacheServiceAvailable, type Manifest, restoreLayer, saveLayer, ZIP_NAME } from './cache.js'
import {
  BUILD_FORMAT_VERSION,
  computeCacheKey,
  readRequirementsTree,
  relevantPipConfig
} from './cache-key.js'
import { compileBytecode } from './compile.js'
import { ActionError, errorMessage } from './errors.js'
import { run as runCommand } from './exec.js'
import { type Finding, formatBytes, sortFindings } from './findings.js'
import { getInputs, type Inputs } from './inputs.js'
import { normalizeName, pipEnv } from './install.js'
import { createLambdaClient } from './lambda-client.js'
import {
  checkLayerAccess,
  findReusableVersion,
  publishLayerVersion,
  type PublishedLayerVersion
} from './publish.js'
import type { Interpreter } from './python.js'
import { RUNTIMES, type Runtime } from './runtimes.js'
import { createS3Client, uploadZip } from './s3-upload.js'
import { canRunTarget, smokeTest } from './smoke-test.js'
import { type SummaryData, writeSummary } from './summary.js'
import { checkSizes, verifyLayer } from './verify.js'
import { zipDirectory } from './zip.js'

interface LayerZip {
  path: string
  bytes: number
  sha256: string
  unzippedBytes: number
  files: number
}

interface Phases {
  list: SummaryData['phases']
  time<T>(name: string, work: () => Promise<T>): Promise<T>
}

function phases(): Phases {
  const list: SummaryData['phases'] = []
  return {
    list,
    async time<T>(name: string, work: () => Promise<T>): Promise<T> {
      const start = Date.now()
      try {
        return await work()
      } finally {
        list.push({ name, seconds: (Date.now() - start) / 1000 })
      }
    }
  }
}

function workDirFor(inputs: Inputs): string {
  const base = path.resolve(process.env.RUNNER_TEMP || os.tmpdir())
  const safe = inputs.layerName.replace(/[^A-Za-z0-9_-]+/g, '_').slice(-60)
  return path.join(base, 'lambda-python-layer', safe)
}

function cacheDirFor(): string {
  return path.resolve(process.env.RUNNER_TEMP || os.tmpdir(), 'lambda-python-layer-cache')
}

function packageLines(sites: Manifest['sites']): string[] {
  const all = new Set<string>()
  for (const site of sites) for (const p of site.packages) all.add(`${p.name}==${p.version}`)
  return [...all].sort((a, b) => normalizeName(a).localeCompare(normalizeName(b), 'en'))
}

function warnDeprecated(runtimes: Runtime[], now = new Date()): void {
  const supported = (Object.keys(RUNTIMES) as Runtime[]).find(
    r => new Date(RUNTIMES[r].deprecated) > now
  )
  for (const runtime of runtimes) {
    const date = RUNTIMES[runtime].deprecated
    if (new Date(date) <= now) {
      core.warning(
        `${runtime} reached end of support on ${date}: AWS no longer patches it and will block creating and updating functions on it. Plan a move to ${supported ?? 'a supported runtime'} or later.`
      )
    }
  }
}

/** Size findings, with the one lever the action itself has when compile is on. */
function sizeFindings(findings: Finding[], compile: boolean): Finding[] {
  if (!compile) return findings
  return findings.map(f =>
    f.severity === 'error' && /too-large/.test(f.code)
      ? {
          ...f,
          message: `${f.message} The precompiled .pyc files (compile: true) take about a third of the layer: \`compile: false\` makes it smaller.`
        }
      : f
  )
}

function failOnErrors(findings: Finding[], what: string): void {
  const errors = findings.filter(f => f.severity === 'error')
  for (const f of findings.filter(x => x.severity === 'warning')) core.warning(f.message)
  if (errors.length > 0) {
    throw new ActionError(
      `${what} found ${errors.length} problem${errors.length > 1 ? 's' : ''}; the layer was not published:\n${errors.map(e => `- ${e.message}`).join('\n')}`
    )
  }
}

async function cacheKeyFor(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>
): Promise<string> {
  const tree = readRequirementsTree(inputs.requirements, inputs.workspace)
  const configs = new Set<string>()
  for (const interpreter of new Set([...interpreters.values()].map(i => i.path))) {
    const listed = await runCommand(interpreter, ['-m', 'pip', 'config', 'list'], {
      env: pipEnv(),
      silent: true
    })
    for (const line of relevantPipConfig(listed.stdout)) configs.add(line)
  }
  return computeCacheKey({
    ...tree,
    runtimes: inputs.runtimes,
    architectures: inputs.architectures,
    interpreters: Object.fromEntries([...interpreters].map(([r, i]) => [r, i.version])),
    pipArgs: inputs.pipArgs,
    pipConfig: [...configs].sort(),
    compile: inputs.compile,
    os: process.platform === 'linux' ? 'Linux' : process.platform,
    formatVersion: BUILD_FORMAT_VERSION
  })
}

/** Builds, checks and zips the layer (the cache miss path). */
async function build(
  inputs: Inputs,
  interpreters: Map<Runtime, Interpreter>,
  workDir: string,
  zipPath: string,
  timer: Phases,
  summary: SummaryData
): Promise<{ zip: LayerZip; sites: Site[]; machineCode: boolean }> {
  const built = await timer.time('Install (pip)', async () =>
    buildLayer({
      runtimes: inputs.runtimes,
      architectures: inputs.architectures,
      requirements: inputs.requirements,
      pipArgs: inputs.pipArgs,
      workDir,
      cwd: inputs.workspace,
      interpreters
    })
  )
  if (built.sites.every(s => s.packages.length === 0)) {
    const what = `${path.basename(inputs.requirements)} installs no packages, so the layer would be empty`
    if (inputs.publish) throw new ActionError(`${what}; nothing was published. Check the file.`)
    core.warning(`${what}.`)
  }
  const targets = built.sites.map(s => ({ runtime: s.runtime, dir: s.dir }))

  let packageSizes: Awaited<ReturnType<typeof verifyLayer>>['packages'] = []
  if (inputs.verify) {
    await timer.time('Verify', async () =>
      core.group('Verify the layer', async () => {
        const report = await verifyLayer({
          root: built.root,
          targets,
          architectures: inputs.architectures
        })
        packageSizes = report.packages
        const findings = sortFindings([
          ...report.findings,
          ...sizeFindings(
            checkSizes(report.unzippedBytes, undefined, report.packages),
            inputs.compile
          )
        ])
        summary.findings.push(...findings)
        failOnErrors(findings, 'Verification')
        core.info(
          `Checked ${report.files} files (${formatBytes(report.unzippedBytes)}): every binary fits ${inputs.runtimes.join(', ')} on ${inputs.architectures.join(', ')}.`
        )
      })
    )
  }

  if (inputs.smokeTest) {
    await timer.time('Smoke test', async () =>
      core.group('Import smoke test', async () => {
        const runnable = inputs.architectures.find(a => canRunTarget(a))
        if (!runnable) {
          core.notice(
            `smoke-test skipped: this runner (${process.platform}/${process.arch}) cannot execute ${inputs.architectures.join(', ')} Lambda code. Run the step on a Linux runner of the layer's architecture (e.g. ubuntu-24.04-arm for arm64) to import-test the layer.`
          )
          return
        }
        const findings: Finding[] = []
        for (const site of built.sites) {
          findings.push(
            ...(await smokeTest({
              python: site.interpreter.path,
              siteDir: path.join(built.root, site.dir),
              runtime: site.runtime
            }))
          )
        }
        summary.findings.push(...findings)
        failOnErrors(findings, 'The import smoke test')
        core.info('Every top-level module of the layer imports in a clean interpreter.')
      })
    )
  }

  if (inputs.compile) {
    await timer.time('Compile bytecode', async () =>
      core.group('Compile bytecode', async () => {
        for (const site of built.sites) {
          await compileBytecode({
            python: site.interpreter.path,
            dirs: [path.join(built.root, site.dir)],
            layerRoot: built.root
          })
        }
      })
    )
  }

  const zip = await timer.time('Zip', async () =>
    core.group('Zip', async () => zipDirectory(built.root, zipPath))
  )
  if (inputs.verify) {
    const findings = sizeFindings(
      checkSizes(zip.unzippedBytes, inputs.s3 ? undefined : zip.bytes, packageSizes).filter(
        f => f.code === 'zip-too-large' || f.code === 'unzipped-too-large'
      ),
      inputs.compile
    )
    summary.findings.push(...findings)
    if (inputs.publish) failOnErrors(findings, 'The size check')
    else for (const f of findings) core.warning(f.message)
  }
  return { zip, sites: built.sites, machineCode: compiledFiles(built.root).length > 0 }
}

async function publishAndAttach(
  inputs: Inputs & { region: string },
  client: LambdaClient,
  zip: LayerZip,
  plans: FunctionPlan[],
  timer: Phases,
  summary: SummaryData
): Promise<void> {
  const query = {
    layerName: inputs.layerName,
    codeSha256: zip.sha256,
    runtimes: inputs.runtimes,
    architectures: inputs.architectures
  }
  let version: PublishedLayerVersion | undefined
  let published = false
  await timer.time('Publish', async () => {
    if (inputs.reuseUnchanged) version = await findReusableVersion(client, query)
    if (!version) {
      const content = inputs.s3
        ? {
            s3Bucket: inputs.s3.bucket,
            s3Key: await uploadZip(
              createS3Client(inputs.region),
              inputs.s3,
              inputs.layerName,
              zip.path
            ),
            bytes: zip.bytes
          }
        : { zip: fs.readFileSync(zip.path) }
      version = await publishLayerVersion(client, {
        layerName: inputs.layerName,
        content,
        runtimes: inputs.runtimes,
        architectures: inputs.architectures,
        description: inputs.description,
        licenseInfo: inputs.licenseInfo
      })
      published = true
    }
  })
  if (!version) throw new Error('no layer version')
  core.setOutput('layer-arn', version.layerArn)
  core.setOutput('layer-version-arn', version.layerVersionArn)
  core.setOutput('layer-version', String(version.version))
  core.setOutput('published', String(published))
  summary.publish = { layerVersionArn: version.layerVersionArn, published }

  if (plans.length === 0) {
    core.setOutput('updated-functions', '[]')
    return
  }
  const layerVersionArn = version.layerVersionArn
  const results = await timer.time('Attach', async () =>
    core.group(`Attach to ${plans.length} function(s)`, async () =>
      attachToFunctions(client, plans, layerVersionArn)
    )
  )
  const updated = results.filter(r => r.status === 'updated').map(r => r.functionArn)
  core.setOutput('updated-functions', JSON.stringify(updated))
  for (const r of results) {
    summary.functions.push({
      function: r.functionArn,
      before: r.previousVersionArn,
      after: r.status === 'failed' ? r.previousVersionArn : layerVersionArn,
      status: r.status === 'failed' ? `failed: ${r.error ?? ''}` : r.status
    })
  }
  const failed = results.filter(r => r.status === 'failed')
  if (failed.length > 0) {
    const ok = results.filter(r => r.status !== 'failed')
    throw new ActionError(
      `${failed.length} of ${results.length} function(s) could not be updated to ${layerVersionArn}:\n${failed.map(f => `- ${f.error ?? f.functionArn}`).join('\n')}${ok.length ? `\nDone: ${ok.map(r => `${r.functionArn} (${r.status})`).join(', ')}` : ''}`
    )
  }
}

/** Reads what the layer and the functions need before anything is built or published. */
async function preflight(
  inputs: Inputs,
  timer: Phases
): Promise<{ client?: LambdaClient; plans: FunctionPlan[] }> {
  const region = inputs.region
  if (!inputs.publish || !region) return { plans: [] }
  const client = createLambdaClient(region)
  await timer.time('Preflight (layer)', async () => checkLayerAccess(client, inputs.layerName))
  if (inputs.functions.length === 0) return { client, plans: [] }
  const plans = await timer.time('Preflight (functions)', async () =>
    core.group(`Preflight: read ${inputs.functions.length} function(s)`, async () =>
      planFunctions(client, {
        functions: inputs.functions,
        layerName: inputs.layerName,
        runtimes: inputs.runtimes,
        architectures: inputs.architectures,
        region
      })
    )
  )
  for (const plan of plans) for (const w of plan.warnings) core.warning(w)
  return { client, plans }
}

/** The zip from the cache when an entry fits, else built (and then saved to the cache). */
async function cachedOrBuilt(
  inputs: Inputs,
  workDir: string,
  timer: Phases,
  summary: SummaryData
): Promise<{ zip: LayerZip; sites: Manifest['sites']; machineCode: boolean }> {
  const zipPath = path.join(workDir, `${path.basename(workDir)}.zip`)
  const interpreters = await timer.time('Find interpreters', async () =>
    findInterpreters(inputs.runtimes, inputs.pythonVersion)
  )

  let key: string | undefined
  const cacheDir = cacheDirFor()
  if (!inputs.cache) {
    summary.cache = 'disabled (cache: false)'
  } else if (!cacheServiceAvailable()) {
    summary.cache = 'unavailable (no GitHub cache service)'
    core.info(
      'No GitHub Actions cache service here (not running on GitHub): building without cache.'
    )
  } else {
    const cacheKey = await cacheKeyFor(inputs, interpreters)
    key = cacheKey
    let manifest = await timer.time('Cache restore', async () => restoreLayer(cacheDir, cacheKey))
    if (manifest && inputs.verify && !manifest.verified) {
      core.info('The cached zip was built without verify; rebuilding to verify it.')
      manifest = undefined
    } else if (manifest && inputs.smokeTest && !manifest.smokeTested) {
      core.info('The cached zip was not import-tested; rebuilding to run the smoke test.')
      manifest = undefined
    }
    if (manifest) {
      summary.cache = `hit (${cacheKey})`
      fs.copyFileSync(path.join(cacheDir, ZIP_NAME), zipPath)
      core.setOutput('cache-hit', 'true')
      return {
        zip: { ...manifest, path: zipPath },
        sites: manifest.sites,
        machineCode: manifest.machineCode
      }
    }
    summary.cache = `miss (${cacheKey}); saved after the build`
  }

  const built = await build(inputs, interpreters, workDir, zipPath, timer, summary)
  const zip = built.zip
  const sites = built.sites.map(s => ({
    runtime: s.runtime,
    dir: s.dir,
    python: s.interpreter.version,
    packages: s.packages
  }))
  if (key) {
    const saveKey = key
    const saved = await timer.time('Cache save', async () =>
      saveLayer(cacheDir, saveKey, zip.path, {
        formatVersion: BUILD_FORMAT_VERSION,
        key: saveKey,
        sha256: zip.sha256,
        bytes: zip.bytes,
        unzippedBytes: zip.unzippedBytes,
        files: zip.files,
        sites,
        verified: inputs.verify,
        smokeTested: inputs.smokeTest,
        compiled: inputs.compile,
        machineCode: built.machineCode
      })
    )
    if (!saved) summary.cache = `miss (${saveKey}); not saved`
  }
  return { zip, sites, machineCode: built.machineCode }
}

export async function run(): Promise<void> {
  const timer = phases()
  const summary: SummaryData = {
    layerName: core.getInput('layer-name'),
    runtimes: [],
    architectures: [],
    publishDisabled: false,
    cache: 'not used',
    packages: [],
    functions: [],
    findings: [],
    phases: timer.list
  }
  try {
    const inputs = getInputs()
    summary.runtimes = inputs.runtimes
    summary.architectures = inputs.architectures
    summary.publishDisabled = !inputs.publish
    core.setOutput('cache-hit', 'false')
    warnDeprecated(inputs.runtimes)

    const workDir = workDirFor(inputs)
    fs.rmSync(workDir, { recursive: true, force: true })
    fs.mkdirSync(workDir, { recursive: true })

    const { client, plans } = await preflight(inputs, timer)
    const { zip, sites, machineCode } = await cachedOrBuilt(inputs, workDir, timer, summary)

    core.info(
      `Layer zip: ${zip.path}, ${zip.bytes} bytes (${zip.unzippedBytes} unzipped, ${zip.files} files), CodeSha256 ${zip.sha256}`
    )
    summary.zip = zip
    summary.packages = sites.map(s => ({
      runtime: s.runtime,
      packages: s.packages.map(p => `${p.name}==${p.version}`)
    }))
    core.setOutput('zip-path', zip.path)
    core.setOutput('code-sha256', zip.sha256)
    core.setOutput('code-size', String(zip.bytes))
    core.setOutput('unzipped-size', String(zip.unzippedBytes))
    core.setOutput('packages', JSON.stringify(packageLines(sites)))

    if (!client || !inputs.region) {
      core.setOutput('published', 'false')
      core.setOutput('updated-functions', '[]')
      core.info('publish is false: the zip is built and nothing was sent to AWS.')
      return
    }
    const breaking = breakingMismatches(plans, {
      runtimes: inputs.runtimes,
      architectures: inputs.architectures,
      compiled: machineCode,
      perVersion: sites.length > 1
    })
    if (breaking.length > 0) {
      throw new ActionError(
        `The layer would break ${breaking.length === 1 ? 'a function' : `${breaking.length} functions`}; nothing was published or changed:\n${breaking.map(b => `- ${b}`).join('\n')}`
      )
    }
    await publishAndAttach({ ...inputs, region: inputs.region }, client, zip, plans, timer, summary)
  } catch (error) {
    const message = errorMessage(error)
    summary.error = message
    core.setFailed(message)
  } finally {
    try {
      await writeSummary(summary)
    } catch (error) {
      core.warning(`Could not write the job summary: ${errorMessage(error)}`)
    }
  }
}
