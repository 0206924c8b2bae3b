/**
 * The import test on Lambda (`lambda-smoke-test-role`) through dist/index.js,
 * against moto behind scripts/lambda-emulator.mjs, which runs Invoke with
 * the runtime's interpreter, the layer unpacked as Lambda mounts it, and
 * Lambda's environment only. A module that fails only on Lambda passes the
 * runner's smoke test and is caught here, before any function changes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetFunctionCommand, ListFunctionsCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import { LambdaClient as Client } from '@aws-sdk/client-lambda'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { awsEnv, REGION, role as executionRole, unique } from '../helpers/aws.js'
import { startLambdaEmulator, type LambdaEmulator } from '../helpers/lambda-emulator.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])

let emulator: LambdaEmulator
let role = ''
let client: LambdaClient

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }

beforeAll(async () => {
  const moto = process.env.E2E_AWS_ENDPOINT_URL ?? ''
  emulator = await startLambdaEmulator({ moto, env: { RUNNER_TOOL_CACHE: toolCache } })
  client = new Client({ region: REGION, endpoint: emulator.url, credentials })
  role = await executionRole()
})

afterAll(async () => {
  await emulator.stop()
})

/** The action's AWS environment, through the emulator. */
function env(): Record<string, string | undefined> {
  return { ...awsEnv(), ...emulator.env() }
}

/** A workspace whose layer holds `files` as package `name` (a local wheel), plus six. */
function layerWorkspace(name: string, files: Record<string, string>): string {
  const ws = workspace(`${name}==1.0\nsix==1.16.0\n`)
  makeWheel(path.join(ws, 'wheels'), { name, version: '1.0', tag: 'py3-none-any', files })
  return ws
}

async function functionNames(): Promise<string[]> {
  const out = await client.send(new ListFunctionsCommand({}))
  return (out.Functions ?? []).map(f => f.FunctionName ?? '')
}

async function exists(name: string): Promise<boolean> {
  try {
    await client.send(new GetFunctionCommand({ FunctionName: name }))
    return true
  } catch {
    return false
  }
}

describe('a layer that imports on Lambda', () => {
  const layer = unique('probe-good')
  let result: ActionRun

  beforeAll(async () => {
    const ws = layerWorkspace('onlambda', {
      'onlambda/__init__.py': 'import os\nWHERE = os.environ.get("AWS_EXECUTION_ENV", "runner")\n'
    })
    result = await runAction(
      {
        'layer-name': layer,
        runtimes: 'python3.12',
        'pip-args': `--find-links ${path.join(ws, 'wheels')}`,
        'lambda-smoke-test-role': role
      },
      { workspace: ws, toolCache, env: env() }
    )
  })

  it('publishes, imports every module on Lambda, and says so in the summary', () => {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(
      /python3\.12\/x86_64: 2 modules imported \(Python 3\.12\.\d+ on x86_64\)/
    )
    expect(result.summary).toMatch(
      /Imported on Lambda \(python3\.12\/x86_64\)<\/td><td>2 modules imported/
    )
  })

  it('leaves no probe behind', async () => {
    expect(await functionNames()).not.toContain(`${layer}-import-probe-py312-x86_64`)
    const ops = emulator.requests().map(r => r.op)
    expect(ops).toEqual(expect.arrayContaining(['CreateFunction', 'Invoke', 'DeleteFunction']))
  })
})

describe('a module that fails to import only on Lambda', () => {
  const layer = unique('probe-bad')
  const fn = unique('probe-user')
  let result: ActionRun
  let before: string[] = []

  beforeAll(async () => {
    const ws = layerWorkspace('lambdaonly', {
      // Passes the runner's smoke test; on Lambda it wants an extension the wheel lacks.
      'lambdaonly/__init__.py':
        'import os\nif os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):\n    import _lambdaonly_speedups\n'
    })
    const { createFunction, layersOf } = await import('../helpers/aws.js')
    await createFunction(fn)
    before = await layersOf(fn)
    result = await runAction(
      {
        'layer-name': layer,
        runtimes: 'python3.12',
        'pip-args': `--find-links ${path.join(ws, 'wheels')}`,
        functions: fn,
        'lambda-smoke-test-role': role
      },
      { workspace: ws, toolCache, env: env() }
    )
    expect(await layersOf(fn)).toEqual(before)
  })

  it('fails naming the module, the error and Lambda, with no function changed', () => {
    expect(result.exitCode).toBe(1)
    const error = result.errors.join('\n')
    expect(error).toMatch(/The import test on Lambda found 1 problem/)
    expect(error).toMatch(
      /Importing lambdaonly with python3\.12 on Lambda \(x86_64\) fails: ModuleNotFoundError: No module named '_lambdaonly_speedups'/
    )
    expect(error).toMatch(
      /no function was changed; arn:aws:lambda:.*:layer:probe-bad-[^:]+:1 is published/
    )
    expect(result.log).toMatch(/smoke test|Every top-level module of the layer imports/)
  })

  it('deletes the probe even though the test failed', async () => {
    expect(await exists(`${layer}-import-probe-py312-x86_64`)).toBe(false)
  })
})

describe('a run killed while the probe runs', () => {
  const layer = unique('probe-kill')
  const probe = `${layer}-import-probe-py312-x86_64`
  // While this file exists, the module's import waits (on Lambda only): the
  // test holds the probe mid-invoke, then lets the next run import at once.
  const hold = path.join(os.tmpdir(), unique('probe-hold'))
  let ws = ''
  let killed: ActionRun

  beforeAll(async () => {
    fs.writeFileSync(hold, '')
    ws = layerWorkspace('slowonlambda', {
      'slowonlambda/__init__.py': `import os, time
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    for _ in range(300):
        if not os.path.exists(${JSON.stringify(hold)}):
            break
        time.sleep(0.2)
`
    })
    const seen = emulator.requests().length
    killed = await runAction(
      {
        'layer-name': layer,
        runtimes: 'python3.12',
        'pip-args': `--find-links ${path.join(ws, 'wheels')}`,
        'lambda-smoke-test-role': role
      },
      {
        workspace: ws,
        toolCache,
        env: env(),
        onSpawn: child => {
          // SIGKILL while the probe is being invoked (its import is held):
          // nothing can clean up.
          const timer = setInterval(() => {
            if (
              emulator
                .requests()
                .slice(seen)
                .some(r => r.op === 'CreateFunction' && r.status < 300)
            ) {
              clearInterval(timer)
              setTimeout(() => child.kill('SIGKILL'), 3000)
            }
          }, 100)
          child.on('close', () => clearInterval(timer))
        }
      }
    )
  }, 120_000)

  afterAll(() => {
    fs.rmSync(hold, { force: true })
  })

  it('leaves the probe behind, and the next run replaces it, passes, and deletes it', async () => {
    expect(killed.exitCode).not.toBe(0)
    expect(await exists(probe)).toBe(true)
    fs.rmSync(hold, { force: true })
    const rerun = await runAction(
      {
        'layer-name': layer,
        runtimes: 'python3.12',
        'pip-args': `--find-links ${path.join(ws, 'wheels')}`,
        'lambda-smoke-test-role': role
      },
      { workspace: ws, toolCache, env: env() }
    )
    expect(rerun.errors).toEqual([])
    expect(rerun.exitCode).toBe(0)
    expect(rerun.log).toMatch(/python3\.12\/x86_64: 2 modules imported/)
    expect(await exists(probe)).toBe(false)
  }, 120_000)
})

describe('no lambda-smoke-test-role', () => {
  it('creates no probe and makes no extra call', async () => {
    const layer = unique('probe-none')
    const ws = workspace('six==1.16.0\n')
    const seen = emulator.requests().length
    const result = await runAction(
      { 'layer-name': layer, runtimes: 'python3.12' },
      { workspace: ws, toolCache, env: env() }
    )
    expect(result.exitCode).toBe(0)
    const ops = emulator
      .requests()
      .slice(seen)
      .map(r => r.op)
    expect(ops.length).toBeGreaterThan(0)
    for (const op of ['CreateFunction', 'Invoke', 'DeleteFunction', 'GetFunction']) {
      expect(ops).not.toContain(op)
    }
  })
})
