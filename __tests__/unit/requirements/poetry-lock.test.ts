import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import path from 'node:path'
import { lockPackagesFor, readDataLock, readOldPoetryLock } from '../../../src/requirements/lock.js'
import {
  evaluateMarker,
  lambdaEnvironment,
  type MarkerEnvironment
} from '../../../src/requirements/markers.js'
import type { Architecture, Runtime } from '../../../src/runtimes.js'
import { ROOT } from '../../helpers/action.js'

const FIXTURES = path.join(ROOT, '__tests__', 'fixtures')

/**
 * "name==version hashes" of each line of a recorded `poetry export` whose
 * marker holds in `env`; a package exported twice (`httpx` and
 * `httpx[socks]`) counts once.
 */
function exported(file: string, env: MarkerEnvironment): string[] {
  const joined = fs.readFileSync(file, 'utf8').replace(/\\\n\s*/g, ' ')
  const pins = joined
    .split('\n')
    .filter(l => /^[A-Za-z0-9]/.test(l))
    .map(l => {
      const [spec, rest = ''] = l.split(' ; ')
      const marker = rest.split(' --hash')[0].trim()
      const hashes = [...l.matchAll(/--hash=sha256:([0-9a-f]{64})/g)].map(m => m[1]).sort()
      const pin = spec
        .split(' --hash')[0]
        .trim()
        .replace(/\[[^\]]*\]/, '')
      return { pin: `${pin} ${hashes.join(',')}`.trim(), marker }
    })
    .filter(e => !e.marker || evaluateMarker(e.marker, env))
    .map(e => e.pin)
  return [...new Set(pins)].sort()
}

const TARGETS: Array<[Runtime, Architecture, string]> = [
  ['python3.9', 'x86_64', '3.9.18'],
  ['python3.10', 'arm64', '3.10.13'],
  ['python3.11', 'x86_64', '3.11.7'],
  ['python3.12', 'x86_64', '3.12.7'],
  ['python3.12', 'arm64', '3.12.7'],
  ['python3.13', 'arm64', '3.13.1']
]

/** The reader's packages for one target, in the form of `exported`. */
function ours(dir: string, groups: string[], env: MarkerEnvironment, hashes = true): string[] {
  const lock = readDataLock(path.join(FIXTURES, dir, 'poetry.lock'), groups)
  return lockPackagesFor(lock, env)
    .map(p => `${p.name}==${p.version}${hashes ? ` ${[...p.hashes].sort().join(',')}` : ''}`)
    .sort()
}

describe.each<[string, string, string, Array<[string, string[], string[]]>]>([
  [
    'lock-version 2.0',
    'poetry-1.8-project',
    'Poetry 1.8.5, poetry-plugin-export 1.8.0',
    [
      ['export.default.txt', [], []],
      ['export.lambda-cache.txt', ['lambda'], ['cache']],
      ['export.dev.txt', ['dev'], []]
    ]
  ],
  [
    'lock-version 1.1',
    'poetry-1.2-project',
    'Poetry 1.2.2, poetry-plugin-export 1.2.0',
    [
      ['export.default.txt', [], []],
      ['export.dev-cache.txt', ['dev'], ['cache']]
    ]
  ]
])('poetry.lock %s (%s), read as `poetry export` does', (_, dir, _by, cases) => {
  it.each(cases)(
    '%s: the same packages, versions and hashes on every target',
    (exportFile, groups, extras) => {
      for (const [runtime, arch, full] of TARGETS) {
        const env = lambdaEnvironment(runtime, arch, full, { extras })
        expect({ target: `${runtime}/${arch}`, packages: ours(dir, groups, env) }).toEqual({
          target: `${runtime}/${arch}`,
          packages: exported(path.join(FIXTURES, dir, exportFile), env)
        })
      }
    }
  )

  it('export.default.nohash.txt (--without-hashes): the same pins', () => {
    for (const [runtime, arch, full] of TARGETS) {
      const env = lambdaEnvironment(runtime, arch, full)
      expect(ours(dir, [], env, false)).toEqual(
        exported(path.join(FIXTURES, dir, 'export.default.nohash.txt'), env)
      )
    }
  })
})

describe('the walk, on what the recorded locks show', () => {
  const env = (runtime: Runtime, arch: Architecture, full: string, extras: string[] = []) =>
    lambdaEnvironment(runtime, arch, full, { extras })
  const names = (dir: string, groups: string[], e: MarkerEnvironment) =>
    ours(dir, groups, e, false).map(p => p.split(' ')[0])

  it('takes the version locked for the Python of the target (urllib3 1.26 below 3.10, 2.x above)', () => {
    expect(names('poetry-1.8-project', ['lambda'], env('python3.9', 'x86_64', '3.9.18'))).toContain(
      'urllib3==1.26.20'
    )
    expect(
      names('poetry-1.8-project', ['lambda'], env('python3.12', 'x86_64', '3.12.7'))
    ).toContain('urllib3==2.8.0')
  })

  it('follows a dependency a package has only with an extra asked of it (httpx[socks] → socksio)', () => {
    expect(names('poetry-1.8-project', [], env('python3.12', 'x86_64', '3.12.7'))).toContain(
      'socksio==1.0.0'
    )
  })

  it("adds a project's optional dependency only with its extra", () => {
    const e = env('python3.12', 'x86_64', '3.12.7')
    expect(names('poetry-1.8-project', [], e)).not.toContain('cachetools==5.5.0')
    expect(
      names('poetry-1.8-project', [], env('python3.12', 'x86_64', '3.12.7', ['cache']))
    ).toContain('cachetools==5.5.0')
  })

  it('evaluates markers for the target: python, platform_machine, sys_platform', () => {
    const py39 = names('poetry-1.8-project', [], env('python3.9', 'x86_64', '3.9.18'))
    const py312 = names('poetry-1.8-project', [], env('python3.12', 'x86_64', '3.12.7'))
    const py313arm = names('poetry-1.8-project', [], env('python3.13', 'arm64', '3.13.1'))
    expect(py39).toEqual(expect.arrayContaining(['importlib-metadata==8.5.0', 'zipp==3.23.1']))
    expect(py312).not.toContain('importlib-metadata==8.5.0')
    expect(py312).toContain('typing-extensions==4.12.2')
    expect(names('poetry-1.8-project', [], env('python3.13', 'x86_64', '3.13.1'))).not.toContain(
      'typing-extensions==4.12.2'
    )
    expect(py313arm).toContain('typing-extensions==4.12.2')
    expect(py312.some(p => p.startsWith('colorama'))).toBe(false)
  })

  it('names a group the project does not declare, with those it does', () => {
    expect(() =>
      readDataLock(path.join(FIXTURES, 'poetry-1.8-project', 'poetry.lock'), ['docs'])
    ).toThrow(
      /poetry\.lock has no group docs \(input `groups`\): pyproject\.toml beside it declares dev, lambda, main/
    )
  })
})

describe('readOldPoetryLock on small locks', () => {
  const hash = (c: string) => `sha256:${c.repeat(64)}`
  const lock = (packages: string) =>
    `${packages}\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.9"\ncontent-hash = "x"\n`
  const pkg = (name: string, version: string, extra = '') =>
    `[[package]]\nname = "${name}"\nversion = "${version}"\ndescription = ""\noptional = false\npython-versions = ">=3.8"\nfiles = [{file = "${name}-${version}.tar.gz", hash = "${hash('a')}"}]\n${extra}\n`
  const py312 = lambdaEnvironment('python3.12', 'x86_64', '3.12.7')

  it('reads [project].dependencies (Poetry 2 metadata) and its optional dependencies with extras', () => {
    const walked = readOldPoetryLock(
      lock(
        pkg('six', '1.17.0') +
          pkg('jmespath', '1.0.1').replace('optional = false', 'optional = true')
      ) + '[extras]\ns3 = ["jmespath"]\n',
      'poetry.lock',
      '[project]\nname = "svc"\nrequires-python = ">=3.9"\ndependencies = ["six==1.17.0"]\n[project.optional-dependencies]\ns3 = ["jmespath"]\n',
      'pyproject.toml',
      []
    )
    expect(walked.select(py312).map(p => p.name)).toEqual(['six'])
    const withS3 = lambdaEnvironment('python3.12', 'x86_64', '3.12.7', { extras: ['s3'] })
    expect(walked.select(withS3).map(p => p.name)).toEqual(['jmespath', 'six'])
  })

  it('leaves out the project itself, and what its Python range excludes', () => {
    const walked = readOldPoetryLock(
      lock(pkg('six', '1.17.0')),
      'poetry.lock',
      '[tool.poetry]\nname = "svc"\n[tool.poetry.dependencies]\npython = "~3.11"\nsix = "*"\nsvc = {path = "."}\n',
      'pyproject.toml',
      []
    )
    expect(walked.select(py312)).toEqual([])
    expect(
      walked.select(lambdaEnvironment('python3.11', 'x86_64', '3.11.7')).map(p => p.name)
    ).toEqual(['six'])
  })

  it('takes, of the versions locked, the highest whose Python range holds the target', () => {
    const walked = readOldPoetryLock(
      lock(
        pkg('numpy', '2.0.0').replace('python-versions = ">=3.8"', 'python-versions = ">=3.10"') +
          pkg('numpy', '1.26.0')
      ),
      'poetry.lock',
      '[tool.poetry.dependencies]\npython = "^3.9"\nnumpy = "*"\n',
      'pyproject.toml',
      []
    )
    const version = (full: string, runtime: Runtime) =>
      walked.select(lambdaEnvironment(runtime, 'x86_64', full)).map(p => p.version)
    expect(version('3.9.18', 'python3.9')).toEqual(['1.26.0'])
    expect(version('3.12.7', 'python3.12')).toEqual(['2.0.0'])
  })

  it("follows a package's optional dependency only when its extra is asked of it", () => {
    const locked = lock(
      pkg(
        'httpx',
        '0.27.2',
        '[package.dependencies]\nsocksio = {version = ">=1.0.0,<2.0.0", optional = true, markers = "extra == \\"socks\\""}\n[package.extras]\nsocks = ["socksio (==1.*)"]\n'
      ) + pkg('socksio', '1.0.0')
    )
    const select = (requirement: string) =>
      readOldPoetryLock(
        locked,
        'poetry.lock',
        `[tool.poetry.dependencies]\npython = "^3.9"\nhttpx = ${requirement}\n`,
        'pyproject.toml',
        []
      )
        .select(py312)
        .map(p => p.name)
    expect(select('"*"')).toEqual(['httpx'])
    expect(select('{version = "*", extras = ["socks"]}')).toEqual(['httpx', 'socksio'])
  })

  it('refuses a package from version control that a target needs', () => {
    const walked = readOldPoetryLock(
      lock(
        '[[package]]\nname = "corp"\nversion = "1.0"\ndescription = ""\noptional = false\npython-versions = "*"\nfiles = []\n[package.source]\ntype = "git"\nurl = "https://example.com/corp.git"\nreference = "main"\nresolved_reference = "abc"\n'
      ),
      'poetry.lock',
      '[tool.poetry.dependencies]\npython = "^3.9"\ncorp = {git = "https://example.com/corp.git"}\n',
      'pyproject.toml',
      []
    )
    expect(() => walked.select(py312)).toThrow(/locks corp from version control/)
  })

  it('fails as the export fails when no locked version fits', () => {
    const walked = readOldPoetryLock(
      lock(pkg('a', '1.0', '[package.dependencies]\nb = ">=2"\n') + pkg('b', '1.0')),
      'poetry.lock',
      '[tool.poetry.dependencies]\npython = "^3.9"\na = "*"\n',
      'pyproject.toml',
      []
    )
    expect(() => walked.select(py312)).toThrow(
      /has no version of b that fits Python 3\.12\.7 for a 1\.0/
    )
  })
})
