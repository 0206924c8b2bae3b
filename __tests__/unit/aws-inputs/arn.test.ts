import { describe, expect, it } from '@jest/globals'
import { ActionError } from '../../../src/errors.js'
import {
  arnLocation,
  layerArnFor,
  layerArnOf,
  layerVersionOf,
  parseFunctionName,
  parseLayerName
} from '../../../src/aws-inputs/arn.js'

const ACCOUNT = '123456789012'

describe('parseLayerName', () => {
  it.each([
    { value: 'deps', expected: { name: 'deps' } },
    { value: 'my_Layer-2', expected: { name: 'my_Layer-2' } },
    { value: 'a'.repeat(140), expected: { name: 'a'.repeat(140) } },
    {
      value: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:deps`,
      expected: { name: 'deps', arn: { partition: 'aws', region: 'us-east-1', account: ACCOUNT } }
    },
    {
      value: `arn:aws-cn:lambda:cn-north-1:${ACCOUNT}:layer:deps`,
      expected: {
        name: 'deps',
        arn: { partition: 'aws-cn', region: 'cn-north-1', account: ACCOUNT }
      }
    },
    {
      value: `arn:aws-us-gov:lambda:us-gov-west-1:${ACCOUNT}:layer:deps`,
      expected: {
        name: 'deps',
        arn: { partition: 'aws-us-gov', region: 'us-gov-west-1', account: ACCOUNT }
      }
    }
  ])('accepts $value', ({ value, expected }) => {
    expect(parseLayerName(value)).toEqual(expected)
  })

  it.each([
    { value: '', why: /empty/ },
    { value: 'has space', why: /letters, digits/ },
    { value: 'dots.not.allowed', why: /letters, digits/ },
    { value: 'a'.repeat(141), why: /141 characters.*140/ },
    { value: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:deps:3`, why: /drop ":3"/ },
    { value: `arn:aws:lambda:us-east-1:12345:layer:deps`, why: /layer ARN like/ },
    { value: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:deps`, why: /layer ARN like/ },
    { value: `arn:aws:s3:us-east-1:${ACCOUNT}:layer:deps`, why: /layer ARN like/ },
    { value: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:deps:latest`, why: /layer ARN like/ },
    { value: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:`, why: /layer ARN like/ },
    { value: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:${'a'.repeat(141)}`, why: /141/ }
  ])('rejects "$value" naming the input and the value', ({ value, why }) => {
    expect(() => parseLayerName(value)).toThrow(ActionError)
    expect(() => parseLayerName(value)).toThrow(`Invalid layer-name "${value}"`)
    expect(() => parseLayerName(value)).toThrow(why)
  })

  it('rejects a layer ARN in another region than the action', () => {
    expect(() =>
      parseLayerName(`arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:deps`, 'us-east-1')
    ).toThrow(/in eu-west-1 but the action runs in us-east-1/)
  })

  it('accepts a plain name whatever the region', () => {
    expect(parseLayerName('deps', 'eu-west-1')).toEqual({ name: 'deps' })
  })
})

describe('parseFunctionName', () => {
  const fullArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:api`
  it.each([
    { value: 'api', functionName: 'api', name: 'api', account: undefined },
    {
      value: 'a'.repeat(64),
      functionName: 'a'.repeat(64),
      name: 'a'.repeat(64),
      account: undefined
    },
    { value: 'api:$LATEST', functionName: 'api', name: 'api', account: undefined },
    {
      value: `${ACCOUNT}:function:api`,
      functionName: `${ACCOUNT}:function:api`,
      name: 'api',
      account: ACCOUNT
    },
    { value: fullArn, functionName: fullArn, name: 'api', account: ACCOUNT },
    { value: `${fullArn}:$LATEST`, functionName: fullArn, name: 'api', account: ACCOUNT }
  ])('accepts $value as $functionName', ({ value, functionName, name, account }) => {
    const ref = parseFunctionName(value, 'us-east-1')
    expect(ref).toMatchObject({ input: value, functionName, name })
    expect(ref.account).toBe(account)
  })

  it.each([
    ['api:live', 'api'],
    [`${ACCOUNT}:function:api:prod`, `${ACCOUNT}:function:api`],
    [`${fullArn}:blue-green_2`, fullArn]
  ])('keeps the alias of "%s" apart from the function', (value, functionName) => {
    const ref = parseFunctionName(value)
    expect(ref.functionName).toBe(functionName)
    expect(ref.name).toBe('api')
    expect(ref.alias).toBe(value.split(':').at(-1))
  })

  it('keeps the location of a full ARN', () => {
    expect(parseFunctionName(`arn:aws-cn:lambda:cn-north-1:${ACCOUNT}:function:api`).arn).toEqual({
      partition: 'aws-cn',
      region: 'cn-north-1',
      account: ACCOUNT
    })
  })

  it.each([
    { value: '', why: /empty/ },
    { value: 'has space', why: /expected a function name/ },
    { value: 'a'.repeat(65), why: /65 characters.*64/ },
    { value: 'api:7', why: /published version 7, which is immutable.*drop ":7"/ },
    { value: 'api:bad.alias', why: /neither \$LATEST nor an alias name/ },
    { value: 'api:', why: /expected a function name/ },
    { value: `${fullArn}:3`, why: /drop ":3"/ },
    { value: 'function:api', why: /expected a function name/ },
    { value: `12345:function:api`, why: /expected a function name/ },
    { value: `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:api`, why: /expected a function name/ },
    { value: `arn:aws:lambda:${ACCOUNT}:function:api`, why: /expected a function name/ },
    { value: 'arn:api', why: /expected a function name/ },
    { value: 'a:b:c', why: /expected a function name/ }
  ])('rejects "$value" naming the input and the value', ({ value, why }) => {
    expect(() => parseFunctionName(value)).toThrow(ActionError)
    expect(() => parseFunctionName(value)).toThrow(`Invalid functions entry "${value}"`)
    expect(() => parseFunctionName(value)).toThrow(why)
  })

  it('rejects a full ARN in another region than the action', () => {
    expect(() => parseFunctionName(fullArn, 'eu-west-1')).toThrow(
      /in us-east-1 but the action runs in eu-west-1; layers are regional/
    )
  })
})

describe('ARN helpers', () => {
  const layerArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:layer:deps`

  it.each([
    { arn: `${layerArn}:12`, expected: layerArn },
    { arn: layerArn, expected: layerArn },
    { arn: 'not-an-arn', expected: 'not-an-arn' }
  ])('layerArnOf($arn) is $expected', ({ arn, expected }) => {
    expect(layerArnOf(arn)).toBe(expected)
  })

  it.each([
    { arn: `${layerArn}:12`, expected: 12 },
    { arn: layerArn, expected: undefined }
  ])('layerVersionOf($arn) is $expected', ({ arn, expected }) => {
    expect(layerVersionOf(arn)).toBe(expected)
  })

  it('arnLocation reads partition, region and account', () => {
    expect(arnLocation(`arn:aws-cn:lambda:cn-north-1:${ACCOUNT}:function:api`)).toEqual({
      partition: 'aws-cn',
      region: 'cn-north-1',
      account: ACCOUNT
    })
  })

  it('arnLocation rejects what is not an ARN', () => {
    expect(arnLocation('api')).toBeUndefined()
  })

  it("layerArnFor builds a plain name's ARN from the function's location", () => {
    const location = { partition: 'aws', region: 'eu-west-1', account: '210987654321' }
    expect(layerArnFor({ name: 'deps' }, location)).toBe(
      'arn:aws:lambda:eu-west-1:210987654321:layer:deps'
    )
  })

  it('layerArnFor keeps a given layer ARN', () => {
    const location = { partition: 'aws', region: 'us-east-1', account: '210987654321' }
    const layer = { name: 'deps', arn: { partition: 'aws', region: 'us-east-1', account: ACCOUNT } }
    expect(layerArnFor(layer, location)).toBe(layerArn)
  })
})
