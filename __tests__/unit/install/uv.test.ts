import { afterAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  decideInstaller,
  parsePipConfigList,
  parseUvPlan,
  releaseDifferences,
  uvInstall,
  uvInstallArgs,
  uvOptions,
  uvTarget,
  uvTargetAbove,
  UV_VERSION
} from '../../../src/install/uv.js'
import { parsePipOptions } from '../../../src/requirements/pip-args.js'
import { InstallerEnv } from '../../../src/install/installer-env.js'

describe('uvTarget', () => {
  it('gives Amazon Linux 2023 runtimes their own glibc', () => {
    expect(uvTarget('python3.12', 'x86_64')).toEqual({
      platform: 'x86_64-manylinux_2_34',
      glibc: '2.34',
      exact: true
    })
    expect(uvTarget('python3.13', 'arm64').platform).toBe('aarch64-manylinux_2_34')
  })

  it('gives Amazon Linux 2 runtimes manylinux_2_17, the highest uv target below glibc 2.26', () => {
    expect(uvTarget('python3.11', 'x86_64')).toEqual({
      platform: 'x86_64-manylinux_2_17',
      glibc: '2.17',
      exact: false
    })
    expect(uvTarget('python3.9', 'arm64').platform).toBe('aarch64-manylinux_2_17')
  })
})

describe('uvTargetAbove', () => {
  it("gives uv's next target above the runtime's glibc, where an inexact install is checked", () => {
    expect(uvTargetAbove('python3.11', 'x86_64')).toEqual({
      platform: 'x86_64-manylinux_2_28',
      glibc: '2.28'
    })
    expect(uvTargetAbove('python3.9', 'arm64')?.platform).toBe('aarch64-manylinux_2_28')
    expect(uvTargetAbove('python3.12', 'x86_64')?.platform).toBe('x86_64-manylinux_2_35')
  })
})

describe('parseUvPlan', () => {
  it("reads the releases of uv's dry run by normalized name; a direct reference has no version", () => {
    const output = [
      'Using CPython 3.11.7 interpreter at: /usr/bin/python3.11',
      'Resolved 4 packages in 143ms',
      'Would download 1 package',
      'Would install 4 packages',
      ' + numpy==2.2.6',
      ' + Typing_Extensions==4.12.2',
      ' + torch==2.5.1+cpu',
      ' + six @ file:///tmp/dl/six-1.16.0-py2.py3-none-any.whl',
      ''
    ].join('\n')
    expect(parseUvPlan(output)).toEqual(
      new Map([
        ['numpy', '2.2.6'],
        ['typing-extensions', '4.12.2'],
        ['torch', '2.5.1+cpu'],
        ['six', undefined]
      ])
    )
  })

  it('finds nothing in a run that would install nothing', () => {
    expect(parseUvPlan('Checked 2 packages in 1ms\nWould make no changes\n').size).toBe(0)
  })
})

describe('releaseDifferences', () => {
  const installed = new Map([
    ['glibcpick', '1.0'],
    ['six', '1.16.0']
  ])

  it('is empty when the check picks the same releases', () => {
    expect(releaseDifferences(installed, new Map(installed))).toEqual([])
  })

  it('names another version, and a release only one side has', () => {
    expect(
      releaseDifferences(
        installed,
        new Map([
          ['glibcpick', '2.0'],
          ['newdep', '0.1']
        ])
      )
    ).toEqual([
      { name: 'glibcpick', installed: '1.0', check: '2.0' },
      { name: 'newdep', installed: undefined, check: '0.1' },
      { name: 'six', installed: '1.16.0', check: undefined }
    ])
  })

  it('matches a direct reference by name', () => {
    expect(
      releaseDifferences(
        installed,
        new Map([
          ['glibcpick', '1.0'],
          ['six', undefined]
        ])
      )
    ).toEqual([])
  })
})

describe('parsePipConfigList', () => {
  const listed = [
    ":env:.find-links='/opt/wheels'",
    "global.cert='/etc/ssl/certs/ca-certificates.crt'",
    "global.constraint='/etc/xdg/pip/constraints.txt'",
    "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'",
    "global.find-links='/elsewhere'",
    "install.index-url='https://mirror.example/simple'",
    "global.index-url='https://pypi.org/simple'",
    "download.index-url='https://ignored.example/simple'"
  ].join('\n')

  it('takes the environment over install over global, and ignores other commands', () => {
    const config = parsePipConfigList(listed)
    expect(config.get('find-links')).toBe('/opt/wheels')
    expect(config.get('index-url')).toBe('https://mirror.example/simple')
    expect(config.get('extra-index-url')).toBe(
      'file:///opt/pypi/simple file:///opt/pypi-more/simple'
    )
    expect(config.get('constraint')).toBe('/etc/xdg/pip/constraints.txt')
  })
})

describe('uvOptions', () => {
  it('carries indexes through the environment and the rest as uv options', () => {
    const config = new Map([
      ['index-url', 'https://user:secret@private.example/simple'],
      ['extra-index-url', 'file:///opt/pypi/simple file:///opt/pypi-more/simple'],
      ['find-links', '/opt/wheels'],
      ['constraint', 'constraints.txt'],
      ['cert', '/etc/ssl/ca.pem'],
      ['timeout', '180'],
      ['disable-pip-version-check', '1']
    ])
    const o = uvOptions(config, parsePipOptions(['--pre', '--trusted-host', 'h.example']), '/ws')
    expect(o.env).toEqual({
      UV_INDEX_URL: 'https://user:secret@private.example/simple',
      UV_EXTRA_INDEX_URL: 'file:///opt/pypi/simple file:///opt/pypi-more/simple',
      SSL_CERT_FILE: '/etc/ssl/ca.pem',
      UV_HTTP_TIMEOUT: '180'
    })
    expect(o.args).toEqual([
      '--find-links',
      '/opt/wheels',
      '--constraint',
      '/ws/constraints.txt',
      '--prerelease',
      'allow',
      '--allow-insecure-host',
      'h.example'
    ])
    // No credentials on the command line.
    expect(o.args.join(' ')).not.toContain('secret')
    expect(o.unsupported).toEqual([])
    expect(o.severalSources).toBe(true)
  })

  it('pip-args add to the indexes of the configuration, as with pip', () => {
    const o = uvOptions(
      new Map([['extra-index-url', 'https://a.example/simple']]),
      parsePipOptions(['--extra-index-url', 'https://b.example/simple']),
      '/ws'
    )
    expect(o.env.UV_EXTRA_INDEX_URL).toBe('https://a.example/simple https://b.example/simple')
  })

  it('names the pip options uv has no equivalent for', () => {
    const o = uvOptions(
      new Map([['prefer-binary', 'true']]),
      parsePipOptions(['--no-binary', ':all:']),
      '/ws'
    )
    expect(o.unsupported).toEqual(["prefer-binary (pip's configuration)", 'no-binary (pip-args)'])
  })
})

describe('uvInstallArgs', () => {
  it('installs into the target for the Lambda platform, copying out of the cache', () => {
    const args = uvInstallArgs({
      python: '/py/bin/python3.12',
      runtime: 'python3.12',
      architecture: 'arm64',
      requirements: '/w/lock.txt',
      targetDir: '/w/layer/python',
      cwd: '/ws',
      options: { args: [], env: {}, unsupported: [], severalSources: false },
      noDeps: true,
      env: InstallerEnv.create()
    })
    expect(args.join(' ')).toBe(
      'pip install --target /w/layer/python --python /py/bin/python3.12 --python-version 3.12 --python-platform aarch64-manylinux_2_34 --only-binary :all: --link-mode copy --no-progress --no-deps --requirement /w/lock.txt'
    )
  })

  it("links out of the cache when the cache is the action's own (pruned before it is kept)", () => {
    const args = uvInstallArgs({
      python: '/py/bin/python3.12',
      runtime: 'python3.12',
      architecture: 'x86_64',
      requirements: '/w/r.txt',
      targetDir: '/w/layer/python',
      cwd: '/ws',
      options: { args: [], env: {}, unsupported: [], severalSources: false },
      noDeps: false,
      env: InstallerEnv.create().withCaches('/rt/downloads', false)
    })
    expect(args[args.indexOf('--link-mode') + 1]).toBe('hardlink')
  })
})

describe('uvInstall', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uv-install-unit-'))
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

  /** A stand-in for uv that installs as uv does: its own `.lock` at the root of --target. */
  function fakeUv(exitCode: number): string {
    const script = path.join(work, `uv-${exitCode}`)
    fs.writeFileSync(
      script,
      [
        '#!/bin/sh',
        'while [ "$1" != "--target" ]; do shift; done',
        ': > "$2/.lock"',
        'mkdir -p "$2/pkg" "$2/pkg-1.0.dist-info"',
        'echo "a package\'s own" > "$2/pkg/.lock"',
        'echo uv > "$2/pkg-1.0.dist-info/INSTALLER"',
        `exit ${exitCode}`,
        ''
      ].join('\n'),
      { mode: 0o755 }
    )
    return script
  }

  const install = async (exitCode: number, targetDir: string): ReturnType<typeof uvInstall> =>
    await uvInstall({
      uv: { path: fakeUv(exitCode), version: '0.13.9', label: 'uv 0.13.9 (test)' },
      python: '/py/bin/python3.12',
      runtime: 'python3.12',
      architecture: 'x86_64',
      requirements: path.join(work, 'requirements.txt'),
      targetDir,
      cwd: work,
      options: { args: [], env: {}, unsupported: [], severalSources: false },
      noDeps: false,
      env: InstallerEnv.create()
    })

  it("leaves uv's lock file out of the target, and a package's own .lock in it", async () => {
    const target = path.join(work, 'layer', 'python')
    expect(await install(0, target)).toEqual({ ok: true })
    expect(fs.readdirSync(target).sort()).toEqual(['pkg', 'pkg-1.0.dist-info'])
    expect(fs.existsSync(path.join(target, 'pkg', '.lock'))).toBe(true)
  })

  it('removes the lock file after a failed install too', async () => {
    const target = path.join(work, 'failed', 'python')
    expect((await install(1, target)).ok).toBe(false)
    expect(fs.existsSync(path.join(target, '.lock'))).toBe(false)
  })
})

describe('decideInstaller', () => {
  const base = {
    choice: 'auto' as const,
    uv: undefined,
    locked: false,
    runtimes: ['python3.12' as const],
    architectures: ['x86_64' as const],
    unsupported: []
  }

  it('auto: pip when no uv runs here (none on PATH, and the pinned one not for this runner)', () => {
    expect(decideInstaller(base)).toEqual({
      installer: 'pip',
      reason: 'installer: auto, and no uv runs on this runner'
    })
  })

  it("auto: the action's own uv when none is on PATH", () => {
    expect(decideInstaller({ ...base, uv: 'action' })).toEqual({
      installer: 'uv',
      reason: `installer: auto, uv ${UV_VERSION}, installed by the action`
    })
  })

  it('auto: uv for a uv project, on any runtime (the lock fixes the versions)', () => {
    expect(
      decideInstaller({ ...base, uv: 'project', locked: true, runtimes: ['python3.11'] }).installer
    ).toBe('uv')
  })

  it('auto: uv on PATH for unlocked requirements on a glibc 2.26 runtime, saying its choice is checked', () => {
    const d = decideInstaller({ ...base, uv: 'path', runtimes: ['python3.11', 'python3.12'] })
    expect(d).toEqual({
      installer: 'uv',
      reason:
        'installer: auto, uv on PATH; python3.11: uv has no target for glibc 2.26, installs at manylinux_2_17 and checks its choice at manylinux_2_28; pip installs where the two differ'
    })
  })

  it('auto: uv on PATH for python3.12, with nothing to check', () => {
    expect(decideInstaller({ ...base, uv: 'path' })).toEqual({
      installer: 'uv',
      reason: 'installer: auto, uv on PATH'
    })
  })

  it('auto: a lock on a glibc 2.26 runtime is not checked (its versions are fixed)', () => {
    expect(
      decideInstaller({ ...base, uv: 'path', locked: true, runtimes: ['python3.9'] }).reason
    ).toBe('installer: auto, uv on PATH')
  })

  it('auto: pip when an option has no uv equivalent; uv: an error naming it', () => {
    const unsupported = ['no-binary (pip-args)']
    expect(decideInstaller({ ...base, uv: 'path', runtimes: ['python3.11'], unsupported })).toEqual(
      {
        installer: 'pip',
        reason: 'installer: auto, and uv has no equivalent for no-binary (pip-args)'
      }
    )
    expect(() => decideInstaller({ ...base, choice: 'uv', unsupported })).toThrow(
      /Input `installer` is uv, but uv has no equivalent for these pip options: no-binary \(pip-args\)/
    )
  })

  it('pip and uv are taken as said', () => {
    expect(decideInstaller({ ...base, choice: 'pip', uv: 'project' }).installer).toBe('pip')
    expect(decideInstaller({ ...base, choice: 'uv', runtimes: ['python3.9'] }).installer).toBe('uv')
  })
})
