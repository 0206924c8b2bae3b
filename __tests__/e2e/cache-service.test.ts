/**
 * scripts/cache-service.mjs against the real @actions/cache 6.x client: the
 * service runs as a child process, and every cache call runs in a fresh Node
 * process with the environment the service printed on its first line.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  clientEnv,
  runClient,
  startCacheService,
  treeDigest,
  type CacheService
} from '../helpers/cache-service.js'

const TWIRP = 'twirp/github.actions.results.api.v1.CacheService/'

describe('scripts/cache-service.mjs with @actions/cache', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-service-'))
  const store = path.join(work, 'store')
  const workspace = path.join(work, 'workspace')
  const runnerTemp = path.join(work, 'runner-temp')
  // An absolute path, as the action's cache code passes it.
  const dataDir = path.join(workspace, 'layer-cache')
  let service: CacheService
  let env: NodeJS.ProcessEnv
  let original: Record<string, string>

  const save = (key: string, paths = [dataDir]) => runClient(env, { op: 'save', paths, key })
  const restore = (key: string, restoreKeys?: string[], paths = [dataDir]) =>
    runClient(env, { op: 'restore', paths, key, restoreKeys })
  const clean = () => fs.rmSync(dataDir, { recursive: true, force: true })
  const twirp = (method: string, body: unknown, token = service.env.ACTIONS_RUNTIME_TOKEN) =>
    service.request('POST', `${TWIRP}${method}`, {
      body,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }
    })
  const ops = async () => {
    const { body } = await service.request('GET', '_control/requests')
    return (body as { requests: Array<{ op: string; status: number }> }).requests
  }

  beforeAll(async () => {
    fs.mkdirSync(path.join(dataDir, 'sub'), { recursive: true })
    fs.mkdirSync(runnerTemp, { recursive: true })
    fs.writeFileSync(path.join(dataDir, 'layer.zip'), crypto.randomBytes(5 * 1024 * 1024))
    fs.writeFileSync(path.join(dataDir, 'manifest.json'), '{"formatVersion":1}\n')
    fs.writeFileSync(path.join(dataDir, 'sub', 'notes.txt'), 'hello\n')
    fs.writeFileSync(path.join(dataDir, 'empty'), '')
    original = treeDigest(dataDir)
    service = await startCacheService(store)
    env = clientEnv(service, workspace, runnerTemp)
  })

  afterAll(async () => {
    await service?.stop()
    fs.rmSync(work, { recursive: true, force: true })
  })

  it('prints the v2 environment on its first line, and the client sees the service', async () => {
    expect(Object.keys(service.env).sort()).toEqual([
      'ACTIONS_CACHE_SERVICE_V2',
      'ACTIONS_CACHE_URL',
      'ACTIONS_RESULTS_URL',
      'ACTIONS_RUNTIME_TOKEN',
      'GITHUB_SERVER_URL'
    ])
    expect(service.env.ACTIONS_CACHE_SERVICE_V2).toBe('True')
    expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(service.env.ACTIONS_CACHE_URL).toBe(service.url)
    expect(service.env.ACTIONS_RUNTIME_TOKEN).toMatch(/^[0-9a-f]{64}$/)
    expect((await runClient(env, { op: 'available' })).value).toBe(true)
    const without = { ...env }
    delete without.ACTIONS_RESULTS_URL
    expect((await runClient(without, { op: 'available' })).value).toBe(false)
  })

  it('saves a folder with a single Put Blob and restores it byte for byte', async () => {
    const saved = await save('layer-v1-abc')
    expect(saved.error).toBeUndefined()
    expect(saved.value).toBeGreaterThan(0)
    const [entry] = await service.entries()
    expect(entry).toMatchObject({ id: saved.value, key: 'layer-v1-abc', state: 'finalized' })
    expect(entry.sizeBytes).toBe(entry.blobBytes)
    expect(entry.sizeBytes).toBeGreaterThan(5 * 1024 * 1024) // random bytes do not compress
    // Archives up to 128 MiB go up in one Put Blob; the download is one plain GET.
    expect((await ops()).map(r => r.op)).toEqual([
      'twirp:CreateCacheEntry',
      'blob:PutBlob',
      'twirp:FinalizeCacheEntryUpload'
    ])

    clean()
    const restored = await restore('layer-v1-abc')
    expect(restored.value).toBe('layer-v1-abc')
    expect(restored.log).toContain('Cache hit for: layer-v1-abc')
    expect(treeDigest(dataDir)).toEqual(original)
    expect((await ops()).slice(-2).map(r => r.op)).toEqual([
      'twirp:GetCacheEntryDownloadURL',
      'blob:GetBlob'
    ])
  })

  it('falls back to the newest prefix match, while an exact key still wins', async () => {
    const other = path.join(work, 'other')
    fs.cpSync(dataDir, other, { recursive: true })
    fs.writeFileSync(path.join(dataDir, 'sub', 'notes.txt'), 'newer\n')
    const newer = treeDigest(dataDir)
    expect((await save('layer-v1-def')).value).toBeGreaterThan(0)

    clean()
    const fallback = await restore('layer-v1-zzz', ['nothing-', 'layer-v1-'])
    expect(fallback.value).toBe('layer-v1-def')
    expect(fallback.log).toContain('Cache hit for restore-key: layer-v1-def')
    expect(treeDigest(dataDir)).toEqual(newer)

    clean()
    const exact = await restore('layer-v1-abc', ['layer-v1-'])
    expect(exact.value).toBe('layer-v1-abc')
    expect(treeDigest(dataDir)).toEqual(original)

    // The primary key is prefix-matched too, before any restore key.
    clean()
    expect((await restore('layer-v1', ['layer-v1-abc'])).value).toBe('layer-v1-def')
    fs.rmSync(other, { recursive: true, force: true })
  })

  it('reports a miss for an unknown key and leaves the folder alone', async () => {
    clean()
    const missed = await restore('unknown-key', ['nope-'])
    expect(missed.error).toBeUndefined()
    expect(missed.value).toBeNull()
    expect(fs.existsSync(dataDir)).toBe(false)
  })

  it('refuses a second save of the same key and version without throwing', async () => {
    fs.mkdirSync(dataDir, { recursive: true })
    fs.writeFileSync(path.join(dataDir, 'manifest.json'), '{"formatVersion":2}\n')
    const before = await service.entries(true)
    const again = await save('layer-v1-abc')
    expect(again.error).toBeUndefined()
    expect(again.value).toBe(-1)
    // The 409 already_exists becomes a ReserveCacheError, logged with core.info.
    expect(again.log).toContain(
      'Failed to save: Unable to reserve cache with key layer-v1-abc, another job may be creating this cache.'
    )
    expect(again.log).toMatch(/\(409\) Conflict: cache entry with the same key, version, and scope/)
    expect(await service.entries(true)).toEqual(before)
  })

  it('keeps entries with the same key apart by version (the paths)', async () => {
    const elsewhere = path.join(workspace, 'elsewhere')
    fs.mkdirSync(elsewhere, { recursive: true })
    fs.writeFileSync(path.join(elsewhere, 'x.txt'), 'x\n')
    expect((await save('layer-v1-abc', [elsewhere])).value).toBeGreaterThan(0)
    const same = (await service.entries()).filter(e => e.key === 'layer-v1-abc')
    expect(same).toHaveLength(2)
    expect(new Set(same.map(e => e.version)).size).toBe(2)

    clean()
    expect((await restore('layer-v1-abc')).value).toBe('layer-v1-abc')
    expect(treeDigest(dataDir)).toEqual(original)
  })

  it('speaks the block-blob and range dialect of the Azure SDK', async () => {
    const file = path.join(work, 'blocks.bin')
    fs.writeFileSync(file, crypto.randomBytes(3 * 1024 * 1024 + 12345))
    const size = fs.statSync(file).size
    // camelCase request fields are accepted as well as proto names.
    const created = await twirp('CreateCacheEntry', { key: 'sdk-blocks', version: 'v-sdk' })
    expect(created.status).toBe(200)
    const uploadUrl = (created.body as { signed_upload_url: string }).signed_upload_url
    expect(uploadUrl).toMatch(new RegExp(`^${service.url}actionscache/cache/\\d+\\?.*sp=cw`))

    const nothing = await twirp('FinalizeCacheEntryUpload', {
      key: 'sdk-blocks',
      version: 'v-sdk',
      size_bytes: String(size)
    })
    expect(nothing.body).toMatchObject({ ok: false, message: expect.stringMatching(/nothing/) })

    const up = await runClient(env, { op: 'blob-upload', url: uploadUrl, file, blockSize: 1 << 20 })
    expect(up.error).toBeUndefined()
    expect(up.value).toMatchObject({ status: 201 })
    const uploadOps = (await ops()).slice(-5).map(r => r.op)
    expect(uploadOps).toEqual([
      'blob:PutBlock',
      'blob:PutBlock',
      'blob:PutBlock',
      'blob:PutBlock',
      'blob:PutBlockList'
    ])

    const wrongSize = await twirp('FinalizeCacheEntryUpload', {
      key: 'sdk-blocks',
      version: 'v-sdk',
      sizeBytes: size + 1
    })
    expect(wrongSize.body).toMatchObject({ ok: false, message: expect.stringMatching(/match/) })
    const finalized = await twirp('FinalizeCacheEntryUpload', {
      key: 'sdk-blocks',
      version: 'v-sdk',
      sizeBytes: size
    })
    expect(finalized.body).toMatchObject({ ok: true, entry_id: expect.stringMatching(/^\d+$/) })

    // Writes are refused once finalized.
    const late = await service.request('PUT', uploadUrl, {
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'x'
    })
    expect(late.status).toBe(409)
    expect(late.headers.get('x-ms-error-code')).toBe('BlobImmutableDueToPolicy')

    const found = await twirp('GetCacheEntryDownloadURL', {
      key: 'sdk-blocks',
      restore_keys: [],
      version: 'v-sdk'
    })
    expect(found.body).toMatchObject({ ok: true, matched_key: 'sdk-blocks' })
    const downloadUrl = (found.body as { signed_download_url: string }).signed_download_url
    const down = await runClient(env, {
      op: 'blob-download',
      url: downloadUrl,
      file,
      blockSize: 1 << 20
    })
    expect(down.error).toBeUndefined()
    const got = down.value as Record<string, unknown>
    expect(got).toMatchObject({
      contentLength: size,
      blobType: 'BlockBlob',
      sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
      rangeStatus: 206,
      rangeContentRange: `bytes 10-109/${size}`
    })
    expect(got.rangeBytes).toBe(got.fileRangeBytes)
    const downloadOps = (await ops()).map(r => r.op)
    expect(downloadOps).toContain('blob:GetBlobProperties')
    expect(downloadOps).toContain('blob:GetBlobRange')

    // Plain HTTP ranges, as @actions/cache's concurrent downloader sends them.
    const ranged = await fetch(downloadUrl, { headers: { Range: 'bytes=0-99' } })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-99/${size}`)
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(fs.readFileSync(file).subarray(0, 100))
    const head = await fetch(downloadUrl, { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe(String(size))
    expect(head.headers.get('x-ms-request-id')).toBeTruthy()
    expect(head.headers.get('etag')).toMatch(/^"0x[0-9A-F]+"$/)
    const beyond = await fetch(downloadUrl, { headers: { Range: `bytes=${size}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`)
  })

  it('answers protocol errors the way the real services do', async () => {
    const badToken = await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v' }, 'nope')
    expect(badToken).toMatchObject({ status: 401, body: { code: 'unauthenticated' } })
    const noKey = await twirp('CreateCacheEntry', { version: 'v' })
    expect(noKey).toMatchObject({ status: 400, body: { code: 'invalid_argument' } })
    const noRoute = await twirp('DeleteCacheEntry', { key: 'k' })
    expect(noRoute).toMatchObject({ status: 404, body: { code: 'bad_route' } })
    const notPending = await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v' })
    expect(notPending).toMatchObject({ status: 404, body: { code: 'not_found' } })

    const found = await twirp('GetCacheEntryDownloadURL', { key: 'sdk-blocks', version: 'v-sdk' })
    const downloadUrl = new URL((found.body as { signed_download_url: string }).signed_download_url)
    const put = await fetch(downloadUrl, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'x'
    })
    expect(put.status).toBe(403)
    expect(put.headers.get('x-ms-error-code')).toBe('AuthorizationPermissionMismatch')
    downloadUrl.searchParams.set('sig', 'forged')
    const forged = await fetch(downloadUrl)
    expect(forged.status).toBe(403)
    expect(forged.headers.get('x-ms-error-code')).toBe('AuthenticationFailed')
    expect(await forged.text()).toMatch(/<Code>AuthenticationFailed<\/Code>/)
  })

  it('keeps its entries across a restart (SIGINT exits 0)', async () => {
    const before = await service.entries(true)
    expect(await service.stop('SIGINT')).toBe(0)
    service = await startCacheService(store)
    env = clientEnv(service, workspace, runnerTemp)
    expect(await service.entries(true)).toEqual(before)
    clean()
    expect((await restore('layer-v1-abc')).value).toBe('layer-v1-abc')
    expect(treeDigest(dataDir)).toEqual(original)
  })

  // A corrupted blob is served as is (same ETag and Content-MD5; the plain GET
  // checks only Content-Length). zstd's frame checksum or tar then fails, and
  // restoreCache does NOT throw: it logs "::warning::Failed to restore: ... tar
  // failed" and returns undefined. By then tar has written part of the archive,
  // so the folder holds a partial, wrong copy: callers must treat a miss as
  // "the folder content is garbage" (the action rebuilds on a miss).
  it('restores nothing from a corrupted entry, but leaves partial files behind', async () => {
    const flipped = await service.request('POST', '_control/corrupt?key=layer-v1-abc')
    expect(flipped.status).toBe(200)
    const [hit] = (flipped.body as { corrupted: Array<Record<string, unknown>> }).corrupted.filter(
      c => c.id === 1
    )
    expect(hit.sha256After).not.toBe(hit.sha256Before)
    expect(hit.bytesAfter).toBe(hit.bytesBefore)

    clean()
    const broken = await restore('layer-v1-abc')
    expect(broken.error).toBeUndefined()
    expect(broken.value).toBeNull()
    expect(broken.log).toMatch(/::warning::Failed to restore: .*tar/)
    expect(broken.log).toContain('Cache hit for: layer-v1-abc')
    const leftovers = treeDigest(dataDir)
    expect(Object.keys(leftovers).length).toBeGreaterThan(0)
    expect(leftovers).not.toEqual(original)

    const cut = await service.request('POST', '_control/corrupt?key=layer-v1-def&mode=truncate')
    expect(cut.status).toBe(200)
    clean()
    const truncated = await restore('layer-v1-def')
    expect(truncated.value).toBeNull()
    expect(truncated.log).toMatch(/::warning::Failed to restore: /)
  })

  it('exits 0 on SIGTERM', async () => {
    expect(await service.stop('SIGTERM')).toBe(0)
  })
})
