/**
 * The import test on Lambda (probe.ts) against a mocked Lambda: the probe's
 * name, the refusal of a function that is not a probe, the replacement of a
 * probe a killed run left, the crash that goes on after the module that
 * crashed, and the delete that happens however the test ends.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient
} from '@aws-sdk/client-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn()
}))

const { checkProbeNames, probeFunctionName, probeTargets, runProbe, PROBE_TAG } =
  await import('../../../src/aws/probe.js')
const { probeZip, PROBE_START_MARK } = await import('../../../src/aws/probe-handler.js')

const lambda = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })
const limits = { callTimeoutMs: 5000 }
const layer = { name: 'deps', versionArn: 'arn:aws:lambda:us-east-1:123456789012:layer:deps:7' }
const role = 'arn:aws:iam::123456789012:role/probe'
const target = probeTargets('deps', ['python3.12'], ['x86_64'])[0]

const notFound = (): Error =>
  Object.assign(new Error('Function not found'), {
    name: 'ResourceNotFoundException',
    $metadata: { httpStatusCode: 404 }
  })

function answer(payload: unknown, options: { error?: string; log?: string[] } = {}) {
  return {
    StatusCode: 200,
    Payload: Buffer.from(JSON.stringify(payload)) as unknown as Uint8Array,
    ...(options.error ? { FunctionError: options.error } : {}),
    LogResult: Buffer.from((options.log ?? []).join('\n')).toString('base64')
  } as never
}

const ok = (modules: string[], failed: unknown[] = []) =>
  answer({
    probe: 1,
    layer: layer.versionArn,
    python: '3.12.8',
    machine: 'x86_64',
    site: '/opt/python',
    modules,
    failed
  })

beforeEach(() => {
  lambda.reset()
  lambda.on(GetFunctionConfigurationCommand).resolves({ State: 'Active' })
  lambda.on(CreateFunctionCommand).resolves({})
  lambda.on(DeleteFunctionCommand).resolves({})
})

describe('probe names', () => {
  it('derives the name from the layer, runtime and architecture, within 64 characters', () => {
    expect(probeFunctionName('deps', 'python3.12', 'arm64')).toBe('deps-import-probe-py312-arm64')
    const long = probeFunctionName('x'.repeat(60), 'python3.9', 'x86_64')
    expect(long.length).toBeLessThanOrEqual(64)
    expect(long).toMatch(/^x+-[0-9a-f]{8}-import-probe-py39-x86_64$/)
    expect(probeFunctionName('x'.repeat(60), 'python3.9', 'x86_64')).toBe(long)
    expect(probeFunctionName(`${'x'.repeat(59)}y`, 'python3.9', 'x86_64')).not.toBe(long)
    expect(probeTargets('deps', ['python3.11', 'python3.12'], ['x86_64', 'arm64'])).toHaveLength(4)
  })

  it('refuses, in the preflight, a function of that name that is not the layer’s probe', async () => {
    lambda.on(GetFunctionCommand).resolves({ Tags: { team: 'x' } })
    await expect(checkProbeNames(client, [target], 'deps', [], limits)).rejects.toThrow(
      /deps-import-probe-py312-x86_64 exists and is not the import-test probe of layer deps/
    )
    lambda.on(GetFunctionCommand).resolves({ Tags: { [PROBE_TAG]: 'deps' } })
    await expect(checkProbeNames(client, [target], 'deps', [], limits)).resolves.toBeUndefined()
    lambda.on(GetFunctionCommand).rejects(notFound())
    await expect(
      checkProbeNames(client, [target], 'deps', [target.functionName], limits)
    ).rejects.toThrow(/Input `functions` lists deps-import-probe-py312-x86_64/)
  })
})

describe('runProbe', () => {
  it('creates the probe with only the new layer, invokes it, and deletes it', async () => {
    lambda.on(GetFunctionCommand).rejects(notFound())
    lambda.on(InvokeCommand).resolves(ok(['numpy', 'yaml']))
    const outcome = await runProbe({ client, invokeClient: client }, target, layer, {
      role,
      strict: false,
      limits
    })
    expect(outcome).toMatchObject({ modules: 2, findings: [], ranOn: 'Python 3.12.8 on x86_64' })
    const create = lambda.commandCalls(CreateFunctionCommand)[0].args[0].input
    expect(create).toMatchObject({
      FunctionName: 'deps-import-probe-py312-x86_64',
      Runtime: 'python3.12',
      Architectures: ['x86_64'],
      Role: role,
      Layers: [layer.versionArn],
      Tags: { [PROBE_TAG]: 'deps' }
    })
    expect(lambda.commandCalls(DeleteFunctionCommand)).toHaveLength(1)
  })

  it('replaces a probe a killed run left behind', async () => {
    lambda.on(GetFunctionCommand).resolves({ Tags: { [PROBE_TAG]: 'deps' } })
    lambda.on(InvokeCommand).resolves(ok(['yaml']))
    await runProbe({ client, invokeClient: client }, target, layer, { role, strict: false, limits })
    // One delete of the leftover before the create, one after the test.
    expect(lambda.commandCalls(DeleteFunctionCommand)).toHaveLength(2)
    expect(lambda.commandCalls(CreateFunctionCommand)).toHaveLength(1)
  })

  it('reports a module that raises on Lambda as an error naming it and the exception', async () => {
    lambda.on(GetFunctionCommand).rejects(notFound())
    lambda.on(InvokeCommand).resolves(
      ok(
        ['good', 'onlambda'],
        [
          {
            module: 'onlambda',
            type: 'ImportError',
            message: "No module named '_missing_ext'",
            traceback: ["ImportError: No module named '_missing_ext'"]
          }
        ]
      )
    )
    const outcome = await runProbe({ client, invokeClient: client }, target, layer, {
      role,
      strict: false,
      limits
    })
    expect(outcome.findings).toHaveLength(1)
    expect(outcome.findings[0].severity).toBe('error')
    expect(outcome.findings[0].message).toMatch(
      /Importing onlambda with python3\.12 on Lambda \(x86_64\) fails: ImportError: No module named '_missing_ext'/
    )
  })

  it('goes on after the module that crashed the runtime, and names it', async () => {
    lambda.on(GetFunctionCommand).rejects(notFound())
    lambda
      .on(InvokeCommand)
      .resolvesOnce(
        answer(
          { errorType: 'Runtime.ExitError', errorMessage: 'signal: segmentation fault' },
          { error: 'Unhandled', log: [`${PROBE_START_MARK}aaa`, `${PROBE_START_MARK}crashy`] }
        )
      )
      .resolves(ok(['zzz']))
    const outcome = await runProbe({ client, invokeClient: client }, target, layer, {
      role,
      strict: false,
      limits
    })
    const second = lambda.commandCalls(InvokeCommand)[1].args[0].input
    expect(JSON.parse(Buffer.from(second.Payload as Uint8Array).toString())).toEqual({
      after: 'crashy'
    })
    expect(outcome.modules).toBe(2)
    expect(outcome.findings[0].message).toMatch(
      /Importing crashy .* fails: Crash: the runtime died/
    )
  })

  it('deletes the probe when the test fails, and says when another run replaced it', async () => {
    lambda.on(GetFunctionCommand).rejects(notFound())
    lambda.on(InvokeCommand).resolves(answer({ probe: 1, layer: 'arn:other:8', modules: [] }))
    await expect(
      runProbe({ client, invokeClient: client }, target, layer, { role, strict: false, limits })
    ).rejects.toThrow(/another run of this layer replaced it/)
    expect(lambda.commandCalls(DeleteFunctionCommand)).toHaveLength(1)
  })

  it('names the permissions when the probe cannot be created', async () => {
    lambda.on(GetFunctionCommand).rejects(notFound())
    lambda.on(CreateFunctionCommand).rejects(
      Object.assign(new Error('not authorized to perform: iam:PassRole'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 }
      })
    )
    await expect(
      runProbe({ client, invokeClient: client }, target, layer, { role, strict: false, limits })
    ).rejects.toThrow(/iam:PassRole on the role/)
  })
})

describe('the probe handler', () => {
  it('is a valid zip whose handler imports the layer’s modules from sys.path as Lambda sets it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'))
    try {
      const zip = path.join(dir, 'probe.zip')
      fs.writeFileSync(zip, probeZip())
      expect(probeZip().equals(fs.readFileSync(zip))).toBe(true)
      const site = path.join(dir, 'opt', 'python', 'lib', 'python3.11', 'site-packages')
      fs.mkdirSync(path.join(site, 'good'), { recursive: true })
      fs.writeFileSync(path.join(site, 'good', '__init__.py'), '')
      fs.writeFileSync(path.join(site, 'bad.py'), 'raise RuntimeError("boom")\n')
      fs.mkdirSync(path.join(site, 'tests'))
      fs.writeFileSync(path.join(site, 'tests', '__init__.py'), '')
      const out = execFileSync(
        'python3.11',
        [
          '-I',
          '-c',
          `import sys, json, zipfile
zipfile.ZipFile(${JSON.stringify(zip)}).extractall(${JSON.stringify(dir)})
sys.path[:0] = [${JSON.stringify(dir)}, ${JSON.stringify(site)}, ${JSON.stringify(path.join(dir, 'opt', 'python'))}]
import layer_import_probe
print(json.dumps(layer_import_probe.handler({}, None)))`
        ],
        { encoding: 'utf8' }
      )
      const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}')
      expect(result.site).toBe(site)
      expect(result.modules).toEqual(['bad', 'good'])
      expect(result.failed).toEqual([
        expect.objectContaining({ module: 'bad', type: 'RuntimeError', message: 'boom' })
      ])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
