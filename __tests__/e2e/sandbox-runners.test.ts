/**
 * The sandbox on the kinds of runner it meets, through dist/index.js run
 * as an unprivileged user (a self-hosted runner's service account):
 *
 * - user namespaces allowed: isolated in a user namespace;
 * - user namespaces refused (as AppArmor refuses them on Ubuntu 24.04),
 *   passwordless sudo (as on GitHub's hosted runners): isolated through sudo;
 * - neither: no isolation, said in the log and the summary; `required` fails.
 *
 * A package built from source (an in-tree backend) and imported by the
 * smoke test looks for a canary credential of the job in every
 * /proc/<pid>/environ and cmdline it can read, in its own environment, and
 * in a file of the job's HOME. What its build finds travels in its wheel
 * (and so in the zip, where the test reads it); its module raises at
 * import when it finds anything, which fails the strict smoke test.
 *
 * Needs root (to create the users and run the action as them) and sudo.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import AdmZip from 'adm-zip'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT, runAction, type ActionRun } from '../helpers/action.js'
import { marker } from '../helpers/hostile.js'

const AS_USER = path.join(ROOT, '__tests__', 'helpers', 'as-user.py')
/** A Python every user may run: the system's (Debian's python3.11, with pip). */
const SYSTEM_PYTHON = '/usr/bin/python3'
const CANARY = marker('canary-aws-secret')

interface User {
  name: string
  uid: number
  gid: number
}

function ensureUser(name: string, sudo: boolean): User {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' })
  } catch {
    execFileSync('useradd', ['-M', '-s', '/bin/sh', name])
  }
  const sudoers = `/etc/sudoers.d/${name}`
  if (sudo) fs.writeFileSync(sudoers, `${name} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 })
  else fs.rmSync(sudoers, { force: true })
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
  return { name, uid, gid }
}

/** The probe the build and the import both run: what of the canary they can reach. */
const PROBE = `
import glob, os

CANARY = ${JSON.stringify(CANARY)}
HOME_FILE = %HOME_FILE%


def probe():
    found = []
    for name, value in os.environ.items():
        if CANARY in value:
            found.append("environ:" + name)
    for f in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline"):
        try:
            with open(f, "rb") as data:
                if CANARY.encode() in data.read():
                    found.append(f)
        except OSError:
            pass
    try:
        with open(HOME_FILE) as data:
            if CANARY in data.read():
                found.append(HOME_FILE)
    except OSError:
        pass
    return found
`

function makeProject(dir: string, homeFile: string): void {
  fs.mkdirSync(dir, { recursive: true })
  const probe = PROBE.replace('%HOME_FILE%', JSON.stringify(homeFile))
  fs.writeFileSync(
    path.join(dir, 'pyproject.toml'),
    '[build-system]\nrequires = []\nbuild-backend = "probe_backend"\nbackend-path = ["."]\n'
  )
  fs.writeFileSync(
    path.join(dir, 'canary_probe.py'),
    `${probe}\n_found = probe()\nif _found:\n    raise RuntimeError("canary reached at import: " + ", ".join(_found))\n`
  )
  fs.writeFileSync(
    path.join(dir, 'probe_backend.py'),
    `${probe}
import base64, hashlib, json, zipfile

NAME, VERSION = "canary_probe", "1.0"


def get_requires_for_build_wheel(config_settings=None):
    return []


def _record(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = "%s-%s.dist-info" % (NAME, VERSION)
    with open("canary_probe.py", "rb") as source:
        files = [("canary_probe.py", source.read())]
    files.append(("canary_probe_build.json", json.dumps(probe()).encode()))
    files.append((info + "/METADATA", ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode()))
    files.append((info + "/WHEEL", b"Wheel-Version: 1.0\\nGenerator: probe\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"))
    record = [_record(n, d) for n, d in files] + [info + "/RECORD,,"]
    files.append((info + "/RECORD", ("\\n".join(record) + "\\n").encode()))
    filename = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as wheel:
        for n, d in files:
            wheel.writestr(n, d)
    return filename
`
  )
}

interface Outcome {
  result: ActionRun
  /** What the build found, from the wheel it built (undefined: no zip). */
  buildFound?: string[]
}

const base = fs.mkdtempSync('/tmp/lpl-runner-')
fs.chmodSync(base, 0o755)
afterAll(() => fs.rmSync(base, { recursive: true, force: true }))

async function runAs(
  user: User,
  denyUserNamespaces: boolean,
  inputs: Record<string, string>
): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(base, `${user.name}-`))
  const home = path.join(dir, 'home')
  const ws = path.join(dir, 'ws')
  const toolCache = path.join(dir, 'toolcache')
  const runnerTemp = path.join(dir, 'runner-temp')
  for (const d of [home, ws, runnerTemp, path.join(dir, 'action'), path.join(dir, 'tmp')])
    fs.mkdirSync(d, { recursive: true })
  const homeFile = path.join(home, '.aws', 'credentials')
  fs.mkdirSync(path.dirname(homeFile))
  fs.writeFileSync(homeFile, `[default]\naws_secret_access_key = ${CANARY}\n`)
  fs.writeFileSync(path.join(ws, 'requirements.txt'), './probe\n')
  makeProject(path.join(ws, 'probe'), homeFile)
  // The tool cache, as actions/setup-python lays it out, for the system's Python.
  const version = execFileSync(
    SYSTEM_PYTHON,
    ['-c', 'import platform; print(platform.python_version())'],
    {
      encoding: 'utf8'
    }
  ).trim()
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64'
  fs.mkdirSync(path.join(toolCache, 'Python', version), { recursive: true })
  fs.symlinkSync('/usr', path.join(toolCache, 'Python', version, arch))
  fs.writeFileSync(path.join(toolCache, 'Python', version, `${arch}.complete`), '')
  // The bundle (its chunks beside it), where the user can read it.
  const script = path.join(dir, 'action', 'index.js')
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'action'), { recursive: true })
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir])
  const result = await runAction(
    {
      'layer-name': 'canary',
      runtimes: `python${version.split('.').slice(0, 2).join('.')}`,
      publish: 'false',
      cache: 'false',
      installer: 'pip',
      compile: 'false',
      'smoke-test': 'true',
      'pip-args': '--no-index',
      ...inputs
    },
    {
      workspace: ws,
      toolCache,
      runnerTemp,
      filesDir: dir,
      owner: user,
      script,
      // The runner's Node may live where the user cannot reach: the system's runs the bundle.
      env: {
        HOME: home,
        TMPDIR: path.join(dir, 'tmp'),
        AWS_SECRET_ACCESS_KEY: CANARY,
        ACTION_NODE: '/usr/bin/node'
      },
      wrap: [
        SYSTEM_PYTHON,
        AS_USER,
        String(user.uid),
        String(user.gid),
        denyUserNamespaces ? '1' : '0'
      ]
    }
  )
  const zip = result.outputs['zip-path']
  const entry =
    zip && fs.existsSync(zip) ? new AdmZip(zip).getEntry('python/canary_probe_build.json') : null
  return {
    result,
    buildFound: entry ? (JSON.parse(entry.getData().toString('utf8')) as string[]) : undefined
  }
}

describe('a runner that allows user namespaces (unprivileged user)', () => {
  let run: Outcome
  beforeAll(async () => {
    run = await runAs(ensureUser('lpl-unpriv', false), false, {})
  })

  it('builds and import-tests the layer in a user namespace', () => {
    expect(run.result.errors).toEqual([])
    expect(run.result.log).toContain('Sandbox: package code runs isolated (user namespace)')
  })

  it('the build reaches no canary: no /proc/<pid>/environ of the job, no HOME file, not its own environment', () => {
    expect(run.buildFound).toEqual([])
  })

  it('the import reaches none either (the module raises when it does)', () => {
    expect(run.result.log).not.toContain('canary reached at import')
    expect(run.result.exitCode).toBe(0)
  })
})

describe('a runner that refuses user namespaces but allows passwordless sudo (GitHub-hosted Ubuntu 24.04)', () => {
  let user: User
  let run: Outcome
  beforeAll(async () => {
    user = ensureUser('lpl-sudo', true)
    run = await runAs(user, true, {})
  })

  it('builds and import-tests the layer in namespaces made through sudo', () => {
    expect(run.result.errors).toEqual([])
    expect(run.result.log).toContain(
      'Sandbox: package code runs isolated (namespaces through sudo)'
    )
  })

  it('the build reaches no canary', () => {
    expect(run.buildFound).toEqual([])
  })

  it('the import reaches none either', () => {
    expect(run.result.log).not.toContain('canary reached at import')
    expect(run.result.exitCode).toBe(0)
  })

  it("the layer's files belong to the runner's user, not root", () => {
    const zip = run.result.outputs['zip-path']
    expect(fs.statSync(zip).uid).toBe(user.uid)
  })
})

describe('a runner that allows neither', () => {
  let user: User
  let auto: Outcome
  let required: Outcome
  beforeAll(async () => {
    user = ensureUser('lpl-none', false)
    auto = await runAs(user, true, { 'smoke-test': 'false' })
    required = await runAs(user, true, { sandbox: 'required' })
  })

  it('auto builds, and says as a warning and in the summary that package code ran without isolation', () => {
    expect(auto.result.exitCode).toBe(0)
    expect(auto.result.log).toMatch(/::warning::Package code runs without isolation/)
    expect(auto.result.summary).toContain('not available: package code ran without isolation')
  })

  it("the build's own environment still holds no credential (the allow-list)", () => {
    expect(auto.buildFound?.filter(f => f.startsWith('environ:'))).toEqual([])
  })

  it("the build could read the job's /proc/<pid>/environ: the limit the warning states (and proof the probe finds what it looks for)", () => {
    expect(auto.buildFound?.some(f => f.startsWith('/proc/'))).toBe(true)
  })

  it('required fails before anything is installed, naming the input', () => {
    expect(required.result.exitCode).not.toBe(0)
    expect(required.result.errors.join('\n')).toContain('Input `sandbox` is "required"')
    expect(required.result.log).not.toMatch(/^\[command\].* -m pip install /m)
  })
})
