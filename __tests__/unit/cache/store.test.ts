import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const restoreCache =
  jest.fn<
    (
      paths: string[],
      key: string,
      restoreKeys?: string[],
      options?: { lookupOnly?: boolean }
    ) => Promise<string | undefined>
  >()
const saveCache = jest.fn<(paths: string[], key: string) => Promise<number>>()
const isFeatureAvailable = jest.fn<() => boolean>()
const warning = jest.fn()
const info = jest.fn()

jest.unstable_mockModule('@actions/cache', () => ({ restoreCache, saveCache, isFeatureAvailable }))
jest.unstable_mockModule('@actions/core', () => ({ warning, info, debug: jest.fn() }))

const { cacheServiceAvailable, replacementKey, restoreLayer, saveLayer } =
  await import('../../../src/cache/store.js')
type Manifest = Parameters<typeof saveLayer>[3]

const KEY = 'lambda-python-layer-v1-Linux-python3.12-x86_64-abc'
const zipBytes = Buffer.from('PK zip bytes')
const sha = crypto.createHash('sha256').update(zipBytes).digest('base64')

function manifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    formatVersion: 1,
    key: KEY,
    sha256: sha,
    bytes: zipBytes.length,
    unzippedBytes: 100,
    files: 3,
    sites: [],
    verified: true,
    smokeTested: false,
    bytecode: true,
    machineCode: false,
    ...overrides
  }
}

const REPLACED = `${KEY}-rebuilt-1a2b`

/** Makes restoreCache "restore" these files into the folder, as the entry `entry`. */
function restores(files: Record<string, Buffer | string> | undefined, entry = KEY): void {
  restoreCache.mockImplementation(async (paths, _key, _restoreKeys, options) => {
    if (!files) return undefined
    if (options?.lookupOnly) return entry
    for (const [name, content] of Object.entries(files))
      fs.writeFileSync(path.join(paths[0], name), content)
    return entry
  })
}

let dir: string
beforeEach(() => {
  jest.resetAllMocks()
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cache-')), 'c')
})

describe('restoreLayer', () => {
  it('returns the manifest when the zip matches it', async () => {
    restores({ 'layer.zip': zipBytes, 'manifest.json': JSON.stringify(manifest()) })
    expect(await restoreLayer(dir, KEY)).toEqual({ manifest: manifest(), entry: KEY })
  })

  it('looks up replacements first, then the key and its replacements by prefix', async () => {
    restores({ 'layer.zip': zipBytes, 'manifest.json': JSON.stringify(manifest()) }, REPLACED)
    expect(await restoreLayer(dir, KEY)).toEqual({ manifest: manifest(), entry: REPLACED })
    expect(restoreCache).toHaveBeenCalledTimes(1)
    expect(restoreCache).toHaveBeenCalledWith([dir], `${KEY}-rebuilt`, [KEY])
  })

  it('is a miss when nothing is found', async () => {
    restores(undefined)
    expect(await restoreLayer(dir, KEY)).toEqual({})
    // The lookup that tells a miss from an entry that failed to unpack.
    expect(restoreCache).toHaveBeenLastCalledWith([dir], `${KEY}-rebuilt`, [KEY], {
      lookupOnly: true
    })
  })

  it('reports an entry whose archive failed to unpack (restoreCache returned undefined)', async () => {
    restoreCache.mockImplementation(async (_paths, _key, _restoreKeys, options) =>
      options?.lookupOnly ? KEY : undefined
    )
    expect(await restoreLayer(dir, KEY)).toEqual({
      entry: KEY,
      problem: 'its archive could not be restored'
    })
  })

  it('reports an entry whose zip does not match the manifest SHA-256', async () => {
    restores({ 'layer.zip': 'other bytes', 'manifest.json': JSON.stringify(manifest()) })
    expect(await restoreLayer(dir, KEY)).toEqual({
      entry: KEY,
      problem: "its zip does not match the manifest's SHA-256"
    })
  })

  it('reports an entry whose manifest is unreadable', async () => {
    restores({ 'layer.zip': zipBytes, 'manifest.json': '{not json' })
    const found = await restoreLayer(dir, KEY)
    expect(found.manifest).toBeUndefined()
    expect(found.problem).toMatch(/no readable manifest/)
  })

  it('reports an entry whose manifest names another key', async () => {
    restores({ 'layer.zip': zipBytes, 'manifest.json': JSON.stringify(manifest({ key: 'x' })) })
    expect((await restoreLayer(dir, KEY)).problem).toMatch(/another key \(x\)/)
  })

  it('never throws on a cache service error', async () => {
    restoreCache.mockRejectedValue(new Error('service down'))
    expect(await restoreLayer(dir, KEY)).toEqual({})
    expect(String(warning.mock.calls[0]?.[0])).toMatch(/service down/)
  })
})

describe('replacementKey', () => {
  it('extends the key, so the lookup of the key finds it, and differs per run', () => {
    const env = { ...process.env }
    try {
      process.env.GITHUB_RUN_ID = '123'
      process.env.GITHUB_RUN_ATTEMPT = '2'
      expect(replacementKey(KEY, 36 ** 3)).toBe(`${KEY}-rebuilt-123.2-1000`)
      delete process.env.GITHUB_RUN_ID
      delete process.env.GITHUB_RUN_ATTEMPT
      expect(replacementKey(KEY, 35)).toBe(`${KEY}-rebuilt-z`)
    } finally {
      process.env = env
    }
  })
})

describe('saveLayer', () => {
  const zipFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zip-')), 'x.zip')
  fs.writeFileSync(zipFile, zipBytes)

  it('saves the zip and the manifest under the key', async () => {
    saveCache.mockImplementation(async paths => {
      expect(fs.readFileSync(path.join(paths[0], 'layer.zip'))).toEqual(zipBytes)
      expect(JSON.parse(fs.readFileSync(path.join(paths[0], 'manifest.json'), 'utf8'))).toEqual(
        manifest()
      )
      return 7
    })
    expect(await saveLayer(dir, KEY, zipFile, manifest())).toBe(true)
    expect(saveCache).toHaveBeenCalledWith([dir], KEY)
  })

  it.each([
    [
      'another job saved it',
      new Error('Unable to reserve cache with key X, another job may be creating this cache.')
    ],
    ['the service fails', new Error('HTTP 503')]
  ])('never throws when %s', async (_what, error) => {
    saveCache.mockRejectedValue(error)
    expect(await saveLayer(dir, KEY, zipFile, manifest())).toBe(false)
  })
})

describe('cacheServiceAvailable', () => {
  it.each([true, false])('follows @actions/cache (%p)', async available => {
    isFeatureAvailable.mockReturnValue(available)
    expect(await cacheServiceAvailable()).toBe(available)
  })
})
