import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  SSMServiceException
} from '@aws-sdk/client-ssm'
import { mockClient } from 'aws-sdk-client-mock'

jest.unstable_mockModule('@actions/core', () => ({
  info: jest.fn(),
  debug: jest.fn(),
  warning: jest.fn(),
  group: async (_name: string, work: () => Promise<unknown>) => await work()
}))
const { checkParameter, writeParameter } = await import('../../../src/aws/ssm.js')
const { nameProblem, parseFunctionName, parseSsmParameter } =
  await import('../../../src/aws-inputs/index.js')
const { writeLayerParameter } = await import('../../../src/aws/index.js')
const { RunReport } = await import('../../../src/report/run-report.js')

const ssm = mockClient(SSMClient)
const client = new SSMClient({ region: 'eu-west-1' })
const ARN = 'arn:aws:lambda:eu-west-1:123456789012:layer:deps:7'
const layer = {
  regions: ['eu-west-1'],
  runtimes: ['python3.12' as const],
  architectures: ['x86_64' as const]
}
const notFound = (): ParameterNotFound =>
  new ParameterNotFound({ message: 'Parameter /layers/deps not found.', $metadata: {} })
const denied = (action: string): SSMServiceException =>
  new SSMServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    message: `User is not authorized to perform: ${action}`,
    $metadata: { httpStatusCode: 400 }
  })

describe('parseSsmParameter', () => {
  it.each([
    ['/layers/my-deps', '/layers/my-deps'],
    ['my_deps.arn', 'my_deps.arn'],
    ['  /layers/deps  ', '/layers/deps'],
    ['/layers/{runtime}/{architecture}/deps', '/layers/python3.12/x86_64/deps'],
    ['/layers/{region}/deps', '/layers/eu-west-1/deps'],
    [`/${Array.from({ length: 15 }, (_, i) => `l${i}`).join('/')}`, undefined]
  ])('accepts %p', (value, expected) => {
    const names = parseSsmParameter(value, layer)
    expect(names?.get('eu-west-1')).toBe(expected ?? value)
  })

  it('is undefined when empty', () => {
    expect(parseSsmParameter('  ', layer)).toBeUndefined()
  })

  it('gives each region its own name with {region}, and the same name without', () => {
    const regions = { ...layer, regions: ['us-east-1', 'eu-west-1'] }
    expect([...(parseSsmParameter('/l/{region}', regions) ?? [])]).toEqual([
      ['us-east-1', '/l/us-east-1'],
      ['eu-west-1', '/l/eu-west-1']
    ])
    expect([...(parseSsmParameter('/l/deps', regions)?.values() ?? [])]).toEqual([
      '/l/deps',
      '/l/deps'
    ])
  })

  it.each([
    ['/layers/my deps', /a space/],
    ['/layers/déps', /"é"/],
    ['layers/deps', /starts with one/],
    ['/layers//deps', /empty level/],
    ['/layers/deps/', /empty level/],
    [`/${Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')}`, /16 levels/],
    ['/aws/deps', /reserved by AWS/],
    ['SSM-deps', /reserved by AWS/],
    ['/Awsome/deps', /reserved by AWS/],
    [`/l/${'x'.repeat(1000)}`, /1003 characters long.*at most 967 here/],
    ['/layers/{python}', /\{python\} is not a placeholder/],
    ['/layers/{region', /\{region is not a placeholder/]
  ])('refuses %p, naming the input and the value', (value, why) => {
    const run = (): unknown => parseSsmParameter(value, layer)
    expect(run).toThrow(/^Input `ssm-parameter` is "/)
    expect(run).toThrow(why)
  })

  it('refuses {runtime} and {architecture} when the layer has several', () => {
    expect(() =>
      parseSsmParameter('/l/{runtime}', { ...layer, runtimes: ['python3.11', 'python3.12'] })
    ).toThrow(
      'Input `ssm-parameter` is "/l/{runtime}": {runtime} names one runtime, but `runtimes` lists python3.11, python3.12'
    )
    expect(() =>
      parseSsmParameter('/l/{architecture}', { ...layer, architectures: ['x86_64', 'arm64'] })
    ).toThrow(/\{architecture\} names one architecture, but `architectures` lists x86_64, arm64/)
  })

  it('names the region whose name is too long after {region}', () => {
    const long = `/${'x'.repeat(1011 - 'arn:aws:ssm:us-east-1:123456789012:parameter/'.length - 4)}`
    // Fits in us-east-1 (4 characters to spare), not in ap-southeast-2 (5 more).
    expect(nameProblem(long, 'us-east-1')).toBeUndefined()
    expect(() =>
      parseSsmParameter(`${long}{region}`, { ...layer, regions: ['ap-southeast-2'] })
    ).toThrow(/\(".*ap-southeast-2" in ap-southeast-2\).*characters long/)
  })

  it('counts the ARN of the partition', () => {
    const name = `/${'x'.repeat(1011 - 'arn:aws:ssm:cn-north-1:123456789012:parameter/'.length)}`
    expect(nameProblem(name, 'cn-north-1')).toMatch(/characters long/)
    expect(nameProblem(name, 'eu-west-1')).toBeUndefined()
  })
})

describe('checkParameter (the preflight)', () => {
  beforeEach(() => {
    ssm.reset()
  })

  it('accepts a parameter that does not exist yet, or a String', async () => {
    ssm.on(GetParameterCommand).rejectsOnce(notFound())
    await expect(checkParameter(client, '/l/deps', 'eu-west-1')).resolves.toBeUndefined()
    ssm.on(GetParameterCommand).resolves({ Parameter: { Type: 'String', Value: ARN } })
    await expect(checkParameter(client, '/l/deps', 'eu-west-1')).resolves.toBeUndefined()
  })

  it('names ssm:GetParameter and the parameter when access is denied', async () => {
    ssm.on(GetParameterCommand).rejects(denied('ssm:GetParameter'))
    await expect(checkParameter(client, '/l/deps', 'eu-west-1')).rejects.toThrow(
      'Reading parameter /l/deps in eu-west-1 (input `ssm-parameter`) failed (the credentials need ssm:GetParameter on arn:aws:ssm:eu-west-1:<account>:parameter/l/deps)'
    )
  })

  it('refuses a parameter of another type before anything is published', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Type: 'SecureString', Value: 'x' } })
    await expect(checkParameter(client, '/l/deps', 'eu-west-1')).rejects.toThrow(
      /parameter \/l\/deps in eu-west-1 is a SecureString.*Nothing was published/
    )
  })
})

describe('writeParameter', () => {
  beforeEach(() => {
    ssm.reset()
  })

  it('writes a String with overwrite when the parameter is missing', async () => {
    ssm.on(GetParameterCommand).rejects(notFound())
    ssm.on(PutParameterCommand).resolves({ Version: 1 })
    await expect(writeParameter(client, '/l/deps', ARN, 'eu-west-1')).resolves.toBe('written')
    expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input).toEqual({
      Name: '/l/deps',
      Value: ARN,
      Type: 'String',
      Overwrite: true
    })
  })

  it('writes when the parameter holds another version', async () => {
    ssm.on(GetParameterCommand).resolves({
      Parameter: { Type: 'String', Value: ARN.replace(/:7$/, ':6') }
    })
    ssm.on(PutParameterCommand).resolves({ Version: 2 })
    await expect(writeParameter(client, '/l/deps', ARN, 'eu-west-1')).resolves.toBe('written')
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1)
  })

  it('makes no write when the parameter holds the version already', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Type: 'String', Value: ARN } })
    await expect(writeParameter(client, '/l/deps', ARN, 'eu-west-1')).resolves.toBe(
      'already held it'
    )
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0)
  })

  it('names ssm:PutParameter when the write is denied', async () => {
    ssm.on(GetParameterCommand).rejects(notFound())
    ssm.on(PutParameterCommand).rejects(denied('ssm:PutParameter'))
    await expect(writeParameter(client, '/l/deps', ARN, 'eu-west-1')).rejects.toThrow(
      /Writing parameter \/l\/deps in eu-west-1 .*ssm:PutParameter on arn:aws:ssm:eu-west-1:<account>:parameter\/l\/deps/
    )
  })
})

describe('writeLayerParameter (the phase)', () => {
  beforeEach(() => {
    ssm.reset()
  })

  const east = 'arn:aws:lambda:us-east-1:123456789012:layer:deps:3'
  const versions = [
    { region: 'us-east-1', layerArn: '', layerVersionArn: east, version: 3, published: false },
    { region: 'eu-west-1', layerArn: '', layerVersionArn: ARN, version: 7, published: true }
  ]
  const deployment = { regions: [], limits: { callTimeoutMs: 5000 } }
  const settings = {
    ssmParameter: new Map([
      ['us-east-1', '/l/us-east-1'],
      ['eu-west-1', '/l/eu-west-1']
    ]),
    functions: [parseFunctionName('api')]
  }

  it('reports each region in the summary and the output', async () => {
    ssm.on(GetParameterCommand, { Name: '/l/us-east-1' }).resolves({ Parameter: { Value: east } })
    ssm.on(GetParameterCommand, { Name: '/l/eu-west-1' }).rejects(notFound())
    ssm.on(PutParameterCommand).resolves({ Version: 1 })
    const report = new RunReport('deps')
    await writeLayerParameter(settings, deployment, versions, report)
    expect(report.summary.parameters).toEqual([
      { region: 'us-east-1', name: '/l/us-east-1', text: 'already held it' },
      { region: 'eu-west-1', name: '/l/eu-west-1', text: 'written' }
    ])
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1)
  })

  it('fails saying the layer and the functions are done and the parameter is not, and where', async () => {
    ssm.on(GetParameterCommand).rejects(notFound())
    ssm.on(PutParameterCommand, { Name: '/l/us-east-1' }).resolves({ Version: 1 })
    ssm.on(PutParameterCommand, { Name: '/l/eu-west-1' }).rejects(denied('ssm:PutParameter'))
    const report = new RunReport('deps')
    const failure = writeLayerParameter(settings, deployment, versions, report)
    await expect(failure).rejects.toThrow(
      `The layer is published and the functions are done (us-east-1: ${east}, eu-west-1: ${ARN}); the layer version ARN is not in Parameter Store in eu-west-1:\n- Writing parameter /l/eu-west-1 in eu-west-1 (input \`ssm-parameter\`) failed (the credentials need ssm:PutParameter`
    )
    await expect(failure).rejects.toThrow(
      /\nElsewhere: \/l\/us-east-1 in us-east-1: written\.\nA re-run writes it\.$/
    )
    expect(report.summary.parameters).toContainEqual({
      region: 'eu-west-1',
      name: '/l/eu-west-1',
      text: 'not written'
    })
  })

  it('does nothing without ssm-parameter', async () => {
    await writeLayerParameter({ functions: [] }, deployment, versions, new RunReport('deps'))
    expect(ssm.calls()).toHaveLength(0)
  })
})
