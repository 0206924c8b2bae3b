import AdmZip from 'adm-zip'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * Writes a real, installable wheel with the given tag into `dir` (a
 * --find-links folder), for packages the public index cannot provide: one
 * whose only wheel needs a newer glibc, one that fails on import, ...
 */
export function makeWheel(
  dir: string,
  spec: { name: string; version: string; tag: string; files: Record<string, Buffer | string> }
): string {
  const { name, version, tag } = spec
  const distInfo = `${name}-${version}.dist-info`
  const files: Record<string, Buffer> = {}
  for (const [p, content] of Object.entries(spec.files)) files[p] = Buffer.from(content)
  files[`${distInfo}/METADATA`] = Buffer.from(
    `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`
  )
  files[`${distInfo}/WHEEL`] = Buffer.from(
    `Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: ${tag.endsWith('none-any')}\nTag: ${tag}\n`
  )
  const record = Object.entries(files).map(([p, content]) => {
    const digest = crypto.createHash('sha256').update(content).digest('base64url')
    return `${p},sha256=${digest},${content.length}`
  })
  record.push(`${distInfo}/RECORD,,`)
  files[`${distInfo}/RECORD`] = Buffer.from(`${record.join('\n')}\n`)

  const zip = new AdmZip()
  for (const [p, content] of Object.entries(files)) zip.addFile(p, content)
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}-${version}-${tag}.whl`)
  zip.writeZip(file)
  return file
}

/**
 * Compiles a shared object with this machine's gcc that needs GLIBC_2.34
 * (pthread_create moved into libc in 2.34), like any extension built on a
 * new distribution. Undefined when gcc is missing.
 */
export function compileNewGlibcObject(): Buffer | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'so-'))
  const source = path.join(dir, 'ext.c')
  fs.writeFileSync(
    source,
    '#include <pthread.h>\nstatic void *run(void *a) { return a; }\nint start(void) { pthread_t t; return pthread_create(&t, 0, run, 0); }\n'
  )
  const out = path.join(dir, 'ext.so')
  try {
    execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-o', out, source])
  } catch {
    return undefined
  }
  return fs.readFileSync(out)
}
