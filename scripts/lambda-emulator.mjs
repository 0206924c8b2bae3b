#!/usr/bin/env node
/**
 * A loopback AWS Lambda for the end-to-end tests: a proxy in front of
 * moto_server that runs Invoke for real (moto needs docker for that) and
 * serves function code and layer content at URLs a client can fetch (moto's
 * Code.Location and Content.Location cannot be). Only node: built-ins.
 *
 *   node scripts/lambda-emulator.mjs --moto URL [--port N] [--log FILE]
 *
 * It listens on 127.0.0.1 (a free port unless --port). The FIRST line on
 * stdout is the environment a client needs, `AWS_ENDPOINT_URL=http://127.0.0.1:PORT`;
 * the rest goes to stderr, the invocations' logs among it. --log appends one
 * JSON line per request to FILE: {op, method, path, status}, op being the
 * Lambda operation ("Invoke", ...), "S3:<METHOD>", "Emulator:Layer",
 * "Emulator:Function" or "Other". SIGINT or SIGTERM kill the running
 * invocations, remove their folders and exit 0.
 *
 * Requests go to moto byte-exact (raw target, raw headers with Host, so SigV4
 * stays valid, body) and moto's status, headers and body come back, except:
 *   - PublishLayerVersion, CreateFunction, UpdateFunctionCode: once moto answers
 *     2xx, the zip (ZipFile, or S3Bucket/S3Key read back from moto's S3) is kept
 *     in memory by LayerVersionArn, or by region and function name.
 *   - PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, GetFunction:
 *     Content.Location / Code.Location become /_emulator/layer?arn=ARN or
 *     /_emulator/function?region=R&name=N, which serve the kept zip (one Range
 *     `bytes=a-b`, `bytes=a-` or `bytes=-n` -> 206; none -> 200; unsatisfiable
 *     -> 416; nothing kept -> 404). moto 5 answers GetLayerVersionByArn with a
 *     ListLayers body, so that one is asked of moto as GetLayerVersion.
 *   - Invoke runs here. The configuration is read from moto (its 404 is passed
 *     on). python3.X runs with $RUNNER_TOOL_CACHE/Python/3.X.*\/<x64|arm64>/bin/python3
 *     (highest patch), as the action finds it, on the host's architecture only;
 *     otherwise the answer is a function error saying why. The layers are
 *     unpacked in order into a fresh opt/ (later ones overwriting earlier
 *     ones), the code into task/; a bootstrap runs the handler with `python -I`
 *     in its own process group (killed whole at the end), with Lambda's
 *     sys.path and environment and nothing of this process's environment.
 *     Invocation types RequestResponse -> 200, Event -> 202 (run in the
 *     background), DryRun -> 204. An exception, the timeout or the process
 *     exiting -> 200 with X-Amz-Function-Error: Unhandled; X-Amz-Log-Type: Tail
 *     -> X-Amz-Log-Result (the last 4 KiB of START, output, END, REPORT). Code
 *     that did not pass through the emulator -> 500 ServiceException.
 *   - CreateCodeSigningConfig and GetCodeSigningConfig, which moto lacks, are
 *     answered here from memory (AllowedPublishers, CodeSigningPolicies as
 *     given; UntrustedArtifactOnDeployment Warn by default, as Lambda's).
 *     moto keeps a function's CodeSigningConfigArn from CreateFunction and
 *     answers GetFunctionCodeSigningConfig itself.
 *   - GetSigningProfile of a missing profile answers 404
 *     ResourceNotFoundException, as Signer does (moto answers 500).
 *   - StartSigningJob and DescribeSigningJob (AWS Signer), which moto lacks,
 *     are answered here: the profile is moto's (PutSigningProfile,
 *     GetSigningProfile pass through), the source is read from moto's S3 at
 *     the version given (required, as Signer's), and the signed zip is written
 *     to destination prefix + jobId + ".zip": the source with its zip comment
 *     set to `lambda-emulator-signature {"profileVersionArn", "jobArn"}`, a
 *     marker tests can read. A job is InProgress for 300 ms, then Succeeded
 *     (Failed for a source that is not a zip or is already signed); a repeated
 *     clientRequestToken returns the first job.
 *   - A layer published from a zip with that marker answers with
 *     Content.SigningProfileVersionArn and SigningJobArn (PublishLayerVersion,
 *     GetLayerVersion, GetLayerVersionByArn). UpdateFunctionConfiguration with
 *     Layers, on a function whose code signing configuration enforces
 *     signatures, is refused (400 CodeVerificationFailedException) unless
 *     every layer is signed by an allowed profile.
 */
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import zlib from 'node:zlib'

const LOG_TAIL_BYTES = 4096
const OUTPUT_LIMIT = 1024 * 1024 // the last MiB of an invocation's output is kept
// What the function's role would give it: fixed, so no real credential leaks in.
const ROLE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'ASIAEMULATEDLAMBDA00',
  AWS_SECRET_ACCESS_KEY: 'emulated-lambda-secret-access-key',
  AWS_SESSION_TOKEN: 'emulated-lambda-session-token'
}

// ---------------------------------------------------------------- arguments

function usage(message) {
  if (message) process.stderr.write(`lambda-emulator: ${message}\n`)
  process.stderr.write(
    'usage: node scripts/lambda-emulator.mjs --moto URL [--port N] [--log FILE]\n'
  )
  process.exit(message ? 2 : 0)
}

let args
try {
  args = parseArgs({
    options: {
      moto: { type: 'string' },
      port: { type: 'string', default: '0' },
      log: { type: 'string' },
      help: { type: 'boolean', default: false }
    },
    strict: true
  }).values
} catch (error) {
  usage(error.message)
}
if (args.help) usage()
if (!args.moto) usage('--moto is required')
const moto = URL.canParse(args.moto) ? new URL(args.moto) : undefined
if (moto?.protocol !== 'http:') usage(`--moto must be an http:// URL, not ${args.moto}`)
const port = Number(args.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be a port number')

let baseUrl = '' // http://127.0.0.1:PORT once listening
const layers = new Map() // LayerVersionArn -> zip
const functions = new Map() // "region/name" -> zip
const active = new Set() // running invocations: {work, pid}
const signingConfigs = new Map() // CodeSigningConfigArn -> CodeSigningConfig
const signingJobs = new Map() // jobId -> DescribeSigningJob answer (without status)
const signingTokens = new Map() // clientRequestToken -> jobId
const layerSignatures = new Map() // LayerVersionArn -> {SigningProfileVersionArn, SigningJobArn}

// ------------------------------------------------------------------ routing

// [method, path, operation]; each {} is a path segment (a name, then a version).
const ROUTES = [
  ['POST', '/2015-03-31/functions', 'CreateFunction'],
  ['GET', '/2015-03-31/functions', 'ListFunctions'],
  ['GET', '/2015-03-31/functions/{}', 'GetFunction'],
  ['DELETE', '/2015-03-31/functions/{}', 'DeleteFunction'],
  ['GET', '/2015-03-31/functions/{}/configuration', 'GetFunctionConfiguration'],
  ['PUT', '/2015-03-31/functions/{}/configuration', 'UpdateFunctionConfiguration'],
  ['PUT', '/2015-03-31/functions/{}/code', 'UpdateFunctionCode'],
  ['POST', '/2015-03-31/functions/{}/invocations', 'Invoke'],
  ['POST', '/2015-03-31/functions/{}/versions', 'PublishVersion'],
  ['GET', '/2015-03-31/functions/{}/versions', 'ListVersionsByFunction'],
  ['GET', '/2018-10-31/layers', 'ListLayers'],
  ['POST', '/2018-10-31/layers/{}/versions', 'PublishLayerVersion'],
  ['GET', '/2018-10-31/layers/{}/versions', 'ListLayerVersions'],
  ['GET', '/2018-10-31/layers/{}/versions/{}', 'GetLayerVersion'],
  ['DELETE', '/2018-10-31/layers/{}/versions/{}', 'DeleteLayerVersion'],
  ['POST', '/2018-10-31/layers/{}/versions/{}/policy', 'AddLayerVersionPermission'],
  ['GET', '/2018-10-31/layers/{}/versions/{}/policy', 'GetLayerVersionPolicy'],
  ['DELETE', '/2018-10-31/layers/{}/versions/{}/policy/{}', 'RemoveLayerVersionPermission'],
  ['POST', '/2020-04-22/code-signing-configs', 'CreateCodeSigningConfig'],
  ['GET', '/2020-04-22/code-signing-configs/{}', 'GetCodeSigningConfig'],
  ['GET', '/signing-profiles/{}', 'GetSigningProfile'],
  ['POST', '/signing-jobs', 'StartSigningJob'],
  ['GET', '/signing-jobs/{}', 'DescribeSigningJob']
].map(([method, pattern, op]) => {
  const regex = new RegExp(`^${pattern.replaceAll('{}', '([^/]+)')}/?$`)
  return { method, op, regex }
})

/** The operation a request stands for, with the name from its path. */
function route(method, url, headers) {
  for (const r of ROUTES) {
    const m = r.method === method && r.regex.exec(url.pathname)
    if (!m) continue
    const byArn = r.op === 'ListLayers' && url.searchParams.get('find') === 'LayerVersion'
    return { op: byArn ? 'GetLayerVersionByArn' : r.op, name: m[1] && decodeURIComponent(m[1]) }
  }
  if (url.pathname === '/_emulator/layer') return { op: 'Emulator:Layer' }
  if (url.pathname === '/_emulator/function') return { op: 'Emulator:Function' }
  return { op: credential(headers).service === 's3' ? `S3:${method}` : 'Other' }
}

/** Access key, region and service of a SigV4 Authorization header (defaults when unsigned). */
function credential(headers) {
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
    headers.authorization ?? ''
  )
  return {
    accessKey: scope?.[1] ?? 'testing',
    region: scope?.[2] ?? 'us-east-1',
    service: scope?.[3]
  }
}

/** An Authorization header for the emulator's own calls (moto reads the scope, not the signature). */
function dummyAuth(headers, service, region = credential(headers).region) {
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '')
  const scope = `${credential(headers).accessKey}/${date}/${region}/${service}/aws4_request`
  return `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=${'0'.repeat(64)}`
}

/** A function named by name, partial ARN or ARN, with its qualifier if any. */
function functionRef(text) {
  const parts = text.split(':')
  if (parts[0] === 'arn') return { name: parts[6], qualifier: parts[7] }
  if (parts[1] === 'function') return { name: parts[2], qualifier: parts[3] }
  return { name: parts[0], qualifier: parts[1] }
}

/** The key a function's code is kept under, "region/name", from its ARN. */
function functionKey(arn = '') {
  const parts = arn.split(':')
  return `${parts[3]}/${parts[6]}`
}

// --------------------------------------------------------------- forwarding

const agent = new http.Agent({ keepAlive: true })

/** Sends a request to moto (body: a Buffer, or the client's request to stream); resolves with the answer, unread. */
function toMoto(method, target, headers, body) {
  return new Promise((resolve, reject) => {
    const options = { hostname: moto.hostname, port: moto.port, method, path: target, headers }
    const out = http.request({ ...options, agent })
    out.on('response', resolve)
    out.on('error', reject)
    if (body instanceof http.IncomingMessage) body.pipe(out)
    else out.end(body)
  })
}

async function readAll(stream) {
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** One request to moto, its answer read whole. */
async function exchange(method, target, headers, body) {
  const answer = await toMoto(method, target, headers, body)
  return { answer, body: await readAll(answer) }
}

const ok = answer => answer.statusCode >= 200 && answer.statusCode < 300

/** Writes moto's answer with `body` (its own or a rewritten one) and a Content-Length to match. */
function reply(res, answer, body) {
  const headers = []
  for (let i = 0; i < answer.rawHeaders.length; i += 2) {
    if (!/^(content-length|transfer-encoding)$/i.test(answer.rawHeaders[i]))
      headers.push(answer.rawHeaders[i], answer.rawHeaders[i + 1])
  }
  headers.push('Content-Length', String(body.length))
  res.writeHead(answer.statusCode, answer.statusMessage, headers)
  res.end(body)
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body)
  const length = Buffer.byteLength(text)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': length,
    ...headers
  })
  res.end(text)
}

/** A Lambda-style error, which the SDK raises as an exception of that name. */
function sendError(res, status, type, message) {
  const body = { Type: status >= 500 ? 'Service' : 'User', message, __type: type }
  sendJson(res, status, body, { 'x-amzn-ErrorType': type, 'x-amzn-RequestId': crypto.randomUUID() })
}

/** CreateCodeSigningConfig and GetCodeSigningConfig, kept in memory. */
async function codeSigningConfig(req, res, r) {
  if (r.op === 'GetCodeSigningConfig') {
    const config = signingConfigs.get(r.name)
    if (!config) {
      return sendError(
        res,
        404,
        'ResourceNotFoundException',
        `Code signing config ${r.name} not found`
      )
    }
    return sendJson(res, 200, { CodeSigningConfig: config })
  }
  const request = JSON.parse((await readAll(req)).toString('utf8') || '{}')
  const { region } = credential(req.headers)
  const id = `csc-${crypto.randomBytes(9).toString('hex').slice(0, 17)}`
  const config = {
    CodeSigningConfigId: id,
    CodeSigningConfigArn: `arn:aws:lambda:${region}:123456789012:code-signing-config:${id}`,
    Description: request.Description ?? '',
    AllowedPublishers: request.AllowedPublishers ?? { SigningProfileVersionArns: [] },
    CodeSigningPolicies: request.CodeSigningPolicies ?? { UntrustedArtifactOnDeployment: 'Warn' },
    LastModified: new Date().toISOString()
  }
  signingConfigs.set(config.CodeSigningConfigArn, config)
  sendJson(res, 201, { CodeSigningConfig: config })
}

// ------------------------------------------------------------------ signing

const SIGNATURE_TAG = 'lambda-emulator-signature '
const SIGNING_MS = 300 // a job is InProgress this long, then Succeeded
const EOCD = 0x06054b50

/** Where a zip's end-of-central-directory record starts, or -1. */
function endOfDirectory(zip) {
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === EOCD && at + 22 + zip.readUInt16LE(at + 20) === zip.length)
      return at
  }
  return -1
}

/** The signature a zip carries in its comment, as this emulator's Signer wrote it, or undefined. */
function signatureOf(zip) {
  const at = endOfDirectory(zip)
  if (at === -1) return undefined
  const comment = zip.subarray(at + 22).toString('utf8')
  if (!comment.startsWith(SIGNATURE_TAG)) return undefined
  try {
    return JSON.parse(comment.slice(SIGNATURE_TAG.length))
  } catch {
    return undefined
  }
}

/** The zip with `signature` as its comment: still a zip Lambda unpacks, with other bytes. */
function signed(zip, signature) {
  const at = endOfDirectory(zip)
  const comment = Buffer.from(SIGNATURE_TAG + JSON.stringify(signature), 'utf8')
  const head = Buffer.from(zip.subarray(0, at + 22))
  head.writeUInt16LE(comment.length, at + 20)
  return Buffer.concat([head, comment])
}

/**
 * StartSigningJob and DescribeSigningJob, which moto lacks. The profile is
 * read from moto (GetSigningProfile); the source object version from moto's
 * S3; the signed zip (the source with a signature comment naming the
 * profile version and the job) is written to the destination in moto's S3
 * at once, and the job answers InProgress for SIGNING_MS, then Succeeded.
 * A repeated clientRequestToken returns the first job.
 */
async function signing(req, res, r) {
  if (r.op === 'DescribeSigningJob') {
    const job = signingJobs.get(r.name)
    if (!job) return sendError(res, 404, 'ResourceNotFoundException', `job ${r.name} not found`)
    const done = Date.now() - job.createdAt * 1000 >= SIGNING_MS
    return sendJson(res, 200, {
      ...job,
      status: job.failure ? 'Failed' : done ? 'Succeeded' : 'InProgress',
      ...(job.failure ? { statusReason: job.failure } : {}),
      ...(done && !job.failure ? { completedAt: job.createdAt + SIGNING_MS / 1000 } : {}),
      failure: undefined
    })
  }
  const request = JSON.parse((await readAll(req)).toString('utf8') || '{}')
  const { region } = credential(req.headers)
  const known = request.clientRequestToken && signingTokens.get(request.clientRequestToken)
  if (known) return sendJson(res, 200, { jobId: known, jobOwner: signingJobs.get(known).jobOwner })
  const source = request.source?.s3
  const destination = request.destination?.s3
  if (!request.profileName || !source?.bucketName || !source.key || !destination?.bucketName) {
    return sendError(
      res,
      400,
      'ValidationException',
      'profileName, source.s3 and destination.s3 are required'
    )
  }
  if (!source.version) {
    return sendError(
      res,
      400,
      'ValidationException',
      'source.s3.version is required: the source bucket must be versioned'
    )
  }
  const profile = await exchange(
    'GET',
    `/signing-profiles/${encodeURIComponent(request.profileName)}`,
    {
      Authorization: dummyAuth(req.headers, 'signer', region)
    }
  )
  if (!ok(profile.answer)) return reply(res, profile.answer, profile.body)
  const { profileVersionArn, profileVersion, arn, status, platformId } = JSON.parse(
    profile.body.toString('utf8')
  )
  if (status !== 'Active') {
    return sendError(res, 400, 'ValidationException', `profile ${request.profileName} is ${status}`)
  }
  const jobId = crypto.randomUUID()
  const jobOwner = arn.split(':')[4]
  const jobArn = `arn:aws:signer:${region}:${jobOwner}:/signing-jobs/${jobId}`
  let zip
  let failure
  try {
    zip = await codeBytes(
      { S3Bucket: source.bucketName, S3Key: source.key, S3ObjectVersion: source.version },
      req.headers
    )
  } catch (error) {
    failure = `the source object could not be read: ${error.message}`
  }
  if (zip && endOfDirectory(zip) === -1) failure = 'the source object is not a zip file'
  else if (zip && signatureOf(zip)) failure = 'the source object already has a signature'
  const key = `${destination.prefix ?? ''}${jobId}.zip`
  if (!failure) {
    const target = `/${encodeURIComponent(destination.bucketName)}/${key.split('/').map(encodeURIComponent).join('/')}`
    const put = await exchange(
      'PUT',
      target,
      { Authorization: dummyAuth(req.headers, 's3', region) },
      signed(zip, { profileVersionArn, jobArn })
    )
    if (!ok(put.answer))
      failure = `writing s3://${destination.bucketName}/${key} failed (${put.answer.statusCode})`
  }
  const createdAt = Date.now() / 1000
  signingJobs.set(jobId, {
    jobId,
    source: request.source,
    platformId,
    profileName: request.profileName,
    profileVersion,
    createdAt,
    jobOwner,
    jobInvoker: jobOwner,
    ...(failure
      ? { failure }
      : { signedObject: { s3: { bucketName: destination.bucketName, key } } })
  })
  if (request.clientRequestToken) signingTokens.set(request.clientRequestToken, jobId)
  sendJson(res, 200, { jobId, jobOwner })
}

/** GetSigningProfile: moto's answer, except its 500 for a missing profile, which is Signer's 404. */
async function signingProfile(req, res) {
  const got = await exchange(req.method, req.url, req.rawHeaders, await readAll(req))
  if (got.answer.statusCode === 500 && !/json/.test(got.answer.headers['content-type'] ?? '')) {
    return sendError(res, 404, 'ResourceNotFoundException', 'The signing profile does not exist')
  }
  reply(res, got.answer, got.body)
}

/** Content.SigningProfileVersionArn and SigningJobArn of a layer version whose zip this Signer signed. */
function addSignature(answer) {
  const signature = layerSignatures.get(answer?.LayerVersionArn)
  if (!signature || !answer.Content) return false
  answer.Content.SigningProfileVersionArn = signature.profileVersionArn
  answer.Content.SigningJobArn = signature.jobArn
  return true
}

/**
 * UpdateFunctionConfiguration with Layers, on a function whose code signing
 * configuration enforces signatures: each layer must be signed by an allowed
 * profile, as Lambda checks (CodeVerificationFailedException otherwise).
 */
async function updateConfiguration(req, res, r) {
  const body = await readAll(req)
  let layersAsked
  try {
    layersAsked = JSON.parse(body.toString('utf8')).Layers
  } catch {
    // not JSON: moto answers
  }
  if (Array.isArray(layersAsked) && layersAsked.length > 0) {
    const { name } = functionRef(r.name)
    const csc = await exchange(
      'GET',
      `/2020-06-30/functions/${encodeURIComponent(name)}/code-signing-config`,
      {
        Authorization: dummyAuth(req.headers, 'lambda')
      }
    )
    const arn = ok(csc.answer)
      ? JSON.parse(csc.body.toString('utf8')).CodeSigningConfigArn
      : undefined
    const config = arn && signingConfigs.get(arn)
    if (config?.CodeSigningPolicies?.UntrustedArtifactOnDeployment === 'Enforce') {
      const allowed = config.AllowedPublishers?.SigningProfileVersionArns ?? []
      const bad = layersAsked.filter(
        layer => !allowed.includes(layerSignatures.get(layer)?.profileVersionArn)
      )
      if (bad.length > 0) {
        return sendError(
          res,
          400,
          'CodeVerificationFailedException',
          `Lambda cannot deploy the function. The function or layer might be signed using a signature that the client is not configured to accept: ${bad.join(', ')}`
        )
      }
    }
  }
  const got = await exchange(req.method, req.url, req.rawHeaders, body)
  reply(res, got.answer, got.body)
}

async function pass(req, res) {
  const answer = await toMoto(req.method, req.url, req.rawHeaders, req)
  res.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders)
  await pipeline(answer, res)
}

// ------------------------------------------------------- code and locations

/** The zip a Code / Content object names: inline base64, or an object in moto's S3. */
async function codeBytes(code, headers) {
  if (code?.ZipFile) return Buffer.from(code.ZipFile, 'base64')
  if (!code?.S3Bucket || !code.S3Key) return undefined
  const key = code.S3Key.split('/').map(encodeURIComponent).join('/')
  const version = code.S3ObjectVersion
    ? `?versionId=${encodeURIComponent(code.S3ObjectVersion)}`
    : ''
  const target = `/${encodeURIComponent(code.S3Bucket)}/${key}${version}`
  const s3 = await exchange('GET', target, { Authorization: dummyAuth(headers, 's3') })
  if (!ok(s3.answer))
    throw new Error(`moto's S3 answered GET ${target} with ${s3.answer.statusCode}`)
  return s3.body
}

/** Points Code.Location / Content.Location of an answer at the kept zip; false when none is kept. */
function locate(op, answer) {
  if (op === 'GetFunction') {
    const key = functionKey(answer.Configuration?.FunctionArn)
    if (!answer.Code || !functions.has(key)) return false
    const [region, name] = key.split('/')
    answer.Code.Location = `${baseUrl}/_emulator/function?${new URLSearchParams({ region, name })}`
    return true
  }
  if (!answer.Content || !layers.has(answer.LayerVersionArn)) return false
  const query = new URLSearchParams({ arn: answer.LayerVersionArn })
  answer.Content.Location = `${baseUrl}/_emulator/layer?${query}`
  return true
}

/** Forwards an exchange read whole, keeps the code it carries, rewrites the location in it. */
async function capture(req, res, r) {
  const body = await readAll(req)
  let [target, headers] = [req.url, req.rawHeaders]
  const arn = new URL(req.url, baseUrl).searchParams.get('Arn') ?? ''
  const byArn = /^arn:[^:]+:lambda:([^:]+):\d+:layer:([^:]+):(\d+)$/.exec(arn)
  if (r.op === 'GetLayerVersionByArn' && byArn) {
    target = `/2018-10-31/layers/${encodeURIComponent(byArn[2])}/versions/${byArn[3]}`
    headers = { Authorization: dummyAuth(req.headers, 'lambda', byArn[1]) }
  }
  const got = await exchange(req.method, target, headers, body)
  let answer
  try {
    answer = ok(got.answer) && JSON.parse(got.body.toString('utf8'))
  } catch {
    // not JSON: passed on as it is
  }
  if (!answer) return reply(res, got.answer, got.body)
  if (['PublishLayerVersion', 'CreateFunction', 'UpdateFunctionCode'].includes(r.op)) {
    try {
      const request = JSON.parse(body.toString('utf8'))
      // UpdateFunctionCode names the zip at the top level; with DryRun it changes nothing.
      const code = { PublishLayerVersion: request.Content, CreateFunction: request.Code }[r.op]
      const bytes = request.DryRun ? undefined : await codeBytes(code ?? request, req.headers)
      if (bytes && r.op === 'PublishLayerVersion') {
        layers.set(answer.LayerVersionArn, bytes)
        const signature = signatureOf(bytes)
        if (signature) layerSignatures.set(answer.LayerVersionArn, signature)
      } else if (bytes) functions.set(functionKey(answer.FunctionArn), bytes)
    } catch (error) {
      process.stderr.write(`lambda-emulator: ${r.op}: the code was not kept: ${error.message}\n`)
    }
  }
  const signedLayer = r.op !== 'GetFunction' && addSignature(answer)
  if (!locate(r.op, answer) && !signedLayer) return reply(res, got.answer, got.body)
  reply(res, got.answer, Buffer.from(JSON.stringify(answer)))
}

/** One Range header against `size` bytes: {start, end}; null if unsatisfiable; undefined for all. */
function byteRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec((header ?? '').trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined // none, or not one served: all of it
  if (m[1] === '') {
    const suffix = Number(m[2])
    return suffix === 0 || size === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const [start, last] = [Number(m[1]), m[2] === '' ? Infinity : Number(m[2])]
  if (last < start) return undefined // invalid, so ignored (RFC 9110)
  return start >= size ? null : { start, end: Math.min(last, size - 1) }
}

function serveCode(req, res, url) {
  req.resume()
  const q = url.searchParams
  const bytes = url.pathname.endsWith('/layer')
    ? layers.get(q.get('arn'))
    : functions.get(`${q.get('region')}/${q.get('name')}`)
  if (!bytes || !['GET', 'HEAD'].includes(req.method)) {
    return sendJson(res, 404, { message: `no code kept for ${url.pathname}${url.search}` })
  }
  const range = byteRange(req.headers.range, bytes.length)
  const headers = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/zip' }
  if (range === null) {
    res.writeHead(416, {
      ...headers,
      'Content-Range': `bytes */${bytes.length}`,
      'Content-Length': 0
    })
    return res.end()
  }
  const part = range ? bytes.subarray(range.start, range.end + 1) : bytes
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${bytes.length}`
  res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': part.length })
  res.end(req.method === 'HEAD' ? undefined : part)
}

// --------------------------------------------------------------------- zips

/** Unpacks a zip into `dest`: Unix modes and symlinks kept, entries replace what is there. */
function unzip(zip, dest) {
  const end = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'))
  if (end < 0) throw new Error('not a zip file (no end of central directory)')
  let count = zip.readUInt16LE(end + 10)
  let offset = zip.readUInt32LE(end + 16)
  if (offset === 0xffffffff || count === 0xffff) {
    // Zip64: the locator just before the end record points at the zip64 end record.
    const record = Number(zip.readBigUInt64LE(end - 12))
    count = Number(zip.readBigUInt64LE(record + 32))
    offset = Number(zip.readBigUInt64LE(record + 48))
  }
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('corrupt central directory')
    const method = zip.readUInt16LE(offset + 10)
    let compressed = zip.readUInt32LE(offset + 20)
    const [nameLength, extraLength] = [zip.readUInt16LE(offset + 28), zip.readUInt16LE(offset + 30)]
    const mode = zip.readUInt8(offset + 5) === 3 ? zip.readUInt32LE(offset + 38) >>> 16 : 0 // Unix
    let local = zip.readUInt32LE(offset + 42)
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength)
    const extraEnd = offset + 46 + nameLength + extraLength
    for (let e = offset + 46 + nameLength; e < extraEnd; e += 4 + zip.readUInt16LE(e + 2)) {
      if (zip.readUInt16LE(e) !== 0x0001) continue
      // Zip64 fields, in this order, for those that overflowed: size, compressed size, offset.
      let field = e + 4
      const next = () => Number(zip.readBigUInt64LE((field += 8) - 8))
      if (zip.readUInt32LE(offset + 24) === 0xffffffff) next()
      if (compressed === 0xffffffff) compressed = next()
      if (local === 0xffffffff) local = next()
    }
    offset = extraEnd + zip.readUInt16LE(offset + 32)

    const target = path.resolve(dest, name)
    if (!target.startsWith(dest + path.sep))
      throw new Error(`zip entry outside the folder: ${name}`)
    if (name.endsWith('/') || (mode & 0o170000) === 0o040000) {
      fs.mkdirSync(target, { recursive: true })
      continue
    }
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const raw = zip.subarray(start, start + compressed)
    if (method !== 0 && method !== 8) throw new Error(`${name}: compression method ${method}`)
    const data = method === 8 ? zlib.inflateRawSync(raw) : raw
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.rmSync(target, { recursive: true, force: true })
    if ((mode & 0o170000) === 0o120000) fs.symlinkSync(data.toString('utf8'), target)
    else fs.writeFileSync(target, data, { mode: mode & 0o777 || 0o644 })
  }
}

// ------------------------------------------------------------------- invoke

/** Lambda's Python runtime as a handler sees it: sys.path, the context, the error payloads. */
const BOOTSTRAP = String.raw`
import importlib, json, os, sys, time, traceback

with open(sys.argv[1]) as f:
    inv = json.load(f)
version = 'python%d.%d' % sys.version_info[:2]
sys.path[0:0] = [inv['task'], os.path.join(inv['opt'], 'python', 'lib', version, 'site-packages'),
                 os.path.join(inv['opt'], 'python')]


class LambdaContext:
    def __init__(self, fields, deadline_ms):
        self.__dict__.update(fields)
        self.identity = self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


def finish(result):
    with open(inv['result'] + '.tmp', 'w') as f:
        json.dump(result, f)
    os.replace(inv['result'] + '.tmp', inv['result'])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # as on Lambda, threads the handler left running do not hold the answer


def fail(error_type, message, stack=()):
    print('[ERROR] %s: %s' % (error_type, message), file=sys.stderr)
    if stack:
        print('Traceback (most recent call last):\n' + ''.join(stack), end='', file=sys.stderr)
    finish({'error': {'errorMessage': message, 'errorType': error_type,
                      'requestId': inv['context']['aws_request_id'], 'stackTrace': list(stack)}})


module_name, _, function_name = inv['handler'].rpartition('.')
if not module_name:
    fail('Runtime.MalformedHandlerName', "Bad handler '%s': not enough values to unpack" % inv['handler'])
try:
    module = importlib.import_module(module_name.replace('/', '.'))
except Exception as e:
    fail('Runtime.ImportModuleError', "Unable to import module '%s': %s" % (module_name, e))
handler = getattr(module, function_name, None)
if handler is None:
    fail('Runtime.HandlerNotFound', "Handler '%s' missing on module '%s'" % (function_name, module_name))
with open(inv['event'], 'rb') as f:
    event = json.load(f)
try:
    result = handler(event, LambdaContext(inv['context'], inv['deadline']))
except Exception as e:
    fail(type(e).__name__, str(e), traceback.format_list(traceback.extract_tb(e.__traceback__)[1:]))
try:
    json.dumps(result)
except Exception as e:
    fail('Runtime.MarshalError', 'Unable to marshal response: %s' % e)
finish({'ok': result})
`

const hostArch = process.arch === 'arm64' ? 'arm64' : 'x86_64'

/** The interpreter for a configuration ({minor, python}), or why it cannot run here ({why}). */
function runtimeFor(config) {
  const minor = /^python(3\.\d+)$/.exec(config.Runtime ?? '')?.[1]
  if (config.PackageType === 'Image' || !minor) {
    return {
      why: `the emulator runs python3.X zip functions only, not ${config.Runtime ?? 'images'}`
    }
  }
  const arch = config.Architectures?.[0] ?? 'x86_64'
  if (arch !== hostArch) return { why: `the emulator cannot run ${arch} on ${hostArch}` }
  // As the action finds it: <tool cache>/Python/<highest 3.X.patch>/<x64|arm64>/bin/python3.
  const toolCache = process.env.RUNNER_TOOL_CACHE
  if (!toolCache) return { why: `RUNNER_TOOL_CACHE is not set, so there is no Python ${minor}` }
  const root = path.join(toolCache, 'Python')
  const folder = hostArch === 'arm64' ? 'arm64' : 'x64'
  const patch = v => Number(v.split('.')[2])
  const versions = fs.existsSync(root) ? fs.readdirSync(root) : []
  const matching = versions.filter(v => /^\d+\.\d+\.\d+$/.test(v) && v.startsWith(`${minor}.`))
  for (const v of matching.sort((a, b) => patch(b) - patch(a))) {
    const python = path.join(root, v, folder, 'bin', 'python3')
    if (fs.existsSync(python)) return { minor, python }
  }
  return { why: `no Python ${minor} in ${path.join(root, `${minor}.*`, folder, 'bin', 'python3')}` }
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // the group is gone already
  }
}

/** Lambda's environment for the function: nothing of this process's own. */
function lambdaEnv(config, { python, minor, dirs, version, logStream }) {
  const region = config.FunctionArn.split(':')[3]
  const bin = path.dirname(python)
  return {
    // What a function may set for itself...
    LANG: 'en_US.UTF-8',
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin:${dirs.opt}/bin`,
    LD_LIBRARY_PATH: [path.join(bin, '..', 'lib'), '/lib64', '/usr/lib64', dirs.task]
      .concat(path.join(dirs.task, 'lib'), path.join(dirs.opt, 'lib'))
      .join(':'),
    ...config.Environment?.Variables,
    // ...and what Lambda reserves.
    TZ: ':UTC',
    _HANDLER: config.Handler,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_python${minor}`,
    AWS_LAMBDA_FUNCTION_NAME: config.FunctionName,
    AWS_LAMBDA_FUNCTION_VERSION: version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.MemorySize ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.FunctionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: dirs.task,
    LAMBDA_RUNTIME_DIR: dirs.runtime,
    ...ROLE_CREDENTIALS
  }
}

/** Runs the bootstrap in its own process group until it exits or the timeout kills the group. */
async function runProcess(invocation, python, argv, options, timeoutMs) {
  const child = spawn(python, argv, {
    ...options,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  invocation.pid = child.pid
  const output = []
  let size = 0
  const collect = chunk => {
    output.push(chunk)
    size += chunk.length
    while (size > OUTPUT_LIMIT && output.length > 1) size -= output.shift().length
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const closed = new Promise(resolve => child.on('close', resolve))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    killGroup(child.pid)
  }, timeoutMs)
  const exit = await new Promise(resolve => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', error => resolve({ error }))
  })
  clearTimeout(timer)
  if (child.pid) killGroup(child.pid) // what the handler left running dies with it
  // Output may still be in the pipes; a process that left the group could hold them open.
  await Promise.race([closed, new Promise(resolve => setTimeout(resolve, 500))])
  return { exit, timedOut, output, collect }
}

/** One invocation in a fresh folder, removed at the end; resolves with {payload, error, log}. */
async function execute({ config, python, minor, code, layerZips, event, requestId, version, arn }) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-emulator-'))
  const invocation = { work, pid: undefined }
  active.add(invocation)
  try {
    const dirs = Object.fromEntries(['opt', 'task', 'runtime'].map(d => [d, path.join(work, d)]))
    for (const dir of Object.values(dirs)) fs.mkdirSync(dir)
    for (const zip of layerZips) unzip(zip, dirs.opt)
    unzip(code, dirs.task)
    const file = name => path.join(dirs.runtime, name)
    const timeout = config.Timeout ?? 3
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/')
    const logStream = `${day}/[${version}]${crypto.randomBytes(16).toString('hex')}`
    const started = Date.now()
    const context = {
      function_name: config.FunctionName,
      function_version: version,
      invoked_function_arn: arn,
      memory_limit_in_mb: String(config.MemorySize ?? 128),
      aws_request_id: requestId,
      log_group_name: `/aws/lambda/${config.FunctionName}`,
      log_stream_name: logStream
    }
    const inv = {
      ...dirs,
      handler: config.Handler,
      event: file('event.json'),
      result: file('result.json'),
      deadline: started + timeout * 1000,
      context
    }
    fs.writeFileSync(file('bootstrap.py'), BOOTSTRAP)
    fs.writeFileSync(file('event.json'), event)
    fs.writeFileSync(file('invocation.json'), JSON.stringify(inv))

    const env = lambdaEnv(config, { python, minor, dirs, version, logStream })
    const argv = ['-I', '-u', file('bootstrap.py'), file('invocation.json')]
    const run = await runProcess(invocation, python, argv, { cwd: dirs.task, env }, timeout * 1000)
    const duration = Date.now() - started

    let payload
    let error = true
    if (run.timedOut) {
      const message = `${new Date().toISOString()} ${requestId} Task timed out after ${timeout.toFixed(2)} seconds`
      run.collect(Buffer.from(`${message}\n`))
      payload = { errorMessage: message }
    } else if (fs.existsSync(file('result.json'))) {
      const result = JSON.parse(fs.readFileSync(file('result.json'), 'utf8'))
      error = 'error' in result
      payload = error ? result.error : result.ok
    } else {
      const { code, signal, error: spawnError } = run.exit
      const why = spawnError?.message ?? (signal ? `signal: ${signal}` : `exit status ${code}`)
      const message = `RequestId: ${requestId} Error: Runtime exited with error: ${why}`
      run.collect(Buffer.from(`${message}\n`))
      payload = { errorType: 'Runtime.ExitError', errorMessage: message }
    }
    const report =
      `END RequestId: ${requestId}\nREPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\t` +
      `Billed Duration: ${Math.max(1, duration)} ms\tMemory Size: ${context.memory_limit_in_mb} MB\n`
    const start = Buffer.from(`START RequestId: ${requestId} Version: ${version}\n`)
    return { payload, error, log: Buffer.concat([start, ...run.output, Buffer.from(report)]) }
  } finally {
    if (invocation.pid) killGroup(invocation.pid)
    active.delete(invocation)
    fs.rmSync(work, { recursive: true, force: true })
  }
}

async function invoke(req, res, r) {
  const event = await readAll(req)
  const fn = functionRef(r.name)
  const qualifier = new URL(req.url, baseUrl).searchParams.get('Qualifier') ?? fn.qualifier
  const query = qualifier ? `?Qualifier=${encodeURIComponent(qualifier)}` : ''
  const target = `/2015-03-31/functions/${encodeURIComponent(fn.name)}/configuration${query}`
  const got = await exchange('GET', target, { Authorization: dummyAuth(req.headers, 'lambda') })
  if (!ok(got.answer)) return reply(res, got.answer, got.body)
  const config = JSON.parse(got.body.toString('utf8'))

  const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse'
  if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
    return sendError(res, 400, 'InvalidParameterValueException', `Invalid invocation type: ${type}`)
  }
  try {
    JSON.parse(event.length ? event.toString('utf8') : '{}')
  } catch (error) {
    const message = `Could not parse request body into json: ${error.message}`
    return sendError(res, 400, 'InvalidRequestContentException', message)
  }
  const requestId = crypto.randomUUID()
  const version = config.Version ?? qualifier ?? '$LATEST'
  const headers = {
    'X-Amz-Executed-Version': version,
    'X-Amz-Request-Id': requestId,
    'x-amzn-RequestId': requestId // the one the SDK reads
  }
  if (type === 'DryRun') {
    res.writeHead(204, headers)
    return res.end()
  }

  const code = functions.get(functionKey(config.FunctionArn))
  const missing = (config.Layers ?? []).filter(l => !layers.has(l.Arn)).map(l => `layer ${l.Arn}`)
  if (!code) missing.push(`the code of function ${config.FunctionName}`)
  if (missing.length > 0) {
    const what = `${missing.join(' and ')} ${missing.length > 1 ? 'were' : 'was'}`
    const message = `${what} not created through the emulator, so ${config.FunctionName} cannot run here`
    return sendError(res, 500, 'ServiceException', message)
  }
  const runtime = runtimeFor(config)
  const unqualified = config.FunctionArn.split(':').slice(0, 7).join(':')
  const result = runtime.why
    ? Promise.resolve({
        payload: { errorType: 'Runtime.Unsupported', errorMessage: runtime.why },
        error: true,
        log: Buffer.from(`${runtime.why}\n`)
      })
    : execute({
        ...runtime,
        config,
        code,
        layerZips: (config.Layers ?? []).map(l => layers.get(l.Arn)),
        event: event.length ? event : Buffer.from('{}'),
        requestId,
        version,
        arn: qualifier ? `${unqualified}:${qualifier}` : unqualified
      })
  const logged = result.then(outcome => {
    process.stderr.write(outcome.log) // as CloudWatch Logs would have it
    return outcome
  })
  if (type === 'Event') {
    res.writeHead(202, { ...headers, 'Content-Length': 0 })
    res.end()
    logged.catch(error => process.stderr.write(`lambda-emulator: ${error.stack ?? error}\n`))
    return
  }
  const { payload, error, log } = await logged
  if (error) headers['X-Amz-Function-Error'] = 'Unhandled'
  if (/^tail$/i.test(req.headers['x-amz-log-type'] ?? '')) {
    headers['X-Amz-Log-Result'] = log.subarray(-LOG_TAIL_BYTES).toString('base64')
  }
  sendJson(res, 200, payload, headers)
}

// ------------------------------------------------------------------- server

// Read whole: the code they carry is kept, or the location in their answer rewritten.
const CAPTURED = new Set([
  'PublishLayerVersion',
  'CreateFunction',
  'UpdateFunctionCode',
  'GetFunction',
  'GetLayerVersion',
  'GetLayerVersionByArn'
])

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1')
  const r = route(req.method, url, req.headers)
  res.on('close', () => {
    if (!args.log) return
    const record = { op: r.op, method: req.method, path: req.url, status: res.statusCode }
    fs.appendFileSync(args.log, `${JSON.stringify(record)}\n`)
  })
  const handle = async () => {
    if (r.op.startsWith('Emulator:')) serveCode(req, res, url)
    else if (r.op === 'Invoke') await invoke(req, res, r)
    else if (r.op === 'CreateCodeSigningConfig' || r.op === 'GetCodeSigningConfig')
      await codeSigningConfig(req, res, r)
    else if (r.op === 'StartSigningJob' || r.op === 'DescribeSigningJob') await signing(req, res, r)
    else if (r.op === 'GetSigningProfile') await signingProfile(req, res)
    else if (r.op === 'UpdateFunctionConfiguration') await updateConfiguration(req, res, r)
    else if (CAPTURED.has(r.op)) await capture(req, res, r)
    else await pass(req, res)
  }
  handle().catch(error => {
    process.stderr.write(`lambda-emulator: ${req.method} ${req.url}: ${error?.stack ?? error}\n`)
    if (res.headersSent) res.destroy()
    else sendError(res, 500, 'ServiceException', `lambda-emulator: ${error?.message ?? error}`)
  })
})

server.listen(port, '127.0.0.1', () => {
  baseUrl = `http://127.0.0.1:${server.address().port}`
  process.stdout.write(`AWS_ENDPOINT_URL=${baseUrl}\n`)
  process.stderr.write(`lambda-emulator: listening on ${baseUrl}, forwarding to ${moto.origin}\n`)
})

server.on('error', error => {
  process.stderr.write(`lambda-emulator: ${error.message}\n`)
  process.exit(1)
})

function shutdown() {
  for (const invocation of active) {
    if (invocation.pid) killGroup(invocation.pid)
    fs.rmSync(invocation.work, { recursive: true, force: true })
  }
  server.close(() => process.exit(0))
  server.closeAllConnections()
  agent.destroy()
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
