/**
 * npm run bench:attach: the attach phase (planFunctions, then
 * attachToFunctions, as the action runs them) for 50 and 200 functions
 * against moto_server behind the fault proxy, which adds Lambda-like
 * latency (reads 50 ms, updates 200 ms), keeps each function InProgress for
 * 2 s after its update (as Lambda does; moto applies an update at once),
 * and, in the throttled rows, answers 30% of the updates with 429. Prints
 * the seconds and the calls by kind.
 */
import {
  CreateFunctionCommand,
  LambdaClient,
  PublishLayerVersionCommand
} from '@aws-sdk/client-lambda'
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import AdmZip from 'adm-zip'
import { startMoto } from '../__tests__/e2e/moto.mjs'
import { errors, simulateUpdateWindow, startFaultProxy } from '../__tests__/helpers/fault-proxy.js'
import { attachToFunctions, planFunctions } from '../src/aws/attach.js'
import { createLambdaClient } from '../src/aws/client.js'
import { RegionPace } from '../src/aws/pace.js'

const REGION = 'us-east-1'
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' }
process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId
process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey

function zip(text: string): Buffer {
  const z = new AdmZip()
  z.addFile('app.py', Buffer.from(text))
  return z.toBuffer()
}

async function main(): Promise<void> {
  const moto = await startMoto()
  try {
    const direct = new LambdaClient({ region: REGION, endpoint: moto.endpoint, credentials })
    const role = await new IAMClient({ region: REGION, endpoint: moto.endpoint, credentials }).send(
      new CreateRoleCommand({ RoleName: 'bench', AssumeRolePolicyDocument: '{}' })
    )
    const rows: string[] = []
    for (const count of [50, 200]) {
      for (const throttled of [0, 0.3]) {
        const prefix = `b${count}-${Math.round(throttled * 100)}`
        const layer = await direct.send(
          new PublishLayerVersionCommand({
            LayerName: `${prefix}-deps`,
            Content: { ZipFile: zip('x') }
          })
        )
        const names = Array.from({ length: count }, (_, i) => `${prefix}-fn-${i}`)
        for (const name of names) {
          await direct.send(
            new CreateFunctionCommand({
              FunctionName: name,
              Runtime: 'python3.12',
              Role: role.Role?.Arn ?? '',
              Handler: 'app.handler',
              Code: { ZipFile: zip('def handler(e, c):\n    return 1\n') }
            })
          )
        }
        const proxy = await startFaultProxy(moto.endpoint)
        proxy.add({
          op: r => r.op === 'UpdateFunctionConfiguration' && Math.random() < throttled,
          action: errors.throttled()
        })
        simulateUpdateWindow(proxy, 2000, { readMs: 50, updateMs: 200 })
        process.env.AWS_ENDPOINT_URL = proxy.url
        const limits = { callTimeoutMs: 120_000 }
        const client = createLambdaClient(REGION, { limits })
        // As the action attaches: without the SDK's retries, so throttling reaches the pace.
        const attachClient = createLambdaClient(REGION, { limits, maxAttempts: 1 })
        const started = Date.now()
        const plans = await planFunctions(client, {
          functions: names,
          layerName: `${prefix}-deps`,
          runtimes: ['python3.12'],
          architectures: ['x86_64'],
          region: REGION,
          limits
        })
        const pace = new RegionPace(8, 16)
        const results = await attachToFunctions(attachClient, plans, layer.LayerVersionArn ?? '', {
          limits,
          pace
        })
        const seconds = (Date.now() - started) / 1000
        const calls = new Map<string, number>()
        for (const r of proxy.requests()) calls.set(r.op, (calls.get(r.op) ?? 0) + 1)
        const updated = results.filter(r => r.status === 'updated').length
        rows.push(
          `| ${count} | ${Math.round(throttled * 100)}% | ${seconds.toFixed(1)} | ${updated}/${count} | ${calls.get('GetFunctionConfiguration') ?? 0} | ${calls.get('UpdateFunctionConfiguration') ?? 0} | ${pace.stats.throttles} | ${pace.stats.peak} |`
        )
        await proxy.stop()
      }
    }
    console.log(
      '| functions | updates throttled | seconds | updated | reads | updates sent | throttled | most in flight |'
    )
    console.log('|---|---|---|---|---|---|---|---|')
    for (const row of rows) console.log(row)
  } finally {
    moto.child.kill()
  }
}

await main()
