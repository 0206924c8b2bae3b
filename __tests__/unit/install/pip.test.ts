import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { installedDistributions } from '../../../src/layer/dist-info.js'
import {
  pipErrorExcerpt,
  pipInstallArgs,
  targetArgs,
  unsatisfiedRequirement
} from '../../../src/install/pip.js'
import type { Architecture, Runtime } from '../../../src/runtimes.js'
import { normalizeName } from '../../../src/requirements/names.js'

function platforms(args: string[]): string[] {
  return args.flatMap((a, i) => (a === '--platform' ? [args[i + 1]] : []))
}

function value(args: string[], option: string): string | undefined {
  const i = args.indexOf(option)
  return i === -1 ? undefined : args[i + 1]
}

describe('targetArgs', () => {
  it.each<[Runtime, Architecture, string, string, string, number]>([
    ['python3.9', 'x86_64', '3.9', 'cp39', 'manylinux_2_26_x86_64', 25],
    ['python3.10', 'arm64', '3.10', 'cp310', 'manylinux_2_26_aarch64', 11],
    ['python3.11', 'x86_64', '3.11', 'cp311', 'manylinux_2_26_x86_64', 25],
    ['python3.12', 'x86_64', '3.12', 'cp312', 'manylinux_2_34_x86_64', 33],
    ['python3.12', 'arm64', '3.12', 'cp312', 'manylinux_2_34_aarch64', 19],
    ['python3.13', 'arm64', '3.13', 'cp313', 'manylinux_2_34_aarch64', 19],
    ['python3.14', 'x86_64', '3.14', 'cp314', 'manylinux_2_34_x86_64', 33]
  ])('%s / %s: Python %s, ABI %s, tags from %s (%i)', (runtime, arch, python, abi, top, count) => {
    const args = targetArgs(runtime, arch)
    expect(args).toContain('--only-binary=:all:')
    expect(value(args, '--implementation')).toBe('cp')
    expect(value(args, '--python-version')).toBe(python)
    expect(value(args, '--abi')).toBe(abi)
    expect(platforms(args)[0]).toBe(top)
    expect(platforms(args)).toHaveLength(count)
  })
})

describe('pipInstallArgs', () => {
  const args = pipInstallArgs({
    runtime: 'python3.12',
    architecture: 'arm64',
    requirements: '/ws/requirements.txt',
    targetDir: '/tmp/stage/python',
    pipArgs: ['--extra-index-url', 'https://x.example/simple'],
    findLinks: '/tmp/wheelhouse'
  })

  it('installs into the target with no bytecode (compiled later, reproducibly)', () => {
    expect(args.slice(0, 3)).toEqual(['-m', 'pip', 'install'])
    expect(value(args, '--target')).toBe('/tmp/stage/python')
    expect(args).toContain('--no-compile')
  })

  it('passes the user arguments, the wheelhouse and the requirements last', () => {
    expect(value(args, '--extra-index-url')).toBe('https://x.example/simple')
    expect(value(args, '--find-links')).toBe('/tmp/wheelhouse')
    expect(args.slice(-2)).toEqual(['-r', '/ws/requirements.txt'])
  })
})

describe('unsatisfiedRequirement', () => {
  it.each([
    [
      'ERROR: Could not find a version that satisfies the requirement numpy>=2.3 (from versions: none)\nERROR: No matching distribution found for numpy>=2.3\n',
      'numpy>=2.3'
    ],
    ['ERROR: No matching distribution found for psycopg2==2.9.9', 'psycopg2==2.9.9'],
    ['Successfully installed six-1.16.0', undefined],
    ['ERROR: ResolutionImpossible: ...', undefined]
  ])('%#', (output, expected) => {
    expect(unsatisfiedRequirement(output)).toBe(expected)
  })
})

describe('installedDistributions', () => {
  it('reads name and version from METADATA, else from the folder name, sorted', async () => {
    const site = fs.mkdtempSync(path.join(os.tmpdir(), 'site-'))
    fs.mkdirSync(path.join(site, 'PyYAML-6.0.2.dist-info'))
    fs.writeFileSync(
      path.join(site, 'PyYAML-6.0.2.dist-info', 'METADATA'),
      'Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.2\n\nName: not-this\n'
    )
    fs.mkdirSync(path.join(site, 'attrs-24.2.0.dist-info'))
    fs.mkdirSync(path.join(site, 'yaml'))
    await expect(installedDistributions(site)).resolves.toEqual([
      { name: 'attrs', version: '24.2.0' },
      { name: 'PyYAML', version: '6.0.2' }
    ])
  })

  it.each([
    ['Typing_Extensions', 'typing-extensions'],
    ['zope.interface', 'zope-interface'],
    ['a__b', 'a-b']
  ])('normalizeName(%p) = %p', (name, expected) => {
    expect(normalizeName(name)).toBe(expected)
  })
})

describe('pipErrorExcerpt', () => {
  it('keeps the error lines and the conflict explanation, drops progress', () => {
    const stdout =
      'Collecting requests==2.32.3\n  Downloading requests-2.32.3.whl (64 kB)\n     ━━━━ 64.9/64.9 kB\nINFO: pip is looking at multiple versions\n\nThe conflict is caused by:\n    The user requested urllib3==1.20\n    requests 2.32.3 depends on urllib3<3 and >=1.21.1\n'
    const stderr =
      "WARNING: Location 'file:///x/' is ignored: it is neither a file nor a directory.\nERROR: Cannot install requests==2.32.3 and urllib3==1.20 because these package versions have conflicting dependencies.\n"
    expect(pipErrorExcerpt(stdout, stderr).split('\n')).toEqual([
      'ERROR: Cannot install requests==2.32.3 and urllib3==1.20 because these package versions have conflicting dependencies.',
      'The conflict is caused by:',
      '    The user requested urllib3==1.20',
      '    requests 2.32.3 depends on urllib3<3 and >=1.21.1'
    ])
  })

  it('falls back to stdout when stderr is empty', () => {
    expect(pipErrorExcerpt('Collecting x\nERROR: boom\n', '')).toBe('ERROR: boom')
  })
})

describe('conflictDependencies', () => {
  it("reads the dependencies of pip's conflict explanation, each once, without markers", async () => {
    const { conflictDependencies } = await import('../../../src/install/pip.js')
    const output = [
      'ERROR: Cannot install feedparser==6.0.10 and feedparser==6.0.11 because these package versions have conflicting dependencies.',
      '',
      'The conflict is caused by:',
      '    feedparser 6.0.11 depends on sgmllib3k',
      '    feedparser 6.0.10 depends on sgmllib3k',
      '    dnachisel 3.2.16 depends on docopt; extra == "reports"',
      '    other 1.0 depends on numpy<2 and >=1.20',
      '',
      'To fix this you could try to:'
    ].join('\n')
    expect(conflictDependencies(output)).toEqual(['sgmllib3k', 'docopt', 'numpy<2,>=1.20'])
    expect(conflictDependencies('ERROR: No matching distribution found for x')).toEqual([])
  })
})

describe('hashMismatches', () => {
  it("reads pip's report: the requirement, its line, the file, the allowed and the actual hash", async () => {
    const { hashMismatches } = await import('../../../src/install/pip.js')
    const output = [
      'ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.',
      '    six==1.17.0 from https://files.example/six-1.17.0-py2.py3-none-any.whl#sha256=4721 (from -r /ws/requirements.txt (line 3)):',
      '        Expected sha256 0000',
      '        Expected     or 1111',
      '             Got        4721',
      ''
    ].join('\n')
    expect(hashMismatches(output)).toEqual([
      {
        requirement: 'six==1.17.0',
        file: 'six-1.17.0-py2.py3-none-any.whl',
        origin: 'requirements.txt, line 3',
        expected: ['0000', '1111'],
        got: '4721'
      }
    ])
  })
})
