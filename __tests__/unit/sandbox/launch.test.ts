import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { envFile, pathsIn, programHome, whichOnPath } from '../../../src/sandbox/index.js'

let T: string

/** A file of `T`, made with its folders; `mode` 0o755 makes it executable. */
function file(rel: string, mode = 0o755): string {
  const p = path.join(T, rel)
  fs.mkdirSync(path.dirname(p), { recursive: true })
  fs.writeFileSync(p, '#!/bin/sh\n', { mode })
  fs.chmodSync(p, mode)
  return p
}

function link(rel: string, target: string): string {
  const p = path.join(T, rel)
  fs.mkdirSync(path.dirname(p), { recursive: true })
  fs.symlinkSync(target, p)
  return p
}

beforeAll(() => {
  T = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'launch-')))
})

afterAll(() => {
  fs.rmSync(T, { recursive: true, force: true })
})

/** The environment /bin/sh ends with, from an empty one, after running `script` on `file`. */
function shellEnv(script: string, envPath: string): Record<string, string> {
  const out = execFileSync('/bin/sh', ['-c', `${script}\nenv -0`, 'sh', envPath], {
    env: {},
    encoding: 'utf8'
  })
  const env: Record<string, string> = {}
  for (const entry of out.split('\0')) {
    if (!entry) continue
    const eq = entry.indexOf('=')
    env[entry.slice(0, eq)] = entry.slice(eq + 1)
  }
  return env
}

/** What the environment file adds to an empty shell's environment. */
function sourced(script: string, content: string): Record<string, string> {
  const envPath = path.join(fs.mkdtempSync(path.join(T, 'env-')), 'env')
  fs.writeFileSync(envPath, content)
  const baseline = shellEnv(':', envPath)
  const after = shellEnv(script, envPath)
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => baseline[k] !== v))
}

describe('envFile', () => {
  const VALUES: Record<string, string> = {
    PLAIN: 'plain',
    QUOTE: "it's",
    QUOTES_ONLY: "'''",
    NEWLINES: 'first\nsecond\n\n',
    DOLLAR: '$HOME ${PATH} $(echo expanded) $((1+1))',
    BACKTICKS: '`echo expanded`',
    BACKSLASHES: 'a\\b\\n\\',
    BREAKOUT: "x'; INJECTED=1; echo '",
    EMPTY: '',
    SPACES: '  lead and trail  ',
    GLOB: '* ? [a]',
    TILDE: '~',
    TAB_CR: 'a\tb\r\nc',
    UNICODE: 'ü € 🐍',
    _lower_1: 'name with a digit and underscores'
  }

  // The launcher reads the file with program_env=$(cat ...); set -a; eval ...
  it.each([
    ['sourced with .', 'set -a; . "$1"; set +a'],
    [
      'read the way the launcher reads it',
      'program_env=$(cat "$1"); set -a; eval "$program_env"; set +a'
    ]
  ])('every value comes back byte for byte, and nothing else is set, when %s', (_how, script) => {
    expect(sourced(script, envFile(VALUES))).toEqual(VALUES)
  })

  it.each(['INPUT_PIP-ARGS', '1ABC', 'A B', 'A=B', '', 'Ü', 'X;Y', "X'", 'A\nB'])(
    'drops the name %j, which is not a shell identifier',
    name => {
      expect(envFile({ [name]: 'v' })).toBe('')
    }
  )

  it('drops a variable without a value', () => {
    expect(envFile({ UNSET: undefined })).toBe('')
  })
})

describe('pathsIn', () => {
  it.each([
    ['a find-links list', '/srv/wheels /srv/more', ['/srv/wheels', '/srv/more']],
    // A file:// index gives the folder that holds it: its pages link to files beside it.
    [
      'a list over lines (pip.conf)',
      '\n  /srv/w1\n  file:///srv/w2/simple\n',
      ['/srv/w1', '/srv/w2']
    ],
    ['a list with commas', '/a,/b', ['/a', '/b']],
    ['a file:// URL with %20', 'file:///srv/with%20space/x', ['/srv/with space']],
    ['a file://localhost URL', 'file://localhost/srv/idx/simple', ['/srv/idx']],
    ['key=value', 'cert=/etc/ssl/c.pem', ['/etc/ssl/c.pem']],
    ['an option=value', '--find-links=/srv/w', ['/srv/w']],
    ['key = value, quoted', 'find-links = "/srv/q"', ['/srv/q']],
    ['a path to normalise', '/a/../b//c', ['/b/c']],
    ['relative paths', 'wheels ./local ../up', []],
    ['a URL that is not file://', 'https://example.org/simple http://x/y', []],
    ['a file: URL without //', 'file:/srv/w', []],
    ['a word with a NUL', '/a\0b', []]
  ])('%s: %j', (_what, text, expected) => {
    expect(pathsIn(text)).toEqual(expected)
  })

  // pathsIn reads every PIP_*/UV_* variable: PIP_FIND_LINKS=file:///srv/100%/wheels
  // must not fail the action with "URI malformed".
  it('a file:// URL with a malformed % escape is taken as written', () => {
    expect(pathsIn('file:///srv/100%/wheels')).toEqual(['/srv/100%'])
  })
})

describe('programHome', () => {
  it('a Python in <prefix>/bin gives <prefix>', () => {
    expect(programHome(file('py/bin/python3'))).toBe(path.join(T, 'py'))
  })

  it('an executable in a folder not named bin gives its folder', () => {
    expect(programHome(file('tools/uv'))).toBe(path.join(T, 'tools'))
  })

  it.each([
    ['a relative link', 'links/python', '../py2/bin/python3.12'],
    ['a link from another bin folder', 'local/bin/python', '<T>/py2/bin/python3.12']
  ])('%s is resolved first (its real folder, not the link’s)', (_what, rel, target) => {
    file('py2/bin/python3.12')
    const p = link(rel, target.replace('<T>', T))
    expect(programHome(p)).toBe(path.join(T, 'py2'))
  })

  // Only a Python's bin/ gives the folder above it: uv in ~/.cargo/bin must
  // not show ~/.cargo (credentials.toml).
  it('any executable in a folder named bin gives the folder above it', () => {
    expect(programHome(file('cargo/bin/uv'))).toBe(path.join(T, 'cargo', 'bin'))
  })

  it.each([
    ['a missing file', 'missing/bin/python'],
    ['a dangling link', 'dangling']
  ])('%s gives undefined', (what, rel) => {
    const p = what === 'a dangling link' ? link(rel, path.join(T, 'nowhere')) : path.join(T, rel)
    expect(programHome(p)).toBeUndefined()
  })
})

describe('whichOnPath', () => {
  let p1: string
  let p2: string
  beforeAll(() => {
    p1 = path.join(T, 'path1')
    p2 = path.join(T, 'path2')
    file('path1/both')
    file('path2/both')
    file('path1/notexec', 0o644)
    file('path2/notexec')
    fs.mkdirSync(path.join(p1, 'isdir'), { recursive: true })
    file('path2/isdir')
    file('path2/second')
  })

  it.each([
    ['the first folder that has it wins', 'both', () => `${p1}:${p2}`, () => `${p1}/both`],
    [
      'a file that is not executable is passed over',
      'notexec',
      () => `${p1}:${p2}`,
      () => `${p2}/notexec`
    ],
    ['a folder of that name is passed over', 'isdir', () => `${p1}:${p2}`, () => `${p2}/isdir`],
    ['empty entries are skipped', 'second', () => `::${p2}:`, () => `${p2}/second`],
    [
      'nowhere on PATH gives undefined',
      'nothing-of-that-name',
      () => `${p1}:${p2}`,
      () => undefined
    ],
    ['an empty PATH gives undefined', 'both', () => '', () => undefined]
  ])('%s', (_what, name, pathVar, expected) => {
    expect(whichOnPath(name, pathVar())).toBe(expected())
  })

  it('an empty PATH entry does not mean the working folder', () => {
    const cwd = process.cwd()
    process.chdir(p2)
    try {
      expect(whichOnPath('second', `:${p1}`)).toBeUndefined()
    } finally {
      process.chdir(cwd)
    }
  })

  it.each([
    ['an absolute path', '/no/such/tool', '/no/such/tool'],
    ['a relative path with a slash', 'sub/tool', path.resolve('sub/tool')]
  ])('a name with a slash (%s) is resolved, not looked up', (_what, name, expected) => {
    expect(whichOnPath(name, `${p1}:${p2}`)).toBe(expected)
  })
})
