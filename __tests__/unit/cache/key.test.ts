import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  BUILD_FORMAT_VERSION,
  computeCacheKey,
  type KeyParts,
  relevantPipConfig
} from '../../../src/cache/key.js'
import { credentialsIn, redactCredentials } from '../../../src/requirements/credentials.js'
import { readRequirementsTree, requirementLines } from '../../../src/requirements/tree.js'

const base: KeyParts = {
  requirements: [{ name: 'requirements.txt', lines: ['requests==2.32.3', 'numpy==2.2.6'] }],
  localPaths: [],
  runtimes: ['python3.12'],
  architectures: ['x86_64'],
  interpreters: { 'python3.12': '3.12.7' },
  pipArgs: [],
  pipConfig: ["global.index-url='https://pypi.org/simple'"],
  compile: false,
  exclude: [],
  buildFromSource: 'auto',
  installer: 'pip',
  os: 'Linux',
  formatVersion: BUILD_FORMAT_VERSION
}

describe('computeCacheKey', () => {
  it('has a readable prefix and no commas', () => {
    const key = computeCacheKey(base)
    expect(key).toMatch(/^lambda-python-layer-v\d+-Linux-python3\.12-x86_64-[0-9a-f]{32}$/)
  })

  it('is stable for equal parts', () => {
    expect(computeCacheKey({ ...base })).toBe(computeCacheKey(base))
  })

  it.each<[string, Partial<KeyParts>]>([
    [
      'a requirement',
      { requirements: [{ name: 'requirements.txt', lines: ['requests==2.32.4', 'numpy==2.2.6'] }] }
    ],
    [
      'an included file',
      { requirements: [...base.requirements, { name: 'more.txt', lines: ['idna'] }] }
    ],
    ['a local path fingerprint', { localPaths: [{ name: 'wheels', digest: 'abc' }] }],
    ['the runtimes', { runtimes: ['python3.12', 'python3.13'] }],
    ['the architectures', { architectures: ['arm64'] }],
    ['the interpreter patch version', { interpreters: { 'python3.12': '3.12.8' } }],
    ['pip-args', { pipArgs: ['--pre'] }],
    ['the index in effect', { pipConfig: ["global.index-url='https://mirror.example/simple'"] }],
    ['compile', { compile: true }],
    ['exclude', { exclude: ['boto3/**'] }],
    ['build-from-source', { buildFromSource: 'pure' }],
    ['the installer', { installer: 'uv 0.13.9' }],
    ['strip: true', { strip: 'x86_64: GNU strip (GNU Binutils for Ubuntu) 2.42' }],
    ['the OS', { os: 'macOS' }],
    ['the build format version', { formatVersion: BUILD_FORMAT_VERSION + 1 }]
  ])('changes with %s', (_what, change) => {
    expect(computeCacheKey({ ...base, ...change })).not.toBe(computeCacheKey(base))
  })

  it('changes with the version of strip', () => {
    const a = computeCacheKey({ ...base, strip: 'x86_64: GNU strip (GNU Binutils) 2.42' })
    const b = computeCacheKey({ ...base, strip: 'x86_64: GNU strip (GNU Binutils) 2.43' })
    expect(a).not.toBe(b)
  })

  it('strip: false adds nothing to the key', () => {
    // The key of `base` (build format 5): pinned, so a change of what goes in shows here.
    const pinned = 'lambda-python-layer-v5-Linux-python3.12-x86_64-36757524f38aee2e8eaa785fa0fdb1c2'
    expect(BUILD_FORMAT_VERSION).toBe(5)
    expect(computeCacheKey(base)).toBe(pinned)
    expect(computeCacheKey({ ...base, strip: undefined })).toBe(pinned)
  })

  it('does not change with the order of exclude patterns', () => {
    const a = computeCacheKey({ ...base, exclude: ['boto3/**', '**/tests/**'] })
    const b = computeCacheKey({ ...base, exclude: ['**/tests/**', 'boto3/**'] })
    expect(a).toBe(b)
  })

  it('does not change with credentials in index URLs', () => {
    const a = computeCacheKey({
      ...base,
      pipArgs: ['--extra-index-url', 'https://u:token1@x.example/simple']
    })
    const b = computeCacheKey({
      ...base,
      pipArgs: ['--extra-index-url', 'https://u:token2@x.example/simple']
    })
    expect(a).toBe(b)
  })
})

describe('requirements normalization', () => {
  it('drops comments, blank lines and spacing, joins continuations', () => {
    expect(
      requirementLines('# top\nrequests==2.32.3  # pinned\n\n  numpy \\\n  ==2.2.6\nurl#frag\n')
    ).toEqual(['requests==2.32.3', 'numpy ==2.2.6', 'url#frag'])
  })

  it('makes a comment-only edit keep the key', () => {
    const a = requirementLines('requests==2.32.3\n')
    const b = requirementLines('# bump later\nrequests==2.32.3   # http\n')
    expect(a).toEqual(b)
  })
})

describe('readRequirementsTree', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reqtree-'))
  fs.mkdirSync(path.join(dir, 'sub'))
  fs.mkdirSync(path.join(dir, 'wheels'))
  fs.writeFileSync(path.join(dir, 'wheels', 'a-1.0-py3-none-any.whl'), 'wheel bytes')
  fs.writeFileSync(
    path.join(dir, 'requirements.txt'),
    '-r sub/base.txt\n--constraint=c.txt\n-f ./wheels\nrequests\n'
  )
  fs.writeFileSync(path.join(dir, 'sub', 'base.txt'), 'idna\n-c ../c.txt\n')
  fs.writeFileSync(path.join(dir, 'c.txt'), 'idna<4\n')

  it('follows -r and -c (relative to each file) and fingerprints local folders', () => {
    const tree = readRequirementsTree(path.join(dir, 'requirements.txt'))
    expect(tree.requirements.map(r => r.name)).toEqual([
      'requirements.txt',
      'sub/base.txt',
      'c.txt'
    ])
    expect(tree.localPaths.map(p => p.name)).toEqual(['wheels'])
  })

  it('sees a changed constraint file', () => {
    const before = readRequirementsTree(path.join(dir, 'requirements.txt'))
    fs.writeFileSync(path.join(dir, 'c.txt'), 'idna<3\n')
    const after = readRequirementsTree(path.join(dir, 'requirements.txt'))
    expect(after.requirements).not.toEqual(before.requirements)
  })

  it('sees a changed wheel in a local folder', () => {
    const before = readRequirementsTree(path.join(dir, 'requirements.txt'))
    fs.writeFileSync(path.join(dir, 'wheels', 'a-1.0-py3-none-any.whl'), 'other bytes')
    const after = readRequirementsTree(path.join(dir, 'requirements.txt'))
    expect(after.localPaths[0].digest).not.toBe(before.localPaths[0].digest)
  })

  it('names a missing included file', () => {
    fs.writeFileSync(path.join(dir, 'broken.txt'), '-r nowhere.txt\n')
    expect(() => readRequirementsTree(path.join(dir, 'broken.txt'))).toThrow(
      /refers to nowhere.txt/
    )
  })
})

describe('pip configuration', () => {
  it('keeps index settings, drops transport settings, removes credentials', () => {
    const lines = relevantPipConfig(
      [
        "global.index-url='https://user:secret@pypi.example/simple'",
        "global.timeout='60'",
        "global.cert='/etc/ssl/cert.pem'",
        ":env:.extra-index-url='https://x.example/simple'"
      ].join('\n')
    )
    expect(lines).toEqual([
      ":env:.extra-index-url='https://x.example/simple'",
      "global.index-url='https://pypi.example/simple'"
    ])
    expect(lines.join(' ')).not.toContain('secret')
  })

  it('redacts user:password@ and token parameters', () => {
    expect(redactCredentials('https://a:b@h/simple?token=xyz&x=1')).toBe(
      'https://h/simple?token=&x=1'
    )
  })
})

describe('local paths resolve as pip resolves them', () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'repo-'))
  fs.mkdirSync(path.join(repo, 'libs', 'shared'), { recursive: true })
  fs.mkdirSync(path.join(repo, 'services', 'api', 'wheels'), { recursive: true })
  fs.writeFileSync(path.join(repo, 'libs', 'shared', 'setup.py'), 'v1')
  fs.writeFileSync(
    path.join(repo, 'services', 'api', 'requirements.txt'),
    './libs/shared\n--find-links wheels\n'
  )

  it('package paths from the folder pip runs in, --find-links from the file', () => {
    const tree = readRequirementsTree(path.join(repo, 'services', 'api', 'requirements.txt'), repo)
    expect(tree.localPaths.map(p => p.name)).toEqual(['libs/shared', 'services/api/wheels'])
    expect(tree.localPaths[0].digest).not.toBe('missing')
  })

  it('sees an edit inside a local package', () => {
    const file = path.join(repo, 'services', 'api', 'requirements.txt')
    const before = readRequirementsTree(file, repo).localPaths[0].digest
    fs.writeFileSync(path.join(repo, 'libs', 'shared', 'setup.py'), 'v2')
    expect(readRequirementsTree(file, repo).localPaths[0].digest).not.toBe(before)
  })
})

describe('credentialsIn', () => {
  it.each([
    ['--extra-index-url https://user:s3cret@x.example/simple', ['user:s3cret', 's3cret']],
    ['-i https://ghp_tokenvalue@x.example/simple', ['ghp_tokenvalue']],
    ['--index-url https://x.example/simple?token=abc123&y=1', ['abc123']],
    ['--pre --no-deps', []]
  ])('%p → %p', (text, expected) => {
    expect(credentialsIn(text)).toEqual(expected)
    for (const secret of expected) expect(redactCredentials(text)).not.toContain(secret)
  })
})
