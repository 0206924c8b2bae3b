// Sharing and pruning against a real moto_server of its own. What moto 5.2.1
// does not do like Lambda (no conflict on a duplicate statement ID, account
// principals and organization IDs stored as sent, ListLayerVersions empty for a
// layer ARN, no pagination) is covered by share.test.ts and prune.test.ts.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import {
  AddLayerVersionPermissionCommand,
  CreateFunctionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import AdmZip from 'adm-zip'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { statementId, syncLayerPermissions } = await import('../../src/aws/share.js')
const { pruneVersions } = await import('../../src/aws/prune.js')

const REGION = 'us-east-1'
const limits = { callTimeoutMs: 30_000 }
const ACCOUNT = { kind: 'account', id: '111122223333' } as const
const ORG = { kind: 'organization', id: 'o-a1b2c3d4e5' } as const

let moto: ChildProcess | undefined
let endpoint = ''

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function startMoto(): Promise<void> {
  const port = await freePort()
  endpoint = `http://127.0.0.1:${port}`
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  moto = child
  let stderr = ''
  let failed: Error | undefined
  child.once('error', error => {
    failed = error
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (failed) {
      throw new Error(`moto_server could not be started (${failed.message}): install moto[server]`)
    }
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`)
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`moto_server did not answer on ${endpoint}: ${stderr}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

const config = () => ({
  region: REGION,
  endpoint,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
})

let lambda: LambdaClient

function zip(files: Record<string, string>): Buffer {
  const archive = new AdmZip()
  for (const [name, text] of Object.entries(files)) archive.addFile(name, Buffer.from(text))
  return archive.toBuffer()
}

async function publish(layerName: string, text: string): Promise<number> {
  const out = await lambda.send(
    new PublishLayerVersionCommand({
      LayerName: layerName,
      Content: { ZipFile: zip({ 'python/value.py': `VALUE = ${JSON.stringify(text)}\n` }) },
      CompatibleRuntimes: ['python3.12']
    })
  )
  return out.Version ?? 0
}

async function layerArn(layerName: string, version: number): Promise<string> {
  const out = await lambda.send(new ListLayerVersionsCommand({ LayerName: layerName }))
  return out.LayerVersions?.find(v => v.Version === version)?.LayerVersionArn ?? ''
}

async function createFunction(name: string, layers: string[]): Promise<void> {
  const iam = new IAMClient(config())
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: `${name}-role`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: 'sts:AssumeRole'
          }
        ]
      })
    })
  )
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Role: role.Role?.Arn ?? '',
      Handler: 'app.handler',
      Code: { ZipFile: zip({ 'app.py': 'def handler(event, context):\n    return "ok"\n' }) },
      Layers: layers
    })
  )
}

async function versionsLeft(layerName: string): Promise<number[]> {
  const out = await lambda.send(new ListLayerVersionsCommand({ LayerName: layerName }))
  return (out.LayerVersions ?? []).map(v => v.Version ?? 0).sort((a, b) => a - b)
}

async function statementIds(layerName: string, version: number): Promise<string[]> {
  const out = await lambda.send(
    new GetLayerVersionPolicyCommand({ LayerName: layerName, VersionNumber: version })
  )
  const policy = JSON.parse(out.Policy ?? '{}') as { Statement?: Array<{ Sid?: string }> }
  return (policy.Statement ?? []).map(s => s.Sid ?? '').sort()
}

beforeAll(async () => {
  await startMoto()
  lambda = new LambdaClient(config())
}, 60_000)

afterAll(async () => {
  lambda?.destroy()
  const child = moto
  if (child && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill()
    await exited
  }
})

describe('syncLayerPermissions against moto', () => {
  const layerName = 'shared-deps'
  let version = 0

  beforeAll(async () => {
    version = await publish(layerName, 'shared')
  })

  it('grants an account and an organization', async () => {
    await expect(
      syncLayerPermissions(lambda, { layerName, version, principals: [ACCOUNT, ORG] }, limits)
    ).resolves.toEqual({
      added: ['account 111122223333', 'organization o-a1b2c3d4e5'],
      removed: [],
      kept: []
    })
    expect(await statementIds(layerName, version)).toEqual(
      [statementId(ACCOUNT), statementId(ORG)].sort()
    )
  })

  it('changes nothing when run again', async () => {
    await expect(
      syncLayerPermissions(lambda, { layerName, version, principals: [ACCOUNT, ORG] }, limits)
    ).resolves.toEqual({
      added: [],
      removed: [],
      kept: ['account 111122223333', 'organization o-a1b2c3d4e5']
    })
    expect(await statementIds(layerName, version)).toHaveLength(2)
  })

  it('revokes a principal no longer listed, leaving a statement it did not write', async () => {
    await lambda.send(
      new AddLayerVersionPermissionCommand({
        LayerName: layerName,
        VersionNumber: version,
        StatementId: 'xaccount',
        Action: 'lambda:GetLayerVersion',
        Principal: '444455556666'
      })
    )
    await expect(
      syncLayerPermissions(lambda, { layerName, version, principals: [ACCOUNT] }, limits)
    ).resolves.toEqual({
      added: [],
      removed: ['organization o-a1b2c3d4e5'],
      kept: ['account 111122223333']
    })
    expect(await statementIds(layerName, version)).toEqual([statementId(ACCOUNT), 'xaccount'])
  })
})

describe('pruneVersions against moto', () => {
  it('keeps the 2 newest of 4 versions and the one a function holds', async () => {
    const layerName = 'pruned-deps'
    for (const text of ['one', 'two', 'three', 'four']) await publish(layerName, text)
    await createFunction('holds-v1', [await layerArn(layerName, 1)])

    const result = await pruneVersions(
      lambda,
      { layerName, keep: 2, current: 4, region: REGION },
      limits
    )

    expect(result.deleted.map(d => d.version)).toEqual([2])
    expect(result.kept.map(k => [k.version, k.reason])).toEqual([
      [4, 'newest'],
      [3, 'newest'],
      [1, 'in use']
    ])
    expect(result.kept[2].usedBy).toEqual([
      `arn:aws:lambda:${REGION}:123456789012:function:holds-v1`
    ])
    expect(result.failed).toEqual([])
    expect(await versionsLeft(layerName)).toEqual([1, 3, 4])
  })

  it('keeps a version only a published function version holds', async () => {
    const layerName = 'published-deps'
    for (const text of ['one', 'two', 'three']) await publish(layerName, text)
    await createFunction('rolled-forward', [await layerArn(layerName, 1)])
    await lambda.send(new PublishVersionCommand({ FunctionName: 'rolled-forward' }))
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'rolled-forward',
        Layers: [await layerArn(layerName, 3)]
      })
    )

    const result = await pruneVersions(
      lambda,
      { layerName, keep: 1, current: 3, region: REGION },
      limits
    )

    expect(result.deleted.map(d => d.version)).toEqual([2])
    expect(result.kept.find(k => k.version === 1)).toMatchObject({
      reason: 'in use',
      usedBy: [`arn:aws:lambda:${REGION}:123456789012:function:rolled-forward:1`]
    })
    expect(await versionsLeft(layerName)).toEqual([1, 3])
  })
})
