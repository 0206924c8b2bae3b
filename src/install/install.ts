/**
 * Installs the requirements for one Lambda target (Python version, OS,
 * architecture) with pip's target-driven options, so that pip picks only
 * wheels that run on Lambda, not on the machine it runs on.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError, errorMessage } from '../errors.js'
import { firstCsvField, type InstalledPackage, installedDistributions } from '../layer/dist-info.js'
import { RUNTIMES } from '../runtimes.js'
import { logUntrusted, run } from '../util/process.js'
import type { InstallOptions, UvPlan } from './options.js'
import {
  releaseDifferences,
  uvInstall,
  uvResolve,
  uvTarget,
  uvTargetAbove,
  type UvTool
} from './uv.js'
import {
  archiveHashes,
  installIncrementally,
  pipHasReport,
  readPipReport,
  singleHashes
} from './incremental.js'
import { explainMissing, firstWithoutTargetWheel, resolveMissing } from './no-wheel.js'
import {
  conflictDependencies,
  hashMismatches,
  pipErrorExcerpt,
  pipInstallArgs,
  requirementName,
  targetLabel,
  unsatisfiedRequirement
} from './pip.js'
import { normalizeName } from '../requirements/names.js'

/** Installs the requirements into options.targetDir and returns what was installed. */
export async function installRequirements(options: InstallOptions): Promise<InstalledPackage[]> {
  if (options.uv && (await installWithUv(options, options.uv))) {
    // uv reports no files: a lock's pins name them where they allow one.
    const hashes = options.uv.locked
      ? singleHashes(fs.readFileSync(options.requirements, 'utf8'))
      : new Map<string, string>()
    return await finishInstall(options.targetDir, new Map(), hashes)
  }
  const { interpreter, runtime, architecture, targetDir } = options
  const withReport = options.pipVersion !== undefined && pipHasReport(options.pipVersion)
  const report = path.join(options.workDir, `pip-report-${runtime}-${architecture}.json`)
  if (withReport && options.earlier) {
    const resolution = await installIncrementally(options, options.earlier, report)
    if (resolution) {
      options.onResolved?.(resolution)
      const hashes = new Map(resolution.dists.map(d => [d.name, d.sha256]))
      return await finishInstall(targetDir, new Map(), hashes)
    }
  }
  fs.rmSync(targetDir, { recursive: true, force: true })
  fs.mkdirSync(targetDir, { recursive: true })
  const wheelhouse = path.join(options.workDir, `wheelhouse-${runtime}-${architecture}`)
  const triedFromSource = new Set<string>()
  /** Packages built from their source distribution (normalized name → how). */
  const built = new Map<string, string>()
  let hashes = new Map<string, string>()

  for (;;) {
    const args = pipInstallArgs({
      runtime,
      architecture,
      requirements: options.requirements,
      targetDir,
      pipArgs: options.pipArgs,
      findLinks: fs.existsSync(wheelhouse) ? wheelhouse : undefined
    })
    // What pip installed, kept for the next build's incremental install.
    if (withReport) args.push('--report', report)
    const result = await run(interpreter.path, args, {
      env: options.env.pip(),
      cwd: options.cwd,
      confine: { profile: 'install', writable: [targetDir] }
    })
    if (result.exitCode === 0) {
      // Not after a source build: its wheel lives in this run's scratch folder,
      // so the next build's resolution could not find it and would be wasted.
      const resolution = withReport && built.size === 0 ? readPipReport(report) : undefined
      if (resolution) options.onResolved?.(resolution)
      if (withReport) hashes = archiveHashes(report)
      break
    }

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

  return await finishInstall(targetDir, built, hashes)
}

/**
 * What every install leaves behind that a layer must not carry; the packages
 * installed, with how those built from source were built and the SHA-256 of
 * the file each came from (normalized name → hex) where it is known. A
 * package built from source is installed from a wheel built here: the hash
 * of that wheel is no origin, so it has none.
 */
async function finishInstall(
  targetDir: string,
  built: ReadonlyMap<string, string>,
  hashes: ReadonlyMap<string, string>
): Promise<InstalledPackage[]> {
  // Console scripts are useless in a layer (and point at the runner's interpreter).
  fs.rmSync(path.join(targetDir, 'bin'), { recursive: true, force: true })
  dropInstallerRecords(targetDir)
  const installed = await installedDistributions(targetDir)
  return installed.map(p => {
    const how = built.get(normalizeName(p.name))
    if (how) return { ...p, builtFromSource: how }
    const sha256 = hashes.get(normalizeName(p.name))
    return sha256 ? { ...p, sha256 } : p
  })
}

/**
 * Installs the target with uv; true when it did. uv's failure is logged and
 * pip installs the target instead, with its own diagnostics and source
 * builds.
 *
 * Where uv's manylinux target is below the runtime's glibc (manylinux_2_17
 * for glibc 2.26) and the versions are not fixed by a lock, uv resolves once
 * more, without installing, at its next target above the glibc
 * (manylinux_2_28), alongside the install. Wheels for glibc ≤ 2.17 are a
 * subset of those for ≤ 2.26, themselves a subset of those for ≤ 2.28: when
 * uv picks the same releases at both ends, a resolution at the runtime's own
 * glibc (pip's) has nothing newer to pick; a release with only a
 * manylinux_2_24/2_26 wheel is seen at 2_28 and makes the two differ. Then,
 * or when the check fails, pip installs the target.
 */
async function installWithUv(options: InstallOptions, plan: UvPlan): Promise<boolean> {
  const { runtime, architecture } = options
  const target = uvTarget(runtime, architecture)
  const pinned = plan.locked
  const glibc = RUNTIMES[runtime].glibc.join('.')
  const manylinux = (t: { glibc: string }): string => `manylinux_${t.glibc.replace('.', '_')}`
  const fallBack = (why: string): false => {
    plan.fellBack.push(`${runtime} / ${architecture}`)
    const text = `${why}; pip installs ${targetLabel(runtime, architecture)} instead.`
    if (plan.explicit) core.warning(text)
    // uv's words may quote what an index or a package said: never as commands.
    else logUntrusted(text)
    return false
  }
  let tool: UvTool
  try {
    tool = await plan.tool(options.env)
  } catch (error) {
    // installer: uv says uv or nothing; auto takes pip.
    if (plan.explicit) throw error
    return fallBack(`uv is not available: ${errorMessage(error).replace(/\.$/, '')}`)
  }
  core.info(
    `${tool.label} installs ${targetLabel(runtime, architecture)} with --python-platform ${target.platform}${target.exact ? '' : ` (uv has no manylinux target for glibc ${glibc}; ${manylinux(target)} is the highest it has below it)`}`
  )
  const request = {
    uv: tool,
    python: options.interpreter.path,
    runtime,
    architecture,
    requirements: options.requirements,
    cwd: options.cwd,
    options: plan.options,
    noDeps: pinned,
    env: options.env
  }
  const above = target.exact || pinned ? undefined : uvTargetAbove(runtime, architecture)
  const [result, check] = await Promise.all([
    uvInstall({ ...request, targetDir: options.targetDir }),
    above &&
      uvResolve(
        {
          ...request,
          targetDir: path.join(options.workDir, `uv-check-${runtime}-${architecture}`)
        },
        above.platform
      )
  ])
  // pip would fill the same disk: the caller decides (a build in memory moves to disk).
  if (!result.ok && /No space left on device/.test(result.excerpt)) {
    throw new ActionError(
      `uv could not install ${path.basename(options.requirements)} for ${targetLabel(runtime, architecture)}: no space left on device:\n${result.excerpt}\nThe folder the layer is staged in (${options.targetDir}) is on a full disk: free space on the runner, or make the layer smaller (fewer packages, \`exclude\`).`
    )
  }
  if (!result.ok)
    return fallBack(
      `uv could not install ${path.basename(options.requirements)}:\n${result.excerpt}\n`
    )
  if (target.exact || pinned) return true
  if (!above || !check)
    return fallBack(`uv has no manylinux target above glibc ${glibc} to check its choice at`)
  if (!check.ok)
    return fallBack(`uv could not check its choice at ${manylinux(above)}:\n${check.excerpt}\n`)
  const installed = await installedDistributions(options.targetDir)
  const differences = releaseDifferences(
    new Map(installed.map(p => [normalizeName(p.name), p.version])),
    check.packages
  ).map(
    d =>
      `${d.name} ${d.installed ?? '(none)'} (${manylinux(target)}) / ${d.check ?? '(none)'} (${manylinux(above)})`
  )
  if (differences.length === 0) {
    core.info(
      `uv chooses the same ${installed.length} releases at ${manylinux(above)}: a resolution at the runtime's glibc ${glibc} has nothing newer to pick, so uv's install stands.`
    )
    return true
  }
  return fallBack(
    `uv, limited to ${manylinux(target)} wheels, chose other releases than uv at ${manylinux(above)}, which sees wheels that may fit the runtime's glibc ${glibc}, as pip does: ${differences.join(', ')}`
  )
}

/**
 * Records an installer leaves that mean nothing on Lambda and would make the
 * layer's bytes depend on the runner rather than on the packages:
 * - `direct_url.json` (PEP 610) of a package installed from a local path
 *   names the runner's checkout;
 * - uv's `uv_cache.json` holds the time the wheel was cached;
 * - RECORD rows of files the layer does not carry: the console scripts in
 *   `bin/` (`../../bin/normalizer,sha256=…`), whose hash covers a shebang
 *   naming the interpreter's absolute path, so that the tool cache's
 *   folder, the interpreter's patch version or the runner's work folder
 *   would change the layer.
 * RECORD is replaced, not edited in place.
 */
function dropInstallerRecords(siteDir: string): void {
  const root = path.resolve(siteDir)
  for (const entry of fs.readdirSync(siteDir)) {
    if (!entry.endsWith('.dist-info')) continue
    let dropped = false
    const file = path.join(siteDir, entry, 'direct_url.json')
    let origin: { url?: unknown } = {}
    try {
      origin = JSON.parse(fs.readFileSync(file, 'utf8')) as { url?: unknown }
    } catch {
      // no direct_url.json, or not JSON: left alone
    }
    if (typeof origin.url === 'string' && origin.url.startsWith('file:')) {
      fs.rmSync(file)
      dropped = true
    }
    if (fs.existsSync(path.join(siteDir, entry, 'uv_cache.json'))) {
      fs.rmSync(path.join(siteDir, entry, 'uv_cache.json'))
      dropped = true
    }
    const record = path.join(siteDir, entry, 'RECORD')
    if (!fs.existsSync(record)) continue
    const rows = fs.readFileSync(record, 'utf8').split('\n')
    // A row stays when its file is in the site folder, or is RECORD itself.
    const kept = rows.filter(row => {
      if (row.trim() === '') return true
      const name = firstCsvField(row)
      if (name === `${entry}/RECORD`) return true
      const full = path.resolve(root, name)
      return full.startsWith(`${root}${path.sep}`) && fs.existsSync(full)
    })
    if (!dropped && kept.length === rows.length) continue
    fs.rmSync(record)
    fs.writeFileSync(record, kept.join('\n'))
  }
}
