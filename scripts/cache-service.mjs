#!/usr/bin/env node
/**
 * A loopback stand-in for GitHub's Actions cache service, version 2 (the one
 * @actions/cache 6.x talks to), so `restoreCache` / `saveCache` can run for
 * real outside GitHub. Only node: built-ins; entries persist as files.
 *
 *   node scripts/cache-service.mjs --dir DIR [--port N] [--token T]
 *        [--reservation-ttl SECONDS] [--url-ttl SECONDS] [--verbose]
 *
 * It listens on 127.0.0.1 (a free port unless --port is given). The FIRST line
 * on stdout is the environment a client needs, as space-separated KEY=value
 * pairs (no value contains a space or needs quoting):
 *
 *   ACTIONS_CACHE_SERVICE_V2=True ACTIONS_RESULTS_URL=http://127.0.0.1:PORT/
 *   ACTIONS_CACHE_URL=http://127.0.0.1:PORT/ ACTIONS_RUNTIME_TOKEN=<hex>
 *   GITHUB_SERVER_URL=https://github.com
 *
 * (one line in reality). What @actions/cache 6.3 reads, from lib/internal/config.js,
 * lib/cache.js and lib/internal/cacheUtils.js:
 *   - v2 is chosen when ACTIONS_CACHE_SERVICE_V2 is non-empty AND the server is
 *     not GHES: GITHUB_SERVER_URL unset, github.com, *.ghe.com or *.localhost.
 *   - isFeatureAvailable() is then just `!!ACTIONS_RESULTS_URL` (v1 would need
 *     ACTIONS_CACHE_URL instead; it is printed for tools that look at it, but
 *     the v1 REST API under /_apis/artifactcache/ is not emulated).
 *   - twirp requests go to new URL('/twirp/<service>/<method>', ACTIONS_RESULTS_URL)
 *     with `Authorization: Bearer $ACTIONS_RUNTIME_TOKEN` (missing token throws).
 *   - The caller must also provide RUNNER_TEMP (archive scratch space; the
 *     fallback is /home/actions/temp) and usually GITHUB_WORKSPACE (tar paths
 *     are relative to it; the fallback is the cwd). Optional: ACTIONS_CACHE_MODE
 *     (none|read|write|write-only), CACHE_UPLOAD_CONCURRENCY, CACHE_UPLOAD_CHUNK_SIZE,
 *     SEGMENT_DOWNLOAD_TIMEOUT_MINS, RUNNER_DEBUG.
 * The server runs until SIGINT or SIGTERM, then exits 0.
 *
 * Twirp JSON API: POST /twirp/github.actions.results.api.v1.CacheService/<Method>,
 * Content-Type application/json, bearer token required (else 401
 * `unauthenticated`). Request fields are read by proto name (what the client
 * sends) or by lowerCamelCase JSON name; responses use proto names. Errors are
 * twirp JSON `{"code","msg"}` with the matching HTTP status.
 *   CreateCacheEntry {key, version}
 *       -> {ok: true, signed_upload_url, message: ""}. A finalized entry with the
 *       same key+version -> 409 already_exists "cache entry with the same key,
 *       version, and scope already exists" (the real service's answer; the
 *       client turns it into ReserveCacheError, logs "Failed to save: ..." with
 *       core.info and saveCache returns -1). A pending reservation younger than
 *       --reservation-ttl (default 600 s) is refused the same way; an older one
 *       is discarded and replaced.
 *   FinalizeCacheEntryUpload {key, version, size_bytes}
 *       -> {ok: true, entry_id: "<id>", message: ""}. No pending entry -> 404
 *       not_found (409 if it is already finalized). Nothing uploaded, or
 *       size_bytes differs from the stored blob -> {ok: false, message} (the
 *       client raises FinalizeCacheError; saveCache warns and returns -1).
 *   GetCacheEntryDownloadURL {key, restore_keys[], version}
 *       -> {ok: true, signed_download_url, matched_key} or {ok: false, ...} on a
 *       miss. Only finalized entries of that exact version count. Order, as
 *       GitHub documents it: an exact match of key; else the newest entry whose
 *       key starts with key; else, for each restore key in turn, the newest
 *       entry whose key starts with it. "Newest" is by creation time.
 *
 * Blob endpoint (what the signed URLs point at; Azure Blob Storage REST, path
 * style like Azurite): /actionscache/cache/<id>?sv=..&sr=b&sp=<perm>&se=<expiry>&sig=<hmac>.
 * The signature is an HMAC over perm, id and expiry with a secret kept in
 * DIR/secret; upload URLs carry sp=cw, download URLs sp=r. A bad or expired
 * signature -> 403 AuthenticationFailed, wrong permission -> 403
 * AuthorizationPermissionMismatch. Errors are Azure XML with x-ms-error-code.
 *   PUT                      Put Blob (needs x-ms-blob-type: BlockBlob and Content-Length)
 *   PUT ?comp=block&blockid= Put Block (staged under DIR/blocks/<id>/)
 *   PUT ?comp=blocklist      Put Block List (XML <BlockList><Latest|Uncommitted|Committed>)
 *   GET                      Get Blob; Range or x-ms-range (x-ms-range wins) -> 206 +
 *                            Content-Range, unsatisfiable -> 416; If-Match / If-None-Match
 *   HEAD                     Get Blob Properties
 * Writes are refused (409 BlobImmutableDueToPolicy) once the entry is finalized.
 * A Content-MD5 request header on PUT is verified (400 Md5Mismatch). Responses
 * carry x-ms-request-id, x-ms-version, x-ms-client-request-id, ETag,
 * Last-Modified, Content-MD5 etc. as the Azure SDK expects (201 for PUTs).
 * @actions/cache 6.3 uploads with BlockBlobClient.uploadFile (one Put Blob up
 * to 128 MiB, Put Block + Put Block List above) and, because this host is not
 * *.blob.core.windows.net, downloads with ONE plain GET (no Range, no HEAD),
 * checking only Content-Length against the bytes written.
 *
 * Control endpoints for tests (no auth; JSON answers):
 *   GET    /_control/health                  {ok: true}
 *   GET    /_control/entries[?sha256=1]      {entries: [{id, key, version, state
 *                                            ("pending"|"finalized"), createdAt, finalizedAt,
 *                                            lastAccessedAt, sizeBytes, blobBytes, etag,
 *                                            contentMd5[, sha256]}]}
 *   DELETE /_control/entries[?key=&version=&id=]   deletes matches (all without a filter)
 *   POST   /_control/corrupt?key=K[&version=V][&id=N][&mode=flip|truncate][&offset=N][&count=N]
 *          Damages the stored blob of every matching finalized entry in place:
 *          `flip` (default) XORs `count` bytes (default 64) with 0xFF starting at
 *          `offset` (default: the middle); `truncate` cuts the blob to `offset`
 *          bytes (default: half). ETag, Content-MD5 and sizeBytes keep their
 *          upload-time values (silent corruption); Content-Length is the real size.
 *          -> {corrupted: [{id, key, version, mode, offset, count, bytesBefore,
 *          bytesAfter, sha256Before, sha256After}]}; 404 when nothing matched.
 *   GET    /_control/requests               {requests: [{method, path, op, status}]}
 *          (the last 1000 client requests, oldest first, control calls excluded;
 *          op is e.g. "twirp:CreateCacheEntry",
 *          "blob:PutBlob", "blob:PutBlock", "blob:PutBlockList", "blob:GetBlob",
 *          "blob:GetBlobRange", "blob:GetBlobProperties")
 *   DELETE /_control/requests               clears that log
 *
 * DIR layout: entries/<id>.json (metadata), blobs/<id> (committed bytes),
 * blocks/<id>/<hex block id> (staged blocks), tmp/ (in-flight writes), secret.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/'
const ACCOUNT = 'actionscache'
const CONTAINER = 'cache'
const STORAGE_VERSION = '2026-02-06'
const MAX_JSON_BODY = 1024 * 1024
const MAX_KEY_LENGTH = 512
const REQUEST_LOG_LIMIT = 1000

// ---------------------------------------------------------------- arguments

function usage(message) {
  if (message) process.stderr.write(`cache-service: ${message}\n`)
  process.stderr.write(
    'usage: node scripts/cache-service.mjs --dir DIR [--port N] [--token T]\n' +
      '       [--reservation-ttl SECONDS] [--url-ttl SECONDS] [--verbose]\n'
  )
  process.exit(message ? 2 : 0)
}

let args
try {
  args = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: '0' },
      token: { type: 'string' },
      'reservation-ttl': { type: 'string', default: '600' },
      'url-ttl': { type: 'string', default: '3600' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    },
    strict: true
  }).values
} catch (error) {
  usage(error.message)
}
if (args.help) usage()
if (!args.dir) usage('--dir is required')

function nonNegativeInt(name, text) {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a non-negative integer`)
  return n
}

const port = nonNegativeInt('port', args.port)
const reservationTtlMs = nonNegativeInt('reservation-ttl', args['reservation-ttl']) * 1000
const urlTtlMs = nonNegativeInt('url-ttl', args['url-ttl']) * 1000
const token = args.token || crypto.randomBytes(32).toString('hex')
const verbose = args.verbose

// ------------------------------------------------------------------ storage

const root = path.resolve(args.dir)
const dirs = {
  entries: path.join(root, 'entries'),
  blobs: path.join(root, 'blobs'),
  blocks: path.join(root, 'blocks'),
  tmp: path.join(root, 'tmp')
}
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true })
fs.rmSync(dirs.tmp, { recursive: true, force: true })
fs.mkdirSync(dirs.tmp, { recursive: true })

const secretPath = path.join(root, 'secret')
if (!fs.existsSync(secretPath)) {
  fs.writeFileSync(secretPath, crypto.randomBytes(32).toString('hex'), { mode: 0o600 })
}
const secret = fs.readFileSync(secretPath, 'utf8').trim()

/** @type {Map<number, any>} id -> entry metadata */
const entries = new Map()
for (const name of fs.readdirSync(dirs.entries)) {
  if (!/^\d+\.json$/.test(name)) continue
  try {
    const entry = JSON.parse(fs.readFileSync(path.join(dirs.entries, name), 'utf8'))
    entries.set(entry.id, entry)
  } catch (error) {
    process.stderr.write(`cache-service: ignoring unreadable ${name}: ${error.message}\n`)
  }
}
let nextId = Math.max(0, ...entries.keys()) + 1

const blobPath = id => path.join(dirs.blobs, String(id))
const blockDir = id => path.join(dirs.blocks, String(id))
const tmpPath = () => path.join(dirs.tmp, crypto.randomUUID())

function writeFileAtomic(file, data) {
  const tmp = tmpPath()
  fs.writeFileSync(tmp, data)
  fs.renameSync(tmp, file)
}

function saveEntry(entry) {
  writeFileAtomic(
    path.join(dirs.entries, `${entry.id}.json`),
    `${JSON.stringify(entry, null, 2)}\n`
  )
}

function deleteEntry(entry) {
  entries.delete(entry.id)
  fs.rmSync(path.join(dirs.entries, `${entry.id}.json`), { force: true })
  fs.rmSync(blobPath(entry.id), { force: true })
  fs.rmSync(blockDir(entry.id), { recursive: true, force: true })
}

function blobSize(entry) {
  try {
    return fs.statSync(blobPath(entry.id)).size
  } catch {
    return null
  }
}

function newEtag() {
  // Azure ETags look like "0x8DC2B5F3E1A4C7D".
  const hex = (BigInt(Date.now()) * 10000n + BigInt(crypto.randomInt(10000))).toString(16)
  return `"0x${hex.toUpperCase()}"`
}

function fileSha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

// ------------------------------------------------------------ signed URLs

let baseUrl = '' // http://127.0.0.1:PORT/ once listening

function sign(perm, id, expiry) {
  return crypto.createHmac('sha256', secret).update(`${perm}\n${id}\n${expiry}`).digest('base64')
}

function signedBlobUrl(id, perm) {
  const expiry = new Date(Date.now() + urlTtlMs).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const query = new URLSearchParams({
    sv: STORAGE_VERSION,
    sr: 'b',
    sp: perm,
    se: expiry,
    sig: sign(perm, id, expiry)
  })
  return `${baseUrl}${ACCOUNT}/${CONTAINER}/${id}?${query}`
}

// ------------------------------------------------------------ request log

const requestLog = []

function logRequest(req, op, status) {
  const record = { method: req.method, path: new URL(req.url, 'http://x').pathname, op, status }
  requestLog.push(record)
  if (requestLog.length > REQUEST_LOG_LIMIT) requestLog.shift()
  if (verbose) process.stderr.write(`cache-service: ${req.method} ${req.url} ${op} -> ${status}\n`)
}

// ------------------------------------------------------------------ helpers

async function readBody(req, limit) {
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > limit) throw Object.assign(new Error('request body too large'), { tooLarge: true })
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

// ------------------------------------------------------------------- twirp

const TWIRP_STATUS = {
  invalid_argument: 400,
  malformed: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  failed_precondition: 412,
  internal: 500
}

class TwirpError extends Error {
  constructor(code, msg) {
    super(msg)
    this.code = code
  }
}

/** A request field by proto name or by lowerCamelCase JSON name. */
function field(body, protoName) {
  if (body[protoName] !== undefined) return body[protoName]
  const camel = protoName.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
  return body[camel]
}

function requireString(body, name) {
  const value = field(body, name)
  if (value === undefined || value === null || value === '') {
    throw new TwirpError('invalid_argument', `${name} is required`)
  }
  if (typeof value !== 'string')
    throw new TwirpError('invalid_argument', `${name} must be a string`)
  return value
}

function requireKey(body, name = 'key') {
  const key = requireString(body, name)
  if (key.length > MAX_KEY_LENGTH) {
    throw new TwirpError('invalid_argument', `${name} is longer than ${MAX_KEY_LENGTH} characters`)
  }
  return key
}

function findEntries(key, version) {
  return [...entries.values()].filter(e => e.key === key && e.version === version)
}

const newestFirst = (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id

const twirpMethods = {
  CreateCacheEntry(body) {
    const key = requireKey(body)
    const version = requireString(body, 'version')
    for (const existing of findEntries(key, version)) {
      if (existing.state === 'finalized') {
        throw new TwirpError(
          'already_exists',
          'cache entry with the same key, version, and scope already exists'
        )
      }
      if (Date.now() - Date.parse(existing.createdAt) < reservationTtlMs) {
        throw new TwirpError(
          'already_exists',
          'cache entry with the same key, version, and scope is already being created'
        )
      }
      deleteEntry(existing) // a stale reservation
    }
    const entry = {
      id: nextId++,
      key,
      version,
      state: 'pending',
      createdAt: new Date().toISOString(),
      finalizedAt: null,
      lastAccessedAt: null,
      sizeBytes: null,
      blob: null
    }
    entries.set(entry.id, entry)
    saveEntry(entry)
    return { ok: true, signed_upload_url: signedBlobUrl(entry.id, 'cw'), message: '' }
  },

  FinalizeCacheEntryUpload(body) {
    const key = requireKey(body)
    const version = requireString(body, 'version')
    const rawSize = field(body, 'size_bytes') ?? '0'
    const sizeBytes = Number(rawSize)
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw new TwirpError('invalid_argument', `size_bytes is not a valid size: ${rawSize}`)
    }
    const matches = findEntries(key, version)
    const entry = matches.find(e => e.state === 'pending')
    if (!entry) {
      if (matches.length > 0) {
        throw new TwirpError(
          'already_exists',
          'cache entry with the same key, version, and scope already exists'
        )
      }
      throw new TwirpError('not_found', `no cache entry is being created for key ${key}`)
    }
    const actual = entry.blob ? blobSize(entry) : null
    if (actual === null) {
      return { ok: false, entry_id: '0', message: `nothing was uploaded for key ${key}` }
    }
    if (actual !== sizeBytes) {
      return {
        ok: false,
        entry_id: '0',
        message: `size_bytes ${sizeBytes} does not match the uploaded blob (${actual} bytes)`
      }
    }
    entry.state = 'finalized'
    entry.finalizedAt = new Date().toISOString()
    entry.sizeBytes = sizeBytes
    saveEntry(entry)
    return { ok: true, entry_id: String(entry.id), message: '' }
  },

  GetCacheEntryDownloadURL(body) {
    const key = requireKey(body)
    const version = requireString(body, 'version')
    const restoreKeys = field(body, 'restore_keys') ?? []
    if (!Array.isArray(restoreKeys) || restoreKeys.some(k => typeof k !== 'string')) {
      throw new TwirpError('invalid_argument', 'restore_keys must be a list of strings')
    }
    const candidates = [...entries.values()]
      .filter(e => e.state === 'finalized' && e.version === version)
      .sort(newestFirst)
    // GitHub's documented order: an exact match of key, then the newest entry
    // whose key starts with key, then each restore key in turn by prefix
    // (newest first; an exact match is just one of the prefix matches there).
    const lookups = [
      () => candidates.find(e => e.key === key),
      ...[key, ...restoreKeys]
        .filter(Boolean)
        .map(prefix => () => candidates.find(e => e.key.startsWith(prefix)))
    ]
    for (const lookup of lookups) {
      const hit = lookup()
      if (hit) {
        hit.lastAccessedAt = new Date().toISOString()
        saveEntry(hit)
        return {
          ok: true,
          signed_download_url: signedBlobUrl(hit.id, 'r'),
          matched_key: hit.key
        }
      }
    }
    return { ok: false, signed_download_url: '', matched_key: '' }
  }
}

async function handleTwirp(req, res, method) {
  const op = `twirp:${method}`
  const fail = (code, msg) => {
    req.resume()
    const status = TWIRP_STATUS[code] ?? 500
    sendJson(res, status, { code, msg })
    logRequest(req, op, status)
  }
  if (!Object.hasOwn(twirpMethods, method)) return fail('bad_route', `no handler for ${method}`)
  if (req.method !== 'POST') return fail('bad_route', `unsupported method ${req.method}`)
  const contentType = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase()
  if (contentType !== 'application/json') {
    return fail('bad_route', `unsupported Content-Type "${contentType}" (JSON only)`)
  }
  if (req.headers.authorization !== `Bearer ${token}`) {
    return fail('unauthenticated', 'missing or invalid ACTIONS_RUNTIME_TOKEN')
  }
  let body
  try {
    body = JSON.parse((await readBody(req, MAX_JSON_BODY)).toString('utf8') || '{}')
  } catch (error) {
    return fail('malformed', `the request body is not JSON: ${error.message}`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('malformed', 'the request body is not a JSON object')
  }
  let result
  try {
    result = twirpMethods[method](body)
  } catch (error) {
    if (error instanceof TwirpError) return fail(error.code, error.message)
    throw error
  }
  sendJson(res, 200, result)
  logRequest(req, op, 200)
}

// -------------------------------------------------------------------- blobs

class StorageError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

function storageHeaders(req, requestId) {
  const headers = {
    'x-ms-request-id': requestId,
    'x-ms-version': req.headers['x-ms-version'] || STORAGE_VERSION,
    Server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0'
  }
  if (req.headers['x-ms-client-request-id']) {
    headers['x-ms-client-request-id'] = req.headers['x-ms-client-request-id']
  }
  return headers
}

function sendStorageError(req, res, requestId, error, op) {
  req.resume()
  const message = `${error.message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`
  const xml =
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<Error><Code>${error.code}</Code><Message>${escapeXml(message)}</Message></Error>`
  const headers = {
    ...storageHeaders(req, requestId),
    'x-ms-error-code': error.code,
    'Content-Type': 'application/xml'
  }
  if (error.contentRange) headers['Content-Range'] = error.contentRange
  if (req.method === 'HEAD') {
    res.writeHead(error.status, headers)
    res.end()
  } else {
    res.writeHead(error.status, { ...headers, 'Content-Length': Buffer.byteLength(xml) })
    res.end(xml)
  }
  logRequest(req, op, error.status)
}

function escapeXml(text) {
  return text.replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`)
}

function checkSignature(query, id) {
  const perm = query.get('sp') || ''
  const expiry = query.get('se') || ''
  const sig = query.get('sig') || ''
  const expected = Buffer.from(sign(perm, id, expiry))
  const given = Buffer.from(sig)
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new StorageError(
      403,
      'AuthenticationFailed',
      'Server failed to authenticate the request. Signature did not match.'
    )
  }
  const expiresAt = Date.parse(expiry)
  if (!(expiresAt > Date.now())) {
    throw new StorageError(
      403,
      'AuthenticationFailed',
      'Signed expiry time has passed; the signature is not valid at this time.'
    )
  }
  return perm
}

function requirePermission(perm, letters) {
  if (![...letters].some(l => perm.includes(l))) {
    throw new StorageError(
      403,
      'AuthorizationPermissionMismatch',
      'This request is not authorized to perform this operation using this permission.'
    )
  }
}

function requireContentLength(req) {
  const header = req.headers['content-length']
  if (header === undefined) {
    throw new StorageError(411, 'MissingContentLengthHeader', 'Content-Length header is required.')
  }
  const length = Number(header)
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new StorageError(400, 'InvalidHeaderValue', 'Content-Length is not valid.')
  }
  return length
}

/** Streams the request body into `file`, returning its size and MD5 (base64). */
async function receiveTo(req, file) {
  const md5 = crypto.createHash('md5')
  let bytes = 0
  try {
    await pipeline(
      req,
      async function* (source) {
        for await (const chunk of source) {
          md5.update(chunk)
          bytes += chunk.length
          yield chunk
        }
      },
      fs.createWriteStream(file)
    )
  } catch (error) {
    fs.rmSync(file, { force: true })
    throw error
  }
  return { bytes, md5: md5.digest('base64') }
}

function checkReceived(req, received, expectedLength, file) {
  if (received.bytes !== expectedLength) {
    fs.rmSync(file, { force: true })
    throw new StorageError(
      400,
      'InvalidInput',
      `Received ${received.bytes} bytes but Content-Length was ${expectedLength}.`
    )
  }
  const claimed = req.headers['content-md5']
  if (claimed && claimed !== received.md5) {
    fs.rmSync(file, { force: true })
    throw new StorageError(
      400,
      'Md5Mismatch',
      'The MD5 value specified in the request did not match.'
    )
  }
}

function commitBlob(entry, file, md5) {
  fs.renameSync(file, blobPath(entry.id))
  fs.rmSync(blockDir(entry.id), { recursive: true, force: true })
  entry.blob = { etag: newEtag(), lastModified: new Date().toUTCString(), contentMd5: md5 }
  saveEntry(entry)
  return entry.blob
}

function blockFileName(blockId) {
  const decoded = Buffer.from(blockId, 'base64')
  if (
    !blockId ||
    decoded.length === 0 ||
    decoded.length > 64 ||
    decoded.toString('base64') !== blockId
  ) {
    return null
  }
  return decoded.toString('hex')
}

async function putBlob(req, res, entry, headers) {
  const blobType = req.headers['x-ms-blob-type']
  if (!blobType) {
    throw new StorageError(400, 'MissingRequiredHeader', 'x-ms-blob-type header is required.')
  }
  if (blobType !== 'BlockBlob') {
    throw new StorageError(
      400,
      'InvalidHeaderValue',
      'Only x-ms-blob-type: BlockBlob is supported.'
    )
  }
  const length = requireContentLength(req)
  const file = tmpPath()
  const received = await receiveTo(req, file)
  checkReceived(req, received, length, file)
  const blob = commitBlob(entry, file, received.md5)
  res.writeHead(201, {
    ...headers,
    ETag: blob.etag,
    'Last-Modified': blob.lastModified,
    'Content-MD5': received.md5,
    'x-ms-request-server-encrypted': 'true',
    'Content-Length': 0
  })
  res.end()
}

async function putBlock(req, res, entry, headers, query) {
  // URLSearchParams turns a raw '+' into a space; base64 has no spaces.
  const name = blockFileName((query.get('blockid') || '').replace(/ /g, '+'))
  if (!name) {
    throw new StorageError(
      400,
      'InvalidQueryParameterValue',
      'blockid must be base64 of at most 64 bytes.'
    )
  }
  const length = requireContentLength(req)
  const file = tmpPath()
  const received = await receiveTo(req, file)
  checkReceived(req, received, length, file)
  fs.mkdirSync(blockDir(entry.id), { recursive: true })
  fs.renameSync(file, path.join(blockDir(entry.id), name))
  res.writeHead(201, {
    ...headers,
    'Content-MD5': received.md5,
    'x-ms-request-server-encrypted': 'true',
    'Content-Length': 0
  })
  res.end()
}

async function putBlockList(req, res, entry, headers) {
  const xml = (await readBody(req, 8 * 1024 * 1024)).toString('utf8')
  if (!/<BlockList>[\s\S]*<\/BlockList>|<BlockList\s*\/>/.test(xml)) {
    throw new StorageError(400, 'InvalidXmlDocument', 'The body is not a BlockList document.')
  }
  const files = []
  for (const m of xml.matchAll(/<(Latest|Committed|Uncommitted)>\s*([^<]*?)\s*<\/\1>/g)) {
    const name = blockFileName(m[2])
    const file = name && path.join(blockDir(entry.id), name)
    if (!file || !fs.existsSync(file)) {
      throw new StorageError(400, 'InvalidBlockList', `The block ${m[2]} has not been staged.`)
    }
    files.push(file)
  }
  const out = tmpPath()
  const md5 = crypto.createHash('md5')
  const fd = fs.openSync(out, 'w')
  try {
    for (const file of files) {
      const data = fs.readFileSync(file)
      md5.update(data)
      fs.writeSync(fd, data)
    }
  } finally {
    fs.closeSync(fd)
  }
  const blob = commitBlob(entry, out, md5.digest('base64'))
  res.writeHead(201, {
    ...headers,
    ETag: blob.etag,
    'Last-Modified': blob.lastModified,
    'x-ms-request-server-encrypted': 'true',
    'Content-Length': 0
  })
  res.end()
}

/** [start, end] inclusive, null for the whole blob; throws 416 when unsatisfiable. */
function parseRange(req, size) {
  const header = req.headers['x-ms-range'] || req.headers.range
  if (!header) return null
  const m = /^bytes=(\d*)-(\d*)$/.exec(String(header).trim())
  if (!m || (m[1] === '' && m[2] === '')) return null // malformed: serve everything, like HTTP
  let start
  let end
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]))
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start >= size || end < start) {
    const error = new StorageError(
      416,
      'InvalidRange',
      'The range specified is invalid for the current size of the resource.'
    )
    error.contentRange = `bytes */${size}`
    throw error
  }
  return [start, end]
}

function getBlob(req, res, entry, headers) {
  const size = blobSize(entry)
  if (!entry.blob || size === null) {
    throw new StorageError(404, 'BlobNotFound', 'The specified blob does not exist.')
  }
  const blob = entry.blob
  const ifMatch = req.headers['if-match']
  if (ifMatch && ifMatch !== '*' && ifMatch !== blob.etag) {
    throw new StorageError(
      412,
      'ConditionNotMet',
      'The condition specified using HTTP conditional header(s) is not met.'
    )
  }
  const ifNoneMatch = req.headers['if-none-match']
  const base = {
    ...headers,
    ETag: blob.etag,
    'Last-Modified': blob.lastModified,
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-creation-time': new Date(entry.createdAt).toUTCString(),
    'x-ms-lease-status': 'unlocked',
    'x-ms-lease-state': 'available',
    'x-ms-server-encrypted': 'true'
  }
  if (ifNoneMatch && (ifNoneMatch === '*' || ifNoneMatch === blob.etag)) {
    res.writeHead(304, base)
    res.end()
    return 'blob:NotModified'
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...base, 'Content-Length': size, 'Content-MD5': blob.contentMd5 })
    res.end()
    return 'blob:GetBlobProperties'
  }
  const range = parseRange(req, size)
  if (!range) {
    res.writeHead(200, { ...base, 'Content-Length': size, 'Content-MD5': blob.contentMd5 })
    if (size === 0) res.end()
    else fs.createReadStream(blobPath(entry.id)).pipe(res)
    return 'blob:GetBlob'
  }
  const [start, end] = range
  const count = end - start + 1
  const rangeHeaders = {
    ...base,
    'Content-Length': count,
    'Content-Range': `bytes ${start}-${end}/${size}`,
    'x-ms-blob-content-md5': blob.contentMd5
  }
  if (req.headers['x-ms-range-get-content-md5'] === 'true' && count <= 4 * 1024 * 1024) {
    const fd = fs.openSync(blobPath(entry.id), 'r')
    const part = Buffer.alloc(count)
    fs.readSync(fd, part, 0, count, start)
    fs.closeSync(fd)
    rangeHeaders['Content-MD5'] = crypto.createHash('md5').update(part).digest('base64')
  }
  res.writeHead(206, rangeHeaders)
  fs.createReadStream(blobPath(entry.id), { start, end }).pipe(res)
  return 'blob:GetBlobRange'
}

async function handleBlob(req, res, url) {
  const requestId = crypto.randomUUID()
  const headers = storageHeaders(req, requestId)
  const comp = url.searchParams.get('comp')
  let op = `blob:${req.method}${comp ? `:${comp}` : ''}`
  try {
    const parts = url.pathname.split('/').filter(Boolean)
    const id = Number(parts[2])
    if (
      parts.length !== 3 ||
      parts[0] !== ACCOUNT ||
      parts[1] !== CONTAINER ||
      !Number.isSafeInteger(id)
    ) {
      throw new StorageError(404, 'ResourceNotFound', 'The specified resource does not exist.')
    }
    const perm = checkSignature(url.searchParams, id)
    const entry = entries.get(id)
    if (req.method === 'PUT') {
      requirePermission(perm, 'cw')
      if (!entry) throw new StorageError(404, 'BlobNotFound', 'The specified blob does not exist.')
      if (entry.state === 'finalized') {
        throw new StorageError(
          409,
          'BlobImmutableDueToPolicy',
          'The cache entry is finalized; its blob cannot be modified.'
        )
      }
      if (!comp) {
        op = 'blob:PutBlob'
        await putBlob(req, res, entry, headers)
      } else if (comp === 'block') {
        op = 'blob:PutBlock'
        await putBlock(req, res, entry, headers, url.searchParams)
      } else if (comp === 'blocklist') {
        op = 'blob:PutBlockList'
        await putBlockList(req, res, entry, headers)
      } else {
        throw new StorageError(400, 'InvalidQueryParameterValue', `comp=${comp} is not supported.`)
      }
      logRequest(req, op, 201)
      return
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (comp) {
        throw new StorageError(400, 'InvalidQueryParameterValue', `comp=${comp} is not supported.`)
      }
      requirePermission(perm, 'r')
      if (!entry) throw new StorageError(404, 'BlobNotFound', 'The specified blob does not exist.')
      op = getBlob(req, res, entry, headers)
      logRequest(req, op, res.statusCode)
      return
    }
    throw new StorageError(405, 'UnsupportedHttpVerb', `The ${req.method} verb is not supported.`)
  } catch (error) {
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (error instanceof StorageError) {
      sendStorageError(req, res, requestId, error, op)
      return
    }
    if (error?.tooLarge) {
      sendStorageError(
        req,
        res,
        requestId,
        new StorageError(413, 'RequestBodyTooLarge', error.message),
        op
      )
      return
    }
    if (
      req.destroyed ||
      error?.code === 'ERR_STREAM_PREMATURE_CLOSE' ||
      error?.code === 'ECONNRESET'
    ) {
      logRequest(req, `${op}(aborted)`, 499)
      return
    }
    throw error
  }
}

// ------------------------------------------------------------------ control

function entryView(entry, withSha) {
  const size = blobSize(entry)
  const view = {
    id: entry.id,
    key: entry.key,
    version: entry.version,
    state: entry.state,
    createdAt: entry.createdAt,
    finalizedAt: entry.finalizedAt,
    lastAccessedAt: entry.lastAccessedAt,
    sizeBytes: entry.sizeBytes,
    blobBytes: entry.blob ? size : null,
    etag: entry.blob?.etag ?? null,
    contentMd5: entry.blob?.contentMd5 ?? null
  }
  if (withSha) view.sha256 = entry.blob && size !== null ? fileSha256(blobPath(entry.id)) : null
  return view
}

function selectEntries(query) {
  const key = query.get('key')
  const version = query.get('version')
  const id = query.get('id')
  return [...entries.values()].filter(
    e =>
      (key === null || e.key === key) &&
      (version === null || e.version === version) &&
      (id === null || e.id === Number(id))
  )
}

function corrupt(query) {
  const mode = query.get('mode') || 'flip'
  if (mode !== 'flip' && mode !== 'truncate') {
    return [400, { error: `unknown mode ${mode} (flip or truncate)` }]
  }
  if (query.get('key') === null && query.get('id') === null) {
    return [400, { error: 'key or id is required' }]
  }
  const targets = selectEntries(query).filter(e => e.state === 'finalized' && blobSize(e) !== null)
  if (targets.length === 0) return [404, { error: 'no finalized entry matched' }]
  const corrupted = []
  for (const entry of targets) {
    const file = blobPath(entry.id)
    const bytesBefore = blobSize(entry)
    const sha256Before = fileSha256(file)
    const offsetParam = query.get('offset')
    let offset = offsetParam === null ? Math.floor(bytesBefore / 2) : Number(offsetParam)
    if (!Number.isSafeInteger(offset) || offset < 0) return [400, { error: 'bad offset' }]
    let count = 0
    if (mode === 'flip') {
      offset = Math.min(offset, Math.max(0, bytesBefore - 1))
      count = Math.min(Number(query.get('count') ?? 64), bytesBefore - offset)
      if (!Number.isSafeInteger(count) || count < 0) return [400, { error: 'bad count' }]
      const fd = fs.openSync(file, 'r+')
      const buf = Buffer.alloc(count)
      fs.readSync(fd, buf, 0, count, offset)
      for (let i = 0; i < count; i++) buf[i] ^= 0xff
      fs.writeSync(fd, buf, 0, count, offset)
      fs.closeSync(fd)
    } else {
      offset = Math.min(offset, bytesBefore)
      fs.truncateSync(file, offset)
    }
    corrupted.push({
      id: entry.id,
      key: entry.key,
      version: entry.version,
      mode,
      offset,
      count,
      bytesBefore,
      bytesAfter: blobSize(entry),
      sha256Before,
      sha256After: fileSha256(file)
    })
  }
  return [200, { corrupted }]
}

function handleControl(req, res, url) {
  const route = `${req.method} ${url.pathname}`
  let status = 200
  let body
  if (route === 'GET /_control/health') {
    body = { ok: true }
  } else if (route === 'GET /_control/entries') {
    const withSha = url.searchParams.get('sha256') === '1'
    body = {
      entries: [...entries.values()].sort((a, b) => a.id - b.id).map(e => entryView(e, withSha))
    }
  } else if (route === 'DELETE /_control/entries') {
    const doomed = selectEntries(url.searchParams)
    for (const e of doomed) deleteEntry(e)
    body = { deleted: doomed.map(e => e.id) }
  } else if (route === 'POST /_control/corrupt') {
    ;[status, body] = corrupt(url.searchParams)
  } else if (route === 'GET /_control/requests') {
    body = { requests: requestLog }
  } else if (route === 'DELETE /_control/requests') {
    requestLog.length = 0
    body = { ok: true }
  } else {
    status = 404
    body = { error: `no control route ${route}` }
  }
  req.resume()
  sendJson(res, status, body)
  if (verbose) process.stderr.write(`cache-service: ${route} -> ${status}\n`)
}

// ------------------------------------------------------------------- server

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1')
  const handle = async () => {
    if (url.pathname.startsWith(TWIRP_PREFIX)) {
      await handleTwirp(req, res, url.pathname.slice(TWIRP_PREFIX.length))
    } else if (url.pathname.startsWith(`/${ACCOUNT}/`)) {
      await handleBlob(req, res, url)
    } else if (url.pathname.startsWith('/_control/')) {
      handleControl(req, res, url)
    } else if (url.pathname.startsWith('/_apis/artifactcache/')) {
      req.resume()
      sendJson(res, 404, {
        message: 'The v1 cache API is not emulated; set ACTIONS_CACHE_SERVICE_V2=True.'
      })
      logRequest(req, 'v1', 404)
    } else {
      req.resume()
      sendJson(res, 404, { error: `nothing at ${url.pathname}` })
      logRequest(req, 'unknown', 404)
    }
  }
  handle().catch(error => {
    process.stderr.write(
      `cache-service: ${req.method} ${req.url} failed: ${error?.stack ?? error}\n`
    )
    if (!res.headersSent) {
      if (url.pathname.startsWith(TWIRP_PREFIX))
        sendJson(res, 500, { code: 'internal', msg: String(error?.message ?? error) })
      else sendJson(res, 500, { error: String(error?.message ?? error) })
    } else {
      res.destroy()
    }
    logRequest(req, 'error', 500)
  })
})

server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  baseUrl = `http://127.0.0.1:${address.port}/`
  const env = {
    ACTIONS_CACHE_SERVICE_V2: 'True',
    ACTIONS_RESULTS_URL: baseUrl,
    ACTIONS_CACHE_URL: baseUrl,
    ACTIONS_RUNTIME_TOKEN: token,
    GITHUB_SERVER_URL: 'https://github.com'
  }
  process.stdout.write(
    `${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`
  )
  process.stderr.write(
    `cache-service: listening on ${baseUrl} (dir ${root}, ${entries.size} entries)\n`
  )
})

server.on('error', error => {
  process.stderr.write(`cache-service: ${error.message}\n`)
  process.exit(1)
})

function shutdown(signal) {
  if (verbose) process.stderr.write(`cache-service: ${signal}, stopping\n`)
  server.close(() => process.exit(0))
  server.closeAllConnections()
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
