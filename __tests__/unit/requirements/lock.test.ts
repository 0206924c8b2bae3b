import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import path from 'node:path'
import {
  isPyPI,
  kindOf,
  lockIndexes,
  packagesFor,
  pinnedLine,
  readPipfileLock,
  readPoetryLock,
  readPylock
} from '../../../src/requirements/lock.js'
import { evaluateMarker, lambdaEnvironment } from '../../../src/requirements/markers.js'
import { ROOT } from '../../helpers/action.js'

const FIXTURES = path.join(ROOT, '__tests__', 'fixtures')
const x86 = lambdaEnvironment('python3.12', 'x86_64', '3.12.7')
const arm = lambdaEnvironment('python3.12', 'arm64', '3.12.7')

describe('kindOf', () => {
  it.each([
    ['requirements.txt', 'requirements'],
    ['requirements/prod.in', 'requirements'],
    ['uv.lock', 'uv-lock'],
    ['sub/poetry.lock', 'poetry-lock'],
    ['Pipfile.lock', 'pipfile-lock'],
    ['pylock.toml', 'pylock'],
    ['pylock.lambda.toml', 'pylock'],
    ['pyproject.toml', 'pyproject']
  ])('%s → %s', (file, kind) => {
    expect(kindOf(file)).toBe(kind)
  })
})

describe('readPylock', () => {
  const file = path.join(FIXTURES, 'uv-project', 'pylock.lambda.toml')
  const packages = readPylock(fs.readFileSync(file, 'utf8'), file)

  it('reads names, versions, markers, hashes and local directories', () => {
    const six = packages.find(p => p.name === 'six')
    expect(six?.version).toBe('1.17.0')
    expect(six?.hashes).toContain(
      '4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274'
    )
    // Each file by name, for the SBOM to tell which one was installed.
    expect(six?.files).toEqual([
      {
        name: 'six-1.17.0-py2.py3-none-any.whl',
        sha256: '4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274'
      },
      {
        name: 'six-1.17.0.tar.gz',
        sha256: 'ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81'
      }
    ])
    expect(packages.find(p => p.name === 'lpl-helper')).toEqual({
      name: 'lpl-helper',
      hashes: [],
      directory: 'libs/helper'
    })
    expect(packages.find(p => p.name === 'typing-extensions')?.marker).toBe(
      "platform_machine == 'aarch64'"
    )
  })

  it('keeps, per target, the packages whose markers hold there', () => {
    const on = (env: typeof x86) => packagesFor(packages, env).map(p => p.name)
    expect(on(x86)).not.toContain('typing-extensions')
    expect(on(arm)).toContain('typing-extensions')
    expect(on(x86)).not.toContain('colorama')
  })

  it('writes exact pins with every hash', () => {
    const six = packages.find(p => p.name === 'six')
    expect(six && pinnedLine(six)).toMatch(
      /^six==1\.17\.0 --hash=sha256:[0-9a-f]{64} --hash=sha256:[0-9a-f]{64}$/
    )
  })

  it.each([
    ['lock-version = "2.0"\n', /lock-version "2\.0"/],
    [
      'lock-version = "1.0"\n[[packages]]\nname = "x"\nversion = "1"\n',
      /locks x 1 without sha256 hashes/
    ],
    [
      'lock-version = "1.0"\n[[packages]]\nname = "x"\nvcs = { url = "https://x" }\n',
      /from version control/
    ],
    ['not toml =', /is not valid TOML/]
  ])('refuses %p', (text, why) => {
    expect(() => readPylock(text, '/ws/pylock.toml')).toThrow(why)
  })
})

describe('readPipfileLock', () => {
  const file = path.join(FIXTURES, 'pipenv-project', 'Pipfile.lock')
  const text = fs.readFileSync(file, 'utf8')

  it('reads default, and the categories asked for', () => {
    expect(
      readPipfileLock(text, file, [])
        .map(p => p.name)
        .sort()
    ).toEqual(['colorama', 'idna', 'six', 'typing-extensions'])
    expect(readPipfileLock(text, file, ['develop']).map(p => p.name)).toContain('certifi')
  })

  it('names a category it does not have', () => {
    expect(() => readPipfileLock(text, file, ['lambda'])).toThrow(
      /has no "lambda" category \(input `groups`\); it has default, develop/
    )
  })
})

describe('readPoetryLock reads poetry.lock as `poetry export` does', () => {
  const dir = path.join(FIXTURES, 'poetry-project')
  const file = path.join(dir, 'poetry.lock')
  const text = fs.readFileSync(file, 'utf8')

  /** "name==version hashes" of a `poetry export` whose markers hold in `env` (the exports were made with Poetry 2.5.1). */
  function exported(name: string, env: ReturnType<typeof lambdaEnvironment>): string[] {
    const joined = fs.readFileSync(path.join(dir, name), 'utf8').replace(/\\\n\s*/g, ' ')
    return joined
      .split('\n')
      .filter(l => /^[A-Za-z0-9]/.test(l))
      .map(l => {
        const [spec, rest = ''] = l.split(' ; ')
        const marker = rest.split(' --hash')[0].trim()
        const hashes = [...l.matchAll(/--hash=sha256:([0-9a-f]{64})/g)].map(m => m[1]).sort()
        return { pin: `${spec.split(' --hash')[0].trim()} ${hashes.join(',')}`, marker }
      })
      .filter(e => !e.marker || evaluateMarker(e.marker, env))
      .map(e => e.pin)
      .sort()
  }

  it.each<[string, string[], string[]]>([
    ['export.default.txt', [], []],
    ['export.lambda-s3.txt', ['lambda'], ['s3']],
    ['export.dev.txt', ['dev'], []]
  ])(
    '%s: the same packages, versions and hashes, on every target',
    (exportFile, groups, extras) => {
      const packages = readPoetryLock(text, file, groups)
      for (const [runtime, arch, full] of [
        ['python3.12', 'x86_64', '3.12.7'],
        ['python3.11', 'arm64', '3.11.9']
      ] as const) {
        const env = lambdaEnvironment(runtime, arch, full, { extras })
        const ours = packagesFor(packages, env)
          .map(p => `${p.name}==${p.version} ${[...p.hashes].sort().join(',')}`)
          .sort()
        expect(ours).toEqual(exported(exportFile, env))
      }
      const six = packages.find(p => p.name === 'six')
      expect(six?.hashes).toHaveLength(2)
    }
  )

  it('names a group it does not have; an older lock-version is read with the pyproject.toml', () => {
    expect(() => readPoetryLock(text, file, ['docs'])).toThrow(
      /has no group docs \(input `groups`\); it has dev, lambda, main/
    )
    expect(() => readPoetryLock('[metadata]\nlock-version = "2.0"\n', file, [])).toThrow(
      /lock-version 2\.0, which records no groups per package: it is read with the pyproject\.toml beside it/
    )
  })
})

describe('the indexes a lock names', () => {
  const hash = 'a'.repeat(64)

  it('pylock.toml: each package says its index', () => {
    const text = [
      'lock-version = "1.0"',
      '[[packages]]',
      'name = "six"',
      'version = "1.17.0"',
      'index = "https://pypi.org/simple"',
      `wheels = [{ name = "six-1.17.0-py2.py3-none-any.whl", hashes = { sha256 = "${hash}" } }]`,
      '[[packages]]',
      'name = "corp-lib"',
      'version = "2.0"',
      'index = "https://pkgs.example.com/simple/"',
      `wheels = [{ name = "corp_lib-2.0-py3-none-any.whl", hashes = { sha256 = "${hash}" } }]`
    ].join('\n')
    const packages = readPylock(text, 'pylock.toml')
    expect(packages.map(p => p.index)).toEqual([
      'https://pypi.org/simple',
      'https://pkgs.example.com/simple/'
    ])
    // PyPI is left to the configuration (it may point at a mirror).
    expect(lockIndexes(packages)).toEqual(['https://pkgs.example.com/simple/'])
  })

  it('Pipfile.lock: a package names its source; without a name, the first source', () => {
    const text = JSON.stringify({
      _meta: {
        sources: [
          { name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true },
          { name: 'corp', url: 'https://pkgs.example.com/simple', verify_ssl: true }
        ]
      },
      default: {
        six: { version: '==1.17.0', hashes: [`sha256:${hash}`] },
        'corp-lib': { version: '==2.0', index: 'corp', hashes: [`sha256:${hash}`] }
      }
    })
    const packages = readPipfileLock(text, 'Pipfile.lock', [])
    expect(lockIndexes(packages)).toEqual(['https://pkgs.example.com/simple'])
    expect(packages.find(p => p.name === 'six')?.index).toBe('https://pypi.org/simple')
  })

  it('poetry.lock: a legacy source names its URL; PyPI packages have none', () => {
    const text = [
      '[metadata]',
      'lock-version = "2.1"',
      '[[package]]',
      'name = "corp-lib"',
      'version = "2.0"',
      'groups = ["main"]',
      `files = [{ file = "corp_lib-2.0-py3-none-any.whl", hash = "sha256:${hash}" }]`,
      '[package.source]',
      'type = "legacy"',
      'url = "https://pkgs.example.com/simple"',
      'reference = "corp"'
    ].join('\n')
    expect(lockIndexes(readPoetryLock(text, 'poetry.lock', []))).toEqual([
      'https://pkgs.example.com/simple'
    ])
  })

  it('knows PyPI however it is spelled', () => {
    expect(isPyPI('https://pypi.org/simple/')).toBe(true)
    expect(isPyPI('https://pypi.python.org/simple')).toBe(true)
    expect(isPyPI('https://pypi.org.evil.example/simple')).toBe(false)
  })
})
