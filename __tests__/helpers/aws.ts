import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import {
  CreateFunctionCommand,
  GetLayerVersionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  type Runtime
} from '@aws-sdk/client-lambda'
import AdmZip from 'adm-zip'

export const REGION = 'us-east-1'

/** The environment the action gets to reach moto: standard SDK variables only. */
export function awsEnv(): Record<string, string | undefined> {
  const endpoint = process.env.E2E_AWS_ENDPOINT_URL
  if (!endpoint)
    throw new Error('E2E_AWS_ENDPOINT_URL is not set: the e2e globalSetup starts moto_server')
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: undefined,
    AWS_PROFILE: undefined,
    AWS_SESSION_TOKEN: undefined
  }
}

const clientConfig = (region = REGION) => ({
  region,
  endpoint: process.env.E2E_AWS_ENDPOINT_URL,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }
})

export const lambda = (region = REGION): LambdaClient => new LambdaClient(clientConfig(region))

let roleArn: string | undefined

export async function role(): Promise<string> {
  if (roleArn) return roleArn
  const iam = new IAMClient(clientConfig())
  const name = `lambda-role-${Date.now()}-${Math.floor(Math.random() * 1e6)}`
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: name,
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
  roleArn = created.Role?.Arn ?? ''
  return roleArn
}

function handlerZip(): Buffer {
  const zip = new AdmZip()
  zip.addFile('app.py', Buffer.from('def handler(event, context):\n    return "ok"\n'))
  return zip.toBuffer()
}

/** A small zip to publish as some layer version. */
export function dummyLayerZip(text = 'x'): Buffer {
  const zip = new AdmZip()
  zip.addFile(
    `python/dummy_${text.replace(/\W/g, '_')}.py`,
    Buffer.from(`VALUE = ${JSON.stringify(text)}\n`)
  )
  return zip.toBuffer()
}

export async function publishLayer(name: string, text = name, region = REGION): Promise<string> {
  const out = await lambda(region).send(
    new PublishLayerVersionCommand({
      LayerName: name,
      Content: { ZipFile: dummyLayerZip(text) },
      CompatibleRuntimes: ['python3.12']
    })
  )
  return out.LayerVersionArn ?? ''
}

export async function createFunction(
  name: string,
  layers: string[] = [],
  runtime: Runtime = 'python3.12',
  region = REGION
): Promise<string> {
  const out = await lambda(region).send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: runtime,
      Role: await role(),
      Handler: 'app.handler',
      Code: { ZipFile: handlerZip() },
      Layers: layers,
      Architectures: ['x86_64']
    })
  )
  return out.FunctionArn ?? ''
}

export async function layersOf(name: string, region = REGION): Promise<string[]> {
  const out = await lambda(region).send(new GetFunctionConfigurationCommand({ FunctionName: name }))
  return (out.Layers ?? []).map(l => l.Arn ?? '')
}

export async function versionCount(layerName: string): Promise<number> {
  const out = await lambda().send(new ListLayerVersionsCommand({ LayerName: layerName }))
  return out.LayerVersions?.length ?? 0
}

/** A name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
}

export const s3 = (): S3Client => new S3Client({ ...clientConfig(), forcePathStyle: true })

export async function createBucket(name: string): Promise<void> {
  await s3().send(new CreateBucketCommand({ Bucket: name }))
}

export async function objectKeys(bucket: string): Promise<string[]> {
  const out = await s3().send(new ListObjectsV2Command({ Bucket: bucket }))
  return (out.Contents ?? []).map(o => o.Key ?? '')
}

export async function layerSha256(layerVersionArn: string): Promise<string | undefined> {
  const parts = layerVersionArn.split(':')
  const out = await lambda().send(
    new GetLayerVersionCommand({ LayerName: parts[6], VersionNumber: Number(parts[7]) })
  )
  return out.Content?.CodeSha256
}

export async function layerVersionInfo(
  layerVersionArn: string
): Promise<{ description?: string; licenseInfo?: string; runtimes?: string[] }> {
  const parts = layerVersionArn.split(':')
  const out = await lambda().send(
    new GetLayerVersionCommand({ LayerName: parts[6], VersionNumber: Number(parts[7]) })
  )
  return {
    description: out.Description,
    licenseInfo: out.LicenseInfo,
    runtimes: out.CompatibleRuntimes
  }
}
