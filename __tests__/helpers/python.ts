import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** A real CPython for tests: the pinned pyenv 3.11, else python3 on PATH, else undefined. */
export function findTestPython(): string | undefined {
  const candidates = ['/root/.pyenv/versions/3.11.7/bin/python3.11', 'python3']
  for (const candidate of candidates) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue
    try {
      execFileSync(candidate, ['-c', 'import sys; assert sys.version_info >= (3, 9)'], {
        stdio: 'ignore'
      })
      return candidate
    } catch {
      // not usable
    }
  }
  return undefined
}

/** "3.11" for the interpreter. */
export function pythonMinor(python: string): string {
  return execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8'
  }).trim()
}
