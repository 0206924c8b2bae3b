/**
 * Orchestrates the phases: inputs → build (pip) → zip → publish → attach →
 * outputs and job summary. Each phase lives in its own module.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildLayer, type Site } from './build.js'
import { ActionError, errorMessage } from './errors.js'
import { getInputs, type Inputs } from './inputs.js'
import { zipDirectory, type ZipResult } from './zip.js'

function workDirFor(inputs: Inputs): string {
  const base = process.env.RUNNER_TEMP || os.tmpdir()
  const safe = inputs.layerName.replace(/[^A-Za-z0-9_-]+/g, '_').slice(-60)
  return path.join(base, 'lambda-python-layer', safe)
}

function packageList(sites: Site[]): string[] {
  const all = new Set<string>()
  for (const site of sites) for (const p of site.packages) all.add(`${p.name}==${p.version}`)
  return [...all].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en'))
}

export async function run(): Promise<void> {
  try {
    const inputs = getInputs()
    const workDir = workDirFor(inputs)
    fs.rmSync(workDir, { recursive: true, force: true })
    fs.mkdirSync(workDir, { recursive: true })
    core.setOutput('cache-hit', 'false')

    const built = await buildLayer({
      runtimes: inputs.runtimes,
      architectures: inputs.architectures,
      requirements: inputs.requirements,
      pipArgs: inputs.pipArgs,
      pythonVersion: inputs.pythonVersion,
      workDir
    })

    const zipPath = path.join(workDir, `${path.basename(workDir)}.zip`)
    const zip: ZipResult = await core.group(
      'Zip',
      async () => await zipDirectory(built.root, zipPath)
    )
    core.info(
      `Layer zip: ${zip.path}, ${zip.bytes} bytes (${zip.unzippedBytes} unzipped, ${zip.files} files), CodeSha256 ${zip.sha256}`
    )
    core.setOutput('zip-path', zip.path)
    core.setOutput('code-sha256', zip.sha256)
    core.setOutput('code-size', String(zip.bytes))
    core.setOutput('unzipped-size', String(zip.unzippedBytes))
    core.setOutput('packages', JSON.stringify(packageList(built.sites)))
    if (!inputs.publish) {
      core.setOutput('published', 'false')
      core.setOutput('updated-functions', '[]')
      core.info('publish is false: the zip is built and nothing is sent to AWS.')
    }
  } catch (error) {
    core.setFailed(error instanceof ActionError ? error.message : errorMessage(error))
  }
}
