/**
 * A loopback HTTP proxy in front of moto_server that can answer, delay, drop
 * or fail chosen AWS calls. Point the action's AWS_ENDPOINT_URL at `url`
 * (`proxy.env()`) instead of at moto; every request is recorded with the AWS
 * operation it stands for, and the first live rule that matches decides what
 * happens to it.
 *
 * Requests are forwarded byte-exact: the raw request line path, the raw
 * headers as sent (Host included, so SigV4 signatures stay valid) and the
 * body as received. Responses come back with moto's status, raw headers and
 * body. The proxy runs in the Jest process; the action under test is a child
 * process, so the event loop is free to serve it.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import { pipeline } from 'node:stream'

export type FaultAction =
  | { kind: 'pass' }
  /** Answer without reaching moto; an object body is sent as JSON. */
  | { kind: 'respond'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait, then forward normally. */
  | { kind: 'delay'; ms: number }
  /** Never answer: the socket stays open until the client gives up or the proxy stops. */
  | { kind: 'hang' }
  /** Forward to moto, read its whole response, then destroy the client socket unanswered. */
  | { kind: 'drop-after' }
  /** Reset the client connection at once; nothing is forwarded. */
  | { kind: 'reset' }
  /** Forward to moto, then answer with its JSON body as `edit` returns it (status and headers kept). */
  | {
      kind: 'rewrite'
      edit: (body: Record<string, unknown>, req: RecordedRequest) => unknown
      /** Wait this long before forwarding (latency). */
      delayMs?: number
    }

export type FaultActionKind = FaultAction['kind']

export interface RecordedRequest {
  /** 'PublishLayerVersion', 'S3:PutObject', 'SSM:PutParameter', ... or 'Other'. */
  op: string
  method: string
  /** The raw request target, query included, as the client sent it. */
  path: string
  /** Decoded layer name, function name or ARN, or `bucket/key` for S3. */
  resource?: string
  /** Layer version number, for the layer-version operations. */
  version?: number
  /** Date.now() when the request head arrived. */
  at: number
  /** What the proxy did with it. */
  action: FaultActionKind
  /** The status the client got, if it got an answer. */
  status?: number
  /** The status moto answered with, if the request reached moto. */
  upstreamStatus?: number
  /** The request body as text, for JSON requests under 64 KiB. */
  body?: string
}

export type RequestMatcher = string | ((req: RecordedRequest) => boolean)

export interface FaultRule {
  /** Operation name, e.g. 'PublishLayerVersion'; or a predicate on the recorded request. */
  op: RequestMatcher
  action: FaultAction
  /** Apply to this many matching requests, then the rule is spent (default: unlimited). */
  times?: number
  /** Skip this many matching requests before applying (default 0). */
  after?: number
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  url: string
  /** { AWS_ENDPOINT_URL: url }, to spread over the action's AWS environment. */
  env(): Record<string, string>
  /** Rules are checked in the order added; the first live match wins. */
  add(rule: FaultRule): void
  /** Removes all rules. */
  clear(): void
  /** Everything seen so far, in arrival order (the entries fill in as requests finish). */
  requests(): RecordedRequest[]
  /** Clears the rules, the `on` callbacks and the request log. */
  reset(): void
  /**
   * Calls fn when a matching request arrives, after its body is read and its
   * action chosen but before the action is applied; for tests that must act
   * mid-run (e.g. send SIGINT to the action). Returns a function that removes it.
   */
  on(op: RequestMatcher, fn: (req: RecordedRequest) => void): () => void
  /** Closes the server and destroys every open socket, hung ones included. */
  stop(): Promise<void>
}

/**
 * A Lambda-style JSON error, as a 'respond' action: status, Content-Type,
 * x-amzn-ErrorType and the `{"Type","message","__type"}` body. The proxy adds a
 * fresh x-amzn-RequestId to each answer. `retryAfter` sets Retry-After
 * (seconds); the SDK's retry strategy honours it (waiting up to 5 s past its
 * own backoff), so it is off unless asked for.
 */
export function awsError(
  status: number,
  type: string,
  message: string,
  options: { retryAfter?: number; headers?: Record<string, string> } = {}
): Extract<FaultAction, { kind: 'respond' }> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'x-amzn-ErrorType': type
  }
  if (options.retryAfter !== undefined) headers['Retry-After'] = String(options.retryAfter)
  return {
    kind: 'respond',
    status,
    headers: { ...headers, ...options.headers },
    body: { Type: status >= 500 ? 'Service' : 'User', message, __type: type }
  }
}

/** Shorthands for the errors tests use most. */
export const errors = {
  throttled: (message = 'Rate exceeded') => awsError(429, 'TooManyRequestsException', message),
  service: (message = 'Internal error') => awsError(500, 'ServiceException', message),
  conflict: (message = 'The operation cannot be performed at this time.') =>
    awsError(409, 'ResourceConflictException', message),
  precondition: (message = 'The Revision Id provided does not match the latest Revision Id.') =>
    awsError(412, 'PreconditionFailedException', message),
  invalid: (message = 'Invalid parameter') =>
    awsError(400, 'InvalidParameterValueException', message)
}

const BODY_RECORD_LIMIT = 64 * 1024

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** The service from a SigV4 credential scope (header or presigned query), if signed. */
function signedService(headers: http.IncomingHttpHeaders, query: string): string | undefined {
  const auth = headers.authorization ?? ''
  const scope =
    /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth) ??
    /X-Amz-Credential=[^&/]+(?:\/|%2F)\d{8}(?:\/|%2F)[^&/%]+(?:\/|%2F)([^&/%]+)(?:\/|%2F)aws4_request/i.exec(
      query
    )
  return scope?.[1]
}

interface Classified {
  op: string
  resource?: string
  version?: number
}

function lambdaOp(method: string, segments: string[], query: string): Classified | undefined {
  const [kind, name, sub, n, policy, sid] = segments
  const version = n !== undefined && /^\d+$/.test(n) ? Number(n) : undefined
  if (kind === 'layers') {
    if (name === undefined || name === '') {
      if (method !== 'GET') return undefined
      return /(^|&)find=LayerVersion(&|$)/.test(query)
        ? { op: 'GetLayerVersionByArn' }
        : { op: 'ListLayers' }
    }
    if (sub !== 'versions') return undefined
    const resource = name
    if (n === undefined || n === '') {
      if (method === 'POST') return { op: 'PublishLayerVersion', resource }
      if (method === 'GET') return { op: 'ListLayerVersions', resource }
      return undefined
    }
    if (policy === undefined) {
      if (method === 'GET') return { op: 'GetLayerVersion', resource, version }
      if (method === 'DELETE') return { op: 'DeleteLayerVersion', resource, version }
      return undefined
    }
    if (policy !== 'policy') return undefined
    if (sid !== undefined && sid !== '') {
      return method === 'DELETE'
        ? { op: 'RemoveLayerVersionPermission', resource, version }
        : undefined
    }
    if (method === 'POST') return { op: 'AddLayerVersionPermission', resource, version }
    if (method === 'GET') return { op: 'GetLayerVersionPolicy', resource, version }
    return undefined
  }
  if (kind === 'functions') {
    if (name === undefined || name === '') {
      if (method === 'GET') return { op: 'ListFunctions' }
      if (method === 'POST') return { op: 'CreateFunction' }
      return undefined
    }
    const resource = name
    if (sub === undefined || sub === '') {
      if (method === 'GET') return { op: 'GetFunction', resource }
      if (method === 'DELETE') return { op: 'DeleteFunction', resource }
      return undefined
    }
    if (sub === 'configuration' && segments.length === 3) {
      if (method === 'GET') return { op: 'GetFunctionConfiguration', resource }
      if (method === 'PUT') return { op: 'UpdateFunctionConfiguration', resource }
    }
    if (sub === 'code' && segments.length === 3 && method === 'PUT')
      return { op: 'UpdateFunctionCode', resource }
    return undefined
  }
  return undefined
}

function s3Op(method: string, bucket: string | undefined, key: string, query: string): Classified {
  const resource = bucket === undefined ? undefined : key ? `${bucket}/${key}` : bucket
  if (bucket && key) {
    const multipart = /(^|&)(uploadId|uploads|partNumber)(=|&|$)/.test(query)
    if (method === 'PUT' && !multipart) return { op: 'S3:PutObject', resource }
    if (method === 'HEAD') return { op: 'S3:HeadObject', resource }
    if (method === 'GET' && !multipart) return { op: 'S3:GetObject', resource }
  }
  return { op: `S3:${method}`, resource }
}

/** The AWS operation a request stands for, from its method, path, Host and signature. */
export function classify(
  method: string,
  rawPath: string,
  headers: http.IncomingHttpHeaders = {}
): Classified {
  const q = rawPath.indexOf('?')
  const pathname = q < 0 ? rawPath : rawPath.slice(0, q)
  const query = q < 0 ? '' : rawPath.slice(q + 1)
  const rawSegments = pathname.split('/').slice(1)
  const service = signedService(headers, query)
  // JSON-protocol services name the operation in X-Amz-Target (SSM: "AmazonSSM.PutParameter").
  const target = /^AmazonSSM\.(\w+)$/.exec(String(headers['x-amz-target'] ?? ''))
  if (target) return { op: `SSM:${target[1]}` }

  const dated = /^\d{4}-\d{2}-\d{2}$/.test(rawSegments[0] ?? '')
  if (service === 'lambda' || (service === undefined && dated)) {
    const found = dated ? lambdaOp(method, rawSegments.slice(1).map(decode), query) : undefined
    return found ?? { op: 'Other' }
  }
  if (service !== undefined && service !== 's3') return { op: 'Other' }

  // S3, or an unsigned request that is not Lambda: virtual-host or path style.
  if (pathname.startsWith('/moto-api/')) return { op: 'Other' }
  const host = (headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  const vhost =
    host && net.isIP(host) === 0
      ? (/^(.+)\.localhost$/.exec(host) ?? /^(.+)\.s3[.-]/.exec(host))?.[1]
      : undefined
  if (vhost !== undefined) return s3Op(method, vhost, decode(rawSegments.join('/')), query)
  if (service === undefined && method === 'POST' && pathname === '/') return { op: 'Other' }
  const bucket = rawSegments[0] ? decode(rawSegments[0]) : undefined
  return s3Op(method, bucket, decode(rawSegments.slice(1).join('/')), query)
}

function matches(matcher: RequestMatcher, req: RecordedRequest): boolean {
  return typeof matcher === 'string' ? matcher === req.op : matcher(req)
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function looksJson(headers: http.IncomingHttpHeaders, body: Buffer): boolean {
  const type = headers['content-type'] ?? ''
  if (/json/i.test(type)) return true
  if (type) return false
  const first = body.subarray(0, 1).toString()
  return first === '{' || first === '['
}

interface LiveRule {
  rule: FaultRule
  matched: number
  applied: number
}

export async function startFaultProxy(
  target = process.env.E2E_AWS_ENDPOINT_URL
): Promise<FaultProxy> {
  if (!target)
    throw new Error('no target: E2E_AWS_ENDPOINT_URL is not set (the e2e globalSetup starts moto)')
  const upstream = new URL(target)
  const agent = new http.Agent({ keepAlive: true })
  const sockets = new Set<net.Socket>()
  const timers = new Set<{ timer: NodeJS.Timeout; done: (ok: boolean) => void }>()
  let rules: LiveRule[] = []
  let listeners: { op: RequestMatcher; fn: (req: RecordedRequest) => void }[] = []
  let log: RecordedRequest[] = []
  let stopped = false
  let stopping: Promise<void> | undefined

  const sleep = (ms: number) =>
    new Promise<boolean>(resolve => {
      const entry = {
        timer: setTimeout(() => entry.done(true), ms),
        done: (ok: boolean) => {
          clearTimeout(entry.timer)
          timers.delete(entry)
          resolve(ok)
        }
      }
      timers.add(entry)
    })

  const choose = (rec: RecordedRequest): FaultAction => {
    for (const live of rules) {
      const { times, after = 0 } = live.rule
      if (times !== undefined && live.applied >= times) continue
      if (!matches(live.rule.op, rec)) continue
      live.matched += 1
      if (live.matched <= after) continue
      live.applied += 1
      return live.rule.action
    }
    return { kind: 'pass' }
  }

  /** Sends the request to moto; resolves with its response (not yet read). */
  const forward = (req: http.IncomingMessage, body: Buffer) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const out = http.request({
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.rawHeaders,
        agent
      })
      out.on('response', resolve)
      out.on('error', reject)
      out.end(body)
    })

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const method = req.method ?? 'GET'
    const rawPath = req.url ?? '/'
    const rec: RecordedRequest = {
      ...classify(method, rawPath, req.headers),
      method,
      path: rawPath,
      at: Date.now(),
      action: 'pass'
    }
    log.push(rec)
    const body = await readBody(req)
    if (body.length > 0 && body.length < BODY_RECORD_LIMIT && looksJson(req.headers, body))
      rec.body = body.toString('utf8')

    const action = choose(rec)
    rec.action = action.kind
    for (const l of [...listeners]) {
      if (!matches(l.op, rec)) continue
      try {
        l.fn(rec)
      } catch (e) {
        console.error(`fault-proxy: an on(${String(l.op)}) callback threw`, e)
      }
    }

    const socket = req.socket
    switch (action.kind) {
      case 'hang':
        return
      case 'reset':
        socket.resetAndDestroy()
        return
      case 'respond': {
        const headers: Record<string, string> = { ...action.headers }
        const has = (name: string) => Object.keys(headers).some(k => k.toLowerCase() === name)
        let payload: Buffer
        if (action.body === undefined) payload = Buffer.alloc(0)
        else if (Buffer.isBuffer(action.body)) payload = action.body
        else if (typeof action.body === 'string') payload = Buffer.from(action.body)
        else {
          payload = Buffer.from(JSON.stringify(action.body))
          if (!has('content-type')) headers['Content-Type'] = 'application/json'
        }
        if (!has('x-amzn-requestid')) headers['x-amzn-RequestId'] = randomUUID()
        headers['Content-Length'] = String(payload.length)
        rec.status = action.status
        res.writeHead(action.status, headers)
        res.end(payload)
        return
      }
      case 'delay':
        if (!(await sleep(action.ms))) return
        break
      case 'rewrite':
        if (action.delayMs !== undefined && !(await sleep(action.delayMs))) return
        break
      case 'pass':
      case 'drop-after':
        break
    }

    let answer: http.IncomingMessage
    try {
      answer = await forward(req, body)
    } catch (e) {
      if (stopped || socket.destroyed) return
      rec.status = 502
      res.writeHead(502, { 'Content-Type': 'text/plain' })
      res.end(`fault-proxy: upstream ${target} failed: ${(e as Error).message}\n`)
      return
    }
    rec.upstreamStatus = answer.statusCode
    if (action.kind === 'rewrite') {
      const raw = await readBody(answer)
      let payload = raw
      try {
        const parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
        payload = Buffer.from(JSON.stringify(action.edit(parsed, rec)))
      } catch {
        // not JSON: passed on as it came
      }
      const headers: string[] = []
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        const name = answer.rawHeaders[i].toLowerCase()
        if (name === 'content-length' || name === 'transfer-encoding') continue
        headers.push(answer.rawHeaders[i], answer.rawHeaders[i + 1])
      }
      headers.push('Content-Length', String(payload.length))
      rec.status = answer.statusCode
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers)
      res.end(payload)
      return
    }
    if (action.kind === 'drop-after') {
      await readBody(answer).catch(() => undefined)
      socket.destroy()
      return
    }
    rec.status = answer.statusCode
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders)
    // A client that goes away mid-answer destroys moto's side too.
    pipeline(answer, res, error => {
      if (error) socket.destroy()
    })
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !req.socket.destroyed) {
        res.writeHead(500, { 'Content-Type': 'text/plain' })
        res.end('fault-proxy: internal error\n')
      } else req.socket.destroy()
    })
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as net.AddressInfo
  const url = `http://127.0.0.1:${port}`

  return {
    url,
    env: () => ({ AWS_ENDPOINT_URL: url }),
    add(rule) {
      rules.push({ rule, matched: 0, applied: 0 })
    },
    clear() {
      rules = []
    },
    requests: () => [...log],
    reset() {
      rules = []
      listeners = []
      log = []
    },
    on(op, fn) {
      const entry = { op, fn }
      listeners.push(entry)
      return () => {
        listeners = listeners.filter(l => l !== entry)
      }
    },
    stop() {
      stopping ??= new Promise<void>(resolve => {
        stopped = true
        server.close(() => resolve())
        for (const t of [...timers]) t.done(false)
        for (const s of sockets) s.destroy()
        agent.destroy()
      })
      return stopping
    }
  }
}

/** The function name of a recorded request's resource (a name or an ARN, qualified or not). */
function functionNameOf(resource: string | undefined): string {
  const value = resource ?? ''
  const match = /:function:([^:]+)/.exec(value)
  return match ? match[1] : value.split(':')[0]
}

/**
 * Lambda's behaviour after a configuration update, which moto applies at
 * once: for `ms` after an UpdateFunctionConfiguration of a function, its
 * update is InProgress. The update's own answer and every read of the
 * function say so, and another update is refused with 409
 * ResourceConflictException, as Lambda does. reset() ends the simulation.
 */
export function simulateUpdateWindow(
  proxy: FaultProxy,
  ms: number,
  /** Latency of reads and updates, as Lambda's (e.g. 50 ms and 200 ms). */
  latency: { readMs?: number; updateMs?: number } = {}
): void {
  const busyUntil = new Map<string, number>()
  const busy = (r: RecordedRequest): boolean =>
    (busyUntil.get(functionNameOf(r.resource)) ?? 0) > r.at
  const inProgress = (body: Record<string, unknown>): Record<string, unknown> => ({
    ...body,
    LastUpdateStatus: 'InProgress',
    LastUpdateStatusReason: 'The function is being updated.'
  })
  proxy.add({
    op: r => r.op === 'UpdateFunctionConfiguration' && busy(r),
    action: errors.conflict(
      'The operation cannot be performed at this time. An update is in progress for resource.'
    )
  })
  proxy.add({
    op: r => r.op === 'UpdateFunctionConfiguration' && !busy(r),
    action: {
      kind: 'rewrite',
      ...(latency.updateMs ? { delayMs: latency.updateMs } : {}),
      edit: (body, r) => {
        busyUntil.set(functionNameOf(r.resource), Date.now() + ms)
        return inProgress(body)
      }
    }
  })
  proxy.add({
    op: r => r.op === 'GetFunctionConfiguration' && busy(r),
    action: {
      kind: 'rewrite',
      ...(latency.readMs ? { delayMs: latency.readMs } : {}),
      edit: body => inProgress(body)
    }
  })
  if (latency.readMs) {
    proxy.add({ op: 'GetFunctionConfiguration', action: { kind: 'delay', ms: latency.readMs } })
  }
}
