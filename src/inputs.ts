/**
 * Reads and validates every input in one place, before any work starts.
 * Each error names the input and the value, and says what is accepted.
 */
import * as core from '@actions/core'
import fs from 'node:fs'
import path from 'node:path'
import type { DeploySettings } from './aws/index.js'
import {
  type CodeArtifactRepository,
  descriptionMarker,
  type FunctionRef,
  parseCodeArtifact,
  parseFunctionName,
  parseKeepVersions,
  parseLayerName,
  parseS3Location,
  parseShareWith,
  parseSigningProfile,
  parseSsmParameter,
  type S3Location
} from './aws-inputs/index.js'
import {
  type InstallerChoice,
  type SourceBuilds,
  type StagingChoice,
  stripOnPath
} from './install/index.js'
import type { SandboxMode } from './sandbox/index.js'
import type { LockSource } from './requirements/lock.js'
import { readProjectInput } from './requirements/project.js'
import { checkPythonRange } from './requirements/python-range.js'
import { ActionError } from './errors.js'
import { credentialsIn } from './requirements/credentials.js'
import {
  filesNamed,
  indexArgs,
  parsePipOptions,
  requirementIndexArgs,
  splitArgs
} from './requirements/pip-args.js'
import { readRequirementsTree, type RequirementsTree } from './requirements/tree.js'
import {
  ARCHITECTURES,
  type Architecture,
  isArchitecture,
  isRuntime,
  LIMITS,
  type Runtime,
  RUNTIMES
} from './runtimes.js'
import { GlobError, parseGlob, type PathGlob } from './util/glob.js'

/** Every input, parsed; what the AWS phases read is DeploySettings (aws/index.ts). */
export interface Inputs extends DeploySettings {
  /** The workspace: where relative paths resolve and pip runs. */
  workspace: string
  /** The requirements file and everything it includes, read once. */
  requirements: RequirementsTree
  pythonVersion?: string
  /** pip-args, split like a shell would. */
  pipArgs: string[]
  /** The part of pip-args that tells pip where packages live. */
  indexArgs: string[]
  /** Local files pip-args names (-r, -c, --find-links), absolute: their content counts for the cache. */
  pipFiles: string[]
  /** The first of `regions`: where CodeArtifact is read, and what the single-region outputs describe. */
  region?: string
  cache: boolean
  verify: boolean
  /** smoke-test: `auto` where the runner executes the target, failures that prove the layer broken fatal; `true`: every failure fatal; `false`. */
  smokeTest: 'auto' | 'true' | 'false'
  compile: boolean
  /** strip: remove symbol tables and debug sections from the layer's ELF files (binutils' strip). */
  strip: boolean
  /** exclude: patterns of files to leave out, relative to each site folder, in the order given. */
  exclude: PathGlob[]
  /** Which source distributions may be built (build-from-source). */
  buildFromSource: SourceBuilds
  /** Set when `requirements` names a lock file (or a pyproject.toml with one beside it). */
  lock?: LockSource
  /** A CodeArtifact repository whose index pip and uv use (codeartifact). */
  codeartifact?: CodeArtifactRepository
  /** staging: where the layer is assembled: in memory (/dev/shm) where the runner has room, or on disk. */
  staging: StagingChoice
  /** installer: `auto` takes uv for a uv project or with uv on PATH, where it installs what pip would. */
  installer: InstallerChoice
  /** sandbox: isolate package code (auto: where the runner allows it; required: fail where it does not; off). */
  sandbox: SandboxMode
  /** build-timeout: how long one install or build program may run (seconds → ms). */
  buildTimeoutMs: number
}

/** Anything that reads an input by name (core.getInput, or a map in tests). */
export type InputReader = (name: string) => string

/** Splits a list input on spaces, commas and newlines. */
export function splitList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map(s => s.trim())
    .filter(Boolean)
}

export function parseBoolean(name: string, value: string): boolean {
  const v = value.trim()
  if (['true', 'True', 'TRUE'].includes(v)) return true
  if (['false', 'False', 'FALSE'].includes(v)) return false
  throw new ActionError(`Input \`${name}\` must be true or false, got "${value}".`)
}

function parsePipArgs(
  value: string,
  workspace: string
): Pick<Inputs, 'pipArgs' | 'indexArgs' | 'pipFiles'> {
  // pip's command line is echoed to the log: mask index credentials first.
  for (const secret of credentialsIn(value)) core.setSecret(secret)
  const pipArgs = splitArgs(value)
  const options = parsePipOptions(pipArgs)
  const files = new Set(filesNamed(options).map(file => path.resolve(workspace, file)))
  // Requirement and constraint files named here are read like the
  // requirements input: refused unless they are requirements files, and
  // every file they pull in counts for the cache.
  for (const named of filesNamed(options, ['--requirement', '--constraint'])) {
    const tree = readRequirementsTree(path.resolve(workspace, named), workspace, {
      fingerprints: false,
      input: 'pip-args'
    })
    for (const r of tree.requirements) {
      files.add(path.resolve(workspace, r.name))
      for (const line of r.lines) for (const secret of credentialsIn(line)) core.setSecret(secret)
    }
    for (const p of tree.localPaths) files.add(p.path)
  }
  return { pipArgs, indexArgs: indexArgs(options), pipFiles: [...files] }
}

/** One of `choices`, as written. */
function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  const v = value.trim()
  if (!(choices as readonly string[]).includes(v)) {
    throw new ActionError(`Input \`${name}\` must be one of ${choices.join(', ')}, got "${value}".`)
  }
  return v as T
}

/** A whole number of seconds within [min, max]. */
function parseSeconds(name: string, value: string, min: number, max: number): number {
  const v = value.trim()
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new ActionError(
      `Input \`${name}\` must be a whole number of seconds from ${min} to ${max}, got "${value}".`
    )
  }
  return n
}

function parseRuntimes(value: string): Runtime[] {
  const items = splitList(value)
  if (items.length === 0) {
    throw new ActionError(
      `Input \`runtimes\` is required: one or more of ${Object.keys(RUNTIMES).join(', ')}.`
    )
  }
  const runtimes: Runtime[] = []
  for (const item of items) {
    if (!isRuntime(item)) {
      throw new ActionError(
        `Input \`runtimes\` has an unknown runtime "${item}". Supported: ${Object.keys(RUNTIMES).join(', ')}.`
      )
    }
    if (!runtimes.includes(item)) runtimes.push(item)
  }
  if (runtimes.length > LIMITS.compatibleRuntimes) {
    throw new ActionError(
      `Input \`runtimes\` lists ${runtimes.length} runtimes; Lambda accepts at most ${LIMITS.compatibleRuntimes}.`
    )
  }
  return runtimes.sort((a, b) => minorOf(a) - minorOf(b))
}

function minorOf(runtime: Runtime): number {
  return Number(RUNTIMES[runtime].python.split('.')[1])
}

function parseArchitectures(value: string): Architecture[] {
  const items = splitList(value)
  if (items.length === 0) {
    throw new ActionError(
      `Input \`architectures\` is empty: use ${Object.keys(ARCHITECTURES).join(' and/or ')}.`
    )
  }
  const architectures: Architecture[] = []
  for (const item of items) {
    if (!isArchitecture(item)) {
      const hint =
        item === 'aarch64' || item === 'arm'
          ? ' Lambda calls it arm64.'
          : item === 'x64' || item === 'amd64' || item === 'x86-64'
            ? ' Lambda calls it x86_64.'
            : ''
      throw new ActionError(
        `Input \`architectures\` has an unknown architecture "${item}". Supported: x86_64, arm64.${hint}`
      )
    }
    if (!architectures.includes(item)) architectures.push(item)
  }
  return architectures
}

function parsePythonVersion(value: string, runtimes: Runtime[]): string | undefined {
  const v = value.trim()
  if (!v) return undefined
  const minors = [...new Set(runtimes.map(r => RUNTIMES[r].python))]
  if (minors.length > 1) {
    throw new ActionError(
      `Input \`python-version\` ("${v}") can only be used with runtimes of one Python version; \`runtimes\` spans ${minors.join(', ')}. Remove \`python-version\`: each runtime gets its own interpreter.`
    )
  }
  const minor = minors[0]
  if (/^\d+\.\d+(\.\d+)?$/.test(v)) {
    if (v !== minor && !v.startsWith(`${minor}.`)) {
      throw new ActionError(
        `Input \`python-version\` is "${v}" but the runtime is Python ${minor}: dependencies must be resolved by the runtime's own Python version. Use ${minor} or ${minor}.<patch>, or remove the input.`
      )
    }
    return v
  }
  if (path.isAbsolute(v) || v.includes('/') || v.includes('\\')) {
    if (!fs.existsSync(v)) {
      throw new ActionError(`Input \`python-version\` is a path that does not exist: "${v}".`)
    }
    return v
  }
  throw new ActionError(
    `Input \`python-version\` must be a version like ${minor} or ${minor}.7, or a path to a Python executable; got "${v}".`
  )
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/

function parseRegions(input: string, env: NodeJS.ProcessEnv): string[] {
  const listed = [...new Set(splitList(input))]
  const sources =
    listed.length > 0
      ? listed.map(value => ({ name: 'input `aws-region`', value }))
      : env.AWS_REGION
        ? [{ name: 'AWS_REGION', value: env.AWS_REGION.trim() }]
        : env.AWS_DEFAULT_REGION
          ? [{ name: 'AWS_DEFAULT_REGION', value: env.AWS_DEFAULT_REGION.trim() }]
          : []
  for (const source of sources) {
    if (!REGION.test(source.value)) {
      throw new ActionError(
        `The region from ${source.name} is not a valid AWS region: "${source.value}" (expected e.g. us-east-1; several regions are separated by spaces, commas or newlines).`
      )
    }
  }
  return sources.map(s => s.value)
}

/**
 * s3-bucket for each region: `{region}` in the value is replaced by the
 * region. Buckets are regional, so several regions need the placeholder.
 */
function parseS3Buckets(value: string, regions: string[]): Map<string, S3Location> | undefined {
  const v = value.trim()
  if (!v) return undefined
  if (regions.length > 1 && !v.includes('{region}')) {
    throw new ActionError(
      `Input \`s3-bucket\` is "${v}", one bucket for ${regions.length} regions (${regions.join(', ')}); a bucket lives in one region and Lambda reads the zip from a bucket in the layer's region. Put \`{region}\` in the name, e.g. "my-layers-{region}/layers", with one bucket per region.`
    )
  }
  // Without a region nothing is published, so nothing is uploaded: the name is still checked.
  if (regions.length === 0) {
    parseS3Location(v.replace(/\{region\}/g, 'us-east-1'))
    return new Map()
  }
  return new Map(regions.map(region => [region, parseS3Location(v.replace(/\{region\}/g, region))]))
}
/** exclude: glob patterns separated by spaces, commas or newlines; duplicates dropped. */
function parseExclude(value: string): PathGlob[] {
  return [...new Set(splitList(value))].map(pattern => {
    try {
      return parseGlob(pattern)
    } catch (error) {
      if (!(error instanceof GlobError)) throw error
      throw new ActionError(
        `Input \`exclude\` has a pattern that cannot be used, "${pattern}": ${error.message}. Patterns name files and folders relative to the site folder (python/, or python/lib/python3.X/site-packages/ with several runtimes), e.g. boto3/**, **/tests/**, **/*.pyi.`
      )
    }
  })
}

function optionalText(name: string, value: string, max: number): string | undefined {
  const v = value.trim()
  if (!v) return undefined
  if (v.length > max) {
    throw new ActionError(
      `Input \`${name}\` is ${v.length} characters long; Lambda allows at most ${max}.`
    )
  }
  return v
}

/** An IAM role ARN (arn:aws:iam::123456789012:role/path/name), or undefined when empty. */
function parseRoleArn(name: string, value: string): string | undefined {
  const v = value.trim()
  if (!v) return undefined
  if (!/^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/.test(v)) {
    throw new ActionError(
      `Input \`${name}\` is "${v}", which is not an IAM role ARN (arn:aws:iam::123456789012:role/name): give the ARN of the execution role the probe functions run with.`
    )
  }
  return v
}

/**
 * A `functions` entry with its region: the one a full ARN names, else the
 * first listed region. A region that is not listed is an error: the layer is
 * not published there.
 */
function functionIn(entry: string, regions: string[]): FunctionRef {
  const ref = parseFunctionName(entry)
  const region = ref.arn?.region ?? regions[0]
  if (ref.arn && regions.length > 0 && !regions.includes(ref.arn.region)) {
    throw new ActionError(
      `Input \`functions\` has "${entry}", a function in ${ref.arn.region}, but \`aws-region\` lists ${regions.join(', ')}; layers are regional, so it cannot get this layer. Add ${ref.arn.region} to \`aws-region\` or remove the function.`
    )
  }
  return region ? { ...ref, region } : ref
}

/**
 * Reads and checks all inputs. `workspace` is where relative paths are
 * resolved (GITHUB_WORKSPACE on a runner).
 */
export function getInputs(
  read: InputReader = name => core.getInput(name),
  env: NodeJS.ProcessEnv = process.env,
  workspace: string = env.GITHUB_WORKSPACE || process.cwd()
): Inputs {
  const layerName = read('layer-name').trim()
  if (!layerName) {
    throw new ActionError('Input `layer-name` is required: a layer name or a layer ARN.')
  }

  const requirementsInput = read('requirements').trim() || 'requirements.txt'
  const requirements = path.resolve(workspace, requirementsInput)
  let stat: fs.Stats | undefined
  try {
    stat = fs.statSync(requirements)
  } catch {
    stat = undefined
  }
  if (!stat?.isFile()) {
    throw new ActionError(
      `Input \`requirements\` points to "${requirementsInput}", which is not a file (looked at ${requirements}). Check the path, relative to the workspace, and that the repository is checked out (actions/checkout) before this step.`
    )
  }

  const groups = [...new Set(splitList(read('groups')))]
  const extras = [...new Set(splitList(read('extras')))]
  const project = readProjectInput(requirements, workspace, groups, extras)
  // Every file it pulls in (-r, -c) must be there too.
  const tree =
    project.tree ?? readRequirementsTree(project.file, workspace, { fingerprints: false })
  // pip echoes requirement lines (direct URLs included): mask their credentials first.
  for (const file of tree.requirements) {
    for (const line of file.lines) for (const secret of credentialsIn(line)) core.setSecret(secret)
  }

  const runtimes = parseRuntimes(read('runtimes'))
  // A runtime outside the project's own Python range fails here, before anything is installed.
  if (project.python) checkPythonRange(project.python, runtimes, workspace)
  const architectures = parseArchitectures(read('architectures') || 'x86_64')
  const pythonVersion = parsePythonVersion(read('python-version'), runtimes)
  const pip = parsePipArgs(read('pip-args'), workspace)
  const publish = parseBoolean('publish', read('publish') || 'true')
  const reuseUnchanged = parseBoolean('reuse-unchanged', read('reuse-unchanged') || 'true')
  const functionEntries = [...new Set(splitList(read('functions')))]
  const cache = parseBoolean('cache', read('cache') || 'true')
  const verify = parseBoolean('verify', read('verify') || 'true')
  const smokeTest = parseChoice('smoke-test', read('smoke-test') || 'auto', [
    'auto',
    'true',
    'false'
  ] as const)
  const compile = parseBoolean('compile', read('compile') || 'true')
  const exclude = parseExclude(read('exclude'))
  const strip = parseBoolean('strip', read('strip') || 'false')
  if (strip && !stripOnPath(env.PATH ?? '')) {
    throw new ActionError(
      "Input `strip` is true, but this runner has no `strip` program on PATH: strip comes with binutils (GitHub's hosted Linux runners have it). Install binutils before this step (`sudo apt-get install -y binutils` on Ubuntu and Debian, `dnf install -y binutils` on Amazon Linux and Fedora), or set `strip: false`. Nothing was installed."
    )
  }
  const buildFromSource = parseChoice('build-from-source', read('build-from-source') || 'auto', [
    'auto',
    'pure',
    'false'
  ] as const)
  const installer = parseChoice('installer', read('installer') || 'auto', [
    'auto',
    'pip',
    'uv'
  ] as const)
  const staging = parseChoice('staging', read('staging') || 'auto', [
    'auto',
    'memory',
    'disk'
  ] as const)
  const sandbox = parseChoice('sandbox', read('sandbox') || 'auto', [
    'auto',
    'required',
    'off'
  ] as const)
  const buildTimeoutMs =
    parseSeconds('build-timeout', read('build-timeout') || '1200', 10, 6 * 3600) * 1000
  const allowDowngrade = parseBoolean('allow-downgrade', read('allow-downgrade') || 'false')
  const allFunctionsUsingLayer = parseBoolean(
    'all-functions-using-layer',
    read('all-functions-using-layer') || 'false'
  )
  const weightedAliases = parseChoice('weighted-aliases', read('weighted-aliases') || 'refuse', [
    'refuse',
    'replace'
  ] as const)
  const awsTimeoutMs = parseSeconds('aws-timeout', read('aws-timeout') || '120', 1, 3600) * 1000
  const description = optionalText('description', read('description'), LIMITS.descriptionMaxLength)
  const licenseInfo = optionalText(
    'license-info',
    read('license-info'),
    LIMITS.licenseInfoMaxLength
  )
  const regions = parseRegions(read('aws-region'), env)
  const region = regions[0]
  const codeartifact = parseCodeArtifact(read('codeartifact'))
  if (codeartifact && !region) {
    throw new ActionError(
      'Input `codeartifact` needs the region of the repository: set input `aws-region`, or AWS_REGION (aws-actions/configure-aws-credentials sets it).'
    )
  }
  const s3 = parseS3Buckets(read('s3-bucket'), regions)
  const shareWith = parseShareWith(read('share-with'))
  const keepVersions = parseKeepVersions(read('keep-versions'))
  const lambdaSmokeTestRole = parseRoleArn('lambda-smoke-test-role', read('lambda-smoke-test-role'))
  const ssmParameterInput = read('ssm-parameter').trim()

  if (!publish && allFunctionsUsingLayer) {
    throw new ActionError(
      'Input `all-functions-using-layer` needs `publish: true`: a layer that is not published cannot be attached.'
    )
  }
  if (!publish && functionEntries.length > 0) {
    throw new ActionError(
      `Input \`functions\` (${functionEntries.join(', ')}) needs \`publish: true\`: a layer that is not published cannot be attached.`
    )
  }
  if (publish && !region) {
    throw new ActionError(
      'No AWS region: set input `aws-region`, or AWS_REGION (aws-actions/configure-aws-credentials sets it), or use `publish: false` to only build the zip.'
    )
  }

  if (!publish && lambdaSmokeTestRole) {
    throw new ActionError(
      `Input \`lambda-smoke-test-role\` (${lambdaSmokeTestRole}) needs \`publish: true\`: the import test on Lambda runs the published layer version.`
    )
  }
  if (!publish && (shareWith.length > 0 || keepVersions !== undefined)) {
    throw new ActionError(
      `Input \`${shareWith.length > 0 ? 'share-with' : 'keep-versions'}\` needs \`publish: true\`: it acts on published versions.`
    )
  }
  if (!publish && ssmParameterInput) {
    throw new ActionError(
      `Input \`ssm-parameter\` ("${ssmParameterInput}") needs \`publish: true\`: it holds the ARN of the published layer version.`
    )
  }
  const signingProfile = parseSigningProfile(read('signing-profile'))
  if (signingProfile && !publish) {
    throw new ActionError(
      `Input \`signing-profile\` ("${signingProfile}") needs \`publish: true\`: the zip is signed on its way to Lambda.`
    )
  }
  if (signingProfile && !s3) {
    throw new ActionError(
      `Input \`signing-profile\` ("${signingProfile}") needs \`s3-bucket\`: AWS Signer reads the zip from a versioned S3 bucket and writes the signed zip beside it. Set \`s3-bucket\` to a bucket with versioning enabled, in the layer's region.`
    )
  }
  if (signingProfile) {
    // A signed version is recognised for reuse by its description (publish.ts).
    const room = LIMITS.descriptionMaxLength - descriptionMarker('0'.repeat(64)).length - 1
    if ((description ?? '').length > room) {
      throw new ActionError(
        `Input \`description\` is ${description?.length} characters; with \`signing-profile\` the version's description also names its zip's SHA-256 ("${descriptionMarker('<64 hex digits>')}"), which is how an unchanged re-run finds the signed version to reuse, so the description may have at most ${room} characters.`
      )
    }
  }
  // Every name, placeholders replaced, is checked before any work starts.
  const ssmParameter = parseSsmParameter(ssmParameterInput, { regions, runtimes, architectures })
  if (publish && regions.length > 1 && layerName.startsWith('arn:')) {
    throw new ActionError(
      `Input \`layer-name\` is the layer ARN ${layerName}, which names one region, but \`aws-region\` lists ${regions.join(', ')}. Give the plain layer name to publish it in every listed region.`
    )
  }

  // The layer name and every function, parsed before any work starts.
  const layer = parseLayerName(layerName, publish ? region : undefined)
  const functions = functionEntries.map(entry => functionIn(entry, regions))

  return {
    workspace: path.resolve(workspace),
    layerName,
    layer,
    requirements: tree,
    runtimes,
    architectures,
    pythonVersion,
    ...pip,
    // The requirements files' own index options come last: pip lets them override pip-args.
    indexArgs: [
      ...pip.indexArgs,
      ...requirementIndexArgs(
        tree.requirements.map(r => ({ path: path.resolve(workspace, r.name), lines: r.lines }))
      )
    ],
    publish,
    reuseUnchanged,
    functions,
    region,
    regions,
    description,
    licenseInfo,
    s3,
    shareWith,
    ...(keepVersions !== undefined ? { keepVersions } : {}),
    ...(lambdaSmokeTestRole
      ? { lambdaSmokeTest: { role: lambdaSmokeTestRole, strict: smokeTest === 'true' } }
      : {}),
    ...(ssmParameter ? { ssmParameter } : {}),
    ...(signingProfile ? { signingProfile } : {}),
    cache,
    verify,
    smokeTest,
    compile,
    strip,
    exclude,
    allowDowngrade,
    allFunctionsUsingLayer,
    weightedAliases,
    awsTimeoutMs,
    buildFromSource,
    installer,
    staging,
    sandbox,
    buildTimeoutMs,
    ...(codeartifact ? { codeartifact } : {}),
    ...(project.lock ? { lock: project.lock } : {})
  }
}
