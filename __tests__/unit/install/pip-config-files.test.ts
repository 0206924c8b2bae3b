/**
 * pip's configuration read from its files, against `pip config list` of
 * real pips (23.0, 23.2, 24.2 on these machines) in the same places: a HOME
 * with both user files, a venv prefix with a site file, PIP_CONFIG_FILE,
 * PIP_* variables, and the machine's own global files.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseIni, pipConfigFromFiles, pythonRepr } from '../../../src/install/pip-config-files.js'
import { findTestPython } from '../../helpers/python.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pip-config-files-'))
afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

describe('pythonRepr', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", `"it's"`],
    [`both ' and "`, `'both \\' and "'`],
    ['a\\b\tc\nd', "'a\\\\b\\tc\\nd'"]
  ])('%s', (value, repr) => {
    expect(pythonRepr(value)).toBe(repr)
  })
})

describe('parseIni', () => {
  it('reads what configparser reads', () => {
    const options = parseIni(
      [
        '# comment',
        '[global]',
        'Index_URL = https://a/simple',
        'extra-index-url =',
        '    https://b/simple',
        '',
        '    https://c/simple',
        '  ; a comment inside',
        'timeout: 60',
        '[install]',
        '  --no-binary = x = y  # not a comment'
      ].join('\n')
    )
    expect(options).toEqual(
      new Map([
        ['global.index-url', 'https://a/simple'],
        ['global.extra-index-url', '\nhttps://b/simple\n\nhttps://c/simple'],
        ['global.timeout', '60'],
        ['install.no-binary', 'x = y  # not a comment']
      ])
    )
  })

  it.each([
    ['a DEFAULT section', '[DEFAULT]\nx = 1\n'],
    ['a section twice', '[global]\nx = 1\n[global]\ny = 2\n'],
    ['an option twice', '[global]\nx = 1\nX = 2\n'],
    ['an option outside any section', 'x = 1\n'],
    ['a line without a delimiter', '[global]\nx\n'],
    ['a byte-order mark', '\uFEFF[global]\nx = 1\n']
  ])('gives up on %s', (_what, text) => {
    expect(parseIni(text)).toBeUndefined()
  })
})

const python = findTestPython()
const withPython = python === undefined ? describe.skip : describe

/** Interpreters whose pips differ, with the test Python first. */
function pythons(): string[] {
  const found = python === undefined ? [] : [python]
  for (const v of ['3.9.18', '3.13.0']) {
    const exe = path.join(os.homedir(), '.pyenv', 'versions', v, 'bin', 'python3')
    if (fs.existsSync(exe)) found.push(exe)
  }
  return found
}

withPython("pipConfigFromFiles against pip's own answer", () => {
  const home = path.join(work, 'home')
  const user = { legacy: path.join(home, '.pip'), config: path.join(home, '.config', 'pip') }
  const venvs = new Map<string, string>()

  beforeAll(() => {
    for (const [i, py] of pythons().entries()) {
      // A venv of its own: its prefix holds a site file, and pip comes from the base.
      const venv = path.join(work, `venv-${i}`)
      execFileSync(py, ['-m', 'venv', '--without-pip', '--system-site-packages', venv])
      venvs.set(py, venv)
    }
  })

  const write = (file: string, text: string): void => {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
  }

  const cases: Array<[string, () => Record<string, string>]> = [
    ['the global files only', () => ({})],
    [
      'both user files, the site file and PIP_* variables',
      () => {
        write(
          path.join(user.legacy, 'pip.conf'),
          '[global]\ntimeout = 10\nindex-url = https://legacy/simple\n'
        )
        write(
          path.join(user.config, 'pip.conf'),
          [
            '[global]',
            "index_url = https://user/simple  # it's kept",
            'extra-index-url =',
            '    https://b/simple',
            '',
            '    https://"c"/simple',
            '[install]',
            'No_Binary: :all:',
            '# the end'
          ].join('\n')
        )
        return { PIP_DEFAULT_TIMEOUT: '99', PIP_VERSION: 'ignored', PIP_NO_CACHE_DIR: '' }
      }
    ],
    [
      'PIP_CONFIG_FILE, which hides the user files',
      () => {
        const file = path.join(work, 'env.conf')
        write(file, '[global]\nindex-url = https://env/simple\n[download]\nx = 1\n')
        return { PIP_CONFIG_FILE: file }
      }
    ],
    ['PIP_CONFIG_FILE=/dev/null', () => ({ PIP_CONFIG_FILE: '/dev/null' })],
    [
      'a PIP_CONFIG_FILE that is not there',
      () => ({ PIP_CONFIG_FILE: path.join(work, 'missing.conf') })
    ]
  ]

  for (const py of pythons()) {
    it.each(cases)(`%s (${py})`, (_what, setUp) => {
      fs.rmSync(home, { recursive: true, force: true })
      fs.mkdirSync(home, { recursive: true })
      const venv = venvs.get(py) as string
      write(path.join(venv, 'pip.conf'), '[global]\ntimeout = 20\n[list]\nformat = json\n')
      const extra = setUp()
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
        ...extra
      }
      for (const name of Object.keys(process.env)) {
        if (name.startsWith('PIP_') && !(name in env)) env[name] = process.env[name]
      }
      const pip = execFileSync(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'config', 'list'], {
        env: env as Record<string, string>,
        encoding: 'utf8'
      })
      const forecast = pipConfigFromFiles({ prefix: venv, env, user })
      expect(forecast).toBe(pip)
    })
  }

  it('gives no forecast where a file holds what it cannot be sure to read alike', () => {
    const venv = venvs.get(pythons()[0]) as string
    write(path.join(venv, 'pip.conf'), '[DEFAULT]\ntimeout = 20\n')
    expect(pipConfigFromFiles({ prefix: venv, env: {}, user })).toBeUndefined()
    write(path.join(venv, 'pip.conf'), '[global]\nindex-url = https://é/simple\n')
    expect(pipConfigFromFiles({ prefix: venv, env: {}, user })).toBeUndefined()
    write(path.join(venv, 'pip.conf'), '[global]\ntimeout = 20\n')
    expect(pipConfigFromFiles({ prefix: venv, env: { PIP_ISOLATED: '1' }, user })).toBeUndefined()
  })
})
