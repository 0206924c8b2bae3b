import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getInputs, parseBoolean, splitList } from '../../src/inputs.js'
import { splitArgs } from '../../src/requirements/pip-args.js'

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-'))
fs.writeFileSync(path.join(workspace, 'requirements.txt'), 'requests\n')
fs.mkdirSync(path.join(workspace, 'a-folder'))

const defaults: Record<string, string> = {
  'layer-name': 'my-deps',
  requirements: 'requirements.txt',
  runtimes: 'python3.12',
  architectures: 'x86_64',
  'python-version': '',
  'pip-args': '',
  publish: 'true',
  'reuse-unchanged': 'true',
  functions: '',
  'aws-region': 'eu-west-1',
  description: '',
  'license-info': '',
  cache: 'true',
  verify: 'true',
  'smoke-test': 'false',
  compile: 'false'
}

function inputs(overrides: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const values = { ...defaults, ...overrides }
  return getInputs(name => values[name] ?? '', env, workspace)
}

describe('getInputs accepts', () => {
  it('ssm-parameter with its placeholders replaced, per region', () => {
    const got = inputs({
      'ssm-parameter': '/layers/{region}/{runtime}-{architecture}',
      'aws-region': 'eu-west-1 us-east-1'
    })
    expect([...(got.ssmParameter ?? [])]).toEqual([
      ['eu-west-1', '/layers/eu-west-1/python3.12-x86_64'],
      ['us-east-1', '/layers/us-east-1/python3.12-x86_64']
    ])
    expect(inputs().ssmParameter).toBeUndefined()
  })

  it('the defaults', () => {
    const got = inputs()
    expect(got.layerName).toBe('my-deps')
    expect(got.requirements.file).toBe(path.join(workspace, 'requirements.txt'))
    expect(got.runtimes).toEqual(['python3.12'])
    expect(got.architectures).toEqual(['x86_64'])
    expect(got.publish).toBe(true)
    expect(got.region).toBe('eu-west-1')
    expect(got.pipArgs).toEqual([])
    expect(got.functions).toEqual([])
  })

  it.each([
    ['python3.12 python3.11', ['python3.11', 'python3.12']],
    ['python3.13,python3.9', ['python3.9', 'python3.13']],
    ['python3.12\npython3.12\n', ['python3.12']],
    [' python3.14 , python3.10 ', ['python3.10', 'python3.14']]
  ])('runtimes %p → %p (sorted by version, deduplicated)', (value, expected) => {
    expect(inputs({ runtimes: value }).runtimes).toEqual(expected)
  })

  it.each([
    ['arm64', ['arm64']],
    ['x86_64, arm64', ['x86_64', 'arm64']],
    ['arm64\narm64', ['arm64']]
  ])('architectures %p → %p', (value, expected) => {
    expect(inputs({ architectures: value }).architectures).toEqual(expected)
  })

  it.each([
    ['fn-a, fn-b\nfn-c', ['fn-a', 'fn-b', 'fn-c']],
    [
      'arn:aws:lambda:eu-west-1:123456789012:function:x',
      ['arn:aws:lambda:eu-west-1:123456789012:function:x']
    ]
  ])('functions %p', (value, expected) => {
    expect(inputs({ functions: value }).functions.map(f => f.input)).toEqual(expected)
  })

  it.each([
    ['', {}, 'eu-west-1'],
    ['', { AWS_REGION: 'us-east-2' }, 'us-east-2'],
    ['', { AWS_DEFAULT_REGION: 'ap-southeast-2' }, 'ap-southeast-2'],
    ['us-gov-west-1', { AWS_REGION: 'us-east-2' }, 'us-gov-west-1']
  ])('aws-region %p with env %p → %p', (value, env, expected) => {
    const region = value || (Object.keys(env).length ? '' : 'eu-west-1')
    expect(inputs({ 'aws-region': region }, env).region).toBe(expected)
  })

  it('no region when publish is false', () => {
    expect(inputs({ 'aws-region': '', publish: 'false' }).region).toBeUndefined()
  })

  it.each([
    ['3.12', '3.12'],
    ['3.12.7', '3.12.7']
  ])('python-version %p', (value, expected) => {
    expect(inputs({ 'python-version': value }).pythonVersion).toBe(expected)
  })

  it('pip-args split like a shell', () => {
    expect(
      inputs({ 'pip-args': `--extra-index-url "https://x.example/simple" --pre --no-deps` }).pipArgs
    ).toEqual(['--extra-index-url', 'https://x.example/simple', '--pre', '--no-deps'])
  })

  it('pip-args naming files: each, and every file a -r/-c file pulls in, counts for the cache', () => {
    fs.mkdirSync(path.join(workspace, 'pins'), { recursive: true })
    fs.writeFileSync(path.join(workspace, 'pins', 'base.txt'), '-c nested.txt\nsix\n')
    fs.writeFileSync(path.join(workspace, 'pins', 'nested.txt'), 'six==1.17.0\n')
    expect(
      inputs({ 'pip-args': '-c pins/base.txt --find-links ./wheels' }).pipFiles.sort()
    ).toEqual(
      ['pins/base.txt', 'pins/nested.txt', 'wheels'].map(f => path.join(workspace, f)).sort()
    )
  })
})

describe('exclude', () => {
  it('is empty by default', () => {
    expect(inputs().exclude).toEqual([])
  })

  it('splits on newlines, spaces and commas, keeps the order and drops duplicates', () => {
    const got = inputs({ exclude: 'boto3/**\nbotocore/**, **/tests/**  *.pyi\nboto3/**\n' })
    expect(got.exclude.map(g => g.pattern)).toEqual([
      'boto3/**',
      'botocore/**',
      '**/tests/**',
      '*.pyi'
    ])
  })

  it.each([
    ['/abs/**', /Input `exclude` has a pattern that cannot be used, "\/abs\/\*\*": it is absolute/],
    [
      '../x',
      /Input `exclude` has a pattern that cannot be used, "\.\.\/x": it has a "\.\." segment/
    ],
    ['ok/** a//b', /"a\/\/b": it has an empty path segment/],
    ['!boto3/**', /"!boto3\/\*\*": negation \(!\) is not supported/],
    ['**', /"\*\*": it matches the whole layer/]
  ])('rejects %p, naming the input and the pattern', (value, message) => {
    expect(() => inputs({ exclude: value })).toThrow(message)
  })
})

describe('getInputs rejects, naming the input and the value', () => {
  it.each([
    [{ 'layer-name': '' }, /`layer-name` is required/],
    [
      { 'pip-args': '-r /proc/self/environ' },
      /`pip-args`: \/proc\/self\/environ is not a requirements file/
    ],
    [{ 'pip-args': '-c missing.txt' }, /`pip-args`: missing\.txt cannot be read/],
    [{ requirements: 'nope.txt' }, /`requirements` points to "nope.txt"/],
    [{ requirements: 'a-folder' }, /`requirements` points to "a-folder", which is not a file/],
    [{ runtimes: '' }, /`runtimes` is required/],
    [{ runtimes: 'python3.8' }, /`runtimes` has an unknown runtime "python3.8"/],
    [{ runtimes: 'python3.12 nodejs20.x' }, /unknown runtime "nodejs20.x"/],
    [{ runtimes: 'Python3.12' }, /unknown runtime "Python3.12"/],
    [{ architectures: 'aarch64' }, /`architectures` has an unknown architecture "aarch64".*arm64/],
    [{ architectures: 'amd64' }, /unknown architecture "amd64".*x86_64/],
    [{ architectures: ' ' }, /`architectures` is empty/],
    [
      { 'ssm-parameter': '/layers/deps', publish: 'false' },
      /`ssm-parameter` \("\/layers\/deps"\) needs `publish: true`/
    ],
    [
      { 'ssm-parameter': '/layers/{architecture}', architectures: 'x86_64 arm64' },
      /`ssm-parameter` is "\/layers\/\{architecture\}": \{architecture\} names one architecture/
    ],
    [
      { 'ssm-parameter': '/aws/deps' },
      /`ssm-parameter` is "\/aws\/deps", which is not a Parameter Store name/
    ],
    [
      { 'signing-profile': 'layers', publish: 'false' },
      /`signing-profile` \("layers"\) needs `publish: true`/
    ],
    [
      { 'signing-profile': 'layers' },
      /`signing-profile` \("layers"\) needs `s3-bucket`: AWS Signer reads the zip from a versioned S3 bucket/
    ],
    [{ 'signing-profile': 'my-profile', 's3-bucket': 'b-1' }, /`signing-profile` is "my-profile"/],
    [
      { 'signing-profile': 'layers', 's3-bucket': 'b-1', description: 'x'.repeat(176) },
      /`description` is 176 characters; with `signing-profile`.*at most 175 characters/
    ],
    [{ publish: 'yes' }, /`publish` must be true or false, got "yes"/],
    [{ cache: '1' }, /`cache` must be true or false, got "1"/],
    [{ verify: 'on' }, /`verify` must be true or false, got "on"/],
    [{ 'smoke-test': 'maybe' }, /`smoke-test` must be one of auto, true, false, got "maybe"/],
    [{ compile: 'no' }, /`compile` must be true or false/],
    [{ 'reuse-unchanged': 'nope' }, /`reuse-unchanged` must be true or false/],
    [{ 'python-version': '3.11' }, /`python-version` is "3.11" but the runtime is Python 3.12/],
    [{ 'python-version': 'latest' }, /`python-version` must be a version/],
    [{ 'python-version': '/no/such/python' }, /`python-version` is a path that does not exist/],
    [
      { runtimes: 'python3.11 python3.12', 'python-version': '3.12' },
      /`python-version` \("3.12"\) can only be used with runtimes of one Python version/
    ],
    [{ 'pip-args': '--target /tmp/x' }, /`pip-args` contains "--target"/],
    [{ 'pip-args': '-t/tmp/x' }, /`pip-args` contains "-t\/tmp\/x"/],
    [{ 'pip-args': '--platform=win_amd64' }, /`pip-args` contains "--platform=win_amd64"/],
    [{ 'pip-args': '--only-binary :all:' }, /`pip-args` contains "--only-binary"/],
    [{ 'pip-args': '--python-version 3.8' }, /`pip-args` contains "--python-version"/],
    [{ 'pip-args': '--index-url "https://x' }, /`pip-args` has an unclosed " quote/],
    [{ 'aws-region': 'Europe' }, /input `aws-region` is not a valid AWS region: "Europe"/],
    [{ 'aws-region': 'us-east-1a' }, /not a valid AWS region: "us-east-1a"/],
    [{ 'aws-region': '' }, /No AWS region/],
    [
      { description: 'x'.repeat(257) },
      /`description` is 257 characters long; Lambda allows at most 256/
    ],
    [{ 'license-info': 'x'.repeat(513) }, /`license-info` is 513 characters long/],
    [{ publish: 'false', functions: 'fn' }, /`functions` \(fn\) needs `publish: true`/],
    [
      { runtimes: Array.from({ length: 16 }, () => 'python3.12').join(' ') + ' python3.99' },
      /unknown runtime "python3.99"/
    ]
  ])('%p', (overrides, message) => {
    expect(() => inputs(overrides as Record<string, string>, {})).toThrow(message)
  })

  it('strip: true where no strip is on PATH: says to install binutils, before anything runs', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-strip-'))
    expect(() => inputs({ strip: 'true' }, { PATH: empty })).toThrow(
      /^Input `strip` is true, but this runner has no `strip` program on PATH: strip comes with binutils .*Install binutils before this step \(`sudo apt-get install -y binutils` .*or set `strip: false`\. Nothing was installed\.$/
    )
    expect(() => inputs({ strip: 'yes' }, {})).toThrow(/`strip` must be true or false, got "yes"/)
  })

  it('strip: false by default; true where a strip is on PATH', () => {
    expect(inputs().strip).toBe(false)
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'strip-bin-'))
    fs.writeFileSync(path.join(bin, 'strip'), '#!/bin/sh\n', { mode: 0o755 })
    expect(inputs({ strip: 'true' }, { PATH: bin }).strip).toBe(true)
  })

  it('a region from AWS_REGION that is not a region names AWS_REGION', () => {
    expect(() => inputs({ 'aws-region': '' }, { AWS_REGION: 'mars' })).toThrow(
      /region from AWS_REGION is not a valid AWS region: "mars"/
    )
  })
})

describe('helpers', () => {
  it.each([
    ['a b', ['a', 'b']],
    ["'a b' c", ['a b', 'c']],
    ['"a \\"q\\"" d', ['a "q"', 'd']],
    ['a\\ b', ['a b']],
    ["''", ['']],
    ['  ', []]
  ])('splitArgs(%p) → %p', (value, expected) => {
    expect(splitArgs(value)).toEqual(expected)
  })

  it.each([
    ['a,b c\nd', ['a', 'b', 'c', 'd']],
    ['', []],
    [' , ,', []]
  ])('splitList(%p) → %p', (value, expected) => {
    expect(splitList(value)).toEqual(expected)
  })

  it.each([
    ['true', true],
    ['True', true],
    ['FALSE', false]
  ])('parseBoolean(%p)', (value, expected) => {
    expect(parseBoolean('x', value)).toBe(expected)
  })
})

describe('getInputs checks names before any work', () => {
  it.each([
    [{ 'layer-name': 'my layer' }, /layer-name "my layer"/],
    [{ 'layer-name': 'x'.repeat(141) }, /layer-name .*141 characters/],
    [{ 'layer-name': 'arn:aws:lambda:eu-west-1:123456789012:layer:deps:3' }, /drop ":3"/],
    [
      { 'layer-name': 'arn:aws:lambda:us-east-1:123456789012:layer:deps' },
      /in us-east-1 but the action runs in eu-west-1/
    ],
    [{ functions: 'good-fn, bad fn!' }, /functions entry "fn!"/],
    [{ functions: 'my-fn:7' }, /functions entry "my-fn:7".*immutable/],
    [
      { functions: 'arn:aws:lambda:us-west-2:123456789012:function:f' },
      /Input `functions` has "arn:aws:lambda:us-west-2:123456789012:function:f", a function in us-west-2, but `aws-region` lists eu-west-1/
    ]
  ])('%p', (overrides, message) => {
    expect(() => inputs(overrides as Record<string, string>, {})).toThrow(message)
  })
})

describe('requirements includes', () => {
  it('names a missing -r file before any work starts', () => {
    fs.writeFileSync(path.join(workspace, 'with-include.txt'), 'requests\n-r common.txt\n')
    expect(() => inputs({ requirements: 'with-include.txt' })).toThrow(
      /Input `requirements`: with-include.txt refers to common.txt, which cannot be read/
    )
  })
})
