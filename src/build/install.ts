/**
 * Installs the requirements for one Lambda target (Python version, OS,
 * architecture) with pip's target-driven options, so that pip picks only
 * wheels that run on Lambda, not on the machine it runs on.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { type InstalledPackage, installedDistributions, normalizeName } from '../layer/dist-info.js'
import type { Architecture, Runtime } from '../runtimes.js'
import { run } from '../util/process.js'
import type { Interpreter } from './interpreters.js'
import { explainMissing, firstWithoutTargetWheel, resolveMissing } from './no-wheel.js'
import {
  conflictDependencies,
  hashMismatches,
  pipEnv,
  pipErrorExcerpt,
  pipInstallArgs,
  requirementName,
  targetLabel,
  unsatisfiedRequirement
} from './pip.js'

export interface InstallOptions {
  interpreter: Interpreter
  runtime: Runtime
  architecture: Architecture
  requirements: string
  pipArgs: string[]
  /** The part of pip-args that tells pip where packages live, for the action's own index queries. */
  indexArgs: string[]
  /** The site folder to install into (created fresh). */
  targetDir: string
  /** Scratch folder for wheels built from source distributions. */
  workDir: string
  /** Where pip runs (the workspace): relative paths in requirements and pip-args resolve here, as pip does. */
  cwd: string
  /** Which source distributions may be built (input build-from-source). */
  buildFromSource: SourceBuilds
  /** Every interpreter of the run: auditwheel runs on one of them. */
  interpreters: readonly Interpreter[]
}

/**
 * `build-from-source`: `false` never builds a source distribution; `pure`
 * builds those that give pure Python (no compiler ever runs); `auto` also
 * compiles, where the runner is Linux on the layer's CPU, and repairs the
 * wheel with auditwheel.
 */
export type SourceBuilds = 'false' | 'pure' | 'auto'

/** Installs the requirements into options.targetDir and returns what was installed. */
export async function installRequirements(options: InstallOptions): Promise<InstalledPackage[]> {
  const { interpreter, runtime, architecture, targetDir } = options
  fs.rmSync(targetDir, { recursive: true, force: true })
  fs.mkdirSync(targetDir, { recursive: true })
  const wheelhouse = path.join(options.workDir, `wheelhouse-${runtime}-${architecture}`)
  const triedFromSource = new Set<string>()
  /** Packages built from their source distribution (normalized name → how). */
  const built = new Map<string, string>()

  for (;;) {
    const args = pipInstallArgs({
      runtime,
      architecture,
      requirements: options.requirements,
      targetDir,
      pipArgs: options.pipArgs,
      findLinks: fs.existsSync(wheelhouse) ? wheelhouse : undefined
    })
    const result = await run(interpreter.path, args, {
      env: pipEnv(),
      cwd: options.cwd
    })
    if (result.exitCode === 0) break

    const output = result.stdout + result.stderr
    const mismatched = hashMismatches(output)
    if (mismatched.length > 0) {
      throw new ActionError(
        `A downloaded file does not match the hash the requirements allow; nothing was installed for ${targetLabel(runtime, architecture)}:\n${mismatched
          .map(
            m =>
              `- ${m.requirement}${m.origin ? ` (${m.origin})` : ''}: ${m.file} has sha256 ${m.got}; allowed: ${m.expected.join(' or ')}`
          )
          .join(
            '\n'
          )}\nIf you changed the version, update its hashes (pip hash, or pip-compile / uv pip compile with --generate-hashes). Otherwise the file is not the one that was locked: do not publish it.`
      )
    }
    let missing = unsatisfiedRequirement(output)
    const conflict = /ResolutionImpossible|conflicting dependencies/i.test(output)
    if (!missing && conflict) {
      // A dependency with no wheel for the target looks like a conflict to pip.
      const untried = conflictDependencies(output).filter(
        r => !triedFromSource.has(normalizeName(requirementName(r)))
      )
      missing = await firstWithoutTargetWheel(options, untried)
    }
    if (!missing) {
      throw new ActionError(
        `pip could not install ${path.basename(options.requirements)} for ${targetLabel(runtime, architecture)}${conflict ? ': the requirements conflict with each other' : ''} (pip's full output is in the log above):\n${pipErrorExcerpt(result.stdout, result.stderr)}`
      )
    }
    const key = normalizeName(requirementName(missing))
    if (triedFromSource.has(key)) await explainMissing(options, missing, 'no-sdist')
    triedFromSource.add(key)
    built.set(key, await resolveMissing(options, missing, wheelhouse))
  }

  // Console scripts are useless in a layer (and point at the runner's interpreter).
  fs.rmSync(path.join(targetDir, 'bin'), { recursive: true, force: true })
  dropLocalOrigins(targetDir)
  const installed = await installedDistributions(targetDir)
  return installed.map(p => {
    const how = built.get(normalizeName(p.name))
    return how ? { ...p, builtFromSource: how } : p
  })
}

/**
 * A package installed from a local path records that path of the runner in
 * `*.dist-info/direct_url.json` (PEP 610). It means nothing on Lambda and
 * tells anyone with the layer where the runner's checkout was: drop the file
 * (and its RECORD row), as for any package that did not come from a URL.
 */
function dropLocalOrigins(siteDir: string): void {
  for (const entry of fs.readdirSync(siteDir)) {
    if (!entry.endsWith('.dist-info')) continue
    const file = path.join(siteDir, entry, 'direct_url.json')
    let origin: { url?: unknown }
    try {
      origin = JSON.parse(fs.readFileSync(file, 'utf8')) as { url?: unknown }
    } catch {
      continue
    }
    if (typeof origin.url !== 'string' || !origin.url.startsWith('file:')) continue
    fs.rmSync(file)
    const record = path.join(siteDir, entry, 'RECORD')
    if (fs.existsSync(record)) {
      const rows = fs.readFileSync(record, 'utf8').split('\n')
      const kept = rows.filter(row => !row.startsWith(`${entry}/direct_url.json,`))
      fs.writeFileSync(record, kept.join('\n'))
    }
  }
}
