import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readProjectInput } from '../../../src/requirements/project.js'
import { ROOT } from '../../helpers/action.js'

const FIXTURES = path.join(ROOT, '__tests__', 'fixtures')

describe('readProjectInput', () => {
  it("a poetry.lock before 2.1: the pyproject.toml beside it counts for the cache, and its Python range is the project's", () => {
    const input = readProjectInput(
      path.join(FIXTURES, 'poetry-1.8-project', 'poetry.lock'),
      FIXTURES,
      ['lambda'],
      []
    )
    expect(input.tree?.requirements.map(r => r.name)).toEqual([
      'poetry-1.8-project/poetry.lock',
      'poetry-1.8-project/pyproject.toml',
      'groups and extras'
    ])
    expect(input.python).toMatchObject({ range: '^3.9', syntax: 'poetry' })
  })

  it('a pylock.toml that is a requirements file is read as one', () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'project-'))
    const file = path.join(ws, 'pylock.toml')
    fs.writeFileSync(
      file,
      '# uv export -o pylock.toml\nsix==1.17.0 \\\n    --hash=sha256:' + 'a'.repeat(64) + '\n'
    )
    const input = readProjectInput(file, ws, [], [])
    expect(input).toEqual({ file })
    // Not TOML and not requirements either: the TOML error stands.
    fs.writeFileSync(file, 'lock-version = \n')
    expect(() => readProjectInput(file, ws, [], [])).toThrow(/pylock\.toml is not valid TOML/)
  })
})
