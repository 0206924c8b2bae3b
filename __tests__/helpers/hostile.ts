/**
 * Hostile fixtures for the security end-to-end tests, and the means to look
 * for what they try to leak:
 *
 * - local projects (setuptools) whose source tree holds symbolic links,
 * - a project whose in-tree build backend, and the module it installs, dump
 *   the environment they see,
 * - a source distribution whose archive holds a symbolic link,
 * - zip contents, the log as the runner displays it, requests reaching AWS.
 */
import AdmZip from 'adm-zip'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** A value no run produces by chance, e.g. "aws-secret-3f9c0e1a2b4d5c6e". */
export function marker(label: string): string {
  return `${label}-${crypto.randomBytes(8).toString('hex')}`
}

/** Runs the jobs with at most `limit` of them at a time; results in job order. */
export async function inParallel<T>(jobs: Array<() => Promise<T>>, limit = 4): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++
      results[index] = await jobs[index]()
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker))
  return results
}

function write(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, content)
}

export interface SetuptoolsProject {
  /** Distribution name, e.g. "leaky-dist". */
  name: string
  /** The one package it installs, e.g. "leaky". */
  module: string
  /** Path in the project → content; `<module>/__init__.py` is added when missing. */
  files?: Record<string, string>
  /** Path in the project → link target, written as given (absolute or relative). */
  links?: Record<string, string>
  /** package_data globs of the package: non-Python files only get into the wheel this way. */
  packageData?: string[]
}

/** A setuptools project (setup.py) at `dir`, as a `./pkg` line of requirements.txt names it. */
export function makeSetuptoolsProject(dir: string, spec: SetuptoolsProject): void {
  const files: Record<string, string> = {
    [`${spec.module}/__init__.py`]: '',
    ...spec.files
  }
  for (const [rel, content] of Object.entries(files)) write(path.join(dir, rel), content)
  const packageData = spec.packageData?.length
    ? `, package_data={${JSON.stringify(spec.module)}: ${JSON.stringify(spec.packageData)}}`
    : ''
  write(
    path.join(dir, 'setup.py'),
    `from setuptools import setup\n\nsetup(name=${JSON.stringify(spec.name)}, version="1.0", packages=[${JSON.stringify(spec.module)}]${packageData})\n`
  )
  for (const [rel, target] of Object.entries(spec.links ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.symlinkSync(target, path.join(dir, rel))
  }
}

/**
 * A source distribution `<name>-<version>.tar.gz` in `dir` (a --find-links
 * folder) whose archive holds symbolic links, as tar stores them. Its
 * setup.py ships the package's *.txt files as package data.
 */
export function makeLinkedSdist(
  dir: string,
  spec: { name: string; version: string; links: Record<string, string> }
): string {
  const { name, version } = spec
  const work = tempDir('linked-sdist-')
  const root = path.join(work, `${name}-${version}`)
  write(path.join(root, name, '__init__.py'), '')
  write(path.join(root, 'PKG-INFO'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`)
  write(
    path.join(root, 'setup.py'),
    `from setuptools import setup\n\nsetup(name=${JSON.stringify(name)}, version=${JSON.stringify(version)}, packages=[${JSON.stringify(name)}], package_data={${JSON.stringify(name)}: ["*.txt"]})\n`
  )
  for (const [rel, target] of Object.entries(spec.links)) {
    fs.symlinkSync(target, path.join(root, rel))
  }
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}-${version}.tar.gz`)
  execFileSync('tar', ['-czf', file, '-C', work, `${name}-${version}`])
  return file
}

/** Name of the module the env-dump project installs (the smoke test imports it). */
export const ENV_DUMP_MODULE = 'envdump_mod'

/**
 * A project at `dir` built by its own in-tree PEP 517 backend (no build
 * requirements, so pip needs no index). Every backend hook records the
 * environment it runs with, and the wheel carries those records as
 * `envdump_dumps/build-<hook>-<pid>.json`: in the sandbox the build can
 * write nowhere the test could look, but what it builds reaches the zip.
 * The module the wheel installs raises at import when any variable named
 * in `watched`, or any of its values, is in its environment: a strict
 * smoke test then fails the step.
 */
export function makeEnvDumpProject(dir: string, watched: Record<string, string>): void {
  write(
    path.join(dir, 'pyproject.toml'),
    '[build-system]\nrequires = []\nbuild-backend = "envdump_backend"\nbackend-path = ["."]\n'
  )
  write(
    path.join(dir, `${ENV_DUMP_MODULE}.py`),
    [
      'import json',
      'import os',
      '',
      `_WATCHED = json.loads(${JSON.stringify(JSON.stringify(watched))})`,
      '_seen = sorted(n for n, v in _WATCHED.items() if n in os.environ or any(v in x for x in os.environ.values()))',
      'if _seen:',
      '    raise RuntimeError("credentials visible at import: %s" % ", ".join(_seen))',
      ''
    ].join('\n')
  )
  write(
    path.join(dir, 'envdump_backend.py'),
    [
      'import base64',
      'import glob',
      'import hashlib',
      'import json',
      'import os',
      'import zipfile',
      '',
      'NAME, VERSION = "envdump", "1.0"',
      `MODULE = "${ENV_DUMP_MODULE}.py"`,
      '',
      '',
      'def _dump(hook):',
      '    with open("build-%s-%d.json" % (hook, os.getpid()), "w") as out:',
      '        json.dump(dict(os.environ), out)',
      '',
      '',
      'def _record(name, data):',
      '    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()',
      '    return "%s,sha256=%s,%d" % (name, digest, len(data))',
      '',
      '',
      'def get_requires_for_build_wheel(config_settings=None):',
      '    _dump("get_requires_for_build_wheel")',
      '    return []',
      '',
      '',
      'def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):',
      '    _dump("build_wheel")',
      '    info = "%s-%s.dist-info" % (NAME, VERSION)',
      '    with open(MODULE, "rb") as source:',
      '        files = [(MODULE, source.read())]',
      '    for dump in sorted(glob.glob("build-*.json")):',
      '        with open(dump, "rb") as source:',
      '            files.append(("envdump_dumps/" + dump, source.read()))',
      '    files.append((info + "/METADATA", ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)).encode()))',
      '    files.append((info + "/WHEEL", b"Wheel-Version: 1.0\\nGenerator: envdump\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"))',
      '    record = [_record(name, data) for name, data in files] + [info + "/RECORD,,"]',
      '    files.append((info + "/RECORD", ("\\n".join(record) + "\\n").encode()))',
      '    filename = "%s-%s-py3-none-any.whl" % (NAME, VERSION)',
      '    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as wheel:',
      '        for name, data in files:',
      '            wheel.writestr(name, data)',
      '    return filename',
      ''
    ].join('\n')
  )
}

/** The environments recorded in `dir` whose file name starts with `prefix`, by file name. */
export function readDumps(dir: string, prefix: string): Record<string, Record<string, string>> {
  const dumps: Record<string, Record<string, string>> = {}
  if (!fs.existsSync(dir)) return dumps
  for (const file of fs.readdirSync(dir).sort()) {
    if (file.startsWith(prefix) && file.endsWith('.json')) {
      dumps[file] = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<
        string,
        string
      >
    }
  }
  return dumps
}

/** Every *.zip file below `dir`. */
export function zipsUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  const found: string[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) found.push(...zipsUnder(full))
    else if (entry.isFile() && entry.name.endsWith('.zip')) found.push(full)
  }
  return found.sort()
}

/** The entries of a zip whose (uncompressed) bytes contain any of the needles. */
export function entriesHolding(zipPath: string, needles: string[]): string[] {
  const wanted = needles.filter(Boolean).map(n => Buffer.from(n))
  return new AdmZip(zipPath)
    .getEntries()
    .filter(entry => !entry.isDirectory)
    .filter(entry => {
      const data = entry.getData()
      return wanted.some(n => data.includes(n))
    })
    .map(entry => entry.entryName)
}

/** "<zip>: <entry>" for every entry of every zip below `dir` that holds one of the needles. */
export function leaksUnder(dir: string, needles: string[]): string[] {
  return zipsUnder(dir).flatMap(zip =>
    entriesHolding(zip, needles).map(entry => `${path.relative(dir, zip)}: ${entry}`)
  )
}

/** The path as given and as resolved (they differ when a folder on the way is a link). */
export function pathForms(p: string): string[] {
  let real = p
  try {
    real = fs.realpathSync(p)
  } catch {
    // does not exist (any more)
  }
  return [...new Set([p, real])]
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The data of a workflow command, unescaped (%25, %0D, %0A), as the runner reads it. */
function commandData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * The log as the runner displays it: each `::add-mask::<value>` line is
 * consumed, and every value masked so far shows as *** in the lines after it
 * (a value printed before its mask stays visible, as on the runner).
 */
export function displayedLog(log: string): string {
  const masks: string[] = []
  const shown: string[] = []
  for (const line of log.split('\n')) {
    const mask = /^::add-mask::(.*)$/.exec(line)
    if (mask) {
      const value = commandData(mask[1]).trim()
      if (value) masks.push(value)
      continue
    }
    shown.push(masks.reduce((text, value) => text.split(value).join('***'), line))
  }
  return shown.join('\n')
}

/** The lines of `text` that contain `needle`, cut to 100 characters around it, for readable failures. */
export function linesWith(text: string, needle: string): string[] {
  return text
    .split('\n')
    .filter(l => l.includes(needle))
    .map(l => {
      const at = l.indexOf(needle)
      const start = Math.max(0, at - 100)
      const end = Math.min(l.length, at + needle.length + 100)
      return `${start > 0 ? '…' : ''}${l.slice(start, end)}${end < l.length ? '…' : ''}`
    })
}

export interface CountingProxy {
  /** Endpoint to give the action (AWS_ENDPOINT_URL). */
  url: string
  /** "METHOD /path" of every request that reached it. */
  requests: string[]
  close(): Promise<void>
}

/** An HTTP endpoint that records every request and forwards it to `target` (moto). */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const requests: string[] = []
  const upstream = new URL(target)
  const server = http.createServer((req, res) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`)
    const forward = http.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host }
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    forward.on('error', error => {
      res.writeHead(502)
      res.end(String(error))
    })
    req.pipe(forward)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: async () =>
      await new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
