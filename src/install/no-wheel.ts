/**
 * What to do about a requirement that no wheel for the target satisfies:
 * name a project or version that is not on the index at once, refuse to
 * compile a project that ships compiled wheels for other platforms (naming
 * the newest release that fits), and build the rest from source when the
 * result is pure Python.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import {
  type Architecture,
  ARCHITECTURES,
  canRunTarget,
  glibcString,
  RUNTIMES
} from '../runtimes.js'
import { compareVersions } from '../util/format.js'
import { run, type RunResult } from '../util/process.js'
import { AUDITWHEEL_VERSION, repairForTarget } from './auditwheel.js'
import { escapingArchiveLinks } from './sdist-links.js'
import type { InstallerEnv } from './installer-env.js'
import type { InstallOptions, SourceBuilds } from './options.js'
import { requirementName, targetArgs, targetLabel, unsatisfiedRequirement } from './pip.js'
import { normalizeName } from '../requirements/names.js'

/**
 * The compiler a build gets where none may run: a command that does not
 * exist, so that a source distribution needing one fails at once, without
 * compiling anything, and the failure can be recognised by its name.
 */
export const NO_COMPILER = 'no-compiler-for-this-target'

/** The environment that makes any compile fail at once, naming NO_COMPILER. */
const NO_COMPILER_ENV = {
  CC: NO_COMPILER,
  CXX: NO_COMPILER,
  LDSHARED: NO_COMPILER,
  FC: NO_COMPILER,
  CARGO: NO_COMPILER
}

/**
 * Whether a source build may compile for `architecture`: only with
 * `build-from-source: auto`, on a runner that executes the target.
 */
export function mayCompile(builds: SourceBuilds, architecture: Architecture): boolean {
  return builds === 'auto' && canRunTarget(architecture)
}

/** pip's environment for a source build: with the compiler, or one where any compile fails at once. */
export function buildEnv(env: InstallerEnv, compile: boolean): NodeJS.ProcessEnv {
  return compile ? env.pip() : { ...env.pip(), ...NO_COMPILER_ENV }
}

/** Where machine code for the target can be built, for a message. */
export function whereToCompile(builds: SourceBuilds, architecture: Architecture): string {
  return builds !== 'auto'
    ? `\`build-from-source: ${builds}\` builds pure-Python packages only. Set \`build-from-source: auto\` to compile it on the runner and repair it with auditwheel.`
    : `This runner (${process.platform}/${process.arch}) cannot build machine code for ${architecture} Lambda: run the job on a Linux runner of that CPU (${architecture === 'arm64' ? 'ubuntu-24.04-arm' : 'ubuntu-24.04'}), where the action compiles it and repairs it with auditwheel.`
}

/**
 * A requirement with no wheel for the target: build it from its source
 * distribution with the runtime's interpreter. A pure-Python result is
 * Lambda-safe and goes to `wheelhouse`. Compiling is allowed only with
 * `build-from-source: auto` on a runner that executes the target (Linux on
 * the layer's CPU), and its wheel goes in only once auditwheel has repaired
 * it for the runtime's manylinux policy; elsewhere no compiler runs at all.
 */
async function buildFromSource(
  options: InstallOptions,
  requirement: string,
  wheelhouse: string
): Promise<string> {
  const { interpreter, runtime, architecture } = options
  const name = requirementName(requirement)
  const label = targetLabel(runtime, architecture)
  const compile = mayCompile(options.buildFromSource, architecture)
  const scratch = fs.mkdtempSync(path.join(options.workDir, 'sdist-'))
  const sources = fs.mkdtempSync(path.join(options.workDir, 'sources-'))
  core.info(
    `No wheel of ${requirement} fits ${label}; building its source distribution (${compile ? 'compiling allowed, then repaired by auditwheel' : 'pure Python only: no compiler'}).`
  )
  const pipArgs = sourceBuildArgs(name, options.pipArgs, options.indexArgs)
  const env = buildEnv(options.env, compile)
  let built = await run(
    interpreter.path,
    ['-m', 'pip', 'download', ...pipArgs, '--dest', sources, requirement],
    {
      env: options.env.pip(),
      cwd: options.cwd,
      confine: { profile: 'install', writable: [sources] }
    }
  )
  if (built.exitCode === 0) {
    // Checked before it is built: the build would copy what its links point at.
    const archive = fs
      .readdirSync(sources)
      .find(f => normalizeName(f).startsWith(normalizeName(name)))
    const escaping = archive ? await escapingArchiveLinks(path.join(sources, archive)) : []
    if (archive && escaping.length > 0) {
      throw new ActionError(
        `Package ${requirement}: its source distribution ${archive} holds links to files outside it, which its build would copy into the layer: ${escaping.map(l => `${l.entry} → ${l.target}`).join(', ')}. Such an archive is never built; use a release with a wheel, or report it to the package's maintainers.`
      )
    }
    built = await run(
      interpreter.path,
      [
        '-m',
        'pip',
        'wheel',
        // The wheel cache could hand back a build made under other rules.
        '--no-cache-dir',
        ...pipArgs,
        '--wheel-dir',
        scratch,
        archive ? path.join(sources, archive) : requirement
      ],
      {
        env,
        cwd: options.cwd,
        confine: { profile: 'install', writable: [scratch], readable: [sources] }
      }
    )
  }
  if (built.exitCode !== 0) {
    const output = built.stdout + built.stderr
    if (unsatisfiedRequirement(output)) await explainMissing(options, requirement, 'no-sdist')
    if (output.includes(NO_COMPILER)) await needsCompiler(options, requirement)
    throw new ActionError(
      `Package ${requirement} has no wheel for ${label}, and building it from its source distribution failed (pip's full output is in the log above):\n${buildErrorLines(output).join('\n')}\n${(await fittingAdvice(options, requirement)).trim()}`
    )
  }
  const wheels = fs.readdirSync(scratch).filter(f => f.endsWith('.whl'))
  const wheel =
    wheels.find(f => normalizeName(f.split('-')[0]) === normalizeName(name)) ?? wheels[0]
  if (!wheel) {
    throw new ActionError(`Building ${requirement} from source produced no wheel.`)
  }
  const tags = wheel
    .replace(/\.whl$/, '')
    .split('-')
    .slice(-3)
  fs.mkdirSync(wheelhouse, { recursive: true })
  if (tags[1] === 'none' && tags[2] === 'any') {
    fs.copyFileSync(path.join(scratch, wheel), path.join(wheelhouse, wheel))
    core.info(`Built pure-Python ${wheel} from source: it runs on any platform.`)
    return 'pure Python, built from its source distribution'
  }
  if (!compile) {
    // Machine code without a compiler: prebuilt binaries inside the archive.
    throw new ActionError(
      `Package ${requirement} has no wheel for ${label}, and its source distribution gives machine code (${wheel}) built for this runner, not for Lambda. Use a distribution that ships manylinux wheels, or pin a version that has wheels for ${architecture}.`
    )
  }
  const repaired = await repairForTarget(options, path.join(scratch, wheel), requirement)
  const policy = repaired.policy
  fs.copyFileSync(repaired.wheel, path.join(wheelhouse, path.basename(repaired.wheel)))
  const vendored = repaired.vendored.length ? `, vendored ${repaired.vendored.join(', ')}` : ''
  core.info(
    `Built ${wheel} from source on the runner and repaired it for ${policy}: ${path.basename(repaired.wheel)}${vendored}.`
  )
  return `built from source on the runner (auditwheel ${AUDITWHEEL_VERSION}: ${policy}${vendored})`
}

/**
 * pip's options for the source build's `pip download` and `pip wheel` of one
 * requirement: pip-args, then the index options the install read in the
 * requirements files (`indexArgs` ends with them, a local `--find-links`
 * resolved against the file naming it), which a command line naming the
 * requirement alone would not see: a source distribution found only through
 * a `--find-links` line of requirements.txt is downloaded from there too.
 * An index option pip-args already holds, as written, is not repeated.
 */
export function sourceBuildArgs(
  name: string,
  pipArgs: readonly string[],
  indexArgs: readonly string[]
): string[] {
  const given = new Set(pipArgs.map((arg, i) => `${arg}\0${pipArgs[i + 1] ?? ''}`))
  const extra: string[] = []
  for (let i = 0; i < indexArgs.length; i++) {
    const option = indexArgs[i]
    if (option === '--no-index' || option === '--pre') {
      if (!pipArgs.includes(option)) extra.push(option)
      continue
    }
    const value = indexArgs[++i] ?? ''
    if (!given.has(`${option}\0${value}`) && !pipArgs.includes(`${option}=${value}`)) {
      extra.push(option, value)
    }
  }
  return ['--no-deps', '--no-binary', name, ...pipArgs, ...extra]
}

/** The lines of a failed build that say what failed, not pip's framing around them. */
export function buildErrorLines(output: string, max = 4): string[] {
  const lines = output
    .split(/\r?\n/)
    .filter(l => /error|exception|not found|no module named/i.test(l))
    .filter(
      l => !/note:|╰─>|This error originates|subprocess-exited-with-error|See above|^\s*×/.test(l)
    )
    .map(l => l.trim())
  return lines.length > 0 ? lines.slice(-max) : output.trim().split(/\r?\n/).slice(-max)
}

/**
 * A source distribution that needs a compiler where none may run: say why
 * (the runner cannot build for the target, or `build-from-source` forbids
 * it) and what to do, naming the first release with a fitting wheel.
 */
async function needsCompiler(options: InstallOptions, requirement: string): Promise<never> {
  const { runtime, architecture } = options
  const label = targetLabel(runtime, architecture)
  const pin = await fittingAdvice(options, requirement)
  throw new ActionError(
    `Package ${requirement} has no wheel for ${label}, and its source distribution needs a compiler. ${whereToCompile(options.buildFromSource, architecture)}${pin}`
  )
}

/**
 * Whether pip finds a binary wheel of the requirement for this runner's own
 * platform. When it does but none fits Lambda, the project ships compiled
 * wheels (for a newer glibc or another CPU): building it from source here
 * would only produce machine code for the runner, after minutes of compiling.
 */
async function hasHostWheel(options: InstallOptions, requirement: string): Promise<boolean> {
  const probe = await pipProbe(options, [
    ...DRY_RUN,
    '--only-binary=:all:',
    ...options.indexArgs,
    requirement
  ])
  return probe.exitCode === 0
}

/** pip options of a resolution that installs nothing. */
const DRY_RUN = ['install', '--dry-run', '--ignore-installed', '--no-deps', '--quiet']

/** A silent pip run that only asks the index something. */
async function pipProbe(options: InstallOptions, args: string[]): Promise<RunResult> {
  return await run(options.interpreter.path, ['-m', 'pip', ...args], {
    env: options.env.pip(),
    cwd: options.cwd,
    confine: { profile: 'install' },
    silent: true
  })
}

/** What the indexes say about a project. */
interface IndexAnswer {
  /** Its versions, newest first; undefined when no index has it. */
  versions?: string[]
  /** Indexes pip could not read, each with pip's reason (connection, TLS, an ignored http:// host). */
  unreachable: string[]
}

/**
 * pip's own account of indexes it could not read, from a `-vv` log: "Could
 * not fetch URL <url>: connection error: … - skipping", and the warning for
 * an http:// index it ignores. A 404 is an answer (the project is not
 * there), not an unreachable index. pip prints URLs with passwords redacted.
 */
export function unreachableIndexes(log: string): string[] {
  const found = new Set<string>()
  for (const m of log.matchAll(/^Could not fetch URL (\S+?):? (.*?)(?: - skipping)?$/gm)) {
    const [, url, reason] = m
    if (/^\d{3} /.test(reason) || /\b(404|Not Found)\b/.test(reason)) continue
    const cause = /Caused by \w+\(.*?: ([^'"()]+)['")]/.exec(reason)?.[1] ?? reason
    found.add(`${url} (${cause.trim().slice(0, 200)})`)
  }
  for (const m of log.matchAll(
    /The repository located at (\S+) is not a trusted or secure host and is being ignored/g
  )) {
    found.add(
      `http://${m[1]} (ignored by pip: not HTTPS; use https://, or add --trusted-host ${m[1]} to pip-args)`
    )
  }
  return [...found]
}

/** The versions of a project on the configured indexes, and the indexes pip could not read. */
async function indexVersions(options: InstallOptions, name: string): Promise<IndexAnswer> {
  const probe = await pipProbe(options, ['index', 'versions', '-vv', ...options.indexArgs, name])
  const unreachable = unreachableIndexes(probe.stdout + probe.stderr)
  const available = /Available versions:\s*(.*)/.exec(probe.stdout)?.[1]?.trim()
  if (probe.exitCode !== 0 || !available) return { unreachable }
  return { versions: available.split(',').map(v => v.trim()), unreachable }
}

/** The newest release of `name` (a project or a requirement) that has a wheel for the target, if any (a dry run; nothing is written). */
async function newestFitting(options: InstallOptions, name: string): Promise<string | undefined> {
  const report = path.join(fs.mkdtempSync(path.join(options.workDir, 'probe-')), 'report.json')
  const probe = await pipProbe(options, [
    ...DRY_RUN,
    '--report',
    report,
    '--target',
    path.join(path.dirname(report), 'target'),
    ...targetArgs(options.runtime, options.architecture),
    ...options.indexArgs,
    name
  ])
  if (probe.exitCode !== 0) return undefined
  try {
    const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      install?: Array<{ metadata?: { version?: string } }>
    }
    return parsed.install?.[0]?.metadata?.version
  } catch {
    return undefined
  }
}

/** "requests==99.0" → "99.0"; undefined for anything but one exact pin. */
function pinnedVersion(requirement: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?===?([^,;<>=!~\s]+)$/.exec(
    requirement.trim()
  )?.[1]
}

/**
 * Throws the right error for a requirement that no wheel for the target
 * satisfies: it ships compiled wheels for other platforms only (`compiled`),
 * or it has neither a fitting wheel nor a source distribution (`no-sdist`).
 * Names the newest release that does fit, when there is one.
 */
export async function explainMissing(
  options: InstallOptions,
  requirement: string,
  reason: 'compiled' | 'no-sdist'
): Promise<never> {
  const { runtime, architecture } = options
  const label = targetLabel(runtime, architecture)
  const wheel = `an ${ARCHITECTURES[architecture].wheelArch} manylinux wheel for glibc ${glibcString(runtime)} or older and CPython ${RUNTIMES[runtime].python}`
  const advice = await fittingAdvice(options, requirement)
  if (reason === 'compiled') {
    throw new ActionError(
      `Package ${requirement} has no wheel for ${label}: it ships compiled wheels, but no release matching it has ${wheel}. (This runner's platform has one, which would not load on Lambda; building it from source here would link it against the runner's libraries, so the action does not try.)${advice}`
    )
  }
  throw new ActionError(
    `Package ${requirement} has no wheel for ${label}: no release matching it has ${wheel}, and none has a source distribution.${advice}`
  )
}

/**
 * What to pin instead: for a pinned version, the first later release that
 * has a fitting wheel (pandas==2.0.3 → 2.1.1 on python3.12); otherwise the
 * newest release that has one.
 */
async function fittingAdvice(options: InstallOptions, requirement: string): Promise<string> {
  const { runtime } = options
  const name = requirementName(requirement)
  const pinned = pinnedVersion(requirement)
  const first = pinned ? await firstFittingAfter(options, name, pinned) : undefined
  if (first) {
    return ` The first release after ${pinned} that has one is ${name} ${first}: pin ${name}==${first} (or later).`
  }
  const fitting = await newestFitting(options, name)
  return fitting
    ? ` The newest release that has one is ${name} ${fitting}: pin ${name}==${fitting}${RUNTIMES[runtime].glibc[1] < 34 ? ', or move to python3.12 or later (glibc 2.34) for newer releases' : ''}.`
    : RUNTIMES[runtime].glibc[1] < 34
      ? ' Newer releases often need glibc 2.28+: pin an older version that still ships manylinux2014 wheels, or move to python3.12 or later (glibc 2.34).'
      : ` No release has one: check the project's supported platforms.`
}

/**
 * The first final release after `version` with a wheel for the target, by a
 * binary search over the index's releases (support for a Python version or a
 * platform, once added, stays in later releases).
 */
async function firstFittingAfter(
  options: InstallOptions,
  name: string,
  version: string
): Promise<string | undefined> {
  const { versions } = await indexVersions(options, name)
  const later = (versions ?? [])
    .filter(v => /^\d+(\.\d+)*(\.post\d+)?$/.test(v) && compareVersions(v, version) > 0)
    .sort(compareVersions)
  let low = 0
  let high = later.length - 1
  let found: string | undefined
  while (low <= high) {
    const mid = (low + high) >> 1
    if ((await newestFitting(options, `${name}==${later[mid]}`)) !== undefined) {
      found = later[mid]
      high = mid - 1
    } else {
      low = mid + 1
    }
  }
  return found
}

/**
 * A requirement that no wheel for the target satisfies: fail at once when the
 * project or the pinned version is not on the index at all, or when it ships
 * compiled wheels for other platforms only; otherwise build it from its source
 * distribution (pure-Python results only).
 */
export async function resolveMissing(
  options: InstallOptions,
  requirement: string,
  wheelhouse: string
): Promise<string> {
  const name = requirementName(requirement)
  const { versions, unreachable } = await indexVersions(options, name)
  if (!versions && unreachable.length > 0) {
    throw new ActionError(
      `Package ${requirement} could not be looked up: pip could not read the package index:\n${unreachable.map(u => `- ${u}`).join('\n')}\nNothing is known about ${name} itself. Check the index URL (in ${path.basename(options.requirements)}, \`pip-args\` or the pip configuration), the network, proxy settings (HTTPS_PROXY) and certificates.`
    )
  }
  if (!versions) {
    throw new ActionError(
      `Package ${requirement} was not found on the package index (pip: "No matching distribution found for ${requirement}"). Check its name in ${path.basename(options.requirements)}, and \`pip-args\` / pip configuration if it lives on a private index.`
    )
  }
  const pinned = pinnedVersion(requirement)
  if (pinned && !versions.includes(pinned)) {
    throw new ActionError(
      `Package ${name} has no version ${pinned} on the package index (newest: ${versions.slice(0, 3).join(', ')}). Check the pin ${requirement} in ${path.basename(options.requirements)} (or in the package that requires it).`
    )
  }
  if (await hasHostWheel(options, requirement))
    await explainMissing(options, requirement, 'compiled')
  if (options.buildFromSource === 'false') {
    const fitting = await newestFitting(options, name)
    throw new ActionError(
      `Package ${requirement} has no wheel for ${targetLabel(options.runtime, options.architecture)}, only a source distribution, and \`build-from-source: false\` builds none. Set \`build-from-source: pure\` (or \`auto\`) to build it${fitting ? `, or pin ${name}==${fitting}, the newest release with a fitting wheel` : ''}.`
    )
  }
  return await buildFromSource(options, requirement, wheelhouse)
}

/**
 * Among the dependencies named in a conflict pip reports, the first with no
 * wheel for the target at all: under the platform restriction, pip reports a
 * dependency that only has a source distribution as a conflict of every
 * version of the package that needs it (feedparser → sgmllib3k).
 */
export async function firstWithoutTargetWheel(
  options: InstallOptions,
  requirements: readonly string[]
): Promise<string | undefined> {
  for (const requirement of requirements) {
    const probe = await pipProbe(options, [
      ...DRY_RUN,
      ...targetArgs(options.runtime, options.architecture),
      '--target',
      fs.mkdtempSync(path.join(options.workDir, 'probe-')),
      ...options.indexArgs,
      requirement
    ])
    // Only pip's own "no distribution" counts: any other failure proves nothing.
    if (probe.exitCode !== 0 && unsatisfiedRequirement(probe.stdout + probe.stderr)) {
      return requirement
    }
  }
  return undefined
}
