/**
 * Installs the requirements for one Lambda target (Python version, OS,
 * architecture) with pip's target-driven options, so that pip picks only
 * wheels that run on Lambda, not on the machine it runs on.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import { nameFromDistInfoFolder, parseMetadata } from './dist-info.js'
import { ActionError } from './errors.js'
import { run, type RunResult } from './exec.js'
import type { Interpreter } from './python.js'
import {
  ARCHITECTURES,
  type Architecture,
  glibcString,
  platformTags,
  type Runtime,
  RUNTIMES
} from './runtimes.js'

export interface Distribution {
  name: string
  version: string
}

export interface InstallOptions {
  interpreter: Interpreter
  runtime: Runtime
  architecture: Architecture
  requirements: string
  pipArgs: string[]
  /** The site folder to install into (created fresh). */
  targetDir: string
  /** Scratch folder for wheels built from source distributions. */
  workDir: string
  /** Where pip runs (the workspace): relative paths in requirements and pip-args resolve here, as pip does. */
  cwd: string
}

/** The pip arguments that select wheels for the Lambda target. */
export function targetArgs(runtime: Runtime, architecture: Architecture): string[] {
  const info = RUNTIMES[runtime]
  return [
    '--only-binary=:all:',
    '--implementation',
    'cp',
    '--python-version',
    info.python,
    '--abi',
    info.abi,
    ...platformTags(info.glibc, architecture).flatMap(tag => ['--platform', tag])
  ]
}

export function pipInstallArgs(options: {
  runtime: Runtime
  architecture: Architecture
  requirements: string
  targetDir: string
  pipArgs: string[]
  findLinks?: string
}): string[] {
  return [
    '-m',
    'pip',
    'install',
    '--target',
    options.targetDir,
    '--no-compile',
    '--disable-pip-version-check',
    // pip would check against the interpreter's own site-packages, not the layer.
    '--no-warn-conflicts',
    ...targetArgs(options.runtime, options.architecture),
    ...(options.findLinks ? ['--find-links', options.findLinks] : []),
    ...options.pipArgs,
    '-r',
    options.requirements
  ]
}

/** pip's environment: the user's, plus switches that keep it quiet and non-interactive. */
export function pipEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PIP_NO_INPUT: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_ROOT_USER_ACTION: 'ignore',
    PYTHONDONTWRITEBYTECODE: '1'
  }
}

/** PEP 503 normalized project name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** The requirement pip could not satisfy, from its output. */
export function unsatisfiedRequirement(output: string): string | undefined {
  const matches = [...output.matchAll(/No matching distribution found for (\S+)/g)]
  return matches.length ? matches[matches.length - 1][1] : undefined
}

/** pip lines that are progress, not the error. */
const PIP_NOISE =
  /━|^\s*(Collecting|Downloading|Using cached|Processing|Looking in|Obtaining|Requirement already|Saved |Installing build|Getting requirements|Preparing metadata|WARNING: Location )/

/**
 * What a user needs from a failed pip run: its error lines (stderr) and, for
 * a conflict, pip's explanation (which it prints to stdout); not its progress.
 */
export function pipErrorExcerpt(stdout: string, stderr: string, lines = 25): string {
  const keep = (text: string): string[] =>
    text.split(/\r?\n/).filter(l => l.trim() !== '' && !PIP_NOISE.test(l))
  const conflictAt = stdout.indexOf('The conflict is caused by:')
  const errors = keep(stderr.trim() ? stderr : conflictAt === -1 ? stdout : '')
  const explanation = conflictAt === -1 ? [] : keep(stdout.slice(conflictAt))
  return [...errors, ...explanation].slice(-lines).join('\n')
}

function requirementName(requirement: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(requirement)?.[0] ?? requirement
}

/** name==version of every distribution in a site folder, sorted by name. */
export function installedDistributions(siteDir: string): Distribution[] {
  let entries: string[] = []
  try {
    entries = fs.readdirSync(siteDir)
  } catch {
    return []
  }
  return entries
    .filter(entry => entry.endsWith('.dist-info'))
    .map(entry => {
      let metadata: { name?: string; version?: string } = {}
      try {
        metadata = parseMetadata(fs.readFileSync(path.join(siteDir, entry, 'METADATA'), 'utf8'))
      } catch {
        // fall back to the folder name
      }
      const fromFolder = nameFromDistInfoFolder(entry)
      return {
        name: metadata.name ?? fromFolder.name,
        version: metadata.version ?? fromFolder.version
      }
    })
    .sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name), 'en'))
}

function targetLabel(runtime: Runtime, architecture: Architecture): string {
  return `${runtime} / ${architecture} (${RUNTIMES[runtime].os}, glibc ${glibcString(runtime)})`
}

/**
 * A requirement with no wheel for the target: build it from its source
 * distribution with the runtime's interpreter. A pure-Python result is
 * Lambda-safe and goes to `wheelhouse`; anything compiled on the runner is
 * not, and fails with advice.
 */
async function buildFromSource(
  options: InstallOptions,
  requirement: string,
  wheelhouse: string
): Promise<void> {
  const { interpreter, runtime, architecture } = options
  const name = requirementName(requirement)
  const label = targetLabel(runtime, architecture)
  const scratch = fs.mkdtempSync(path.join(options.workDir, 'sdist-'))
  core.info(`No wheel of ${requirement} fits ${label}; trying its source distribution.`)
  const built = await run(
    interpreter.path,
    [
      '-m',
      'pip',
      'wheel',
      '--no-deps',
      '--no-binary',
      name,
      '--wheel-dir',
      scratch,
      ...options.pipArgs,
      requirement
    ],
    { env: pipEnv(), cwd: options.cwd }
  )
  if (built.exitCode !== 0) {
    const output = built.stdout + built.stderr
    if (unsatisfiedRequirement(output)) await explainMissing(options, requirement, 'no-sdist')
    throw new ActionError(
      `Package ${requirement} has no wheel for ${label}, and building it from its source distribution failed (pip's full output is in the log above):\n${pipErrorExcerpt(built.stdout, built.stderr, 15)}`
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
  if (tags[1] !== 'none' || tags[2] !== 'any') {
    throw new ActionError(
      `Package ${requirement} has no wheel for ${label}, and its source distribution compiles to machine code (${wheel}) on this runner, linked against the runner's libraries, not Lambda's. Use a distribution that ships manylinux wheels instead (for psycopg2, use psycopg2-binary or psycopg[binary]), pin a version that has wheels for ${architecture}, or build this package in an Amazon Linux container.`
    )
  }
  fs.mkdirSync(wheelhouse, { recursive: true })
  fs.copyFileSync(path.join(scratch, wheel), path.join(wheelhouse, wheel))
  core.info(`Built pure-Python ${wheel} from source: it runs on any platform.`)
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
    ...indexArgs(options.pipArgs),
    requirement
  ])
  return probe.exitCode === 0
}

/** pip options of a resolution that installs nothing. */
const DRY_RUN = ['install', '--dry-run', '--ignore-installed', '--no-deps', '--quiet']

/** A silent pip run that only asks the index something. */
async function pipProbe(options: InstallOptions, args: string[]): Promise<RunResult> {
  return await run(options.interpreter.path, ['-m', 'pip', ...args], {
    env: pipEnv(),
    cwd: options.cwd,
    silent: true
  })
}

/** The versions of a project on the configured indexes, newest first; undefined when it is not there. */
async function indexVersions(options: InstallOptions, name: string): Promise<string[] | undefined> {
  const probe = await pipProbe(options, ['index', 'versions', ...indexArgs(options.pipArgs), name])
  const available = /Available versions:\s*(.*)/.exec(probe.stdout)?.[1]?.trim()
  if (probe.exitCode !== 0 || !available) return undefined
  return available.split(',').map(v => v.trim())
}

/** The newest release of `name` that has a wheel for the target, if any (a dry run; nothing is written). */
async function newestFitting(options: InstallOptions, name: string): Promise<string | undefined> {
  const report = path.join(fs.mkdtempSync(path.join(options.workDir, 'probe-')), 'report.json')
  const probe = await pipProbe(options, [
    ...DRY_RUN,
    '--report',
    report,
    '--target',
    path.join(path.dirname(report), 'target'),
    ...targetArgs(options.runtime, options.architecture),
    ...indexArgs(options.pipArgs),
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
async function explainMissing(
  options: InstallOptions,
  requirement: string,
  reason: 'compiled' | 'no-sdist'
): Promise<never> {
  const { runtime, architecture } = options
  const name = requirementName(requirement)
  const label = targetLabel(runtime, architecture)
  const fitting = await newestFitting(options, name)
  const wheel = `an ${ARCHITECTURES[architecture].wheelArch} manylinux wheel for glibc ${glibcString(runtime)} or older and CPython ${RUNTIMES[runtime].python}`
  const advice = fitting
    ? ` The newest release that has one is ${name} ${fitting}: pin ${name}==${fitting}${RUNTIMES[runtime].glibc[1] < 34 ? ', or move to python3.12 or later (glibc 2.34) for newer releases' : ''}.`
    : RUNTIMES[runtime].glibc[1] < 34
      ? ' Newer releases often need glibc 2.28+: pin an older version that still ships manylinux2014 wheels, or move to python3.12 or later (glibc 2.34).'
      : ` No release has one: check the project's supported platforms.`
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
 * A requirement that no wheel for the target satisfies: fail at once when the
 * project or the pinned version is not on the index at all, or when it ships
 * compiled wheels for other platforms only; otherwise build it from its source
 * distribution (pure-Python results only).
 */
async function resolveMissing(
  options: InstallOptions,
  requirement: string,
  wheelhouse: string
): Promise<void> {
  const name = requirementName(requirement)
  const versions = await indexVersions(options, name)
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
  await buildFromSource(options, requirement, wheelhouse)
}

/** The subset of pip-args that tells pip where packages live. */
function indexArgs(pipArgs: string[]): string[] {
  const withValue = [
    '-i',
    '--index-url',
    '--extra-index-url',
    '-f',
    '--find-links',
    '--trusted-host'
  ]
  const flags = ['--no-index', '--pre']
  const out: string[] = []
  for (let i = 0; i < pipArgs.length; i++) {
    const arg = pipArgs[i]
    const option = arg.split('=')[0]
    if (withValue.includes(option)) {
      out.push(arg)
      if (!arg.includes('=') && i + 1 < pipArgs.length) out.push(pipArgs[++i])
    } else if (flags.includes(arg)) {
      out.push(arg)
    }
  }
  return out
}

/** Installs the requirements into options.targetDir and returns what was installed. */
export async function installRequirements(options: InstallOptions): Promise<Distribution[]> {
  const { interpreter, runtime, architecture, targetDir } = options
  fs.rmSync(targetDir, { recursive: true, force: true })
  fs.mkdirSync(targetDir, { recursive: true })
  const wheelhouse = path.join(options.workDir, `wheelhouse-${runtime}-${architecture}`)
  const triedFromSource = new Set<string>()

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
    const missing = unsatisfiedRequirement(output)
    if (!missing) {
      const conflict = /ResolutionImpossible|conflicting dependencies/i.test(output)
      throw new ActionError(
        `pip could not install ${path.basename(options.requirements)} for ${targetLabel(runtime, architecture)}${conflict ? ': the requirements conflict with each other' : ''} (pip's full output is in the log above):\n${pipErrorExcerpt(result.stdout, result.stderr)}`
      )
    }
    const key = normalizeName(requirementName(missing))
    if (triedFromSource.has(key)) await explainMissing(options, missing, 'no-sdist')
    triedFromSource.add(key)
    await resolveMissing(options, missing, wheelhouse)
  }

  // Console scripts are useless in a layer (and point at the runner's interpreter).
  fs.rmSync(path.join(targetDir, 'bin'), { recursive: true, force: true })
  return installedDistributions(targetDir)
}
