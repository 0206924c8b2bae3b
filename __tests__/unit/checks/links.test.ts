/**
 * The static proof that a binary links on its Lambda target: every library
 * it needs is in the layer or in the target OS (lambda-os.ts), and every
 * symbol version it needs of an OS library is defined there.
 */
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from '@jest/globals'
import { verifyLayer } from '../../../src/checks/binaries.js'
import {
  LayerLibraries,
  linkProblems,
  loadedOnImport,
  missingAdvice,
  splitVersion
} from '../../../src/checks/links.js'
import type { ScannedFile } from '../../../src/layer/scan.js'
import { readElf, type ElfInfo } from '../../../src/layer/elf.js'
import { LAMBDA_OS, targetLibraries } from '../../../src/lambda-os.js'
import { type Architecture, type Runtime, RUNTIMES } from '../../../src/runtimes.js'
import { buildElf, EM_AARCH64, type VersionNeed } from '../../helpers/elf-fixtures.js'
import { makeLayer, type FakeDistribution } from '../../helpers/layer-fixtures.js'

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

function elf(needs: VersionNeed[], more: Parameters<typeof buildElf>[0] = {}): ElfInfo {
  const info = readElf(buildElf({ needs, ...more }))
  if (!info) throw new Error('fixture is not ELF')
  return info
}

/** The layer's libraries, from (relative path, ELF) pairs. */
function carried(...libs: Array<[string, ElfInfo]>): LayerLibraries {
  const files: ScannedFile[] = libs.map(([rel, elf]) => ({
    rel,
    name: rel,
    abs: `/layer/${rel}`,
    directory: false,
    size: 1,
    executable: false,
    format: 'elf',
    elf
  }))
  return new LayerLibraries(files)
}
const none = carried()

const libc = { file: 'libc.so.6', versions: ['GLIBC_2.2.5', 'GLIBC_2.17'] }
const cxx = (version: string): VersionNeed => ({
  file: 'libstdc++.so.6',
  versions: ['GLIBCXX_3.4', version, 'CXXABI_1.3']
})

describe('the fixture reader', () => {
  it('reads DT_NEEDED, DT_SONAME and the versions per library', () => {
    const info = elf([libc, cxx('GLIBCXX_3.4.26')], {
      soname: 'libfoo.so.1',
      runpath: '$ORIGIN/../foo.libs:$ORIGIN'
    })
    expect(info.needed).toEqual(['libc.so.6', 'libstdc++.so.6'])
    expect(info.soname).toBe('libfoo.so.1')
    expect(info.versionsByLibrary['libstdc++.so.6']).toEqual([
      'CXXABI_1.3',
      'GLIBCXX_3.4',
      'GLIBCXX_3.4.26'
    ])
    expect(info.linksIncomplete).toBe(false)
  })
})

describe('linkProblems', () => {
  it('names a library neither the layer nor the target OS has', () => {
    const info = elf([libc], { needed: ['libGL.so.1', 'libc.so.6', 'libm.so.6'] })
    expect(linkProblems(info, 'x86_64', ['python3.12'], none)).toEqual([
      { library: 'libGL.so.1', runtimes: ['python3.12'], os: 'Amazon Linux 2023' }
    ])
    expect(
      linkProblems(info, 'x86_64', ['python3.12'], carried(['libGL.so.1', elf([libc])]))
    ).toEqual([])
  })

  it('holds GLIBCXX_3.4.26 against Amazon Linux 2 (GCC 7) and lets Amazon Linux 2023 (GCC 11) pass', () => {
    const info = elf([libc, cxx('GLIBCXX_3.4.26')])
    expect(linkProblems(info, 'x86_64', ['python3.11', 'python3.12'], none)).toEqual([
      {
        library: 'libstdc++.so.6',
        version: 'GLIBCXX_3.4.26',
        has: 'GLIBCXX_3.4.24',
        runtimes: ['python3.11'],
        os: 'Amazon Linux 2'
      }
    ])
    expect(linkProblems(elf([libc, cxx('GLIBCXX_3.4.24')]), 'x86_64', ['python3.9'], none)).toEqual(
      []
    )
    expect(linkProblems(elf([libc, cxx('GLIBCXX_3.4.30')]), 'arm64', ['python3.13'], none)).toEqual(
      [expect.objectContaining({ version: 'GLIBCXX_3.4.30', has: 'GLIBCXX_3.4.29' })]
    )
  })

  it('checks a version against the library that defines it, per architecture', () => {
    const gcc = elf([libc, { file: 'libgcc_s.so.1', versions: ['GCC_3.0', 'GCC_11.0'] }])
    expect(linkProblems(gcc, 'arm64', ['python3.12'], none)).toEqual([])
    expect(linkProblems(gcc, 'x86_64', ['python3.12'], none)).toEqual([
      expect.objectContaining({ library: 'libgcc_s.so.1', version: 'GCC_11.0', has: 'GCC_7.0.0' })
    ])
  })

  it("leaves glibc's versions to the glibc check, and the versions of the layer's own libraries alone", () => {
    const newGlibc = elf([{ file: 'libc.so.6', versions: ['GLIBC_2.38'] }])
    expect(linkProblems(newGlibc, 'x86_64', ['python3.11'], none)).toEqual([])
    const vendored = elf([libc, cxx('GLIBCXX_3.4.32')])
    expect(
      linkProblems(vendored, 'x86_64', ['python3.11'], carried(['libstdc++.so.6', elf([libc])]))
    ).toEqual([])
  })

  it("takes the runtime's libpython and the loader of the architecture as there", () => {
    const info = elf([libc], {
      needed: ['libpython3.12.so.1.0', 'ld-linux-aarch64.so.1', 'libc.so.6']
    })
    expect(linkProblems(info, 'arm64', ['python3.12'], none)).toEqual([])
    expect(linkProblems(info, 'arm64', ['python3.11'], none)).toEqual([
      { library: 'libpython3.12.so.1.0', runtimes: ['python3.11'], os: 'Amazon Linux 2' }
    ])
    expect(linkProblems(info, 'x86_64', ['python3.12'], none)).toEqual([
      { library: 'ld-linux-aarch64.so.1', runtimes: ['python3.12'], os: 'Amazon Linux 2023' }
    ])
  })
})

describe('the libraries a module loads from the layer', () => {
  const gui = elf([libc], {
    needed: ['libGL.so.1', 'libc.so.6'],
    soname: 'libQt5Gui-5dea4132.so.5'
  })
  const layer = carried(['opencv_python.libs/libQt5Gui-5dea4132.so.5.15.13', gui])
  const module = elf([libc], { needed: ['libQt5Gui-5dea4132.so.5', 'libc.so.6'] })

  it('count for the module that loads them, naming the library that needs it', () => {
    expect(linkProblems(module, 'x86_64', ['python3.12'], layer, layer.loadedBy(module))).toEqual([
      {
        library: 'libGL.so.1',
        runtimes: ['python3.12'],
        os: 'Amazon Linux 2023',
        neededBy: 'opencv_python.libs/libQt5Gui-5dea4132.so.5.15.13'
      }
    ])
    expect(linkProblems(module, 'x86_64', ['python3.12'], layer)).toEqual([])
    expect(layer.loadedBy(module).map(l => l.file.rel)).toEqual([
      'opencv_python.libs/libQt5Gui-5dea4132.so.5.15.13'
    ])
  })

  it('are loaded on import from a top-level module or a module of a top-level package only', () => {
    expect(loadedOnImport('cv2/cv2.abi3.so')).toBe(true)
    expect(loadedOnImport('_cffi_backend.cpython-312-x86_64-linux-gnu.so')).toBe(true)
    expect(loadedOnImport('numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so')).toBe(false)
    expect(loadedOnImport('opencv_python.libs/libQt5Gui-5dea4132.so.5.15.13')).toBe(false)
    expect(loadedOnImport('cv2/__init__.py')).toBe(false)
  })
})

describe('the OS tables', () => {
  it('give every runtime an OS with its libc, libstdc++ and libgcc_s, and no desktop library', () => {
    for (const runtime of Object.keys(RUNTIMES) as Runtime[]) {
      for (const architecture of ['x86_64', 'arm64'] as Architecture[]) {
        const target = targetLibraries(runtime, architecture)
        for (const lib of [
          'libc.so.6',
          'libm.so.6',
          'libstdc++.so.6',
          'libgcc_s.so.1',
          'libz.so.1'
        ]) {
          expect([runtime, architecture, lib, target.has(lib)]).toEqual([
            runtime,
            architecture,
            lib,
            true
          ])
        }
        for (const lib of [
          'libGL.so.1',
          'libX11.so.6',
          'libXext.so.6',
          'libSM.so.6',
          'libICE.so.6',
          'libxcb.so.1'
        ]) {
          expect([runtime, lib, target.has(lib)]).toEqual([runtime, lib, false])
        }
      }
    }
    // glib is in the AL2023 minimal image (its package manager needs it), not in Lambda's AL2.
    expect(targetLibraries('python3.11', 'x86_64').has('libglib-2.0.so.0')).toBe(false)
    expect(targetLibraries('python3.12', 'x86_64').has('libglib-2.0.so.0')).toBe(true)
    expect(Object.keys(LAMBDA_OS).sort()).toEqual(['Amazon Linux 2', 'Amazon Linux 2023'])
  })

  it('split a version name into its prefix and numbers', () => {
    expect(splitVersion('GLIBCXX_3.4.26')).toEqual(['GLIBCXX', [3, 4, 26]])
    expect(splitVersion('LIBFFI_BASE_8.0')).toEqual(['LIBFFI_BASE', [8, 0]])
    expect(splitVersion('GLIBC_PRIVATE')).toBeUndefined()
  })
})

describe('missingAdvice', () => {
  it('sends opencv-python to its headless build, and says what else to do otherwise', () => {
    expect(missingAdvice('libGL.so.1', 'opencv-python')).toMatch(/^Use opencv-python-headless/)
    expect(missingAdvice('libGL.so.1', 'opencv-contrib-python')).toMatch(
      /^Use opencv-contrib-python-headless/
    )
    expect(missingAdvice('libX11.so.6', 'pygame')).toMatch(/desktop .* headless build of pygame/)
    expect(missingAdvice('libpq.so.5', 'psycopg2')).toMatch(
      /build of psycopg2 whose wheel carries libpq\.so\.5/
    )
  })
})

describe('verifyLayer with the link check', () => {
  async function verify(
    dists: FakeDistribution[],
    runtime: Runtime,
    architectures: Architecture[] = ['x86_64']
  ) {
    const root = makeLayer({ python: dists })
    roots.push(root)
    return (await verifyLayer({ root, targets: [{ runtime, dir: 'python' }], architectures }))
      .findings
  }

  const cv2 = buildElf({
    needs: [libc],
    needed: ['libGL.so.1', 'libglib-2.0.so.0', 'libX11.so.6', 'libc.so.6']
  })

  it('refuses opencv-python for any runtime, naming libGL.so.1 and opencv-python-headless', async () => {
    const findings = await verify(
      [{ name: 'opencv-python', version: '4.10.0.84', files: { 'cv2/cv2.abi3.so': cv2 } }],
      'python3.12'
    )
    expect(findings).toEqual([
      {
        severity: 'error',
        code: 'missing-library',
        file: 'python/cv2/cv2.abi3.so',
        package: 'opencv-python==4.10.0.84',
        message: expect.stringMatching(
          /needs libGL\.so\.1 and libX11\.so\.6, which python3\.12 on x86_64 Lambda \(Amazon Linux 2023\) does not have .*"libGL\.so\.1: cannot open shared object file".*Use opencv-python-headless/
        ) as unknown as string
      }
    ])
    const al2 = await verify(
      [{ name: 'opencv-python', version: '4.10.0.84', files: { 'cv2/cv2.abi3.so': cv2 } }],
      'python3.11'
    )
    expect(al2[0].message).toMatch(/needs libGL\.so\.1, libglib-2\.0\.so\.0 and libX11\.so\.6/)
  })

  it('reports what a library of the layer lacks once, on the module that loads it', async () => {
    const findings = await verify(
      [
        {
          name: 'opencv-python',
          version: '4.10.0.84',
          files: {
            'cv2/cv2.abi3.so': buildElf({
              needs: [libc],
              needed: ['libQt5Gui-5dea4132.so.5.15.13', 'libc.so.6'],
              runpath: '$ORIGIN/../opencv_python.libs'
            }),
            'opencv_python.libs/libQt5Gui-5dea4132.so.5.15.13': buildElf({
              needs: [libc],
              needed: ['libGL.so.1', 'libX11.so.6', 'libc.so.6']
            })
          }
        }
      ],
      'python3.12'
    )
    expect(findings.map(f => [f.severity, f.code, f.file])).toEqual([
      ['error', 'missing-library', 'python/cv2/cv2.abi3.so']
    ])
    expect(findings[0].message).toMatch(
      /needs libGL\.so\.1 and libX11\.so\.6 \(through libQt5Gui-5dea4132\.so\.5\.15\.13\).*importing cv2 fails with "libGL\.so\.1: cannot open shared object file"/
    )
  })

  it('only warns about a module its package loads on demand', async () => {
    const findings = await verify(
      [
        {
          name: 'numba',
          version: '0.68.1',
          files: {
            'numba/np/ufunc/omppool.cpython-312-x86_64-linux-gnu.so': buildElf({
              needs: [libc],
              needed: ['libgomp.so.1', 'libc.so.6']
            })
          }
        }
      ],
      'python3.12'
    )
    expect(findings.map(f => [f.severity, f.code])).toEqual([['warning', 'missing-library']])
    expect(findings[0].message).toMatch(
      /loading it \(on import or on demand, as its package decides\) fails/
    )
  })

  it('finds a library the package carries in its .libs folder', async () => {
    const findings = await verify(
      [
        {
          name: 'pkg',
          version: '1.0',
          files: {
            'pkg/_core.abi3.so': buildElf({
              needs: [libc],
              needed: ['libfoo-1a2b3c.so.1', 'libc.so.6'],
              runpath: '$ORIGIN/../pkg.libs'
            }),
            'pkg.libs/libfoo-1a2b3c.so.1': buildElf({ needs: [libc], soname: 'libfoo-1a2b3c.so.1' })
          }
        }
      ],
      'python3.12'
    )
    expect(findings).toEqual([])
  })

  it('fails a GLIBCXX above Amazon Linux 2 for python3.11 and passes it for python3.12', async () => {
    const dist = (): FakeDistribution[] => [
      {
        name: 'fastlib',
        version: '2.0',
        files: { 'fastlib/_ext.abi3.so': buildElf({ needs: [libc, cxx('GLIBCXX_3.4.26')] }) }
      }
    ]
    const old = await verify(dist(), 'python3.11')
    expect(old).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'symbol-version-too-new',
        package: 'fastlib==2.0'
      })
    ])
    expect(old[0].message).toMatch(
      /needs GLIBCXX_3\.4\.26 of libstdc\+\+\.so\.6, but python3\.11 on x86_64 Lambda \(Amazon Linux 2\) has up to GLIBCXX_3\.4\.24.*Use python3\.12 or newer \(Amazon Linux 2023\), or pin an older fastlib/
    )
    expect(await verify(dist(), 'python3.12')).toEqual([])
  })

  it('proves an arm64 layer on any runner: the tables are per architecture', async () => {
    const findings = await verify(
      [
        {
          name: 'pkg',
          version: '1.0',
          files: {
            'pkg/_core.abi3.so': buildElf({
              machine: EM_AARCH64,
              needs: [libc],
              needed: ['libGL.so.1', 'libc.so.6']
            })
          }
        }
      ],
      'python3.13',
      ['arm64']
    )
    expect(findings.map(f => [f.code, f.severity])).toEqual([['missing-library', 'error']])
    expect(findings[0].message).toMatch(/python3\.13 on arm64 Lambda/)
  })
})
