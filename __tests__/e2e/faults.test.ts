/**
 * Faults in the AWS calls, injected by a loopback proxy in front of moto
 * (helpers/fault-proxy.ts), through the bundled dist/index.js: lost publish
 * answers, calls that never answer, a concurrent newer version, a run
 * cancelled mid-attach, throttled reads; and the messages of an unreachable
 * index, a loop of requirements files and end-of-support runtimes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  PublishLayerVersionCommand,
  UpdateFunctionConfigurationCommand
} from '@aws-sdk/client-lambda'
import { runAction, workspace, type ActionRun, type RunOptions } from '../helpers/action.js'
import {
  awsEnv,
  createFunction,
  dummyLayerZip,
  lambda,
  layersOf,
  publishLayer,
  unique,
  versionCount
} from '../helpers/aws.js'
import {
  errors,
  simulateUpdateWindow,
  startFaultProxy,
  type FaultProxy
} from '../helpers/fault-proxy.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.9', '3.12'])

let proxy: FaultProxy

beforeAll(async () => {
  proxy = await startFaultProxy()
})

afterAll(async () => {
  await proxy?.stop()
})

async function act(
  inputs: Record<string, string>,
  ws: string,
  options: Partial<RunOptions> = {}
): Promise<ActionRun> {
  return await runAction(
    { runtimes: 'python3.12', ...inputs },
    { workspace: ws, toolCache, ...options, env: { ...awsEnv(), ...proxy.env(), ...options.env } }
  )
}

/** Requests the proxy saw for this layer or these functions. */
function seen(op: string, resource?: string): number {
  return proxy.requests().filter(r => r.op === op && (!resource || r.resource === resource)).length
}

const errorOf = (run: ActionRun) => run.errors.join('\n')

describe('lost answers to PublishLayerVersion', () => {
  const layer = unique('lost')
  let run: ActionRun

  beforeAll(async () => {
    proxy.reset()
    const mine = (r: { op: string; resource?: string }) =>
      r.op === 'PublishLayerVersion' && r.resource === layer
    // The first request never reaches Lambda; the second does, and its answer is lost.
    proxy.add({ op: mine, action: { kind: 'reset' }, times: 1 })
    proxy.add({ op: mine, action: { kind: 'drop-after' }, times: 1 })
    run = await act({ 'layer-name': layer }, workspace('six==1.17.0\n'))
  })

  it('succeeds with exactly one version: the one the lost answer published', async () => {
    expect(run.exitCode).toBe(0)
    expect(await versionCount(layer)).toBe(1)
    expect(run.outputs.published).toBe('true')
    expect(run.outputs['layer-version']).toBe('1')
  })

  it('sent the publish twice, each time after checking that nothing was published', () => {
    expect(seen('PublishLayerVersion', layer)).toBe(2)
    expect(run.log).toMatch(/No version was published by that request; publishing again/)
    expect(run.log).toMatch(
      /:layer:[^:]+:1 holds this content: the request took effect although its answer was lost/
    )
  })
})

describe('a duplicate left by a lost answer is reported', () => {
  const layer = unique('dup')
  let run: ActionRun

  beforeAll(async () => {
    proxy.reset()
    const mine = (r: { op: string; resource?: string }) =>
      r.op === 'PublishLayerVersion' && r.resource === layer
    // The first publish reaches Lambda only after the action gave up on it
    // (4 s > aws-timeout 3 s) and after its check found nothing; the second
    // is slowed too, so the first lands before the second is answered.
    proxy.add({ op: mine, action: { kind: 'delay', ms: 4000 }, times: 1 })
    proxy.add({ op: mine, action: { kind: 'delay', ms: 2000 }, times: 1 })
    run = await act({ 'layer-name': layer, 'aws-timeout': '3' }, workspace('six==1.17.0\n'))
  })

  it('uses the version it got, and reports the other in the log and the job summary', async () => {
    expect(run.exitCode).toBe(0)
    expect(seen('PublishLayerVersion', layer)).toBe(2)
    expect(await versionCount(layer)).toBe(2)
    expect(run.outputs['layer-version']).toBe('2')
    expect(run.log).toMatch(/PublishLayerVersion \(layer [^)]+\) ended without an answer/)
    expect(run.log).toMatch(
      /::warning::Layer [^ ]+ has version 1 with the same content as version 2/
    )
    expect(run.summary).toMatch(/Warnings[\s\S]*has version 1 with the same content as version 2/)
  })
})

describe('calls that never answer', () => {
  describe('PublishLayerVersion', () => {
    const layer = unique('hang')
    let run: ActionRun

    beforeAll(async () => {
      proxy.reset()
      proxy.add({
        op: r => r.op === 'PublishLayerVersion' && r.resource === layer,
        action: { kind: 'hang' }
      })
      run = await act({ 'layer-name': layer, 'aws-timeout': '2' }, workspace('six==1.17.0\n'))
    })

    it('fails naming the call and its limit, and that nothing was published', async () => {
      expect(run.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(
        /PublishLayerVersion \(layer [^)]+\) failed 3 times without an answer, and no version with this content was published/
      )
      // Whichever limit struck first: the call's, or the connection's idle time.
      expect(errorOf(run)).toMatch(
        /got no answer within 2 s \(`aws-timeout`\)|timed out after 2000 ms of inactivity/
      )
      expect(await versionCount(layer)).toBe(0)
    })
  })

  describe('GetFunctionConfiguration in the preflight', () => {
    const layer = unique('hang-pre')
    const fn = unique('fn-hang')
    let run: ActionRun

    beforeAll(async () => {
      await createFunction(fn)
      proxy.reset()
      proxy.add({
        op: r => r.op === 'GetFunctionConfiguration' && r.resource === fn,
        action: { kind: 'hang' }
      })
      run = await act(
        { 'layer-name': layer, functions: fn, 'aws-timeout': '2' },
        workspace('six==1.17.0\n')
      )
    })

    it('fails before building, naming the call, and publishes nothing', async () => {
      expect(run.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(
        new RegExp(`GetFunctionConfiguration \\(${fn}\\) got no answer within 2 s`)
      )
      expect(run.log).not.toMatch(/-m pip install/)
      expect(seen('PublishLayerVersion', layer)).toBe(0)
    })
  })
})

describe('a newer version of the layer attached meanwhile (concurrent runs)', () => {
  async function race(allowDowngrade: boolean) {
    const layer = unique('race')
    const fn = unique('fn-race')
    await createFunction(fn)
    proxy.reset()
    // The attach-time read of the function (after the preflight's) is slowed;
    // meanwhile "another run" publishes a newer version and attaches it.
    const attachRead = (r: { op: string; resource?: string }) =>
      r.op === 'GetFunctionConfiguration' && r.resource?.endsWith(`:function:${fn}`) === true
    proxy.add({ op: attachRead, action: { kind: 'delay', ms: 4000 }, times: 1 })
    let newer = ''
    proxy.on(attachRead, () => {
      void (async () => {
        const published = await lambda().send(
          new PublishLayerVersionCommand({
            LayerName: layer,
            Content: { ZipFile: dummyLayerZip('newer') },
            CompatibleRuntimes: ['python3.12']
          })
        )
        newer = published.LayerVersionArn ?? ''
        await lambda().send(
          new UpdateFunctionConfigurationCommand({ FunctionName: fn, Layers: [newer] })
        )
      })()
    })
    const run = await act(
      {
        'layer-name': layer,
        functions: fn,
        ...(allowDowngrade ? { 'allow-downgrade': 'true' } : {})
      },
      workspace('six==1.17.0\n')
    )
    return { run, fn, newer, layers: await layersOf(fn) }
  }

  describe('by default', () => {
    let result: Awaited<ReturnType<typeof race>>
    beforeAll(async () => {
      result = await race(false)
    })

    it('leaves the function at the newer version and warns', () => {
      expect(result.newer).toMatch(/:2$/)
      expect(result.run.exitCode).toBe(0)
      expect(result.layers).toEqual([result.newer])
      expect(result.run.outputs['updated-functions']).toBe('[]')
      expect(result.run.log).toMatch(/::warning::.*newer than .*:1: left alone/)
    })

    it('reports it as "newer version present" in the job summary', () => {
      expect(result.run.summary).toContain('newer version present')
    })
  })

  describe('with allow-downgrade: true', () => {
    let result: Awaited<ReturnType<typeof race>>
    beforeAll(async () => {
      result = await race(true)
    })

    it('attaches the older version on purpose', () => {
      expect(result.run.exitCode).toBe(0)
      expect(result.layers).toEqual([result.run.outputs['layer-version-arn']])
      expect(result.run.outputs['layer-version-arn']).toMatch(/:1$/)
    })
  })
})

describe('a run cancelled (SIGINT) while attaching', () => {
  const layer = unique('cancel')
  const fns = Array.from({ length: 10 }, (_, i) => unique(`fn-cancel${i}`))
  let run: ActionRun
  let layers: Record<string, string[]>

  beforeAll(async () => {
    for (const fn of fns) await createFunction(fn)
    proxy.reset()
    const update = (r: { op: string; resource?: string }) =>
      r.op === 'UpdateFunctionConfiguration' && fns.some(f => r.resource?.endsWith(`:${f}`))
    proxy.add({ op: update, action: { kind: 'delay', ms: 2500 } })
    let signal: (() => void) | undefined
    proxy.on(update, () => {
      signal?.()
      signal = undefined
    })
    run = await act(
      { 'layer-name': layer, functions: fns.join('\n') },
      workspace('six==1.17.0\n'),
      {
        onSpawn: child => {
          signal = () => child.kill('SIGINT')
        }
      }
    )
    layers = Object.fromEntries(await Promise.all(fns.map(async f => [f, await layersOf(f)])))
  })

  it('fails, saying it was cancelled while attaching', () => {
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::warning::Received SIGINT: the run is being cancelled/)
    expect(errorOf(run)).toMatch(/^The run was cancelled \(SIGINT\) while attaching /)
  })

  it('names every function changed and every one not changed, as they really are', () => {
    const arn = run.outputs['layer-version-arn']
    const message = errorOf(run)
    const changed = /^Changed: (.*)\.$/m.exec(message)?.[1] ?? ''
    const notChanged = /^Not changed: (.*)\.$/m.exec(message)?.[1] ?? ''
    const truly = fns.filter(f => layers[f].includes(arn))
    expect(truly.length).toBeGreaterThan(0)
    // Eight at a time at first: at least two never started.
    expect(fns.length - truly.length).toBeGreaterThanOrEqual(2)
    for (const f of fns) {
      if (truly.includes(f)) {
        expect(changed).toContain(`:function:${f}`)
      } else {
        expect(notChanged).toContain(`:function:${f}`)
        expect(layers[f]).toEqual([])
      }
    }
    expect(JSON.parse(run.outputs['updated-functions']).length).toBe(truly.length)
  })

  it('writes the job summary with each function', () => {
    for (const f of fns) expect(run.summary).toContain(`:function:${f}`)
    expect(run.summary).toContain('not changed: run cancelled')
  })
})

describe('a run cancelled (SIGTERM) while pip installs', () => {
  const layer = unique('cancel-build')
  const fn = unique('fn-cancel-build')
  let run: ActionRun

  beforeAll(async () => {
    await createFunction(fn)
    proxy.reset()
    run = await act(
      { 'layer-name': layer, functions: fn, installer: 'pip' },
      workspace('six==1.17.0\n'),
      {
        onSpawn: child => {
          let sent = false
          child.stdout?.on('data', (d: Buffer) => {
            if (!sent && /-m pip install /.test(d.toString())) {
              sent = true
              child.kill('SIGTERM')
            }
          })
        }
      }
    )
  })

  it('fails saying it was cancelled, that nothing was published and no function changed', async () => {
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(
      /^The run was cancelled \(SIGTERM\) during .+\. Nothing was published\. No function was changed\.$/
    )
    expect(await versionCount(layer)).toBe(0)
    expect(seen('PublishLayerVersion', layer)).toBe(0)
    expect(await layersOf(fn)).toEqual([])
    expect(run.summary).toContain('The run was cancelled (SIGTERM)')
  })
})

describe('a flaky API in the preflight: reads are sent again until aws-timeout', () => {
  const layer = unique('flaky-pre')
  const fns = [unique('fn-flaky'), unique('fn-flaky')]
  let run: ActionRun

  beforeAll(async () => {
    for (const fn of fns) await createFunction(fn)
    proxy.reset()
    // More failures in a row than the SDK's own 5 attempts: throttling for one
    // function, 500s for the other and for the layer's versions.
    proxy.add({
      op: r => r.op === 'GetFunctionConfiguration' && r.resource === fns[0],
      action: errors.throttled(),
      times: 7
    })
    proxy.add({
      op: r => r.op === 'GetFunctionConfiguration' && r.resource === fns[1],
      action: errors.service(),
      times: 7
    })
    proxy.add({ op: 'ListLayerVersions', action: errors.service(), times: 6 })
    run = await act(
      { 'layer-name': layer, functions: fns.join('\n'), 'aws-timeout': '60' },
      workspace('six==1.17.0\n')
    )
  })

  it('publishes and attaches, as if nothing had failed', async () => {
    expect(errorOf(run)).toBe('')
    expect(run.exitCode).toBe(0)
    for (const fn of fns) expect(await layersOf(fn)).toEqual([run.outputs['layer-version-arn']])
    expect(await versionCount(layer)).toBe(1)
  })

  it("sent the failed reads again, beyond the SDK's own attempts", () => {
    expect(seen('GetFunctionConfiguration', fns[0])).toBeGreaterThanOrEqual(8)
    expect(seen('GetFunctionConfiguration', fns[1])).toBeGreaterThanOrEqual(8)
    expect(seen('PublishLayerVersion', layer)).toBe(1)
  })
})

describe('a read throttled for all of aws-timeout in the preflight', () => {
  const layer = unique('throttled-pre')
  const fn = unique('fn-throttled-pre')
  let run: ActionRun

  beforeAll(async () => {
    await createFunction(fn)
    proxy.reset()
    proxy.add({
      op: r => r.op === 'GetFunctionConfiguration' && r.resource === fn,
      action: errors.throttled()
    })
    run = await act(
      { 'layer-name': layer, functions: fn, 'aws-timeout': '3' },
      workspace('six==1.17.0\n')
    )
  })

  it('fails naming the call and the throttling, not the functions input, before building', async () => {
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(
      new RegExp(
        `GetFunctionConfiguration \\(${fn}\\) got no answer within 3 s .*TooManyRequestsException`
      )
    )
    expect(errorOf(run)).not.toMatch(/functions input/)
    expect(run.log).not.toMatch(/-m pip install/)
    expect(await versionCount(layer)).toBe(0)
  })
})

describe('keep-versions when the functions cannot be listed', () => {
  const layer = unique('prune-throttled')
  const fn = unique('fn-prune')
  let run: ActionRun

  beforeAll(async () => {
    await publishLayer(layer, 'one')
    await publishLayer(layer, 'two')
    await createFunction(fn)
    proxy.reset()
    proxy.add({ op: 'ListFunctions', action: errors.throttled() })
    run = await act(
      { 'layer-name': layer, functions: fn, 'keep-versions': '1', 'aws-timeout': '3' },
      workspace('six==1.17.0\n')
    )
  })

  it('succeeds: the layer is published and attached, and nothing is deleted', async () => {
    expect(errorOf(run)).toBe('')
    expect(run.exitCode).toBe(0)
    expect(await layersOf(fn)).toEqual([run.outputs['layer-version-arn']])
    expect(await versionCount(layer)).toBe(3)
    expect(seen('DeleteLayerVersion', layer)).toBe(0)
    expect(run.outputs['deleted-versions']).toBe('[]')
  })

  it('says pruning was skipped and why, in a warning and in the job summary', () => {
    expect(run.log).toMatch(
      /::warning::keep-versions: pruning in \S+ was skipped \(.*ListFunctions.*TooManyRequestsException.*\); nothing was deleted there/
    )
    expect(run.summary).toMatch(/skipped: .*nothing was deleted/)
  })
})

describe('one function of several fails to update', () => {
  const layer = unique('one-fails')
  const fns = [unique('fn-ok'), unique('fn-bad'), unique('fn-ok')]
  let run: ActionRun

  beforeAll(async () => {
    for (const fn of fns) await createFunction(fn)
    proxy.reset()
    proxy.add({
      op: r =>
        r.op === 'UpdateFunctionConfiguration' &&
        r.resource?.endsWith(`:function:${fns[1]}`) === true,
      action: errors.invalid('Layers are not supported for this function')
    })
    // Each function listed a second time, by ARN: the preflight warns once for all three.
    const again = fns.map(fn => `arn:aws:lambda:us-east-1:123456789012:function:${fn}`)
    run = await act(
      { 'layer-name': layer, functions: [...fns, ...again].join('\n') },
      workspace('six==1.17.0\n')
    )
  })

  it('warns about the entries listed twice in one annotation', () => {
    const duplicates = run.log.split('\n').filter(l => /^::warning::.*same function/.test(l))
    expect(duplicates).toHaveLength(1)
    expect(duplicates[0]).toMatch(
      /^::warning::3 entries of `functions` name a function already listed: /
    )
  })

  it('names the failed function and counts the others without listing them', () => {
    expect(run.exitCode).toBe(1)
    const error = errorOf(run)
    expect(error).toMatch(/1 of 3 function\(s\) could not be updated/)
    expect(error).toContain(fns[1])
    expect(error).toMatch(/The other 2: 2 updated \(each is in the job summary\)/)
    expect(error).not.toContain(`:function:${fns[0]}`)
  })

  it('puts the failure first in the job summary', () => {
    const rows = run.summary.split('<tr>').filter(l => l.includes(':function:'))
    expect(rows).toHaveLength(3)
    expect(rows[0]).toContain(fns[1])
  })
})

describe('GetFunctionConfiguration throttled after the preflight', () => {
  const layer = unique('throttle')
  const fn = unique('fn-throttle')
  let oldVersion: string
  let run: ActionRun

  beforeAll(async () => {
    oldVersion = await publishLayer(layer, 'old')
    await createFunction(fn, [oldVersion])
    proxy.reset()
    // The preflight reads the function by name; every later read uses its ARN.
    proxy.add({
      op: r =>
        r.op === 'GetFunctionConfiguration' && r.resource?.endsWith(`:function:${fn}`) === true,
      action: errors.throttled()
    })
    run = await act(
      { 'layer-name': layer, functions: fn, 'aws-timeout': '3' },
      workspace('six==1.17.0\n')
    )
  })

  it('says the reads were throttled, not that an update was in progress', () => {
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(
      /reading its configuration was throttled for \d+ s .*TooManyRequestsException/
    )
    expect(errorOf(run)).not.toMatch(/in progress/)
  })

  it('shows in the summary the version the preflight read, not "none"', () => {
    const row = run.summary.split('\n').find(l => l.includes(`:function:${fn}`)) ?? ''
    const [, name, version] = oldVersion.split(':').slice(5)
    expect(`${name}`).toBe(layer)
    expect(row).toContain(`${layer}:${version}`)
  })
})

describe('messages', () => {
  it('an unreachable index named in requirements.txt: says the index could not be read', async () => {
    const run = await act(
      { 'layer-name': 'unreachable', publish: 'false' },
      workspace('--index-url http://127.0.0.1:9/simple\nsix==1.17.0\n'),
      // Only the index the requirements file names: no pip configuration.
      { env: { PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: undefined, PIP_RETRIES: '0' } }
    )
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(
      /Package six==1\.17\.0 could not be looked up: pip could not read the package index:\n- http:\/\/127\.0\.0\.1:9\/simple\/six\/ \(.*Connection refused\)/
    )
    expect(errorOf(run)).not.toMatch(/compiled wheels/)
  })

  it('a 60 MiB zip of incompressible data: the size advice fits what is in it (no .pyc advice)', async () => {
    const ws = workspace('./wheels/blob-1.0-py3-none-any.whl\n')
    makeWheel(path.join(ws, 'wheels'), {
      name: 'blob',
      version: '1.0',
      tag: 'py3-none-any',
      files: {
        'blob/__init__.py': 'VALUE = 1\n',
        'blob/data.bin': crypto.randomBytes(60 * 1024 * 1024)
      }
    })
    const layer = unique('big')
    const run = await act({ 'layer-name': layer }, ws)
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(/over the 50\.0 MiB that Lambda accepts as a direct upload/)
    expect(errorOf(run)).toMatch(/Set `s3-bucket`/)
    expect(errorOf(run)).not.toMatch(/\.pyc|compile: false|\bMB\b/)
    expect(seen('PublishLayerVersion', layer)).toBe(0)
  })

  it('requirements files that include each other: names the loop before pip runs', async () => {
    const ws = workspace('six==1.17.0\n-r more.txt\n')
    fs.writeFileSync(path.join(ws, 'more.txt'), '-r requirements.txt\n')
    const run = await act({ 'layer-name': 'loop', publish: 'false' }, ws)
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(
      /requirements files include each other in a loop \(requirements\.txt → more\.txt → requirements\.txt\)/
    )
    expect(run.log).not.toMatch(/RecursionError|-m pip install/)
  })

  it('a runtime past its end of support: the warning is in the job summary too', async () => {
    const run = await act(
      { 'layer-name': 'eol', runtimes: 'python3.9', publish: 'false' },
      workspace('six==1.17.0\n')
    )
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(/::warning::python3\.9 reached end of support/)
    expect(run.summary).toMatch(/Warnings[\s\S]*python3\.9 reached end of support/)
  })
})

describe('updates throttled without end', () => {
  const layer = unique('throttled-attach')
  const fns = Array.from({ length: 6 }, (_, i) => unique(`fn-throttled-${i}`))
  let run: ActionRun
  let seconds = 0

  beforeAll(async () => {
    for (const fn of fns) await createFunction(fn)
    proxy.reset()
    proxy.add({
      op: r =>
        r.op === 'UpdateFunctionConfiguration' &&
        fns.some(f => r.resource === f || (r.resource ?? '').endsWith(`:function:${f}`)),
      action: errors.throttled()
    })
    const started = Date.now()
    // aws-timeout 2: the attach phase stops starting updates after 20 s.
    run = await act(
      { 'layer-name': layer, functions: fns.join(' '), 'aws-timeout': '2' },
      workspace('six==1.17.0\n')
    )
    seconds = (Date.now() - started) / 1000
  }, 180_000)

  it('slows the region down and stops at the phase limit, reporting every function', async () => {
    expect(run.exitCode).toBe(1)
    const error = errorOf(run)
    expect(error).toMatch(/6 of 6 function\(s\) could not be updated/)
    expect(error).toMatch(/attach phase stops starting updates after 10 × aws-timeout \(20 s\)/)
    // Each function is named with its own state.
    for (const fn of fns) expect(error).toContain(fn)
    // One pause for the region: far fewer updates than 6 functions × 5 attempts.
    expect(seen('UpdateFunctionConfiguration')).toBeLessThan(30)
    expect(seconds).toBeLessThan(120)
    for (const fn of fns) expect(await layersOf(fn)).toEqual([])
  })
})

describe('cancelled at three points while updates are in progress', () => {
  // After each update, the function stays InProgress for 2 s, as on Lambda.
  it.each([1, 3, 6])(
    'writes the summary with each function within 5 s of SIGINT (after %i updates)',
    async after => {
      const layer = unique(`cancel-window-${after}`)
      const fns = Array.from({ length: 6 }, (_, i) => unique(`fn-window${after}-${i}`))
      for (const fn of fns) await createFunction(fn)
      proxy.reset()
      simulateUpdateWindow(proxy, 2000)
      const update = (r: { op: string; resource?: string }) =>
        r.op === 'UpdateFunctionConfiguration' &&
        fns.some(f => (r.resource ?? '').endsWith(`:function:${f}`) || r.resource === f)
      let seenUpdates = 0
      let signal: (() => void) | undefined
      let signalledAt = 0
      let closedAt = 0
      proxy.on(update, () => {
        seenUpdates += 1
        if (seenUpdates === after) {
          signal?.()
          signal = undefined
        }
      })
      const run = await act(
        { 'layer-name': layer, functions: fns.join('\n') },
        workspace('six==1.17.0\n'),
        {
          onSpawn: child => {
            signal = () => {
              signalledAt = Date.now()
              child.kill('SIGINT')
            }
            child.on('close', () => (closedAt = Date.now()))
          }
        }
      )
      expect(signalledAt).toBeGreaterThan(0)
      expect(closedAt - signalledAt).toBeLessThan(5000)
      expect(run.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(/^The run was cancelled \(SIGINT\) while attaching /)
      // Every function has its row, with its true state.
      const rows = run.summary
        .split('<tr>')
        .filter(r => fns.some(f => r.includes(`:function:${f}<`)))
      expect(rows).toHaveLength(fns.length)
      const arn = run.outputs['layer-version-arn']
      for (const f of fns) {
        const row = rows.find(r => r.includes(`:function:${f}<`)) ?? ''
        const layers = await layersOf(f)
        if (layers.includes(arn)) expect(row).toMatch(/>updated<|unknown/)
        else expect(row).toMatch(/not changed|unknown|failed/)
      }
    },
    120_000
  )
})
