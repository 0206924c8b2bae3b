import { describe, expect, it } from '@jest/globals'
import { sourceBuildArgs, unreachableIndexes } from '../../../src/install/no-wheel.js'
import {
  indexArgs,
  parsePipOptions,
  requirementIndexArgs
} from '../../../src/requirements/pip-args.js'

describe('unreachableIndexes reads pip -vv logs', () => {
  it('a refused connection', () => {
    const log = [
      'Fetching project page and analyzing links: http://127.0.0.1:9/simple/six/',
      "Could not fetch URL http://127.0.0.1:9/simple/six/: connection error: HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /simple/six/ (Caused by NewConnectionError('<pip._vendor.urllib3.connection.HTTPConnection object at 0x7f54c88837d0>: Failed to establish a new connection: [Errno 111] Connection refused')) - skipping",
      'ERROR: No matching distribution found for six'
    ].join('\n')
    expect(unreachableIndexes(log)).toEqual([
      'http://127.0.0.1:9/simple/six/ (Failed to establish a new connection: [Errno 111] Connection refused)'
    ])
  })

  it('an http:// index pip ignores', () => {
    const log =
      "WARNING: The repository located at no-such.invalid is not a trusted or secure host and is being ignored. If this repository is available via HTTPS we recommend you use HTTPS instead, otherwise you may silence this warning and allow it anyway with '--trusted-host no-such.invalid'."
    expect(unreachableIndexes(log)).toEqual([
      'http://no-such.invalid (ignored by pip: not HTTPS; use https://, or add --trusted-host no-such.invalid to pip-args)'
    ])
  })

  it('a 404 is an answer, not an unreachable index', () => {
    const log =
      'Could not fetch URL https://pypi.org/simple/nope/: 404 Client Error: Not Found for url: https://pypi.org/simple/nope/ - skipping'
    expect(unreachableIndexes(log)).toEqual([])
  })
})

describe('sourceBuildArgs', () => {
  /** pip-args and the install's index options, as the inputs make them. */
  function install(pipArgs: string[], lines: string[]): [string[], string[]] {
    const fromFile = requirementIndexArgs([{ path: '/ws/reqs/requirements.txt', lines }])
    return [pipArgs, [...indexArgs(parsePipOptions(pipArgs)), ...fromFile]]
  }

  it("adds the requirements file's --find-links, resolved against the file's folder", () => {
    const [pipArgs, index] = install(['--pre'], ['-f ./dists', 'srconly==1.0'])
    expect(sourceBuildArgs('srconly', pipArgs, index)).toEqual([
      '--no-deps',
      '--no-binary',
      'srconly',
      '--pre',
      '--find-links',
      '/ws/reqs/dists'
    ])
  })

  it("adds its index options after pip-args' (they override them, as in the install)", () => {
    const [pipArgs, index] = install(
      ['--index-url', 'https://a.example/simple', '--find-links=/links', '--no-index'],
      [
        '--index-url https://b.example/simple',
        '--extra-index-url=https://c.example/simple',
        '--find-links /links',
        '--trusted-host c.example',
        '--no-index',
        'six'
      ]
    )
    expect(sourceBuildArgs('six', pipArgs, index)).toEqual([
      '--no-deps',
      '--no-binary',
      'six',
      '--index-url',
      'https://a.example/simple',
      '--find-links=/links',
      '--no-index',
      '--index-url',
      'https://b.example/simple',
      '--extra-index-url',
      'https://c.example/simple',
      '--trusted-host',
      'c.example'
    ])
  })

  it('is pip-args alone when the requirements name no index', () => {
    const [pipArgs, index] = install(['--find-links', '/links'], ['six'])
    expect(sourceBuildArgs('six', pipArgs, index)).toEqual([
      '--no-deps',
      '--no-binary',
      'six',
      '--find-links',
      '/links'
    ])
  })
})
