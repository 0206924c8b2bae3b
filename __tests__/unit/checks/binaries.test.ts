import { rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { LIMITS, type Architecture, type Runtime } from '../../../src/runtimes.js'
import { detectFormat } from '../../../src/layer/binary.js'
import { checkSizes } from '../../../src/checks/sizes.js'
import { verifyLayer, type Finding, type VerifyTarget } from '../../../src/checks/binaries.js'
import {
  EM_386,
  EM_AARCH64,
  EM_PPC64,
  MACHO_64,
  MACHO_FAT,
  buildElf,
  glibcNeeds,
  peStub
} from '../../helpers/elf-fixtures.js'
import { makeLayer, writeFile, type FakeDistribution } from '../../helpers/layer-fixtures.js'

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

function layer(sites: Record<string, FakeDistribution[]>): string {
  const root = makeLayer(sites)
  roots.push(root)
  return root
}

const X86 = buildElf({ needs: glibcNeeds('GLIBC_2.2.5', 'GLIBC_2.17') })
const X86_228 = buildElf({ needs: glibcNeeds('GLIBC_2.17', 'GLIBC_2.28') })
const X86_235 = buildElf({ needs: glibcNeeds('GLIBC_2.35') })
const ARM = buildElf({ machine: EM_AARCH64, needs: glibcNeeds('GLIBC_2.17') })

/** Only what identifies a finding; messages are tested separately. */
function brief(
  findings: Finding[]
): Array<Pick<Finding, 'severity' | 'code' | 'file' | 'package'>> {
  return findings.map(({ severity, code, file, package: pkg }) => {
    const b: Pick<Finding, 'severity' | 'code' | 'file' | 'package'> = { severity, code }
    if (file !== undefined) b.file = file
    if (pkg !== undefined) b.package = pkg
    return b
  })
}

/** One package "pkg==1.0" holding `file` in a single-version python/ layer. */
async function verifyOne(
  file: string,
  content: string | Buffer,
  runtime: Runtime = 'python3.11',
  architectures: Architecture[] = ['x86_64']
) {
  const root = layer({ python: [{ name: 'pkg', version: '1.0', files: { [file]: content } }] })
  return verifyLayer({ root, targets: [{ runtime, dir: 'python' }], architectures })
}

describe('verifyLayer: one file per case', () => {
  it.each<{
    name: string
    file: string
    content: string | Buffer
    runtime?: Runtime
    arch?: Architecture
    expected: Pick<Finding, 'severity' | 'code'> | null
  }>([
    {
      name: 'a matching x86_64 extension passes',
      file: 'pkg/_core.cpython-311-x86_64-linux-gnu.so',
      content: X86,
      expected: null
    },
    {
      name: 'a matching aarch64 extension passes',
      file: 'pkg/_core.cpython-311-aarch64-linux-gnu.so',
      content: ARM,
      arch: 'arm64',
      expected: null
    },
    { name: 'an abi3 extension passes', file: 'pkg/_core.abi3.so', content: X86, expected: null },
    {
      name: 'an unversioned library passes',
      file: 'pkg.libs/libfoo-1a2b.so.1.2.3',
      content: X86,
      expected: null
    },
    { name: 'pure Python passes', file: 'pkg/__init__.py', content: 'x = 1\n', expected: null },
    {
      name: 'a text file named .so (linker script) is not a binary',
      file: 'pkg/libc.so',
      content: 'GROUP ( libc.so.6 )\n',
      expected: null
    },
    {
      name: 'a Java class file (0xcafebabe) is not Mach-O',
      file: 'pkg/A.class',
      content: Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34, 0, 0]),
      expected: null
    },
    {
      name: 'an aarch64 extension in an x86_64 layer',
      file: 'pkg/_core.cpython-311-aarch64-linux-gnu.so',
      content: ARM,
      expected: { severity: 'error', code: 'wrong-machine' }
    },
    {
      name: 'an x86_64 extension in an arm64 layer',
      file: 'pkg/_core.cpython-311-x86_64-linux-gnu.so',
      content: X86,
      arch: 'arm64',
      expected: { severity: 'error', code: 'wrong-machine' }
    },
    {
      name: 'a big-endian binary',
      file: 'pkg/_core.so',
      content: buildElf({ machine: EM_PPC64, littleEndian: false }),
      expected: { severity: 'error', code: 'wrong-machine' }
    },
    {
      name: 'a 32-bit binary',
      file: 'pkg/_core.so',
      content: buildElf({ elfClass: 32, machine: EM_386, needs: glibcNeeds('GLIBC_2.0') }),
      expected: { severity: 'error', code: 'not-64-bit' }
    },
    {
      name: 'GLIBC_2.28 on python3.11 (glibc 2.26)',
      file: 'pkg/_core.cpython-311-x86_64-linux-gnu.so',
      content: X86_228,
      expected: { severity: 'error', code: 'glibc-too-new' }
    },
    {
      name: 'GLIBC_2.28 on python3.12 (glibc 2.34) passes',
      file: 'pkg/_core.cpython-312-x86_64-linux-gnu.so',
      content: X86_228,
      runtime: 'python3.12',
      expected: null
    },
    {
      name: 'exactly the runtime glibc (GLIBC_2.26 on python3.11) passes',
      file: 'pkg/_core.cpython-311-x86_64-linux-gnu.so',
      content: buildElf({ needs: glibcNeeds('GLIBC_2.26') }),
      expected: null
    },
    {
      name: 'GLIBC_2.35 on python3.12',
      file: 'pkg/_core.cpython-312-x86_64-linux-gnu.so',
      content: X86_235,
      runtime: 'python3.12',
      expected: { severity: 'error', code: 'glibc-too-new' }
    },
    {
      name: 'an ELF executable without extension is checked too',
      file: 'pkg/bin/tool',
      content: X86_228,
      expected: { severity: 'error', code: 'glibc-too-new' }
    },
    {
      name: 'a cpython-312 extension on python3.11',
      file: 'pkg/_core.cpython-312-x86_64-linux-gnu.so',
      content: X86,
      expected: { severity: 'error', code: 'wrong-python' }
    },
    {
      name: 'a free-threaded cpython-313t extension on python3.13',
      file: 'pkg/_core.cpython-313t-x86_64-linux-gnu.so',
      content: X86,
      runtime: 'python3.13',
      expected: { severity: 'error', code: 'wrong-python' }
    },
    {
      name: 'an extension whose suffix names another architecture',
      file: 'pkg/_core.cpython-311-aarch64-linux-gnu.so',
      content: X86,
      expected: { severity: 'error', code: 'wrong-python' }
    },
    {
      name: 'a .pyd extension',
      file: 'pkg/_core.cp311-win_amd64.pyd',
      content: peStub(),
      expected: { severity: 'error', code: 'foreign-binary' }
    },
    {
      name: 'a Mach-O extension named .so',
      file: 'pkg/_core.cpython-311-darwin.so',
      content: MACHO_64,
      expected: { severity: 'error', code: 'foreign-binary' }
    },
    {
      name: 'a universal Mach-O extension named .so',
      file: 'pkg/_core.so',
      content: MACHO_FAT,
      expected: { severity: 'error', code: 'foreign-binary' }
    },
    {
      name: 'a .dylib',
      file: 'pkg/.dylibs/libomp.dylib',
      content: MACHO_64,
      expected: { severity: 'warning', code: 'foreign-binary' }
    },
    {
      name: 'a .dll, whatever its content',
      file: 'pkg/helper.dll',
      content: 'not really a dll',
      expected: { severity: 'warning', code: 'foreign-binary' }
    },
    {
      name: 'a Windows executable',
      file: 'pkg/cli-64.exe',
      content: peStub(),
      expected: { severity: 'warning', code: 'foreign-binary' }
    },
    {
      name: 'a truncated ELF file',
      file: 'pkg/_core.cpython-311-x86_64-linux-gnu.so',
      content: X86.subarray(0, 100),
      expected: { severity: 'warning', code: 'unreadable-elf' }
    },
    {
      name: 'ELF magic with an invalid header',
      file: 'pkg/_core.so',
      content: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 7, 7]), Buffer.alloc(60)]),
      expected: { severity: 'warning', code: 'unreadable-elf' }
    }
  ])('$name', async ({ file, content, runtime, arch, expected }) => {
    const report = await verifyOne(file, content, runtime, arch ? [arch] : undefined)
    expect(brief(report.findings)).toEqual(
      expected === null ? [] : [{ ...expected, file: `python/${file}`, package: 'pkg==1.0' }]
    )
  })
})

describe('verifyLayer messages', () => {
  const first = async (file: string, content: Buffer, runtime?: Runtime) =>
    (await verifyOne(file, content, runtime)).findings[0]?.message ?? ''

  it('too-new glibc names the file, package, runtime, glibc and a way out', async () => {
    const message = await first('pkg/_core.cpython-311-x86_64-linux-gnu.so', X86_228)
    for (const part of [
      'python/pkg/_core.cpython-311-x86_64-linux-gnu.so',
      'pkg==1.0',
      'GLIBC_2.28',
      'python3.11 (Amazon Linux 2, glibc 2.26)',
      'x86_64',
      'Pin an older pkg',
      'python3.12 or newer (Amazon Linux 2023, glibc 2.34)'
    ]) {
      expect(message).toContain(part)
    }
  })

  it('too-new glibc says when no Python runtime has it', async () => {
    const message = await first('pkg/_core.cpython-312-x86_64-linux-gnu.so', X86_235, 'python3.12')
    expect(message).toContain('no Lambda Python runtime has glibc 2.35')
  })

  it('wrong machine names both architectures and says to build one layer per architecture', async () => {
    const message = await first('pkg/_core.cpython-311-aarch64-linux-gnu.so', ARM)
    expect(message).toMatch(
      /compiled for arm64 \(aarch64\), but the layer is for x86_64.*one layer per architecture/
    )
  })

  it('wrong Python names the suffix that would load', async () => {
    const message = await first('pkg/_core.cpython-312-x86_64-linux-gnu.so', X86)
    expect(message).toContain('only imports *.cpython-311-x86_64-linux-gnu.so (or *.abi3.so)')
  })
})

describe('verifyLayer: layouts and runtimes', () => {
  it('checks each site dir of a multi-version layer against its own Python', async () => {
    const ext = 'pkg/_core.cpython-311-x86_64-linux-gnu.so'
    const root = layer({
      'python/lib/python3.11/site-packages': [
        { name: 'pkg', version: '1.0', files: { [ext]: X86 } }
      ],
      'python/lib/python3.12/site-packages': [
        { name: 'pkg', version: '1.0', files: { [ext]: X86 } }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [
        { runtime: 'python3.11', dir: 'python/lib/python3.11/site-packages' },
        { runtime: 'python3.12', dir: 'python/lib/python3.12/site-packages/' }
      ],
      architectures: ['x86_64']
    })
    expect(brief(report.findings)).toEqual([
      {
        severity: 'error',
        code: 'wrong-python',
        file: `python/lib/python3.12/site-packages/${ext}`,
        package: 'pkg==1.0'
      }
    ])
  })

  it("accepts builds for other Pythons beside the runtime's own (wheels that carry several)", async () => {
    const root = layer({
      python: [
        {
          name: 'pymongo',
          version: '4.13.2',
          files: {
            'bson/_cbson.cpython-310-x86_64-linux-gnu.so': X86,
            'bson/_cbson.cpython-312-x86_64-linux-gnu.so': X86,
            'pymongo/_cmessage.cpython-311-x86_64-linux-gnu.so': X86,
            'pymongo/_cmessage.abi3.so': X86,
            'lonely/_only.cpython-310-x86_64-linux-gnu.so': X86
          }
        }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.12', dir: 'python' }],
      architectures: ['x86_64']
    })
    // Only the module with no loadable build is a problem.
    expect(brief(report.findings)).toEqual([
      {
        severity: 'error',
        code: 'wrong-python',
        file: 'python/lonely/_only.cpython-310-x86_64-linux-gnu.so',
        package: 'pymongo==4.13.2'
      }
    ])
  })

  it('names only the runtimes a shared python/ dir fails on', async () => {
    const root = layer({
      python: [{ name: 'pkg', version: '1.0', files: { 'pkg/_core.abi3.so': X86_228 } }]
    })
    const targets: VerifyTarget[] = [
      { runtime: 'python3.11', dir: 'python' },
      { runtime: 'python3.12', dir: 'python' }
    ]
    const report = await verifyLayer({ root, targets, architectures: ['x86_64'] })
    expect(report.findings).toHaveLength(1)
    expect(report.findings[0].message).toContain('python3.11 (')
    expect(report.findings[0].message).not.toContain('python3.12 (')
  })

  it('in a shared python/ dir, checks glibc for the runtime that loads the extension', async () => {
    const ext = 'pkg/_core.cpython-311-x86_64-linux-gnu.so'
    const root = layer({ python: [{ name: 'pkg', version: '1.0', files: { [ext]: X86_228 } }] })
    const report = await verifyLayer({
      root,
      targets: [
        { runtime: 'python3.11', dir: 'python' },
        { runtime: 'python3.12', dir: 'python' }
      ],
      architectures: ['x86_64']
    })
    expect(brief(report.findings).map(f => f.code)).toEqual(['glibc-too-new', 'wrong-python'])
  })

  it('checks a nested site dir only against its own runtime', async () => {
    const root = layer({
      python: [{ name: 'a', version: '1', files: { 'a.py': '' } }],
      'python/lib/python3.12/site-packages': [
        { name: 'pkg', version: '1.0', files: { 'pkg/_core.cpython-312-x86_64-linux-gnu.so': X86 } }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [
        { runtime: 'python3.11', dir: 'python' },
        { runtime: 'python3.12', dir: 'python/lib/python3.12/site-packages' }
      ],
      architectures: ['x86_64']
    })
    expect(report.findings).toEqual([])
  })

  it('checks binaries outside the site dirs against every runtime', async () => {
    const root = layer({ python: [{ name: 'a', version: '1', files: { 'a.py': '' } }] })
    writeFile(path.join(root, 'lib/libfoo.so.1'), X86_228)
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(brief(report.findings)).toEqual([
      { severity: 'error', code: 'glibc-too-new', file: 'lib/libfoo.so.1' }
    ])
  })

  it('warns about a target dir without files', async () => {
    const root = layer({ python: [{ name: 'a', version: '1', files: { 'a.py': '' } }] })
    const report = await verifyLayer({
      root,
      targets: [
        { runtime: 'python3.11', dir: 'python' },
        { runtime: 'python3.12', dir: 'python/lib/python3.12/site-packages' }
      ],
      architectures: ['x86_64']
    })
    expect(brief(report.findings)).toEqual([
      { severity: 'warning', code: 'empty-target', file: 'python/lib/python3.12/site-packages' }
    ])
  })

  it('reports compiled code for one architecture in a two-architecture layer', async () => {
    const report = await verifyOne('pkg/_core.cpython-311-x86_64-linux-gnu.so', X86, 'python3.11', [
      'x86_64',
      'arm64'
    ])
    expect(brief(report.findings)).toEqual([
      {
        severity: 'error',
        code: 'missing-architecture',
        file: 'python/pkg/_core.cpython-311-x86_64-linux-gnu.so',
        package: 'pkg==1.0'
      }
    ])
  })

  it('accepts a package that ships binaries for both architectures of the layer', async () => {
    const root = layer({
      python: [
        {
          name: 'pkg',
          version: '1.0',
          files: { 'pkg/bin/linux-x64/tool': X86, 'pkg/bin/linux-arm64/tool': ARM }
        }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64', 'arm64']
    })
    expect(report.findings).toEqual([])
  })

  it('merges files of one package with the same problem into one finding', async () => {
    const root = layer({
      python: [
        {
          name: 'numpy',
          version: '2.3.1',
          files: {
            'numpy/a.cpython-311-x86_64-linux-gnu.so': X86_228,
            'numpy/b.cpython-311-x86_64-linux-gnu.so': X86_235,
            'numpy/c.cpython-311-x86_64-linux-gnu.so': X86_228
          }
        }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(report.findings).toHaveLength(1)
    expect(report.findings[0]).toMatchObject({
      file: 'python/numpy/b.cpython-311-x86_64-linux-gnu.so',
      package: 'numpy==2.3.1'
    })
    expect(report.findings[0].message).toContain('2 more files of numpy==2.3.1')
  })

  it('rejects a call without targets', async () => {
    await expect(
      verifyLayer({ root: '/nonexistent', targets: [], architectures: ['x86_64'] })
    ).rejects.toThrow('no targets')
  })
})

describe('verifyLayer: packages and sizes', () => {
  const siteDist = (name: string, version: string, bytes: number): FakeDistribution => ({
    name,
    version,
    files: { [`${name.toLowerCase()}/__init__.py`]: 'x'.repeat(bytes) }
  })

  it('names the owner from METADATA (its published spelling)', async () => {
    const root = layer({
      python: [
        {
          name: 'PyYAML',
          version: '6.0.2',
          files: { 'yaml/_yaml.cpython-312-aarch64-linux-gnu.so': X86 }
        }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(report.findings[0]?.package).toBe('PyYAML==6.0.2')
  })

  it('falls back to the dist-info folder name without METADATA', async () => {
    const root = layer({
      python: [
        {
          name: 'typing_extensions',
          version: '4.12.2',
          metadata: false,
          files: { 'typing_extensions.py': 'x' }
        }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(report.packages.map(p => `${p.name}==${p.version}`)).toEqual([
      'typing_extensions==4.12.2'
    ])
  })

  it('reads quoted RECORD paths that contain commas', async () => {
    const root = layer({
      python: [
        { name: 'odd', version: '1', files: { 'odd/a,b.cpython-311-aarch64-linux-gnu.so': ARM } }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(report.findings[0]?.package).toBe('odd==1')
  })

  it('gives files RECORD does not list (later .pyc) to the package owning their folder', async () => {
    const root = layer({ python: [siteDist('pkg', '1.0', 10)] })
    writeFile(path.join(root, 'python/pkg/__pycache__/__init__.cpython-311.pyc'), 'y'.repeat(90))
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    const pkg = report.packages.find(p => p.name === 'pkg')
    const distInfoBytes = report.unzippedBytes - 100
    expect(pkg?.bytes).toBe(100 + distInfoBytes)
  })

  it('attributes files in a folder shared by two packages by their RECORD', async () => {
    const root = layer({
      python: [
        { name: 'ns-a', version: '1', files: { 'google/a.cpython-311-aarch64-linux-gnu.so': ARM } },
        { name: 'ns-b', version: '2', files: { 'google/b.py': '' } }
      ]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(report.findings[0]?.package).toBe('ns-a==1')
  })

  it('leaves a file nobody owns without a package', async () => {
    const root = layer({ python: [siteDist('pkg', '1.0', 1)] })
    writeFile(path.join(root, 'python/stray.cpython-311-aarch64-linux-gnu.so'), ARM)
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(brief(report.findings)).toEqual([
      {
        severity: 'error',
        code: 'wrong-machine',
        file: 'python/stray.cpython-311-aarch64-linux-gnu.so'
      }
    ])
  })

  it('sorts packages largest first', async () => {
    const root = layer({
      python: [siteDist('small', '1', 10), siteDist('big', '2', 5000), siteDist('mid', '3', 700)]
    })
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    expect(report.packages.map(p => p.name)).toEqual(['big', 'mid', 'small'])
  })

  it('counts every file under root and their total size', async () => {
    const root = layer({ python: [siteDist('a', '1', 100), siteDist('b', '1', 200)] })
    writeFile(path.join(root, 'python/bin/tool'), 'z'.repeat(50))
    const report = await verifyLayer({
      root,
      targets: [{ runtime: 'python3.11', dir: 'python' }],
      architectures: ['x86_64']
    })
    // per package: module + INSTALLER, WHEEL, METADATA, RECORD
    expect(report.files).toBe(2 * 5 + 1)
    const recordBytes = ['a', 'b'].map(
      n => statSync(path.join(root, `python/${n}-1.dist-info/RECORD`)).size
    )
    const metaBytes = (n: string) =>
      'pip\n'.length +
      'Wheel-Version: 1.0\n'.length +
      `Metadata-Version: 2.1\nName: ${n}\nVersion: 1\n\nName: not-this\n`.length
    expect(report.unzippedBytes).toBe(
      100 + 200 + 50 + metaBytes('a') + metaBytes('b') + recordBytes[0] + recordBytes[1]
    )
  })
})

describe('checkSizes', () => {
  const MB = 1024 * 1024
  const packages = [
    { name: 'a', version: '1', bytes: 60 * MB },
    { name: 'b', version: '1', bytes: 50 * MB },
    { name: 'c', version: '1', bytes: 40 * MB },
    { name: 'd', version: '1', bytes: 30 * MB },
    { name: 'e', version: '1', bytes: 20 * MB },
    { name: 'f', version: '1', bytes: 10 * MB }
  ]
  const limit = LIMITS.unzippedBytes

  it.each<[string, number, number | undefined, Array<Pick<Finding, 'severity' | 'code'>>]>([
    ['small layer', 10 * MB, 5 * MB, []],
    ['at 80% of the unzipped limit', Math.floor(limit * 0.8), 5 * MB, []],
    [
      'above 80%',
      Math.floor(limit * 0.81),
      5 * MB,
      [{ severity: 'warning', code: 'near-unzipped-limit' }]
    ],
    [
      'exactly at the unzipped limit',
      limit,
      5 * MB,
      [{ severity: 'warning', code: 'near-unzipped-limit' }]
    ],
    [
      'over the unzipped limit',
      limit + 1,
      5 * MB,
      [{ severity: 'error', code: 'unzipped-too-large' }]
    ],
    ['zip at the direct upload limit', 10 * MB, LIMITS.directUploadBytes, []],
    [
      'zip over the direct upload limit',
      10 * MB,
      LIMITS.directUploadBytes + 1,
      [{ severity: 'error', code: 'zip-too-large' }]
    ],
    ['zip size unknown', 10 * MB, undefined, []],
    [
      'both too large',
      limit + 1,
      LIMITS.directUploadBytes + 1,
      [
        { severity: 'error', code: 'unzipped-too-large' },
        { severity: 'error', code: 'zip-too-large' }
      ]
    ]
  ])('%s', (_name, unzipped, zip, expected) => {
    expect(
      checkSizes(unzipped, zip, packages).map(f => ({ severity: f.severity, code: f.code }))
    ).toEqual(expected)
  })

  it('the near-limit warning names the five largest packages, not the sixth', () => {
    const [finding] = checkSizes(Math.floor(limit * 0.9), undefined, [...packages].reverse())
    expect(finding.message).toContain(
      'a==1 (60.0 MiB), b==1 (50.0 MiB), c==1 (40.0 MiB), d==1 (30.0 MiB), e==1 (20.0 MiB)'
    )
    expect(finding.message).not.toContain('f==1')
  })

  it('the zip error points at s3-bucket', () => {
    const [finding] = checkSizes(10 * MB, 60 * MB, packages)
    expect(finding.message).toMatch(/60\.0 MiB.*direct upload.*Set `s3-bucket`/)
  })

  it('the unzipped error points out packages the runtime already has', () => {
    const [finding] = checkSizes(limit + 1, undefined, [
      { name: 'botocore', version: '1.35.0', bytes: 90 * MB }
    ])
    expect(finding.message).toContain(
      'botocore (90.0 MiB, 36% of the layer) already ships with every Lambda Python runtime: `exclude: botocore/** botocore-*.dist-info/**` leaves it out'
    )
  })
})

describe('detectFormat', () => {
  it.each<[string, Buffer, ReturnType<typeof detectFormat>]>([
    ['ELF', X86, 'elf'],
    ['Mach-O 64', MACHO_64, 'macho'],
    ['Mach-O universal', MACHO_FAT, 'macho'],
    ['PE', peStub(), 'pe'],
    ['MZ without a PE header', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]), null],
    ['text', Buffer.from('hello world'), null],
    ['too short', Buffer.from([0x7f]), null]
  ])('%s', (_name, head, expected) => {
    expect(detectFormat(head)).toBe(expected)
  })
})
