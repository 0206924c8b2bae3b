/**
 * Whether each function still fits once the new layer is on it: Lambda
 * refuses an update when the function's code and all its layers unzip to
 * more than 262,144,000 bytes. The preflight reads the unzipped size of each
 * function's code and of each of its other layers from the zips' central
 * directories only (HTTP range requests on the code locations Lambda
 * gives), before anything is built; the check itself runs once the new
 * layer's size is known, before publishing.
 */
import {
  GetFunctionCommand,
  GetLayerVersionByArnCommand,
  type LambdaClient
} from '@aws-sdk/client-lambda'
import { CancelledError } from '../util/cancel.js'
import { formatBytes } from '../util/format.js'
import { LIMITS } from '../runtimes.js'
import { call, type CallLimits, describeAwsError, isAccessDenied } from './client.js'

/** One part of a function, with its unzipped size when it could be read. */
export interface FunctionPart {
  /** "code", or a layer version ARN. */
  what: string
  bytes?: number
  /** Why the size could not be read. */
  unreadable?: string
}

/** What the preflight read of a function's size. */
export interface FunctionSize {
  code: FunctionPart
  /** Its layers other than this layer's version (which the new one replaces). */
  others: FunctionPart[]
}

const END_SIGNATURE = 0x06054b50
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50
const ZIP64_END_SIGNATURE = 0x06064b50
const CENTRAL_SIGNATURE = 0x02014b50
const END_RECORD = 22
const ZIP64_LOCATOR = 20
const CENTRAL_HEADER = 46
const MAX_16 = 0xffff
const MAX_32 = 0xffffffff
/** The end record plus the longest comment. */
const TAIL = END_RECORD + MAX_16
/** A central directory larger than this is not read (about 3 million entries). */
const MAX_DIRECTORY = 256 * 1024 * 1024

/** Where a zip's central directory is, from the tail of the file. */
export interface DirectoryPlace {
  offset: number
  size: number
  count: number
  /** Set when the zip64 end record must be read first (it is before the tail). */
  zip64EndAt?: number
}

/** Finds the end record in `tail` (the last bytes of a file of `fileSize`). */
export function findDirectory(tail: Buffer, fileSize: number): DirectoryPlace {
  const tailStart = fileSize - tail.length
  for (let i = tail.length - END_RECORD; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== END_SIGNATURE) continue
    const count = tail.readUInt16LE(i + 10)
    const size = tail.readUInt32LE(i + 12)
    const offset = tail.readUInt32LE(i + 16)
    if (count !== MAX_16 && size !== MAX_32 && offset !== MAX_32) return { offset, size, count }
    const locator = i - ZIP64_LOCATOR
    if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR_SIGNATURE) {
      throw new Error('a zip64 archive without its zip64 locator')
    }
    const zip64EndAt = Number(tail.readBigUInt64LE(locator + 8))
    if (zip64EndAt >= tailStart && zip64EndAt + 56 <= fileSize) {
      return zip64End(tail.subarray(zip64EndAt - tailStart))
    }
    return { offset: 0, size: 0, count: 0, zip64EndAt }
  }
  throw new Error('not a zip file (no end of central directory record)')
}

/** Reads the zip64 end record. */
export function zip64End(record: Buffer): DirectoryPlace {
  if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_END_SIGNATURE) {
    throw new Error('a broken zip64 end record')
  }
  return {
    count: Number(record.readBigUInt64LE(32)),
    size: Number(record.readBigUInt64LE(40)),
    offset: Number(record.readBigUInt64LE(48))
  }
}

/** The sum of the uncompressed sizes of the entries of a central directory. */
export function unzippedSizeOf(directory: Buffer, count: number): number {
  let total = 0
  let at = 0
  for (let i = 0; i < count; i++) {
    if (
      at + CENTRAL_HEADER > directory.length ||
      directory.readUInt32LE(at) !== CENTRAL_SIGNATURE
    ) {
      throw new Error(`a broken central directory (entry ${i + 1} of ${count})`)
    }
    let size = directory.readUInt32LE(at + 24)
    const nameLength = directory.readUInt16LE(at + 28)
    const extraLength = directory.readUInt16LE(at + 30)
    const commentLength = directory.readUInt16LE(at + 32)
    if (size === MAX_32) {
      // The zip64 extra field (0x0001) holds the real size first.
      const extra = directory.subarray(
        at + CENTRAL_HEADER + nameLength,
        at + CENTRAL_HEADER + nameLength + extraLength
      )
      for (let e = 0; e + 4 <= extra.length;) {
        const id = extra.readUInt16LE(e)
        const length = extra.readUInt16LE(e + 2)
        if (id === 0x0001 && length >= 8) {
          size = Number(extra.readBigUInt64LE(e + 4))
          break
        }
        e += 4 + length
      }
    }
    total += size
    at += CENTRAL_HEADER + nameLength + extraLength + commentLength
  }
  return total
}

/** Bytes `range` ("start-end", or "-suffix") of `url`; refuses a server that sends the whole file. */
async function readRange(
  url: string,
  range: string,
  signal: AbortSignal
): Promise<{ bytes: Buffer; fileSize: number }> {
  const response = await fetch(url, { headers: { Range: `bytes=${range}` }, signal })
  if (response.status !== 206) {
    await response.body?.cancel()
    throw new Error(`the code location answered ${response.status} to a range request`)
  }
  const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1]
  if (total === undefined) {
    await response.body?.cancel()
    throw new Error('the code location gave no file size (Content-Range)')
  }
  return { bytes: Buffer.from(await response.arrayBuffer()), fileSize: Number(total) }
}

/**
 * The unzipped size of the zip at `url` (a presigned code location), read
 * from its central directory with two or three range requests.
 */
export async function unzippedSizeAt(url: string, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs)
  const { bytes: tail, fileSize } = await readRange(url, `-${TAIL}`, signal)
  let place = findDirectory(tail, fileSize)
  if (place.zip64EndAt !== undefined) {
    const at = place.zip64EndAt
    place = zip64End((await readRange(url, `${at}-${at + 55}`, signal)).bytes)
  }
  if (place.size > MAX_DIRECTORY) {
    throw new Error(`a central directory of ${formatBytes(place.size)}`)
  }
  const tailStart = fileSize - tail.length
  const directory =
    place.offset >= tailStart
      ? tail.subarray(place.offset - tailStart, place.offset - tailStart + place.size)
      : place.size === 0
        ? Buffer.alloc(0)
        : (await readRange(url, `${place.offset}-${place.offset + place.size - 1}`, signal)).bytes
  return unzippedSizeOf(directory, place.count)
}

async function measure(
  what: string,
  location: () => Promise<string | undefined>,
  limits: CallLimits
): Promise<FunctionPart> {
  try {
    const url = await location()
    if (url === undefined) return { what, unreadable: 'no code location' }
    return { what, bytes: await unzippedSizeAt(url, limits.callTimeoutMs) }
  } catch (error) {
    if (error instanceof CancelledError) throw error
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
    const why = isAccessDenied(error)
      ? `access denied (${describeAwsError(error)})`
      : error instanceof TypeError && cause !== undefined
        ? `fetching the code location failed (${String(cause.code ?? cause.message)})`
        : describeAwsError(error)
    return { what, unreadable: why }
  }
}

/**
 * Reads the unzipped size of a function's code (GetFunction) and of each
 * of its other layers (GetLayerVersionByArn, once per ARN for the run:
 * `layers` is shared). A size that cannot be read is recorded with why.
 */
export async function readFunctionSize(
  client: LambdaClient,
  functionArn: string,
  otherLayers: readonly string[],
  layers: Map<string, Promise<FunctionPart>>,
  limits: CallLimits
): Promise<FunctionSize> {
  const code = measure(
    'code',
    async () => {
      const answer = await call(
        `GetFunction ${functionArn}`,
        limits.callTimeoutMs,
        async abortSignal =>
          await client.send(new GetFunctionCommand({ FunctionName: functionArn }), {
            abortSignal
          }),
        { repeat: true }
      )
      return answer.Code?.Location
    },
    limits
  )
  const others = otherLayers.map(arn => {
    let part = layers.get(arn)
    if (!part) {
      part = measure(
        arn,
        async () => {
          const answer = await call(
            `GetLayerVersionByArn ${arn}`,
            limits.callTimeoutMs,
            async abortSignal =>
              await client.send(new GetLayerVersionByArnCommand({ Arn: arn }), { abortSignal }),
            { repeat: true }
          )
          return answer.Content?.Location
        },
        limits
      )
      layers.set(arn, part)
    }
    return part
  })
  return { code: await code, others: await Promise.all(others) }
}

/**
 * The function's parts and their total with the new layer, when that is
 * over Lambda's limit; undefined when it fits or a size is unknown.
 */
export function tooLarge(size: FunctionSize, layerBytes: number): string | undefined {
  const parts = [size.code, ...size.others]
  if (parts.some(p => p.bytes === undefined)) return undefined
  const total = parts.reduce((sum, p) => sum + (p.bytes ?? 0), 0) + layerBytes
  if (total <= LIMITS.unzippedBytes) return undefined
  const list = [
    `its code ${formatBytes(size.code.bytes ?? 0)}`,
    ...size.others.map(p => `${p.what} ${formatBytes(p.bytes ?? 0)}`),
    `this layer ${formatBytes(layerBytes)}`
  ]
  return `${formatBytes(total)} unzipped (${list.join(' + ')}), over Lambda's ${formatBytes(LIMITS.unzippedBytes)} (${LIMITS.unzippedBytes.toLocaleString('en-US')} bytes) for a function and all its layers`
}
