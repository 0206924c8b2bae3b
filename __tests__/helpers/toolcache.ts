import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Prefix and full version of a real CPython 3.<minor> on this machine, if any. */
function findPython(minor: string): { prefix: string; version: string } | undefined {
  const ask = (exe: string): { prefix: string; version: string } | undefined => {
    try {
      const out = execFileSync(
        exe,
        ['-c', 'import sys; print(sys.prefix); print("%d.%d.%d" % sys.version_info[:3])'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }
      )
      const [prefix, version] = out.trim().split('\n')
      return version?.startsWith(`${minor}.`) ? { prefix, version } : undefined
    } catch {
      return undefined
    }
  }
  const onPath = ask(`python${minor}`)
  if (onPath) return onPath
  const pyenvRoot = process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv')
  const versions = path.join(pyenvRoot, 'versions')
  if (!fs.existsSync(versions)) return undefined
  for (const v of fs.readdirSync(versions).sort().reverse()) {
    if (!v.startsWith(`${minor}.`)) continue
    const found = ask(path.join(versions, v, 'bin', `python${minor}`))
    if (found) return found
  }
  return undefined
}

/**
 * A runner tool cache (`<dir>/Python/<version>/<arch>/`), laid out as
 * actions/setup-python leaves it, pointing at the interpreters of this machine.
 */
export function makeToolCache(dir: string, minors: string[]): Record<string, string> {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64'
  const found: Record<string, string> = {}
  for (const minor of minors) {
    const python = findPython(minor)
    if (!python) continue
    const versionDir = path.join(dir, 'Python', python.version)
    fs.mkdirSync(versionDir, { recursive: true })
    const link = path.join(versionDir, arch)
    if (!fs.existsSync(link)) fs.symlinkSync(python.prefix, link)
    fs.writeFileSync(`${link}.complete`, '')
    found[minor] = python.version
  }
  return found
}

/**
 * A scratch folder with a tool cache holding Python <minor>: its path, the
 * full version and the interpreter's executable. Throws when the machine has
 * no such Python.
 */
export function benchPython(
  prefix: string,
  minor: string
): { work: string; toolCache: string; version: string; python: string } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const toolCache = path.join(work, 'toolcache')
  const version = makeToolCache(toolCache, [minor])[minor]
  if (!version) throw new Error(`no Python ${minor} on this machine`)
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64'
  return {
    work,
    toolCache,
    version,
    python: path.join(toolCache, 'Python', version, arch, 'bin', 'python3')
  }
}
