/**
 * The project's own Python range, compared with the runtimes before
 * anything is installed: a lock made for Python 3.13 and up has nothing
 * right for python3.12, whatever the installer says later. The range is
 * read where each tool keeps it: uv.lock's `requires-python`; Poetry's
 * `python` in `[tool.poetry.dependencies]` (or `requires-python`, or the
 * lock's `metadata.python-versions`); PEP 621 `requires-python`; Pipfile's
 * `[requires]`; pylock.toml's `requires-python`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { type Runtime, RUNTIMES } from '../runtimes.js'
import { tomlData } from './lock-data.js'
import type { RequirementsKind } from './lock.js'
import {
  allows,
  allowsPython,
  type Constraint,
  ConstraintError,
  parseConstraint
} from './versions.js'

/** A Python range a project declares, and where. */
export interface DeclaredPython {
  /** The file that declares it (absolute). */
  file: string
  /** Where in the file, for the message: "requires-python". */
  where: string
  /** As written. */
  range: string
  /** Poetry's syntax (caret, tilde, `||`) compares as Poetry's markers do; PEP 440 as pip does. */
  syntax: 'poetry' | 'pep440'
}

function table(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined
}

function readToml(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined
  return tomlData(fs.readFileSync(file, 'utf8'), file)
}

/** The range a pyproject.toml declares: Poetry's `python` first, then PEP 621 `requires-python`. */
function fromPyproject(file: string): DeclaredPython | undefined {
  const data = readToml(file)
  if (!data) return undefined
  const poetry = text(table(table(table(data.tool).poetry).dependencies).python)
  if (poetry) {
    return { file, where: '[tool.poetry.dependencies] python', range: poetry, syntax: 'poetry' }
  }
  const pep621 = text(table(data.project)['requires-python'])
  if (pep621) return { file, where: '[project] requires-python', range: pep621, syntax: 'pep440' }
  return undefined
}

/**
 * The Python range the project behind a `requirements` file declares, or
 * undefined when it declares none (a requirements file declares none).
 */
export function declaredPython(kind: RequirementsKind, file: string): DeclaredPython | undefined {
  const dir = path.dirname(file)
  switch (kind) {
    case 'uv-lock': {
      const range = text(readToml(file)?.['requires-python'])
      return range ? { file, where: 'requires-python', range, syntax: 'pep440' } : undefined
    }
    case 'pylock': {
      const range = text(readToml(file)?.['requires-python'])
      return range ? { file, where: 'requires-python', range, syntax: 'pep440' } : undefined
    }
    case 'poetry-lock': {
      const beside = fromPyproject(path.join(dir, 'pyproject.toml'))
      if (beside) return beside
      const range = text(table(readToml(file)?.metadata)['python-versions'])
      return range
        ? { file, where: '[metadata] python-versions', range, syntax: 'poetry' }
        : undefined
    }
    case 'pyproject':
      return fromPyproject(file)
    case 'pipfile-lock': {
      let requires: Record<string, unknown> = {}
      try {
        requires = table(table(table(JSON.parse(fs.readFileSync(file, 'utf8')))._meta).requires)
      } catch {
        // The lock reader reports a file that is not JSON.
      }
      let from = file
      const pipfile = path.join(dir, 'Pipfile')
      if (!requires.python_version && !requires.python_full_version && fs.existsSync(pipfile)) {
        requires = table(readToml(pipfile)?.requires)
        from = pipfile
      }
      const full = text(requires.python_full_version)
      const minor = text(requires.python_version)
      const label = from === file ? '_meta.requires' : '[requires]'
      if (full) {
        return {
          file: from,
          where: `${label} python_full_version`,
          range: `==${full}`,
          syntax: 'pep440'
        }
      }
      if (minor) {
        return {
          file: from,
          where: `${label} python_version`,
          range: `==${minor}.*`,
          syntax: 'pep440'
        }
      }
      return undefined
    }
    default:
      return undefined
  }
}

/**
 * True when some Python of the runtime's minor version is in the range: a
 * range that starts at 3.12.4 still fits python3.12.
 */
export function runtimeFits(
  constraint: Constraint,
  syntax: DeclaredPython['syntax'],
  runtime: Runtime
): boolean {
  const minor = RUNTIMES[runtime].python
  for (let patch = 0; patch < 100; patch++) {
    const full = `${minor}.${patch}`
    const fits =
      syntax === 'poetry'
        ? allowsPython(constraint, { version: minor, full })
        : allows(constraint, full)
    if (fits) return true
  }
  return false
}

function list(items: readonly string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/**
 * Fails, before anything is installed, when a runtime is outside the
 * project's Python range: the message names the file, the range, the
 * runtimes outside it and the runtimes that fit.
 */
export function checkPythonRange(
  declared: DeclaredPython,
  runtimes: readonly Runtime[],
  workspace: string
): void {
  let constraint: Constraint
  try {
    constraint = parseConstraint(declared.range)
  } catch (error) {
    if (!(error instanceof ConstraintError)) throw error
    throw new ActionError(
      `Input \`requirements\`: ${shown(workspace, declared.file)} declares the Python range "${declared.range}" (${declared.where}), which cannot be read: ${error.message}.`
    )
  }
  const outside = runtimes.filter(r => !runtimeFits(constraint, declared.syntax, r))
  if (outside.length === 0) return
  const fitting = (Object.keys(RUNTIMES) as Runtime[]).filter(r =>
    runtimeFits(constraint, declared.syntax, r)
  )
  throw new ActionError(
    `Input \`runtimes\`: ${list(outside)} ${outside.length === 1 ? 'is' : 'are'} outside the Python range of the project: ${shown(workspace, declared.file)} declares "${declared.range}" (${declared.where}). ${
      fitting.length > 0
        ? `Runtimes that fit: ${fitting.join(', ')}.`
        : 'No Lambda Python runtime fits it.'
    } Nothing was installed. Build for runtimes in the range, or widen the range and lock again.`
  )
}

/** A path for messages: relative to the workspace when inside it. */
function shown(workspace: string, file: string): string {
  const rel = path.relative(workspace, file)
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file
}
