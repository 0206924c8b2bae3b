import { describe, expect, it } from '@jest/globals'
import { unreachableIndexes } from '../../../src/build/no-wheel.js'

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
