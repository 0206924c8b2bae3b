/**
 * A loopback stand-in for one AWS CodeArtifact repository: the two REST
 * operations the action calls (GetAuthorizationToken, GetRepositoryEndpoint,
 * as @aws-sdk/client-codeartifact sends them) and the repository's PEP 503
 * simple index, served from the wheels in a folder behind HTTP basic auth
 * (user `aws`, the token as password), like the real service.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

export interface CodeArtifactOptions {
  /** Folder of `.whl` files the index lists (read on every request). */
  wheelsDir: string
  domain: string
  repository: string
  /** The account that owns the domain: a request naming another owner gets a 404. */
  owner?: string
  /** Refuse both API operations with 403 AccessDeniedException. */
  deny?: boolean
  /** The token GetAuthorizationToken hands out; random by default. */
  token?: string
  /** Hand out a new random token on every GetAuthorizationToken (all stay valid). */
  rotate?: boolean
}

export interface EmulatorRequest {
  method: string
  /** Path and query string as requested. */
  path: string
  /**
   * Index and files: the basic-auth credentials were `aws` and the token.
   * API operations: the request carried a SigV4 signature (not verified).
   */
  authorized: boolean
}

export interface CodeArtifactEmulator {
  /** `http://127.0.0.1:PORT`: for AWS_ENDPOINT_URL_CODEARTIFACT or a client's `endpoint`. */
  endpoint: string
  /** The first token handed out (the only one without `rotate`). */
  token: string
  /** Every token handed out so far. */
  issued: string[]
  /** Every request, in order. The Authorization header itself is never kept. */
  requests: EmulatorRequest[]
  close(): Promise<void>
}

/** PEP 503: runs of `-`, `_` and `.` become one `-`, lowercase. */
export function normalizeProject(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase()
}

interface WheelFile {
  filename: string
  project: string
  version: string
  sha256: string
}

function listWheels(dir: string): WheelFile[] {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter(filename => filename.endsWith('.whl'))
    .sort()
    .map(filename => {
      // {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl
      const [distribution, version] = filename.split('-')
      const sha256 = crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(dir, filename)))
        .digest('hex')
      return { filename, project: normalizeProject(distribution), version, sha256 }
    })
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c
  )
}

function page(title: string, links: Array<{ href: string; text: string }>): string {
  const body = links
    .map(link => `<a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a><br/>`)
    .join('\n')
  return `<!DOCTYPE html>\n<html><head><title>${escapeHtml(title)}</title></head><body>\n${body}\n</body></html>\n`
}

function sendApiError(
  res: http.ServerResponse,
  status: number,
  type: string,
  message: string
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type })
  res.end(JSON.stringify({ message }))
}

function sendJson(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

export async function startCodeArtifact(
  options: CodeArtifactOptions
): Promise<CodeArtifactEmulator> {
  const { wheelsDir, domain, repository, owner } = options
  // Characters that must be percent-encoded in a URL's userinfo, so that a
  // client that does not encode the token fails against the emulator.
  const newToken = (): string => `${crypto.randomBytes(24).toString('base64url')}+/=:@`
  const token = options.token ?? newToken()
  const issued: string[] = []
  const accepted = new Set([`Basic ${Buffer.from(`aws:${token}`).toString('base64')}`])
  const requests: EmulatorRequest[] = []
  const simple = `/pypi/${repository}/simple/`
  let base = ''

  /** The API request names this emulator's domain (and owner, when it names one). */
  function sameDomain(query: URLSearchParams): boolean {
    const askedOwner = query.get('domain-owner')
    return (
      query.get('domain') === domain &&
      (askedOwner === null || owner === undefined || askedOwner === owner)
    )
  }

  function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const signed = (req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorized: signed })
    if (!signed)
      return sendApiError(res, 403, 'AccessDeniedException', 'Missing Authentication Token')
    if (options.deny) {
      return sendApiError(
        res,
        403,
        'AccessDeniedException',
        `User: arn:aws:sts::${owner ?? '123456789012'}:assumed-role/ci/test is not authorized to perform this operation on domain ${domain}`
      )
    }
    const query = url.searchParams
    if (url.pathname === '/v1/authorization-token' && req.method === 'POST') {
      if (!sameDomain(query)) {
        return sendApiError(
          res,
          404,
          'ResourceNotFoundException',
          `Domain not found: ${query.get('domain') ?? ''}`
        )
      }
      const duration = Number(query.get('duration') ?? '43200')
      if (!Number.isInteger(duration) || (duration !== 0 && (duration < 900 || duration > 43200))) {
        return sendApiError(res, 400, 'ValidationException', `Invalid duration: ${duration}`)
      }
      const seconds = duration === 0 ? 3600 : duration
      const handed = options.rotate && issued.length > 0 ? newToken() : token
      issued.push(handed)
      accepted.add(`Basic ${Buffer.from(`aws:${handed}`).toString('base64')}`)
      return sendJson(res, {
        authorizationToken: handed,
        expiration: Math.floor(Date.now() / 1000) + seconds
      })
    }
    if (url.pathname === '/v1/repository/endpoint' && req.method === 'GET') {
      if (!sameDomain(query)) {
        return sendApiError(
          res,
          404,
          'ResourceNotFoundException',
          `Domain not found: ${query.get('domain') ?? ''}`
        )
      }
      if (query.get('repository') !== repository) {
        return sendApiError(
          res,
          404,
          'ResourceNotFoundException',
          `Repository not found: ${query.get('repository') ?? ''}`
        )
      }
      if (query.get('format') !== 'pypi') {
        return sendApiError(
          res,
          400,
          'ValidationException',
          `This emulator serves the pypi format only`
        )
      }
      return sendJson(res, { repositoryEndpoint: `${base}/pypi/${repository}/` })
    }
    return sendApiError(
      res,
      404,
      'UnknownOperationException',
      `No operation at ${req.method} ${url.pathname}`
    )
  }

  function index(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const authorized = accepted.has(req.headers.authorization ?? '')
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorized })
    if (!authorized) {
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="codeartifact"',
        'content-type': 'text/plain'
      })
      return void res.end('Unauthorized\n')
    }
    const send = (status: number, type: string, body: string | Buffer): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const notFound = (): void => send(404, 'text/plain', 'Not Found\n')
    if (!url.pathname.startsWith(simple)) return notFound()
    // '' (the root), 'project/', or 'project/version/filename'
    let rest: string[]
    try {
      rest = url.pathname.slice(simple.length).split('/').map(decodeURIComponent)
    } catch {
      return notFound()
    }
    const wheels = listWheels(wheelsDir)
    if (rest.length === 1 && rest[0] === '') {
      const projects = [...new Set(wheels.map(w => w.project))].sort()
      return send(
        200,
        'text/html',
        page(
          'Simple index',
          projects.map(p => ({ href: `${p}/`, text: p }))
        )
      )
    }
    const project = normalizeProject(rest[0])
    if (rest.length === 2 && rest[1] === '') {
      if (project !== rest[0]) {
        res.writeHead(301, { location: `${simple}${project}/` })
        return void res.end()
      }
      const files = wheels.filter(w => w.project === project)
      if (files.length === 0) return notFound()
      return send(
        200,
        'text/html',
        page(
          `Links for ${project}`,
          files.map(w => ({
            href: `${w.version}/${w.filename}#sha256=${w.sha256}`,
            text: w.filename
          }))
        )
      )
    }
    if (rest.length === 3) {
      const file = wheels.find(
        w => w.project === project && w.version === rest[1] && w.filename === rest[2]
      )
      if (!file) return notFound()
      return send(
        200,
        'application/octet-stream',
        fs.readFileSync(path.join(wheelsDir, file.filename))
      )
    }
    return notFound()
  }

  const server = http.createServer((req, res) => {
    // Bodies are not needed: drain them so the connection can be reused.
    req.resume()
    const url = new URL(req.url ?? '/', base)
    if (url.pathname.startsWith('/v1/')) return api(req, res, url)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      requests.push({
        method: req.method ?? '',
        path: url.pathname + url.search,
        authorized: false
      })
      res.writeHead(405, { allow: 'GET, HEAD' })
      return void res.end()
    }
    return index(req, res, url)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    endpoint: base,
    token,
    issued,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) =>
        server.close(error => (error ? reject(error) : resolve()))
      )
    }
  }
}
