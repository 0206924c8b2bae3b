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

/**
 * Writes a source distribution (name-version.tar.gz, setuptools) into `dir`:
 * pure Python, or with a C extension that compiles on this machine.
 */
export function makeSdist(
  dir: string,
  spec: { name: string; version: string; compiled: boolean }
): string {
  const { name, version } = spec
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sdist-'))
  const root = path.join(work, `${name}-${version}`)
  fs.mkdirSync(path.join(root, name), { recursive: true })
  fs.writeFileSync(path.join(root, name, '__init__.py'), `VERSION = ${JSON.stringify(version)}\n`)
  fs.writeFileSync(
    path.join(root, 'PKG-INFO'),
    `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`
  )
  const extension = spec.compiled
    ? `, ext_modules=[Extension("${name}._native", ["${name}/_native.c"])]`
    : ''
  if (spec.compiled) {
    fs.writeFileSync(
      path.join(root, name, '_native.c'),
      `#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_native", 0, -1, 0};\nPyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&m); }\n`
    )
  }
  fs.writeFileSync(
    path.join(root, 'setup.py'),
    `from setuptools import setup, Extension\nsetup(name=${JSON.stringify(name)}, version=${JSON.stringify(version)}, packages=[${JSON.stringify(name)}]${extension})\n`
  )
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}-${version}.tar.gz`)
  execFileSync('tar', ['-czf', file, '-C', work, `${name}-${version}`])
  return file
}
