import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  checkPythonRange,
  declaredPython,
  runtimeFits
} from '../../../src/requirements/python-range.js'
import { allows, allowsPython, parseConstraint } from '../../../src/requirements/versions.js'
import type { Runtime } from '../../../src/runtimes.js'

describe('parseConstraint: PEP 440 and Poetry syntax', () => {
  it.each<[string, string[], string[]]>([
    ['^3.9', ['3.9.0', '3.12.7', '3.99'], ['3.8.18', '4.0.0']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.3.0', '0.2.2']],
    ['^0.0.3', ['0.0.3'], ['0.0.4']],
    ['^0', ['0.9.9'], ['1.0']],
    ['^0.0', ['0.0.9'], ['0.1.0']],
    ['~3.9', ['3.9.0', '3.9.18'], ['3.10.0']],
    ['~3.9.1', ['3.9.1', '3.9.18'], ['3.9.0', '3.10.0']],
    ['~3', ['3.0', '3.13'], ['4.0']],
    ['~=3.10', ['3.10.0', '3.14.1'], ['3.9.18', '4.0']],
    ['~=3.10.2', ['3.10.2', '3.10.9'], ['3.11.0']],
    ['3.11.*', ['3.11.0', '3.11.9'], ['3.12.0', '3.10.9']],
    ['==3.11.*', ['3.11.4'], ['3.12.0']],
    ['!=3.10.*,>=3.9', ['3.9.1', '3.11.0'], ['3.10.4', '3.8.0']],
    ['>=3.9,<3.13', ['3.9.0', '3.12.9'], ['3.13.0']],
    ['>=3.9 <3.13', ['3.12.9'], ['3.13.0', '3.8.1']],
    ['>= 3.9, < 3.13', ['3.12.9'], ['3.13.0']],
    ['>=2.7, !=3.0.*, !=3.1.*', ['2.7.18', '3.2.0'], ['3.0.1', '3.1.0']],
    ['<3.8 || >=3.12', ['3.7.0', '3.12.0'], ['3.9.0']],
    ['>=3.8,<3.9 | ^3.11', ['3.8.5', '3.11.2'], ['3.10.0', '4.0']],
    ['*', ['1.0', '3.14.0'], []],
    ['1.26.0', ['1.26.0', '1.26'], ['1.26.1']],
    ['>=1.25.4,<2.2.0 || >2.2.0,<3', ['1.26.20', '2.8.0'], ['2.2.0', '3.0.0']]
  ])('%s', (constraint, yes, no) => {
    const parsed = parseConstraint(constraint)
    for (const v of yes) expect([v, allows(parsed, v)]).toEqual([v, true])
    for (const v of no) expect([v, allows(parsed, v)]).toEqual([v, false])
  })

  it('compares a Python written with two numbers as Poetry markers do', () => {
    const at = (c: string, full: string, style?: 'nested' | 'region') =>
      allowsPython(
        parseConstraint(c),
        { version: full.split('.').slice(0, 2).join('.'), full },
        style
      )
    // python_version == "3.9"
    expect(at('3.9', '3.9.18')).toBe(true)
    expect(at('==3.9', '3.10.0')).toBe(false)
    // python_full_version <= "3.9.0" as a range; python_version <= "3.9" between versions locked
    expect(at('<=3.9', '3.9.18')).toBe(false)
    expect(at('<=3.9', '3.9.18', 'region')).toBe(true)
    expect(at('>3.9', '3.9.1')).toBe(true)
    expect(at('>3.9', '3.9.1', 'region')).toBe(false)
    expect(at('>=3.9.1', '3.9.0')).toBe(false)
  })
})

describe('runtimeFits', () => {
  it.each<[string, 'poetry' | 'pep440', Runtime[]]>([
    ['^3.13', 'poetry', ['python3.13', 'python3.14']],
    ['>=3.9,<3.12', 'pep440', ['python3.9', 'python3.10', 'python3.11']],
    ['>=3.12.4', 'pep440', ['python3.12', 'python3.13', 'python3.14']],
    ['~3.11', 'poetry', ['python3.11']],
    ['3.11', 'poetry', ['python3.11']],
    ['==3.10.*', 'pep440', ['python3.10']],
    ['<3.9', 'pep440', []]
  ])('%s (%s): %p', (range, syntax, fit) => {
    const all: Runtime[] = [
      'python3.9',
      'python3.10',
      'python3.11',
      'python3.12',
      'python3.13',
      'python3.14'
    ]
    expect(all.filter(r => runtimeFits(parseConstraint(range), syntax, r))).toEqual(fit)
  })
})

describe('declaredPython and checkPythonRange', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'python-range-'))
  const write = (rel: string, text: string): string => {
    const file = path.join(ws, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
    return file
  }

  it('uv.lock: requires-python; the message names the file, the range, the runtime and those that fit', () => {
    const file = write('uv/uv.lock', 'version = 1\nrequires-python = ">=3.13"\n')
    const declared = declaredPython('uv-lock', file)
    expect(declared).toEqual({ file, where: 'requires-python', range: '>=3.13', syntax: 'pep440' })
    expect(() => checkPythonRange(declared!, ['python3.12', 'python3.13'], ws)).toThrow(
      'Input `runtimes`: python3.12 is outside the Python range of the project: uv/uv.lock declares ">=3.13" (requires-python). Runtimes that fit: python3.13, python3.14. Nothing was installed.'
    )
    expect(() => checkPythonRange(declared!, ['python3.13', 'python3.14'], ws)).not.toThrow()
  })

  it("poetry.lock: the pyproject.toml's python first, the lock's metadata without one", () => {
    write('poetry/pyproject.toml', '[tool.poetry.dependencies]\npython = "^3.13"\n')
    const lock = write(
      'poetry/poetry.lock',
      '[metadata]\nlock-version = "2.0"\npython-versions = "^3.13"\n'
    )
    expect(declaredPython('poetry-lock', lock)).toMatchObject({
      file: path.join(ws, 'poetry', 'pyproject.toml'),
      where: '[tool.poetry.dependencies] python',
      range: '^3.13',
      syntax: 'poetry'
    })
    const alone = write(
      'alone/poetry.lock',
      '[metadata]\nlock-version = "2.0"\npython-versions = ">=3.9,<3.12"\n'
    )
    const declared = declaredPython('poetry-lock', alone)
    expect(declared).toMatchObject({ where: '[metadata] python-versions', range: '>=3.9,<3.12' })
    expect(() => checkPythonRange(declared!, ['python3.12', 'python3.13'], ws)).toThrow(
      /python3\.12 and python3\.13 are outside the Python range of the project: alone\/poetry\.lock declares ">=3\.9,<3\.12" \(\[metadata\] python-versions\)\. Runtimes that fit: python3\.9, python3\.10, python3\.11\./
    )
  })

  it('pyproject.toml: requires-python (PEP 621)', () => {
    const file = write(
      'pep621/pyproject.toml',
      '[project]\nname = "x"\nrequires-python = ">=3.9,<3.11"\n'
    )
    expect(declaredPython('pyproject', file)).toMatchObject({
      where: '[project] requires-python',
      range: '>=3.9,<3.11'
    })
  })

  it("Pipfile.lock: _meta.requires, or the Pipfile's [requires]", () => {
    const lock = write(
      'pipenv/Pipfile.lock',
      JSON.stringify({ _meta: { requires: { python_version: '3.11' } }, default: {} })
    )
    const declared = declaredPython('pipfile-lock', lock)
    expect(declared).toMatchObject({ where: '_meta.requires python_version', range: '==3.11.*' })
    expect(() => checkPythonRange(declared!, ['python3.12'], ws)).toThrow(
      /Runtimes that fit: python3\.11\./
    )
    write('pipenv2/Pipfile', '[requires]\npython_full_version = "3.12.1"\n')
    const bare = write('pipenv2/Pipfile.lock', JSON.stringify({ _meta: {}, default: {} }))
    expect(declaredPython('pipfile-lock', bare)).toMatchObject({
      file: path.join(ws, 'pipenv2', 'Pipfile'),
      where: '[requires] python_full_version',
      range: '==3.12.1'
    })
  })

  it('a range no Lambda runtime fits says so; a requirements file declares none', () => {
    const file = write('old/uv.lock', 'requires-python = "<3.9"\n')
    expect(() => checkPythonRange(declaredPython('uv-lock', file)!, ['python3.12'], ws)).toThrow(
      /No Lambda Python runtime fits it\./
    )
    expect(declaredPython('requirements', write('r/requirements.txt', 'six\n'))).toBeUndefined()
  })
})
