import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  AccessDeniedException,
  CodeartifactClient,
  GetAuthorizationTokenCommand,
  GetRepositoryEndpointCommand,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException
} from '@aws-sdk/client-codeartifact'
import { mockClient } from 'aws-sdk-client-mock'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { type CodeArtifactEmulator, startCodeArtifact } from '../../helpers/codeartifact.js'
import { findTestPython } from '../../helpers/python.js'
import { makeWheel } from '../../helpers/wheel.js'

const core = {
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn(),
  setSecret: jest.fn()
}
jest.unstable_mockModule('@actions/core', () => core)

const {
  codeArtifactIndex,
  codeArtifactLabel,
  createCodeArtifactClient,
  indexUrls,
  TOKEN_DURATION_SECONDS
} = await import('../../../src/aws/codeartifact.js')
const { parseCodeArtifact } = await import('../../../src/aws-inputs/index.js')
const { CallTimeoutError } = await import('../../../src/aws/client.js')
const { ActionError } = await import('../../../src/errors.js')

const OWNER = '111122223333'
const EXAMPLE = '"my-domain/my-repo" or "111122223333/my-domain/my-repo"'

describe('parseCodeArtifact', () => {
  it.each([
    ['my-domain/my-repo', { domain: 'my-domain', repository: 'my-repo' }],
    [
      '111122223333/my-domain/my-repo',
      { domain: 'my-domain', repository: 'my-repo', domainOwner: '111122223333' }
    ],
    ['  my-domain/My.Repo_1-x  ', { domain: 'my-domain', repository: 'My.Repo_1-x' }],
    ['ab/r2', { domain: 'ab', repository: 'r2' }],
    ['d0-9/9lives', { domain: 'd0-9', repository: '9lives' }],
    [
      `d${'x'.repeat(49)}/${'R'.repeat(100)}`,
      { domain: `d${'x'.repeat(49)}`, repository: 'R'.repeat(100) }
    ]
  ])('reads %j', (value, expected) => {
    expect(parseCodeArtifact(value)).toStrictEqual(expected)
  })

  it.each(['', '   ', '\n'])('is undefined for %j (the input is not set)', value => {
    expect(parseCodeArtifact(value)).toBeUndefined()
  })

  it.each([
    ['my-domain', 'expected "domain/repository"'],
    ['a/b/c/d', 'expected "domain/repository"'],
    ['my-domain/', 'expected "domain/repository"'],
    ['/my-repo', 'expected "domain/repository"'],
    ['111122223333//my-repo', 'expected "domain/repository"'],
    [
      'arn:aws:codeartifact:us-east-1:111122223333:repository/my-domain/my-repo',
      'a repository ARN is not accepted. Write it as "111122223333/my-domain/my-repo"'
    ],
    [
      'https://my-domain-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/my-repo/',
      'expected "domain/repository"'
    ],
    ['my-domain:x/my-repo', 'expected "domain/repository"'],
    ['12345/my-domain/my-repo', '"12345" is not an AWS account ID (exactly 12 digits)'],
    ['1111222233334/my-domain/my-repo', '"1111222233334" is not an AWS account ID'],
    ['acct-owner12/my-domain/my-repo', '"acct-owner12" is not an AWS account ID'],
    ['My-Domain/my-repo', '"My-Domain" is not a CodeArtifact domain name'],
    ['1domain/my-repo', '"1domain" is not a CodeArtifact domain name'],
    ['-domain/my-repo', '"-domain" is not a CodeArtifact domain name'],
    ['d/my-repo', '"d" is not a CodeArtifact domain name'],
    ['my_domain/my-repo', '"my_domain" is not a CodeArtifact domain name'],
    [`d${'x'.repeat(50)}/my-repo`, 'is not a CodeArtifact domain name (2-50'],
    ['my-domain/r', '"r" is not a CodeArtifact repository name'],
    ['my-domain/-repo', '"-repo" is not a CodeArtifact repository name'],
    ['my-domain/.repo', '".repo" is not a CodeArtifact repository name'],
    ['my-domain/my repo', '"my repo" is not a CodeArtifact repository name'],
    [`my-domain/${'r'.repeat(101)}`, 'is not a CodeArtifact repository name (2-100']
  ])('refuses %j', (value, reason) => {
    let thrown: unknown
    try {
      parseCodeArtifact(value)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ActionError)
    const message = (thrown as Error).message
    expect(message).toContain(`Input \`codeartifact\` is "${value}"`)
    expect(message).toContain(reason)
    // An example of what is accepted.
    expect(message).toMatch(/(e\.g\.|as) "(\d{12}\/)?[a-z][a-z0-9-]+\/[A-Za-z0-9][\w.-]+"/)
  })

  it('gives both accepted forms when the shape is wrong', () => {
    expect(() => parseCodeArtifact('my-domain')).toThrow(EXAMPLE)
  })

  it('labels a repository the way the input writes it', () => {
    expect(codeArtifactLabel({ domain: 'd1', repository: 'r1' })).toBe('d1/r1')
    expect(codeArtifactLabel({ domain: 'd1', repository: 'r1', domainOwner: OWNER })).toBe(
      `${OWNER}/d1/r1`
    )
  })
})

describe('indexUrls', () => {
  const HOST = `my-domain-${OWNER}.d.codeartifact.us-east-1.amazonaws.com`

  it.each([
    [`https://${HOST}/pypi/my-repo/`],
    [`https://${HOST}/pypi/my-repo`],
    [`https://${HOST}/pypi/my-repo//`]
  ])('appends simple/ to %s', endpoint => {
    expect(indexUrls(endpoint, 'tok')).toEqual({
      url: `https://aws:tok@${HOST}/pypi/my-repo/simple/`,
      publicUrl: `https://${HOST}/pypi/my-repo/simple/`
    })
  })

  it('percent-encodes the token in the userinfo', () => {
    const { url } = indexUrls(`https://${HOST}/pypi/my-repo/`, 'a+b/c=d:e@f%g h')
    expect(url).toBe(`https://aws:a%2Bb%2Fc%3Dd%3Ae%40f%25g%20h@${HOST}/pypi/my-repo/simple/`)
    expect(decodeURIComponent(new URL(url).password)).toBe('a+b/c=d:e@f%g h')
  })

  it('keeps a port and drops credentials or a query the endpoint came with', () => {
    expect(indexUrls('http://user:pw@127.0.0.1:8080/pypi/r/?x=1', 'tok')).toEqual({
      url: 'http://aws:tok@127.0.0.1:8080/pypi/r/simple/',
      publicUrl: 'http://127.0.0.1:8080/pypi/r/simple/'
    })
  })

  it.each(['not a url', 'ftp://host/pypi/r/', ''])('refuses the endpoint %j', endpoint => {
    expect(() => indexUrls(endpoint, 'tok')).toThrow(ActionError)
  })
})

describe('codeArtifactIndex (mocked SDK)', () => {
  const client = new CodeartifactClient({ region: 'us-east-1' })
  const codeartifact = mockClient(client)
  const TOKEN = 'eyJ2ZXIiOjF9.secret+token/=='
  const ENCODED = encodeURIComponent(TOKEN)
  const ENDPOINT = `https://my-domain-${OWNER}.d.codeartifact.us-east-1.amazonaws.com/pypi/my-repo/`
  const EXPIRES = new Date('2030-01-01T00:15:00Z')
  const repo = { domain: 'my-domain', repository: 'my-repo' }
  const crossAccount = { ...repo, domainOwner: OWNER }

  function answers(): void {
    codeartifact
      .on(GetAuthorizationTokenCommand)
      .resolves({ authorizationToken: TOKEN, expiration: EXPIRES })
    codeartifact.on(GetRepositoryEndpointCommand).resolves({ repositoryEndpoint: ENDPOINT })
  }

  async function failure(promise: Promise<unknown>): Promise<Error> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).not.toContain(TOKEN)
    expect((error as Error).message).not.toContain(ENCODED)
    return error as Error
  }

  beforeEach(() => {
    codeartifact.reset()
    jest.clearAllMocks()
  })

  it('returns the index URL with the token as basic auth, and the same without it', async () => {
    answers()
    await expect(codeArtifactIndex(client, repo)).resolves.toEqual({
      url: `https://aws:${ENCODED}@my-domain-${OWNER}.d.codeartifact.us-east-1.amazonaws.com/pypi/my-repo/simple/`,
      publicUrl: `https://my-domain-${OWNER}.d.codeartifact.us-east-1.amazonaws.com/pypi/my-repo/simple/`,
      token: TOKEN,
      expiresAt: EXPIRES
    })
  })

  it('registers the token and its encoded form as secrets', async () => {
    answers()
    await codeArtifactIndex(client, repo)
    expect(core.setSecret).toHaveBeenCalledWith(TOKEN)
    expect(core.setSecret).toHaveBeenCalledWith(ENCODED)
  })

  it('logs the index without the token', async () => {
    answers()
    await codeArtifactIndex(client, repo)
    const logged = core.info.mock.calls.map(args => String(args[0])).join('\n')
    expect(logged).toContain('/pypi/my-repo/simple/')
    expect(logged).not.toContain(TOKEN)
    expect(logged).not.toContain(ENCODED)
  })

  it('asks for a short token and the pypi endpoint, without domainOwner when none is given', async () => {
    answers()
    await codeArtifactIndex(client, repo)
    expect(codeartifact.commandCalls(GetAuthorizationTokenCommand)[0].args[0].input).toStrictEqual({
      domain: 'my-domain',
      durationSeconds: 3600
    })
    expect(codeartifact.commandCalls(GetRepositoryEndpointCommand)[0].args[0].input).toStrictEqual({
      domain: 'my-domain',
      repository: 'my-repo',
      format: 'pypi'
    })
    expect(TOKEN_DURATION_SECONDS).toBe(3600)
  })

  it('passes domainOwner to both calls when the input names the owner', async () => {
    answers()
    await codeArtifactIndex(client, crossAccount)
    expect(codeartifact.commandCalls(GetAuthorizationTokenCommand)[0].args[0].input).toStrictEqual({
      domain: 'my-domain',
      domainOwner: OWNER,
      durationSeconds: 3600
    })
    expect(codeartifact.commandCalls(GetRepositoryEndpointCommand)[0].args[0].input).toStrictEqual({
      domain: 'my-domain',
      domainOwner: OWNER,
      repository: 'my-repo',
      format: 'pypi'
    })
  })

  it('leaves expiresAt out when the answer has no expiration', async () => {
    answers()
    codeartifact.on(GetAuthorizationTokenCommand).resolves({ authorizationToken: TOKEN })
    const index = await codeArtifactIndex(client, repo)
    expect('expiresAt' in index).toBe(false)
  })

  it('names the permissions when the token is refused (403)', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(
      new AccessDeniedException({
        message:
          'User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: sts:GetServiceBearerToken',
        $metadata: { httpStatusCode: 403 }
      })
    )
    const error = await failure(codeArtifactIndex(client, repo))
    for (const expected of [
      'my-domain/my-repo',
      'input `codeartifact`',
      'codeartifact:GetAuthorizationToken',
      'codeartifact:GetRepositoryEndpoint',
      'codeartifact:ReadFromRepository',
      'sts:GetServiceBearerToken',
      'not authorized to perform'
    ]) {
      expect(error.message).toContain(expected)
    }
    expect(codeartifact.commandCalls(GetRepositoryEndpointCommand)).toHaveLength(0)
  })

  it('counts a bare 403 as refused', async () => {
    const forbidden = Object.assign(new Error('Forbidden'), {
      name: 'UnknownError',
      $metadata: { httpStatusCode: 403 }
    })
    codeartifact.on(GetAuthorizationTokenCommand).rejects(forbidden)
    const error = await failure(codeArtifactIndex(client, repo))
    expect(error.message).toContain('codeartifact:ReadFromRepository')
  })

  it('says the domain policy must allow a role of another account', async () => {
    codeartifact
      .on(GetAuthorizationTokenCommand)
      .rejects(new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } }))
    const error = await failure(codeArtifactIndex(client, crossAccount))
    expect(error.message).toContain(`${OWNER}/my-domain/my-repo`)
    expect(error.message).toContain(`belongs to account ${OWNER}`)
  })

  it('keeps the token out of an error met after it was issued', async () => {
    answers()
    codeartifact.on(GetRepositoryEndpointCommand).rejects(
      new AccessDeniedException({
        message: `Not authorized for token ${TOKEN} (${ENCODED})`,
        $metadata: { httpStatusCode: 403 }
      })
    )
    const error = await failure(codeArtifactIndex(client, repo))
    expect(error.message).toContain('GetRepositoryEndpoint was refused')
  })

  it('says the domain does not exist when GetAuthorizationToken answers 404', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(
      new ResourceNotFoundException({
        message: 'Domain not found',
        $metadata: { httpStatusCode: 404 }
      })
    )
    const error = await failure(codeArtifactIndex(client, repo))
    expect(error.message).toContain(
      "domain my-domain does not exist in region us-east-1 and the credentials' account"
    )
  })

  it('names the owner account when a domain of another account is missing', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(
      new ResourceNotFoundException({
        message: 'Domain not found',
        $metadata: { httpStatusCode: 404 }
      })
    )
    const error = await failure(codeArtifactIndex(client, crossAccount))
    expect(error.message).toContain(`in region us-east-1 and account ${OWNER}`)
  })

  it('says the repository does not exist when GetRepositoryEndpoint answers 404', async () => {
    answers()
    codeartifact.on(GetRepositoryEndpointCommand).rejects(
      new ResourceNotFoundException({
        message: 'Repository not found',
        $metadata: { httpStatusCode: 404 }
      })
    )
    const error = await failure(codeArtifactIndex(client, repo))
    expect(error.message).toContain('repository my-repo does not exist in domain my-domain')
  })

  it('says to configure credentials when there are none', async () => {
    codeartifact.on(GetAuthorizationTokenCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError'
      })
    )
    const error = await failure(codeArtifactIndex(client, repo))
    expect(error.message).toContain('no AWS credentials found')
    expect(error.message).toContain('aws-actions/configure-aws-credentials')
  })

  it('reports any other AWS error with its code', async () => {
    codeartifact
      .on(GetAuthorizationTokenCommand)
      .rejects(new ValidationException({ message: 'Bad domain owner', $metadata: {} }))
    const error = await failure(codeArtifactIndex(client, repo))
    expect(error.message).toContain(
      'GetAuthorizationToken failed: ValidationException: Bad domain owner'
    )
  })

  it('reads the token again when it was throttled', async () => {
    answers()
    codeartifact
      .on(GetAuthorizationTokenCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ authorizationToken: TOKEN, expiration: EXPIRES })
    const index = await codeArtifactIndex(client, repo)
    expect(index.url).toContain('aws:')
    expect(codeartifact.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2)
  })

  it('fails when the answer holds no token', async () => {
    answers()
    codeartifact.on(GetAuthorizationTokenCommand).resolves({})
    const error = await failure(codeArtifactIndex(client, repo))
    expect(error.message).toContain('answered without a token')
    expect(codeartifact.commandCalls(GetRepositoryEndpointCommand)).toHaveLength(0)
  })

  it('lets a call that ran out of time throw its CallTimeoutError', async () => {
    // Never answers; gives up only when call() aborts it.
    const hanging = {
      config: client.config,
      send: (_command: unknown, options: { abortSignal: AbortSignal }) =>
        new Promise((_resolve, reject) =>
          options.abortSignal.addEventListener('abort', () =>
            reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))
          )
        )
    } as unknown as CodeartifactClient
    const error = await codeArtifactIndex(hanging, repo, { callTimeoutMs: 50 }).catch(
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(CallTimeoutError)
    expect((error as Error).message).toContain(
      'CodeArtifact GetAuthorizationToken (domain my-domain)'
    )
  })
})

describe('codeArtifactIndex against the emulator', () => {
  const REGION = 'us-east-1'
  const ENV = [
    'AWS_ENDPOINT_URL_CODEARTIFACT',
    'AWS_ENDPOINT_URL',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE'
  ]
  const saved: Record<string, string | undefined> = {}
  const repo = { domain: 'my-domain', repository: 'pypi-store', domainOwner: OWNER }
  let work: string
  let wheel: string
  let emulator: CodeArtifactEmulator

  /** Points the SDK's default configuration at `endpoint` with test credentials. */
  function useEndpoint(endpoint: string): void {
    process.env.AWS_ENDPOINT_URL_CODEARTIFACT = endpoint
    process.env.AWS_ACCESS_KEY_ID = 'testing'
    process.env.AWS_SECRET_ACCESS_KEY = 'testing'
    delete process.env.AWS_SESSION_TOKEN
    delete process.env.AWS_PROFILE
    delete process.env.AWS_ENDPOINT_URL
  }

  function basicAuth(token: string): Record<string, string> {
    return { authorization: `Basic ${Buffer.from(`aws:${token}`).toString('base64')}` }
  }

  beforeAll(async () => {
    for (const name of ENV) saved[name] = process.env[name]
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'codeartifact-'))
    wheel = makeWheel(path.join(work, 'wheels'), {
      name: 'tiny_pkg',
      version: '1.0.0',
      tag: 'py3-none-any',
      files: { 'tiny_pkg/__init__.py': 'VALUE = 1\n' }
    })
    emulator = await startCodeArtifact({
      wheelsDir: path.join(work, 'wheels'),
      domain: repo.domain,
      repository: repo.repository,
      owner: OWNER
    })
    useEndpoint(emulator.endpoint)
  })

  afterAll(async () => {
    await emulator.close()
    for (const name of ENV) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
    fs.rmSync(work, { recursive: true, force: true })
  })

  it('gets a token and an index that pip can download from', async () => {
    const client = createCodeArtifactClient(REGION)
    const started = Date.now()
    const index = await codeArtifactIndex(client, repo)

    expect(index.token).toBe(emulator.token)
    expect(index.publicUrl).toBe(`${emulator.endpoint}/pypi/pypi-store/simple/`)
    expect(index.url).toBe(
      `http://aws:${encodeURIComponent(emulator.token)}@${emulator.endpoint.slice('http://'.length)}/pypi/pypi-store/simple/`
    )
    const lifetime = (index.expiresAt?.getTime() ?? 0) - started
    expect(lifetime).toBeGreaterThan(3_590_000)
    expect(lifetime).toBeLessThan(3_610_000)
    const calls = emulator.requests.slice(0, 2).map(r => {
      const url = new URL(r.path, emulator.endpoint)
      return {
        method: r.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorized: r.authorized
      }
    })
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/v1/authorization-token',
        query: { domain: 'my-domain', 'domain-owner': OWNER, duration: '3600' },
        authorized: true
      },
      {
        method: 'GET',
        path: '/v1/repository/endpoint',
        query: {
          domain: 'my-domain',
          'domain-owner': OWNER,
          repository: 'pypi-store',
          format: 'pypi'
        },
        authorized: true
      }
    ])

    const project = `${index.publicUrl}tiny-pkg/`
    const withToken = await fetch(project, { headers: basicAuth(index.token) })
    expect(withToken.status).toBe(200)
    const html = await withToken.text()
    expect(html).toContain('tiny_pkg-1.0.0-py3-none-any.whl#sha256=')

    const without = await fetch(project)
    expect(without.status).toBe(401)
    expect(without.headers.get('www-authenticate')).toMatch(/^Basic/)
    await without.text()

    const wrong = await fetch(project, { headers: basicAuth('not-the-token') })
    expect(wrong.status).toBe(401)
    await wrong.text()

    // pip runs asynchronously: the emulator answers from this process.
    const dest = path.join(work, 'downloads')
    const env: NodeJS.ProcessEnv = {}
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith('PIP_')) env[name] = value
    }
    env.PIP_CONFIG_FILE = '/dev/null'
    await promisify(execFile)(
      findTestPython() ?? 'python3',
      [
        '-m',
        'pip',
        'download',
        '--isolated',
        '--no-deps',
        '--no-cache-dir',
        '--no-input',
        '--disable-pip-version-check',
        '--index-url',
        index.url,
        '--dest',
        dest,
        'tiny-pkg'
      ],
      { env, timeout: 120_000 }
    )
    const downloaded = path.join(dest, path.basename(wheel))
    expect(fs.existsSync(downloaded)).toBe(true)
    expect(fs.readFileSync(downloaded).equals(fs.readFileSync(wheel))).toBe(true)
    expect(emulator.requests).toContainEqual({
      method: 'GET',
      path: '/pypi/pypi-store/simple/tiny-pkg/1.0.0/tiny_pkg-1.0.0-py3-none-any.whl',
      authorized: true
    })
  })

  it('serves the PEP 503 root, redirects to normalized names and 404s unknown projects', async () => {
    const simple = `${emulator.endpoint}/pypi/pypi-store/simple/`
    const headers = basicAuth(emulator.token)
    const root = await fetch(simple, { headers })
    expect(root.status).toBe(200)
    expect(await root.text()).toContain('<a href="tiny-pkg/">tiny-pkg</a>')
    const redirect = await fetch(`${simple}Tiny.Pkg/`, { headers, redirect: 'manual' })
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe('/pypi/pypi-store/simple/tiny-pkg/')
    const unknown = await fetch(`${simple}no-such-project/`, { headers })
    expect(unknown.status).toBe(404)
    await unknown.text()
  })

  it('maps the emulator 404 of an unknown repository', async () => {
    const client = createCodeArtifactClient(REGION)
    const error = await codeArtifactIndex(client, { ...repo, repository: 'nope' }).catch(
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toContain(
      `repository nope does not exist in domain my-domain in region ${REGION} and account ${OWNER}`
    )
    expect((error as Error).message).not.toContain(emulator.token)
  })

  it('maps the emulator 404 of an unknown domain', async () => {
    const client = createCodeArtifactClient(REGION)
    const error = await codeArtifactIndex(client, {
      domain: 'other-domain',
      repository: 'pypi-store'
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toContain('domain other-domain does not exist')
  })

  it('maps the emulator 403 of a refused role', async () => {
    const denying = await startCodeArtifact({
      wheelsDir: path.join(work, 'wheels'),
      domain: repo.domain,
      repository: repo.repository,
      deny: true
    })
    try {
      useEndpoint(denying.endpoint)
      const client = createCodeArtifactClient(REGION)
      const error = await codeArtifactIndex(client, repo).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ActionError)
      expect((error as Error).message).toContain('codeartifact:GetAuthorizationToken')
      expect((error as Error).message).toContain('AccessDeniedException')
      expect(denying.requests).toEqual([
        expect.objectContaining({ method: 'POST', authorized: true })
      ])
    } finally {
      useEndpoint(emulator.endpoint)
      await denying.close()
    }
  })
})
