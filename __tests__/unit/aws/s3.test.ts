import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  GetBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

jest.unstable_mockModule('@actions/core', () => ({ info: jest.fn(), debug: jest.fn() }))
const { checkBucketVersioning, objectKey, uploadZip } = await import('../../../src/aws/s3.js')
const { parseS3Location } = await import('../../../src/aws-inputs/index.js')

const s3 = mockClient(S3Client)
const client = new S3Client({ region: 'eu-west-1' })
const zipBytes = Buffer.from('PK layer bytes')
const hex = crypto.createHash('sha256').update(zipBytes).digest('hex')
const zipFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 's3-')), 'layer.zip')
fs.writeFileSync(zipFile, zipBytes)

describe('parseS3Location', () => {
  it.each([
    ['my-bucket', { bucket: 'my-bucket', prefix: '' }],
    ['my-bucket/layers', { bucket: 'my-bucket', prefix: 'layers/' }],
    ['s3://my.bucket/a/b/', { bucket: 'my.bucket', prefix: 'a/b/' }]
  ])('%p', (value, expected) => {
    expect(parseS3Location(value)).toEqual(expected)
  })

  it.each(['My_Bucket', 'ab', 'a..b', '-bucket', `b${'x'.repeat(63)}`])(
    'rejects %p naming the input',
    value => {
      expect(() => parseS3Location(value)).toThrow(
        /Input `s3-bucket` is ".*": ".*" is not an S3 bucket name/
      )
    }
  )
})

describe('uploadZip', () => {
  beforeEach(() => {
    s3.reset()
  })

  it('stores the zip under <prefix><layer>/<sha256>.zip', async () => {
    s3.on(PutObjectCommand).resolves({})
    const { key, versionId } = await uploadZip(
      client,
      { bucket: 'b', prefix: 'layers/' },
      'deps',
      zipFile
    )
    expect(key).toBe(`layers/deps/${hex}.zip`)
    expect(versionId).toBeUndefined()
    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input
    expect(input).toMatchObject({ Bucket: 'b', Key: key })
    expect(Buffer.from(input.Body as Buffer)).toEqual(zipBytes)
  })

  it('returns the version of the object in a bucket with versioning (what Signer signs)', async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: 'v-3' })
    await expect(uploadZip(client, { bucket: 'b', prefix: '' }, 'deps', zipFile)).resolves.toEqual({
      key: `deps/${hex}.zip`,
      versionId: 'v-3'
    })
  })

  it('uses the bare layer name when given an ARN', () => {
    expect(
      objectKey(
        { bucket: 'b', prefix: '' },
        'arn:aws:lambda:eu-west-1:123456789012:layer:deps',
        zipBytes
      )
    ).toBe(`deps/${hex}.zip`)
  })

  it('names the bucket and the permission when the upload is denied', async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'Access Denied',
        $metadata: { httpStatusCode: 403 }
      })
    )
    await expect(uploadZip(client, { bucket: 'b', prefix: '' }, 'deps', zipFile)).rejects.toThrow(
      /s3:\/\/b\/deps\/.*\(input `s3-bucket`\) failed \(the credentials need s3:PutObject on arn:aws:s3:::b\/\*\).*Nothing was published/
    )
  })
})

describe('checkBucketVersioning', () => {
  beforeEach(() => {
    s3.reset()
  })

  it('passes a bucket with versioning Enabled, and one whose versioning may not be read', async () => {
    s3.on(GetBucketVersioningCommand).resolvesOnce({ Status: 'Enabled' })
    await checkBucketVersioning(client, { bucket: 'b', prefix: '' }, 'us-east-1')
    s3.on(GetBucketVersioningCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'Access Denied',
        $metadata: { httpStatusCode: 403 }
      })
    )
    await checkBucketVersioning(client, { bucket: 'b', prefix: '' }, 'us-east-1')
  })

  it('refuses a bucket whose versioning is suspended or was never enabled, saying how to enable it', async () => {
    s3.on(GetBucketVersioningCommand).resolvesOnce({ Status: 'Suspended' }).resolves({})
    await expect(
      checkBucketVersioning(client, { bucket: 'b', prefix: '' }, 'eu-west-1')
    ).rejects.toThrow(
      /needs versioning on bucket b \(input `s3-bucket`; versioning is Suspended\).*put-bucket-versioning --bucket b --versioning-configuration Status=Enabled --region eu-west-1/
    )
    await expect(
      checkBucketVersioning(client, { bucket: 'b', prefix: '' }, 'eu-west-1')
    ).rejects.toThrow(/versioning is never enabled/)
  })
})
