import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import {
  architectureOf,
  findStripTools,
  planBatches,
  stripFiles,
  stripLabel,
  stripOnPath,
  type StripTools,
  stripVerdict,
  updateRecords
} from '../../../src/install/strip.js'
import { ET_EXEC, ET_REL, readElfLayout } from '../../../src/layer/elf-layout.js'
import { walkLayer } from '../../../src/layer/scan.js'
import { buildElf, EM_AARCH64, glibcNeeds } from '../../helpers/elf-fixtures.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strip-test-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

/** binutils' strip on this machine (the unit tests need it, as the end-to-end tests need gcc). */
const realStrip = execFileSync('sh', ['-c', 'command -v strip'], { encoding: 'utf8' }).trim()

/** A folder on PATH holding `programs` (name → shell script body). */
function pathWith(programs: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'bin-'))
  for (const [name, body] of Object.entries(programs)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  }
  return dir
}

/** A fake GNU strip reading `targets`, stripping with the real one. */
function gnuStrip(targets: string, extra = ''): string {
  return [
    'case "$1" in',
    '  --version) echo "GNU strip (GNU Binutils) 2.99"; exit 0 ;;',
    `  --help) echo "strip: supported targets: ${targets}"; exit 0 ;;`,
    'esac',
    extra || `exec ${realStrip} "$@"`
  ].join('\n')
}

/** A layer folder with `files` (name → bytes, or a link target with `->`), every file 0755. */
function layer(files: Record<string, Buffer | string>): string {
  const root = fs.mkdtempSync(path.join(tmp, 'layer-'))
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    if (typeof content === 'string' && content.startsWith('->')) {
      fs.symlinkSync(content.slice(2), file)
    } else {
      fs.writeFileSync(file, content, { mode: 0o755 })
    }
  }
  return root
}

function filesOf(root: string): Array<{ rel: string; abs: string; size: number }> {
  return walkLayer(root)
    .entries.filter(e => !e.directory)
    .map(e => ({ rel: e.rel, abs: e.abs, size: e.size }))
}

const x86Only = async (): Promise<StripTools> =>
  await findStripTools(['x86_64'], { pathVar: pathWith({ strip: gnuStrip('elf64-x86-64') }) })

const unstripped = (soname: string): Buffer =>
  buildElf({ symtab: true, soname, needs: glibcNeeds('GLIBC_2.17') })

describe('stripVerdict: which ELF files strip gets', () => {
  it.each<[string, Buffer, ReturnType<typeof stripVerdict>]>([
    ['a shared object with a symbol table', unstripped('liba.so'), undefined],
    ['an executable with a symbol table', buildElf({ symtab: true, type: ET_EXEC }), undefined],
    ['one without (already stripped)', buildElf({ soname: 'libb.so' }), 'nothing-to-strip'],
    ['an object file', buildElf({ symtab: true, type: ET_REL }), 'not-loadable'],
    [
      'one with bytes after its ELF content',
      buildElf({ symtab: true, appended: Buffer.from('PK\u0003\u0004 payload') }),
      'appended-data'
    ],
    ['one whose headers do not read', unstripped('libc.so').subarray(0, 0x100), 'unreadable']
  ])('%s', (_what, data, expected) => {
    expect(stripVerdict(readElfLayout(data), data.length)).toBe(expected)
  })

  it('knows the Lambda architectures by ELF machine', () => {
    expect(architectureOf(62)).toBe('x86_64')
    expect(architectureOf(EM_AARCH64)).toBe('arm64')
    expect(architectureOf(3)).toBeUndefined()
  })
})

describe('planBatches', () => {
  const sized = (sizes: number[]): Array<{ name: string; size: number }> =>
    sizes.map((size, i) => ({ name: `f${i}`, size }))

  it('no files, no batches', () => {
    expect(planBatches([], 2)).toEqual([])
  })

  it('four batches a worker where there are files enough, each file once, heaviest batch first', () => {
    const files = sized([50, 10, 40, 20, 30, 5, 5, 5, 5, 5])
    const batches = planBatches(files, 2)
    expect(batches.length).toBe(8)
    expect(
      batches
        .flat()
        .map(f => f.name)
        .sort()
    ).toEqual(files.map(f => f.name).sort())
    const bytes = batches.map(b => b.reduce((sum, f) => sum + f.size, 0))
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a))
    expect(batches[0]).toEqual([{ name: 'f0', size: 50 }])
  })

  it('at most 32 files a batch, the bytes spread evenly', () => {
    const files = sized(Array.from({ length: 200 }, (_, i) => 1000 + (i % 7) * 10))
    const batches = planBatches(files, 1)
    expect(batches.length).toBe(7)
    expect(Math.max(...batches.map(b => b.length))).toBeLessThanOrEqual(32)
    const bytes = batches.map(b => b.reduce((sum, f) => sum + f.size, 0))
    expect(Math.max(...bytes) - Math.min(...bytes)).toBeLessThanOrEqual(1060)
  })

  it('the same files give the same batches', () => {
    const files = sized([3, 3, 3, 1, 2, 2, 9, 9])
    expect(planBatches(files, 1)).toEqual(planBatches([...files], 1))
  })
})

describe('findStripTools', () => {
  it('takes the strip whose targets read the architecture, the cross-named one first', async () => {
    const pathVar = pathWith({
      strip: gnuStrip('elf64-x86-64 elf64-little'),
      'aarch64-linux-gnu-strip': gnuStrip('elf64-littleaarch64 elf64-little')
    })
    const tools = await findStripTools(['x86_64', 'arm64'], { pathVar })
    expect(tools.get('x86_64')?.path).toBe(path.join(pathVar, 'strip'))
    expect(tools.get('arm64')?.path).toBe(path.join(pathVar, 'aarch64-linux-gnu-strip'))
    expect(stripLabel(tools)).toBe(
      'arm64: GNU strip (GNU Binutils) 2.99; x86_64: GNU strip (GNU Binutils) 2.99'
    )
  })

  it('llvm-strip reads every architecture', async () => {
    const pathVar = pathWith({
      strip: 'echo "llvm-strip, compatible with GNU strip"; echo "LLVM version 18.1.3"'
    })
    const tools = await findStripTools(['arm64'], { pathVar, required: true })
    expect(tools.get('arm64')?.version).toBe('llvm-strip, compatible with GNU strip')
  })

  it('an arm64 layer with an x86_64 strip only: fails, saying what to install', async () => {
    const pathVar = pathWith({ strip: gnuStrip('elf64-x86-64 elf64-little') })
    await expect(findStripTools(['arm64'], { pathVar, required: true })).rejects.toThrow(
      /^Input `strip` is true, but no strip on this runner reads arm64 ELF files: .*\/strip \(GNU strip \(GNU Binutils\) 2\.99\) does not read arm64 ELF files \(elf64-littleaarch64 is not among its targets\)\. Install binutils-aarch64-linux-gnu \(`sudo apt-get install -y binutils-aarch64-linux-gnu`, which brings aarch64-linux-gnu-strip\)/
    )
    // Not required (the size message's measurement): none, and no error.
    expect((await findStripTools(['arm64'], { pathVar })).size).toBe(0)
  })

  it('a strip that is not binutils is refused, naming what it said', async () => {
    const pathVar = pathWith({ strip: 'echo "usage: strip [-AnuSXx] file" >&2; exit 1' })
    await expect(findStripTools(['x86_64'], { pathVar, required: true })).rejects.toThrow(
      /says "usage: strip \[-AnuSXx\] file", not GNU strip \(binutils\) or llvm-strip/
    )
  })

  it('a layer of two architectures (no machine code) needs no strip for both', async () => {
    const pathVar = pathWith({ strip: gnuStrip('elf64-x86-64') })
    const tools = await findStripTools(['x86_64', 'arm64'], { pathVar, required: true })
    expect([...tools.keys()]).toEqual(['x86_64'])
  })

  it('stripOnPath: whether any strip is there at all (for the inputs)', () => {
    expect(stripOnPath(pathWith({}))).toBe(false)
    expect(stripOnPath(pathWith({ 'aarch64-linux-gnu-strip': 'exit 0' }))).toBe(true)
  })
})

describe('stripFiles with binutils strip', () => {
  it('strips what it should, each file once, and leaves the rest as it was', async () => {
    const tools = await x86Only()
    const root = layer({
      'python/pkg/_ext.so': unstripped('_ext'),
      'python/pkg/_done.so': buildElf({ soname: 'done' }),
      'python/pkg/_payload.so': buildElf({ symtab: true, appended: Buffer.from('payload') }),
      'python/pkg/lib.o': buildElf({ symtab: true, type: ET_REL }),
      'python/pkg/_arm.so': buildElf({ symtab: true, machine: EM_AARCH64 }),
      'python/pkg/alias.so': '->_ext.so',
      'python/pkg/__init__.py': 'import pkg._ext\n',
      'python/pkg/empty.so': Buffer.alloc(0)
    })
    const ext = path.join(root, 'python/pkg/_ext.so')
    // The staged file is a hard link into an installer's cache: the cache keeps its bytes.
    const cached = path.join(tmp, `cached-${path.basename(root)}.so`)
    fs.linkSync(ext, cached)
    const before = fs.readFileSync(ext)

    const outcome = await stripFiles({
      files: filesOf(root),
      tools,
      scratch: fs.mkdtempSync(path.join(tmp, 'scratch-')),
      apply: true
    })

    expect(outcome.elfFiles).toBe(6)
    expect(outcome.stripped.map(f => f.rel)).toEqual(['python/pkg/_ext.so', 'python/pkg/alias.so'])
    const after = fs.readFileSync(ext)
    expect(after.length).toBeLessThan(before.length)
    expect(outcome.stripped[0]).toMatchObject({ before: before.length, after: after.length })
    expect(readElfLayout(after)?.sections.map(s => s.name)).not.toContain('.symtab')
    expect(fs.readFileSync(cached).equals(before)).toBe(true)
    expect(fs.statSync(ext).mode & 0o777).toBe(0o755)
    expect(outcome.skipped).toEqual([
      { rel: 'python/pkg/_done.so', why: 'nothing-to-strip' },
      { rel: 'python/pkg/_payload.so', why: 'appended-data' },
      { rel: 'python/pkg/lib.o', why: 'not-loadable' }
    ])
    expect(outcome.refused).toEqual([
      { rel: 'python/pkg/_arm.so', why: 'no strip on this runner reads arm64 ELF files' }
    ])
    expect(outcome.kept).toEqual([])
  })

  it('only measures when not applying: the files stay, the figures are the same', async () => {
    const tools = await x86Only()
    const data = unstripped('_m')
    const root = layer({ 'python/_m.so': data })
    const outcome = await stripFiles({
      files: filesOf(root),
      tools,
      scratch: fs.mkdtempSync(path.join(tmp, 'scratch-')),
      apply: false
    })
    expect(outcome.stripped.length).toBe(1)
    expect(outcome.stripped[0].after).toBeLessThan(data.length)
    expect(fs.readFileSync(path.join(root, 'python/_m.so')).equals(data)).toBe(true)
  })

  it('the same files stripped twice give the same bytes, and a stripped file is left as it is', async () => {
    const tools = await x86Only()
    const strip = async (root: string): Promise<Buffer> => {
      await stripFiles({
        files: filesOf(root),
        tools,
        scratch: fs.mkdtempSync(path.join(tmp, 'scratch-')),
        apply: true
      })
      return fs.readFileSync(path.join(root, 'python/_r.so'))
    }
    const first = await strip(layer({ 'python/_r.so': unstripped('_r') }))
    const second = await strip(layer({ 'python/_r.so': unstripped('_r') }))
    expect(second.equals(first)).toBe(true)
    const again = layer({ 'python/_r.so': first })
    const outcome = await stripFiles({
      files: filesOf(again),
      tools,
      scratch: fs.mkdtempSync(path.join(tmp, 'scratch-')),
      apply: true
    })
    expect(outcome.skipped).toEqual([{ rel: 'python/_r.so', why: 'nothing-to-strip' }])
  })
})

describe('stripFiles with a strip that misbehaves', () => {
  // Refuses files holding REFUSE; damages a loaded byte of files holding CORRUPT.
  const misbehaving = gnuStrip(
    'elf64-x86-64',
    [
      'shift',
      'rc=0',
      'for f in "$@"; do',
      '  if grep -q REFUSE "$f"; then echo "strip: $f: file format not recognized" >&2; rc=1; continue; fi',
      `  ${realStrip} --strip-unneeded "$f" || rc=1`,
      '  if grep -q CORRUPT "$f"; then printf X | dd of="$f" bs=1 seek=177 conv=notrunc 2>/dev/null; fi',
      'done',
      'exit $rc'
    ].join('\n')
  )

  it('a file strip refuses is named, the others of its batch are stripped', async () => {
    const tools = await findStripTools(['x86_64'], { pathVar: pathWith({ strip: misbehaving }) })
    // Eight files of one size on one worker: four batches of two.
    const files: Record<string, Buffer> = {}
    for (let i = 0; i < 8; i++) files[`python/m${i}.so`] = unstripped(i === 5 ? 'REFUSE' : `m${i}x`)
    const root = layer(files)
    const outcome = await stripFiles({
      files: filesOf(root),
      tools,
      scratch: fs.mkdtempSync(path.join(tmp, 'scratch-')),
      apply: true,
      workers: 1
    })
    expect(outcome.refused).toEqual([
      { rel: 'python/m5.so', why: 'strip: file format not recognized' }
    ])
    expect(outcome.stripped.map(f => f.rel)).toEqual(
      [0, 1, 2, 3, 4, 6, 7].map(i => `python/m${i}.so`)
    )
    expect(fs.readFileSync(path.join(root, 'python/m5.so')).equals(files['python/m5.so'])).toBe(
      true
    )
  })

  it('a stripped copy that would load differently is not used', async () => {
    const tools = await findStripTools(['x86_64'], { pathVar: pathWith({ strip: misbehaving }) })
    const data = unstripped('CORRUPT')
    const root = layer({ 'python/_c.so': data })
    const outcome = await stripFiles({
      files: filesOf(root),
      tools,
      scratch: fs.mkdtempSync(path.join(tmp, 'scratch-')),
      apply: true
    })
    expect(outcome.kept).toEqual([
      { rel: 'python/_c.so', why: 'the bytes of its LOAD segment 0 changed' }
    ])
    expect(outcome.stripped).toEqual([])
    expect(fs.readFileSync(path.join(root, 'python/_c.so')).equals(data)).toBe(true)
  })
})

describe('updateRecords', () => {
  it('gives the rows of the stripped files their new hash and size, and replaces RECORD', () => {
    const root = fs.mkdtempSync(path.join(tmp, 'records-'))
    const distInfo = path.join(root, 'python', 'pkg-1.0.dist-info')
    fs.mkdirSync(distInfo, { recursive: true })
    const record = path.join(distInfo, 'RECORD')
    fs.writeFileSync(
      record,
      [
        'pkg/__init__.py,sha256=abc,10',
        'pkg/_ext.cpython-312-x86_64-linux-gnu.so,sha256=old,5000',
        '"pkg/odd,name.so",sha256=old,300',
        'pkg-1.0.dist-info/RECORD,,',
        ''
      ].join('\r\n')
    )
    // RECORD as a hard link into an installer's cache.
    const cached = path.join(tmp, `RECORD-${path.basename(root)}`)
    fs.linkSync(record, cached)
    const cachedText = fs.readFileSync(cached, 'utf8')

    const rewritten = updateRecords(
      root,
      [{ dir: 'python' }],
      [
        { rel: 'python/pkg/_ext.cpython-312-x86_64-linux-gnu.so', after: 4000, sha256: 'NEW1' },
        { rel: 'python/pkg/odd,name.so', after: 200, sha256: 'NEW2' },
        { rel: 'python/elsewhere.so', after: 1, sha256: 'NEW3' }
      ]
    )
    expect(rewritten).toBe(1)
    expect(fs.readFileSync(record, 'utf8')).toBe(
      [
        'pkg/__init__.py,sha256=abc,10',
        'pkg/_ext.cpython-312-x86_64-linux-gnu.so,sha256=NEW1,4000',
        '"pkg/odd,name.so",sha256=NEW2,200',
        'pkg-1.0.dist-info/RECORD,,',
        ''
      ].join('\r\n')
    )
    expect(fs.readFileSync(cached, 'utf8')).toBe(cachedText)
  })
})
