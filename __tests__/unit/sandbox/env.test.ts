import { describe, expect, it } from '@jest/globals'
import { codeEnv, packageCodeEnv, passes, programEnv } from '../../../src/sandbox/env.js'

/** A job's environment as a runner gives it, with the secrets a workflow puts in env:. */
const JOB = {
  PATH: '/usr/bin',
  HOME: '/home/runner',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'id',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'session',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
  ACTIONS_RUNTIME_TOKEN: 'runtime',
  GITHUB_TOKEN: 'ghs',
  GITHUB_ENV: '/runner/_temp/_runner_file_commands/set_env',
  GITHUB_PATH: '/runner/_temp/_runner_file_commands/add_path',
  GITHUB_OUTPUT: '/runner/_temp/_runner_file_commands/set_output',
  GITHUB_STATE: '/runner/_temp/_runner_file_commands/save_state',
  GITHUB_STEP_SUMMARY: '/runner/_temp/_runner_file_commands/step_summary',
  'INPUT_PIP-ARGS': '--index-url https://u:p@x',
  DEPLOY_KEY: 'k',
  SIGNING_KEY: 's',
  GH_PAT: 'pat',
  DB_PASS: 'p',
  DATABASE_URL: 'postgres://u:p@db/x',
  UV_PUBLISH_TOKEN: 'pypi-token',
  UV_PUBLISH_PASSWORD: 'pw',
  SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
  BASH_ENV: '/tmp/evil.sh',
  PYTHONPATH: '/home/runner/work/src',
  LD_PRELOAD: '/tmp/evil.so',
  PIP_INDEX_URL: 'https://user:token@index/simple',
  PIP_CONFIG_FILE: '/etc/pip-private.conf',
  UV_INDEX_URL: 'https://user:token@index/simple',
  HTTPS_PROXY: 'http://proxy:3128',
  no_proxy: 'localhost',
  SSL_CERT_FILE: '/etc/ssl/cert.pem',
  CFLAGS: '-O2'
}

const NEVER = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'GITHUB_TOKEN',
  'GITHUB_ENV',
  'GITHUB_PATH',
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
  'INPUT_PIP-ARGS',
  'DEPLOY_KEY',
  'SIGNING_KEY',
  'GH_PAT',
  'DB_PASS',
  'DATABASE_URL',
  'UV_PUBLISH_TOKEN',
  'UV_PUBLISH_PASSWORD',
  'SSH_AUTH_SOCK',
  'BASH_ENV',
  'LD_PRELOAD',
  'HOME'
]

describe('the environment of package code is an allow-list', () => {
  const install = packageCodeEnv(JOB)
  const code = codeEnv(JOB)

  it.each(NEVER)('%s reaches neither installs nor imports', name => {
    expect(install[name]).toBeUndefined()
    expect(code[name]).toBeUndefined()
  })

  it('a variable nobody named is withheld, whatever its name', () => {
    expect(passes('SOMETHING_HARMLESS', 'install')).toBe(false)
    expect(passes('MY_APP_SETTING', 'code')).toBe(false)
  })

  it('installs keep what reaches an index: PIP_*, UV_* (not publishing), proxies, certificates, compiler flags', () => {
    for (const name of [
      'PIP_INDEX_URL',
      'PIP_CONFIG_FILE',
      'UV_INDEX_URL',
      'HTTPS_PROXY',
      'no_proxy',
      'SSL_CERT_FILE',
      'CFLAGS'
    ]) {
      expect(install[name]).toBe(JOB[name as keyof typeof JOB])
    }
  })

  it('imports and compileall get no installer settings, no index credentials, no proxies', () => {
    for (const name of [
      'PIP_INDEX_URL',
      'PIP_CONFIG_FILE',
      'UV_INDEX_URL',
      'HTTPS_PROXY',
      'SSL_CERT_FILE'
    ]) {
      expect(code[name]).toBeUndefined()
    }
  })

  it('both keep PATH, locale and time zone', () => {
    for (const env of [install, code]) {
      expect(env).toMatchObject({ PATH: '/usr/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC' })
    }
  })

  it("the job's PYTHONPATH does not pass the filter", () => {
    expect(install.PYTHONPATH).toBeUndefined()
  })
})

describe('programEnv: the last filter before a sandboxed program starts', () => {
  it('drops credentials a caller passed by mistake (the whole job environment)', () => {
    const env = programEnv(JOB, 'install')
    for (const name of NEVER) expect(env[name]).toBeUndefined()
  })

  it("keeps what the action sets itself: a tool's PYTHONPATH, PYTHONHASHSEED, TMPDIR", () => {
    const env = programEnv({ PYTHONPATH: '/tool', PYTHONHASHSEED: '0', TMPDIR: '/w/tmp' }, 'code')
    expect(env).toEqual({ PYTHONPATH: '/tool', PYTHONHASHSEED: '0', TMPDIR: '/w/tmp' })
  })

  it('drops installer settings for the code profile', () => {
    expect(programEnv({ PIP_INDEX_URL: 'https://u:p@x' }, 'code')).toEqual({})
  })
})
