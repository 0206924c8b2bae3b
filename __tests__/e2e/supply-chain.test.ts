/**
 * What the action gives to answer "what is inside this layer version, and
 * was this zip built here", through the bundled dist/index.js: the zip's
 * hex SHA-256 (zip-sha256), and the CycloneDX SBOM beside the zip
 * (sbom-path): exactly the zip's distributions, with the lock's hashes, the
 * same bytes from a build and from the cache, uploaded next to the zip and
 * named in the version's description, which an unchanged rerun reuses; a
 * function whose code signing configuration enforces signatures refused
 * before anything is built, one in Warn mode attached with a warning; a
 * layer signed by AWS Signer (the loopback emulator's StartSigningJob) and
 * attached to a function that enforces signatures, reused on a rerun.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT, runAction, workspace, type ActionRun } from '../helpers/action.js'
import {
  awsEnv,
  createBucket,
  lambda,
  layersOf,
  role,
  layerVersionInfo,
  objectKeys,
  s3,
  unique,
  versionCount
} from '../helpers/aws.js'
import { startCacheService, type CacheService } from '../helpers/cache-service.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { GetObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3'
import {
  CreateCodeSigningConfigCommand,
  CreateFunctionCommand,
  GetLayerVersionCommand
} from '@aws-sdk/client-lambda'
import { PutSigningProfileCommand, SignerClient } from '@aws-sdk/client-signer'
import AdmZip from 'adm-zip'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])

interface Bom {
  serialNumber: string
  metadata: { component: { name: string; hashes: Array<{ content: string }> } }
  components: Array<{
    name: string
    version: string
    purl: string
    hashes?: Array<{ alg: string; content: string }>
    properties: Array<{ name: string; value: string }>
  }>
}

const normalized = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-')

/** name==version of every dist-info folder in the zip, normalized. */
function distributionsInZip(zip: string): string[] {
  return entries(zip)
    .map(e => /^python\/([^/]+)-([^-/]+)\.dist-info\/METADATA$/.exec(e))
    .filter(m => m !== null)
    .map(m => `${normalized(m[1])}==${m[2]}`)
    .sort()
}

describe('zip-sha256', () => {
  it('is the hex SHA-256 of zip-path, as sha256sum prints it', async () => {
    const run = await runAction(
      { 'layer-name': 'digest', runtimes: 'python3.12', publish: 'false' },
      { workspace: workspace('six==1.16.0\n'), toolCache }
    )
    expect(run.errors).toEqual([])
    const printed = execFileSync('sha256sum', [run.outputs['zip-path']], { encoding: 'utf8' })
    expect(run.outputs['zip-sha256']).toMatch(/^[0-9a-f]{64}$/)
    expect(run.outputs['zip-sha256']).toBe(printed.split(' ')[0])
    expect(Buffer.from(run.outputs['zip-sha256'], 'hex').toString('base64')).toBe(
      run.outputs['code-sha256']
    )
  })
})

describe('the SBOM of a lock-file build, built and then restored from the cache', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sbom-e2e-'))
  const ws = path.join(work, 'workspace')
  // One RUNNER_TEMP for both runs: the cache version hashes the cached path.
  const runnerTemp = path.join(work, 'runner-temp')
  const lock = path.join(ws, 'project', 'pylock.lambda.toml')
  let service: CacheService
  let built: ActionRun
  let restored: ActionRun
  let builtBytes: string
  let bom: Bom

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, '__tests__', 'fixtures', 'uv-project'), path.join(ws, 'project'), {
      recursive: true
    })
    fs.mkdirSync(runnerTemp, { recursive: true })
    service = await startCacheService(path.join(work, 'store'))
    const act = async () =>
      runAction(
        {
          'layer-name': 'locked-sbom',
          runtimes: 'python3.12',
          publish: 'false',
          installer: 'pip',
          requirements: 'project/pylock.lambda.toml'
        },
        { workspace: ws, toolCache, runnerTemp, env: { ...service.env } }
      )
    built = await act()
    builtBytes = fs.readFileSync(built.outputs['sbom-path'], 'utf8')
    bom = JSON.parse(builtBytes) as Bom
    restored = await act()
  })

  afterAll(async () => {
    await service?.stop()
    fs.rmSync(work, { recursive: true, force: true })
  })

  it('is written beside the zip, and names the layer and the zip SHA-256', () => {
    expect(built.errors).toEqual([])
    expect(path.dirname(built.outputs['sbom-path'])).toBe(path.dirname(built.outputs['zip-path']))
    expect(bom.metadata.component.name).toBe('locked-sbom')
    expect(bom.metadata.component.hashes[0].content).toBe(built.outputs['zip-sha256'])
  })

  it('lists exactly the distributions in the zip, with purls', () => {
    const listed = bom.components.map(c => `${normalized(c.name)}==${c.version}`).sort()
    expect(listed).toEqual(distributionsInZip(built.outputs['zip-path']))
    expect(listed).toEqual(
      (JSON.parse(built.outputs.packages) as string[])
        .map(p => `${normalized(p.split('==')[0])}==${p.split('==')[1]}`)
        .sort()
    )
    for (const c of bom.components) {
      expect(c.purl).toBe(`pkg:pypi/${normalized(c.name)}@${c.version}`)
    }
  })

  it("gives each package from an index the SHA-256 of the lock's file it was installed from", () => {
    const text = fs.readFileSync(lock, 'utf8')
    const fromIndex = bom.components.filter(c => normalized(c.name) !== 'lpl-helper')
    expect(fromIndex.length).toBeGreaterThan(0)
    for (const c of fromIndex) {
      expect(c.hashes).toHaveLength(1)
      // The wheel's hash: the lock names it next to the package's wheel.
      expect(text).toMatch(
        new RegExp(
          `${c.version.replace(/\./g, '\\.')}-py[^"]*\\.whl"[^\\n]*sha256 = "${c.hashes?.[0].content}"`
        )
      )
    }
    // The local project is built from its folder here: no origin to hash.
    expect(bom.components.find(c => normalized(c.name) === 'lpl-helper')?.hashes).toBeUndefined()
  })

  it('is the same bytes when the zip comes from the cache', () => {
    expect(restored.errors).toEqual([])
    expect(restored.outputs['cache-hit']).toBe('true')
    expect(fs.readFileSync(restored.outputs['sbom-path'], 'utf8')).toBe(builtBytes)
  })
})

describe('the SBOM of a lock installed by uv', () => {
  it("gives each package from an index the hash of the lock's wheel, from the installed tags", async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'sbom-uv-'))
    fs.cpSync(path.join(ROOT, '__tests__', 'fixtures', 'uv-project'), path.join(ws, 'project'), {
      recursive: true
    })
    const run = await runAction(
      {
        'layer-name': 'locked-uv',
        runtimes: 'python3.12',
        publish: 'false',
        installer: 'uv',
        requirements: 'project/pylock.lambda.toml'
      },
      { workspace: ws, toolCache }
    )
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(/^uv [\d.]+.* installs python3\.12/m)
    expect(run.log).not.toMatch(/pip installs python3\.12 \/ x86_64 .* instead/)
    const bom = JSON.parse(fs.readFileSync(run.outputs['sbom-path'], 'utf8')) as Bom
    const text = fs.readFileSync(path.join(ws, 'project', 'pylock.lambda.toml'), 'utf8')
    const fromIndex = bom.components.filter(c => normalized(c.name) !== 'lpl-helper')
    expect(fromIndex.map(c => normalized(c.name)).sort()).toEqual([
      'certifi',
      'idna',
      'jmespath',
      'six'
    ])
    for (const c of fromIndex) {
      expect(c.hashes).toHaveLength(1)
      expect(text).toMatch(
        new RegExp(
          `${c.version.replace(/\./g, '\\.')}-py[^"]*\\.whl"[^\\n]*sha256 = "${c.hashes?.[0].content}"`
        )
      )
    }
  })
})

describe('publishing with an SBOM', () => {
  it('uploads it next to the zip, names it in the description, and reuses the version on a rerun', async () => {
    const bucket = unique('sbom-bucket')
    const layer = unique('sbom')
    await createBucket(bucket)
    const ws = workspace('six==1.16.0\n')
    const inputs = {
      'layer-name': layer,
      runtimes: 'python3.12',
      's3-bucket': bucket,
      description: 'six for the API'
    }
    const first = await runAction(inputs, { workspace: ws, toolCache, env: awsEnv() })
    expect(first.errors).toEqual([])
    expect(first.outputs.published).toBe('true')
    const hex = first.outputs['zip-sha256']
    expect((await objectKeys(bucket)).sort()).toEqual([
      `${layer}/${hex}.cdx.json`,
      `${layer}/${hex}.zip`
    ])
    const uploaded = await s3().send(
      new GetObjectCommand({ Bucket: bucket, Key: `${layer}/${hex}.cdx.json` })
    )
    expect(await uploaded.Body?.transformToString()).toBe(
      fs.readFileSync(first.outputs['sbom-path'], 'utf8')
    )
    expect((await layerVersionInfo(first.outputs['layer-version-arn'])).description).toBe(
      `six for the API [sbom ${hex}.cdx.json]`
    )

    const again = await runAction(inputs, { workspace: ws, toolCache, env: awsEnv() })
    expect(again.errors).toEqual([])
    expect(again.outputs.published).toBe('false')
    expect(again.outputs['layer-version-arn']).toBe(first.outputs['layer-version-arn'])
    expect(await versionCount(layer)).toBe(1)
  })
})

/** A function whose code signing configuration is in `mode`, allowing `profiles`. */
async function signedFunction(mode: 'Enforce' | 'Warn', profiles: string[]): Promise<string> {
  const config = await lambda().send(
    new CreateCodeSigningConfigCommand({
      AllowedPublishers: { SigningProfileVersionArns: profiles },
      CodeSigningPolicies: { UntrustedArtifactOnDeployment: mode }
    })
  )
  const code = new AdmZip()
  code.addFile('app.py', Buffer.from('def handler(event, context):\n    return "ok"\n'))
  const name = unique(`signed-${mode.toLowerCase()}`)
  await lambda().send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Role: await role(),
      Handler: 'app.handler',
      Code: { ZipFile: code.toBuffer() },
      Architectures: ['x86_64'],
      CodeSigningConfigArn: config.CodeSigningConfig?.CodeSigningConfigArn
    })
  )
  return name
}

describe('functions with code signing', () => {
  const PROFILE = 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/layers/v1'

  it('refuses one that enforces signatures before building, naming its allowed profiles', async () => {
    const fn = await signedFunction('Enforce', [PROFILE])
    const layer = unique('unsigned')
    const run = await runAction(
      { 'layer-name': layer, runtimes: 'python3.12', functions: fn },
      { workspace: workspace('six==1.16.0\n'), toolCache, env: awsEnv() }
    )
    expect(run.exitCode).toBe(1)
    const error = run.errors.join('\n')
    expect(error).toMatch(/A function enforces code signing; nothing was built or published/)
    expect(error).toContain(`function:${fn}: its code signing configuration`)
    expect(error).toContain(`allowed signing profiles: ${PROFILE}`)
    expect(run.log).not.toMatch(/ pip install /)
    expect(await versionCount(layer)).toBe(0)
    expect(await layersOf(fn)).toEqual([])
  })

  it('attaches to one in Warn mode, with a warning', async () => {
    const fn = await signedFunction('Warn', [PROFILE])
    const run = await runAction(
      { 'layer-name': unique('unsigned-warn'), runtimes: 'python3.12', functions: fn },
      { workspace: workspace('six==1.16.0\n'), toolCache, env: awsEnv() }
    )
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(
      /^::warning.*Warn mode \(allowed signing profiles: .*\), and this layer is not signed/m
    )
    expect(await layersOf(fn)).toEqual([run.outputs['layer-version-arn']])
  })
})

describe('a layer signed with AWS Signer', () => {
  const signer = (): SignerClient =>
    new SignerClient({
      region: 'us-east-1',
      endpoint: process.env.E2E_AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
    })

  /** A Lambda signing profile; returns its version ARN. */
  async function profile(name: string): Promise<string> {
    const made = await signer().send(
      new PutSigningProfileCommand({ profileName: name, platformId: 'AWSLambda-SHA384-ECDSA' })
    )
    return made.profileVersionArn ?? ''
  }

  async function versionedBucket(): Promise<string> {
    const bucket = unique('signed-bucket')
    await createBucket(bucket)
    await s3().send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: 'Enabled' }
      })
    )
    return bucket
  }

  /** The signature comment the emulator's Signer put in a zip. */
  function signatureOf(zip: Buffer): { profileVersionArn: string; jobArn: string } | undefined {
    const comment = new AdmZip(zip).getZipComment()
    const tag = 'lambda-emulator-signature '
    return comment.startsWith(tag) ? JSON.parse(comment.slice(tag.length)) : undefined
  }

  it('is published from the signed zip, attached to a function that enforces signatures, and reused on a rerun', async () => {
    const name = unique('layers').replaceAll('-', '_')
    const versionArn = await profile(name)
    const bucket = await versionedBucket()
    const fn = await signedFunction('Enforce', [versionArn])
    const layer = unique('signed')
    const ws = workspace('six==1.16.0\n')
    const inputs = {
      'layer-name': layer,
      runtimes: 'python3.12',
      functions: fn,
      's3-bucket': `${bucket}/layers`,
      'signing-profile': name
    }
    const first = await runAction(inputs, { workspace: ws, toolCache, env: awsEnv() })
    expect(first.errors).toEqual([])
    expect(first.outputs.published).toBe('true')
    const jobArn = first.outputs['signing-job-arn']
    expect(jobArn).toMatch(/^arn:aws:signer:us-east-1:\d{12}:\/signing-jobs\/[0-9a-f-]{36}$/)
    const jobId = jobArn.split('/').pop()
    const hex = first.outputs['zip-sha256']
    expect((await objectKeys(bucket)).sort()).toEqual([
      `layers/${layer}/${hex}.cdx.json`,
      `layers/${layer}/${hex}.zip`,
      `layers/${layer}/signed/${jobId}.zip`
    ])

    // Lambda holds the signed zip: the same files as zip-path, with the signature.
    const arn = first.outputs['layer-version-arn']
    const got = await lambda().send(
      new GetLayerVersionCommand({ LayerName: layer, VersionNumber: Number(arn.split(':')[7]) })
    )
    expect(got.Content?.SigningProfileVersionArn).toBe(versionArn)
    expect(got.Content?.SigningJobArn).toBe(jobArn)
    expect(got.Description).toBe(`[sbom ${hex}.cdx.json]`)
    expect(got.Content?.CodeSha256).not.toBe(first.outputs['code-sha256'])
    const held = Buffer.from(await (await fetch(got.Content?.Location ?? '')).arrayBuffer())
    expect(signatureOf(held)).toEqual({ profileVersionArn: versionArn, jobArn })
    expect(entries(held)).toEqual(entries(first.outputs['zip-path']))
    expect(await layersOf(fn)).toEqual([arn])
    expect(first.summary).toContain(`signed by Signer job <code>${jobArn}</code>`)

    const again = await runAction(inputs, { workspace: ws, toolCache, env: awsEnv() })
    expect(again.errors).toEqual([])
    expect(again.outputs.published).toBe('false')
    expect(again.outputs['layer-version-arn']).toBe(arn)
    expect(again.outputs['signing-job-arn']).toBe(jobArn)
    expect(again.log).not.toMatch(/Signing s3:/)
    expect(await versionCount(layer)).toBe(1)
  })

  it('is refused before building when a function enforces signatures by another profile', async () => {
    const name = unique('ours').replaceAll('-', '_')
    const ours = await profile(name)
    const theirs = await profile(unique('theirs').replaceAll('-', '_'))
    const fn = await signedFunction('Enforce', [theirs])
    const layer = unique('signed-refused')
    const run = await runAction(
      {
        'layer-name': layer,
        runtimes: 'python3.12',
        functions: fn,
        's3-bucket': await versionedBucket(),
        'signing-profile': name
      },
      { workspace: workspace('six==1.16.0\n'), toolCache, env: awsEnv() }
    )
    expect(run.exitCode).toBe(1)
    const error = run.errors.join('\n')
    expect(error).toMatch(/A function enforces code signing; nothing was built or published/)
    expect(error).toContain(`allowed signing profiles: ${theirs}`)
    expect(error).toContain(
      `signed by \`signing-profile\` ${name} (${ours}), which is not among them`
    )
    expect(run.log).not.toMatch(/ pip install /)
    expect(await versionCount(layer)).toBe(0)
  })

  it('is refused before building when the bucket has no versioning, or the profile does not exist', async () => {
    const name = unique('layers').replaceAll('-', '_')
    await profile(name)
    const bucket = unique('plain-bucket')
    await createBucket(bucket)
    const ws = workspace('six==1.16.0\n')
    const base = { 'layer-name': unique('signed-bad'), runtimes: 'python3.12', 's3-bucket': bucket }
    const unversioned = await runAction(
      { ...base, 'signing-profile': name },
      { workspace: ws, toolCache, env: awsEnv() }
    )
    expect(unversioned.exitCode).toBe(1)
    expect(unversioned.errors.join('\n')).toContain(
      `Input \`signing-profile\` needs versioning on bucket ${bucket}`
    )
    expect(unversioned.errors.join('\n')).toContain(
      `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`
    )
    const missing = await runAction(
      { ...base, 'signing-profile': 'no_such_profile' },
      { workspace: ws, toolCache, env: awsEnv() }
    )
    expect(missing.exitCode).toBe(1)
    expect(missing.errors.join('\n')).toContain(
      'Input `signing-profile`: there is no signing profile "no_such_profile" in us-east-1'
    )
    for (const run of [unversioned, missing]) expect(run.log).not.toMatch(/ pip install /)
    expect(await objectKeys(bucket)).toEqual([])
  })
})
