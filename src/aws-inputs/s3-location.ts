/** The `s3-bucket` input: the bucket, and the prefix under it, that zips go to. */
import { ActionError } from '../errors.js'

export interface S3Location {
  bucket: string
  /** "" or a prefix ending in "/". */
  prefix: string
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Parses `s3-bucket`: "bucket" or "bucket/some/prefix" (an s3:// URL is accepted too). */
export function parseS3Location(value: string): S3Location {
  const plain = value.trim().replace(/^s3:\/\//, '')
  const slash = plain.indexOf('/')
  const bucket = slash === -1 ? plain : plain.slice(0, slash)
  const prefix = slash === -1 ? '' : plain.slice(slash + 1).replace(/^\/+|\/+$/g, '')
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new ActionError(
      `Input \`s3-bucket\` is "${value}": "${bucket}" is shaped like an IP address, which S3 does not allow as a bucket name. Use the bucket's name, e.g. "my-bucket" or "my-bucket/layers".`
    )
  }
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new ActionError(
      `Input \`s3-bucket\` is "${value}": "${bucket}" is not an S3 bucket name (3-63 lowercase letters, digits, "." and "-"). Use "my-bucket" or "my-bucket/layers".`
    )
  }
  return { bucket, prefix: prefix ? `${prefix}/` : '' }
}
