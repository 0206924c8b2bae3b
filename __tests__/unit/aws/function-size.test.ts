/**
 * The unzipped size of a zip behind a URL, from its central directory only:
 * zips written by Info-ZIP and by Python (zip64 included), served with
 * range requests, against the sum of their file sizes; and the refusal of
 * a function that would not fit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { tooLarge, unzippedSizeAt } from '../../../src/aws/function-size.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'function-size-'))
let server: http.Server
let base = ''
/** Bytes served per request, to show only the directory is read. */
const served: number[] = []

/** Serves files of `dir` with single byte ranges (206), or whole (no Range header). */
function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const file = path.join(dir, path.basename(req.url ?? ''))
  if (!fs.existsSync(file)) {
    res.writeHead(404).end()
    return
  }
  const data = fs.readFileSync(file)
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '')
  if (!range) {
    served.push(data.length)
    res.writeHead(200, { 'Content-Length': data.length }).end(data)
    return
  }
  let start = range[1] === '' ? data.length - Number(range[2]) : Number(range[1])
  let end = range[1] === '' || range[2] === '' ? data.length - 1 : Number(range[2])
  start = Math.max(0, start)
  end = Math.min(end, data.length - 1)
  const part = data.subarray(start, end + 1)
  served.push(part.length)
  res
    .writeHead(206, {
      'Content-Range': `bytes ${start}-${end}/${data.length}`,
      'Content-Length': part.length
    })
    .end(part)
}

function python(script: string): void {
  execFileSync('python3', ['-c', script], { cwd: dir })
}

beforeAll(async () => {
  server = http.createServer(serve)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // Info-ZIP: a folder of files of known sizes, deflated, with a comment.
  fs.mkdirSync(path.join(dir, 'tree', 'pkg'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'tree', 'pkg', 'a.py'), 'a'.repeat(100_000))
  fs.writeFileSync(path.join(dir, 'tree', 'pkg', 'b.bin'), randomBytes(300_000))
  fs.writeFileSync(path.join(dir, 'tree', 'c.txt'), 'hello')
  execFileSync('zip', ['-qr', path.join(dir, 'infozip.zip'), '.'], { cwd: path.join(dir, 'tree') })
  execFileSync('zip', ['-qz', path.join(dir, 'infozip.zip')], {
    cwd: dir,
    input: 'a comment\n'
  })
  // Python: more than 65,535 entries (a zip64 end record) and zip64 extra fields.
  python(`import zipfile
with zipfile.ZipFile("many.zip", "w") as z:
    for i in range(70000):
        z.writestr("f/%d.txt" % i, "x" * (i % 7))
with zipfile.ZipFile("forced.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("big.bin", "w", force_zip64=True) as f:
        f.write(b"\\0" * 1_000_000)
`)
})

afterAll(async () => {
  await new Promise(resolve => server.close(resolve))
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('unzippedSizeAt', () => {
  it('reads an Info-ZIP archive with a comment: the sum of its file sizes', async () => {
    served.length = 0
    expect(await unzippedSizeAt(`${base}/infozip.zip`, 5000)).toBe(100_000 + 300_000 + 5)
    // The tail only: the deflated files are never fetched.
    expect(served.reduce((a, b) => a + b, 0)).toBeLessThan(
      fs.statSync(path.join(dir, 'infozip.zip')).size
    )
  })

  it('reads a zip64 archive of 70,000 entries, fetching its directory apart from the tail', async () => {
    let expected = 0
    for (let i = 0; i < 70000; i++) expected += i % 7
    served.length = 0
    expect(await unzippedSizeAt(`${base}/many.zip`, 10000)).toBe(expected)
    expect(served.length).toBe(2)
  })

  it('reads sizes kept in zip64 extra fields', async () => {
    expect(await unzippedSizeAt(`${base}/forced.zip`, 5000)).toBe(1_000_000)
  })

  it('refuses a location that does not answer range requests, without reading it', async () => {
    const plain = http.createServer((_req, res) => res.writeHead(200).end('x'.repeat(1000)))
    await new Promise<void>(resolve => plain.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/z.zip`
    await expect(unzippedSizeAt(url, 5000)).rejects.toThrow(/answered 200 to a range request/)
    await new Promise(resolve => plain.close(resolve))
  })

  it('refuses what is not a zip', async () => {
    fs.writeFileSync(path.join(dir, 'text.zip'), 'not a zip at all')
    await expect(unzippedSizeAt(`${base}/text.zip`, 5000)).rejects.toThrow(/not a zip file/)
  })
})

describe('tooLarge', () => {
  const MB = 1_000_000
  it('names the parts of a function over 262,144,000 bytes with the new layer', () => {
    const size = {
      code: { what: 'code', bytes: 100 * MB },
      others: [{ what: 'arn:aws:lambda:us-east-1:1:layer:big:3', bytes: 120 * MB }]
    }
    expect(tooLarge(size, 40 * MB)).toBeUndefined()
    const problem = tooLarge(size, 50 * MB)
    expect(problem).toMatch(
      /its code 95\.4 MiB \+ arn:aws:lambda:us-east-1:1:layer:big:3 114\.4 MiB \+ this layer 47\.7 MiB/
    )
    expect(problem).toMatch(/262,144,000 bytes/)
  })

  it('leaves the decision to Lambda when a size is unknown', () => {
    const size = {
      code: { what: 'code', unreadable: 'access denied' },
      others: [{ what: 'x', bytes: 250 * MB }]
    }
    expect(tooLarge(size, 50 * MB)).toBeUndefined()
  })
})
