/**
 * The whole function fits: before publishing, the unzipped size of each
 * function's code and other layers (read from the zips' central directories
 * behind Code.Location / Content.Location) plus the new layer must stay
 * within Lambda's 262,144,000 bytes. Through dist/index.js, against moto
 * behind the loopback Lambda emulator, which serves those locations.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import {
  CreateFunctionCommand,
  LambdaClient,
  PublishLayerVersionCommand
} from '@aws-sdk/client-lambda'
import AdmZip from 'adm-zip'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { awsEnv, layersOf, REGION, role, unique, versionCount } from '../helpers/aws.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }
/** Through the emulator (the code is served), or moto itself (it is not). */
const through = (endpoint: string | undefined): LambdaClient =>
  new LambdaClient({ region: REGION, endpoint, credentials })

/** A small zip that unzips to `bytes` (zeros), plus a handler. */
function zeros(bytes: number, folder = ''): Buffer {
  const zip = new AdmZip()
  zip.addFile(`${folder}app.py`, Buffer.from('def handler(event, context):\n    return 1\n'))
  zip.addFile(`${folder}blob.bin`, Buffer.alloc(bytes))
  return zip.toBuffer()
}

async function createFunction(
  client: LambdaClient,
  name: string,
  code: Buffer,
  layers: string[]
): Promise<void> {
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Role: await role(),
      Handler: 'app.handler',
      Code: { ZipFile: code },
      Layers: layers,
      Architectures: ['x86_64']
    })
  )
}

describe('a function whose code and layers would exceed 262,144,000 bytes unzipped', () => {
  const layer = unique('fit')
  const big = unique('fn-big')
  const small = unique('fn-small')
  let other = ''
  let result: ActionRun

  beforeAll(async () => {
    const emulator = through(process.env.E2E_AWS_ENDPOINT_URL)
    const published = await emulator.send(
      new PublishLayerVersionCommand({
        LayerName: unique('other'),
        Content: { ZipFile: zeros(60_000_000, 'python/') }
      })
    )
    other = published.LayerVersionArn ?? ''
    // 262,100,000 bytes: 44,000 bytes of room, less than six's layer.
    await createFunction(emulator, big, zeros(202_100_000), [other])
    await createFunction(emulator, small, zeros(1000), [other])
    result = await runAction(
      { 'layer-name': layer, runtimes: 'python3.12', functions: `${big} ${small}` },
      { workspace: workspace('six==1.16.0\n'), toolCache, env: awsEnv() }
    )
  }, 120_000)

  it('fails before publishing, naming the function, its parts and their sizes', async () => {
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(/The layer would break a function; nothing was published or changed/)
    expect(error).toContain(big)
    expect(error).not.toContain(`function:${small}:`)
    expect(error).toMatch(
      /its code 192\.7 MiB \+ arn:aws:lambda:[^ ]+:layer:other-[^ ]+ 57\.2 MiB \+ this layer/
    )
    expect(error).toMatch(/over Lambda's 250\.0 MiB \(262,144,000 bytes\)/)
    expect(await versionCount(layer)).toBe(0)
    expect(await layersOf(small)).toEqual([other])
  })
})

describe('a size that cannot be read', () => {
  it('warns and lets Lambda decide', async () => {
    const layer = unique('fit-unknown')
    const fn = unique('fn-unread')
    // Created in moto directly: its Code.Location is moto's, which cannot be fetched.
    await createFunction(through(process.env.E2E_MOTO_URL), fn, zeros(1000), [])
    const result = await runAction(
      { 'layer-name': layer, runtimes: 'python3.12', functions: fn },
      { workspace: workspace('six==1.16.0\n'), toolCache, env: awsEnv() }
    )
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(
      /the unzipped size of its code could not be read \(fetching the code location failed .*left to Lambda/
    )
    expect(result.log).toContain(`${fn}: the unzipped size`)
    expect((await layersOf(fn)).length).toBe(1)
  }, 120_000)
})
