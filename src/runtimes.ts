/**
 * The one table of Lambda facts the action depends on. Everything else (wheel
 * tags, glibc checks, ELF machine checks, layout) derives from it.
 */

export type Runtime =
  'python3.9' | 'python3.10' | 'python3.11' | 'python3.12' | 'python3.13' | 'python3.14'

export type Architecture = 'x86_64' | 'arm64'

export interface RuntimeInfo {
  /** Python minor version, e.g. "3.12". */
  python: string
  /** The Lambda OS image. */
  os: 'Amazon Linux 2' | 'Amazon Linux 2023'
  /** glibc [major, minor] of the runtime image. */
  glibc: readonly [number, number]
  /** CPython ABI tag, e.g. "cp312". */
  abi: string
  /** Date AWS deprecates the runtime (ISO), after which it gets no updates. */
  deprecated: string
}

export const RUNTIMES: Readonly<Record<Runtime, RuntimeInfo>> = {
  'python3.9': {
    python: '3.9',
    os: 'Amazon Linux 2',
    glibc: [2, 26],
    abi: 'cp39',
    deprecated: '2025-12-15'
  },
  'python3.10': {
    python: '3.10',
    os: 'Amazon Linux 2',
    glibc: [2, 26],
    abi: 'cp310',
    deprecated: '2026-06-30'
  },
  'python3.11': {
    python: '3.11',
    os: 'Amazon Linux 2',
    glibc: [2, 26],
    abi: 'cp311',
    deprecated: '2026-06-30'
  },
  'python3.12': {
    python: '3.12',
    os: 'Amazon Linux 2023',
    glibc: [2, 34],
    abi: 'cp312',
    deprecated: '2028-10-31'
  },
  'python3.13': {
    python: '3.13',
    os: 'Amazon Linux 2023',
    glibc: [2, 34],
    abi: 'cp313',
    deprecated: '2029-06-30'
  },
  'python3.14': {
    python: '3.14',
    os: 'Amazon Linux 2023',
    glibc: [2, 34],
    abi: 'cp314',
    deprecated: '2029-06-30'
  }
}

export interface ArchitectureInfo {
  /** Machine name used in wheel platform tags and extension suffixes. */
  wheelArch: 'x86_64' | 'aarch64'
  /** ELF e_machine value. */
  elfMachine: number
  /** Lowest glibc minor the manylinux ladder goes down to for this architecture. */
  lowestGlibcMinor: number
  /** Legacy manylinux aliases: tag → glibc minor it stands for. */
  legacyTags: ReadonlyArray<readonly [string, number]>
  /** The architecture name the runner's tool cache uses (RUNNER_ARCH lowercased). */
  runnerArch: 'x64' | 'arm64'
}

export const ARCHITECTURES: Readonly<Record<Architecture, ArchitectureInfo>> = {
  x86_64: {
    wheelArch: 'x86_64',
    elfMachine: 62,
    lowestGlibcMinor: 5,
    legacyTags: [
      ['manylinux2014_x86_64', 17],
      ['manylinux2010_x86_64', 12],
      ['manylinux1_x86_64', 5]
    ],
    runnerArch: 'x64'
  },
  arm64: {
    wheelArch: 'aarch64',
    elfMachine: 183,
    lowestGlibcMinor: 17,
    legacyTags: [['manylinux2014_aarch64', 17]],
    runnerArch: 'arm64'
  }
}

/** Lambda limits (bytes and counts). */
export const LIMITS = {
  /** Unzipped size of a function plus all its layers. */
  unzippedBytes: 262_144_000,
  /** Largest zip Lambda accepts inline in PublishLayerVersion (Content.ZipFile). */
  directUploadBytes: 50 * 1024 * 1024,
  layersPerFunction: 5,
  layerNameMaxLength: 140,
  descriptionMaxLength: 256,
  licenseInfoMaxLength: 512,
  compatibleArchitectures: 2,
  compatibleRuntimes: 15
} as const

export function isRuntime(value: string): value is Runtime {
  return Object.prototype.hasOwnProperty.call(RUNTIMES, value)
}

export function isArchitecture(value: string): value is Architecture {
  return Object.prototype.hasOwnProperty.call(ARCHITECTURES, value)
}

/** "2.26" for display. */
export function glibcString(runtime: Runtime): string {
  return RUNTIMES[runtime].glibc.join('.')
}

/**
 * Every platform tag whose wheels run on `glibc` for `arch`, highest first:
 * manylinux_2_N_<arch> from the target glibc minor down to the architecture's
 * floor, with the legacy aliases placed right after the perennial tag they
 * equal. pip neither expands a perennial tag to lower ones nor aliases legacy
 * names, so the full ladder has to be passed.
 */
export function platformTags(glibc: readonly [number, number], arch: Architecture): string[] {
  const info = ARCHITECTURES[arch]
  const [major, top] = glibc
  const tags: string[] = []
  for (let minor = top; minor >= info.lowestGlibcMinor; minor--) {
    tags.push(`manylinux_${major}_${minor}_${info.wheelArch}`)
    for (const [legacy, equals] of info.legacyTags) {
      if (equals === minor) tags.push(legacy)
    }
  }
  return tags
}

/** The versioned extension-module suffix CPython uses for this target, without ".so". */
export function extensionSuffix(runtime: Runtime, arch: Architecture): string {
  const minor = RUNTIMES[runtime].python.replace('.', '')
  return `cpython-${minor}-${ARCHITECTURES[arch].wheelArch}-linux-gnu`
}

/** A warning for each runtime past its end of support, naming the runtime to move to. */
export function endOfSupportWarnings(runtimes: readonly Runtime[], now = new Date()): string[] {
  const supported = (Object.keys(RUNTIMES) as Runtime[]).find(
    r => new Date(RUNTIMES[r].deprecated) > now
  )
  return runtimes
    .filter(runtime => new Date(RUNTIMES[runtime].deprecated) <= now)
    .map(
      runtime =>
        `${runtime} reached end of support on ${RUNTIMES[runtime].deprecated}: AWS no longer patches it and will block creating and updating functions on it. Plan a move to ${supported ?? 'a supported runtime'} or later.`
    )
}

/** True when this runner can execute code built for `arch` (Linux on the same CPU). */
export function canRunTarget(arch: Architecture): boolean {
  return process.platform === 'linux' && process.arch === ARCHITECTURES[arch].runnerArch
}
