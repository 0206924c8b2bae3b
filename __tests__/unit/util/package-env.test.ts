import { describe, expect, it } from '@jest/globals'
import { packageCodeEnv } from '../../../src/util/package-env.js'

describe('packageCodeEnv', () => {
  const env = packageCodeEnv({
    PATH: '/usr/bin',
    HOME: '/home/runner',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'id',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'session',
    AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/token',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc',
    ACTIONS_RUNTIME_TOKEN: 'runtime',
    ACTIONS_RESULTS_URL: 'https://results',
    GITHUB_TOKEN: 'ghs',
    'INPUT_PIP-ARGS': '--index-url https://u:p@x',
    MY_API_KEY: 'k',
    DB_PASSWORD: 'p',
    PIP_INDEX_URL: 'https://user:token@index/simple',
    UV_INDEX_PRIVATE_PASSWORD: 'uv',
    HTTPS_PROXY: 'http://proxy:3128',
    SSL_CERT_FILE: '/etc/ssl/cert.pem',
    SSH_AUTH_SOCK: '/tmp/agent'
  })

  it('withholds credentials, runner tokens, inputs and secret-named variables', () => {
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_URL',
      'ACTIONS_RUNTIME_TOKEN',
      'ACTIONS_RESULTS_URL',
      'GITHUB_TOKEN',
      'INPUT_PIP-ARGS',
      'MY_API_KEY',
      'DB_PASSWORD'
    ]) {
      expect(env[name]).toBeUndefined()
    }
  })

  it("keeps what installers need and the rest of the job's environment", () => {
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      AWS_REGION: 'eu-west-1',
      PIP_INDEX_URL: 'https://user:token@index/simple',
      UV_INDEX_PRIVATE_PASSWORD: 'uv',
      HTTPS_PROXY: 'http://proxy:3128',
      SSL_CERT_FILE: '/etc/ssl/cert.pem',
      SSH_AUTH_SOCK: '/tmp/agent'
    })
  })
})
