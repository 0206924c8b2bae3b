import { describe, expect, it } from '@jest/globals'
import { GlobError, globMatches, matchesEntry, parseGlob } from '../../../src/util/glob.js'

/** [pattern, path, path is a folder, matches (the path or a folder it is in)] */
const cases: Array<[string, string, boolean, boolean]> = [
  // literal names
  ['six.py', 'six.py', false, true],
  ['six.py', 'urllib3/packages/six.py', false, false],
  ['six.py', 'six.pyc', false, false],
  // * within one segment
  ['*.pyi', 'typing_extensions.pyi', false, true],
  ['*.pyi', 'pkg/core.pyi', false, false],
  ['boto3/*.py', 'boto3/session.py', false, true],
  ['boto3/*.py', 'boto3/dynamodb/conditions.py', false, false],
  ['idna-*.dist-info', 'idna-3.10.dist-info/RECORD', false, true],
  ['*', 'anything/at/all.py', false, true],
  // ? one character
  ['six.p?', 'six.py', false, true],
  ['six.p?', 'six.pyi', false, false],
  ['six.?y', 'six/y', false, false],
  // ** any number of segments, none included
  ['**/*.pyi', 'a.pyi', false, true],
  ['**/*.pyi', 'pkg/sub/deep/a.pyi', false, true],
  ['**/*.pyi', 'pkg/a.py', false, false],
  ['boto3/**/*.json', 'boto3/data/s3/2006-03-01/resources-1.json', false, true],
  ['boto3/**/*.json', 'boto3/x.json', false, true],
  ['boto3/**/*.json', 'botocore/data/x.json', false, false],
  ['a/**/b/**/c', 'a/b/c', false, true],
  ['a/**/b/**/c', 'a/x/y/b/z/c', false, true],
  ['a/**/b/**/c', 'a/x/c', false, false],
  // a folder pattern: the folder and everything in it
  ['boto3/**', 'boto3', true, true],
  ['boto3/**', 'boto3/__init__.py', false, true],
  ['boto3/**', 'boto3/dynamodb/types.py', false, true],
  ['boto3/**', 'boto3', false, false],
  ['boto3/**', 'boto3-1.35.0.dist-info/RECORD', false, false],
  ['boto3/', 'boto3/__init__.py', false, true],
  ['boto3/', 'boto3', false, false],
  ['**/tests/**', 'pandas/tests/frame/test_api.py', false, true],
  ['**/tests/**', 'numpy/_core/tests/data/x.csv', false, true],
  ['**/tests/**', 'tests/conftest.py', false, true],
  ['**/tests/**', 'pkg/tests.py', false, false],
  ['**/tests/**', 'pkg/contests/a.py', false, false],
  // a pattern without / at the end still takes a folder it matches, with its contents
  ['boto3', 'boto3/session.py', false, true],
  // characters that mean something in regular expressions stand for themselves
  ['a+b(1).py', 'a+b(1).py', false, true],
  ['a.py', 'aXpy', false, false],
  ['$x^.py', '$x^.py', false, true]
]

describe('globMatches', () => {
  it.each(cases)('%s on %s (folder: %s) → %s', (pattern, rel, folder, expected) => {
    expect(globMatches(parseGlob(pattern), rel, folder)).toBe(expected)
  })
})

describe('matchesEntry', () => {
  it('matches the path itself only, not through a folder it is in', () => {
    expect(matchesEntry(parseGlob('boto3/**'), 'boto3', true)).toBe(true)
    expect(matchesEntry(parseGlob('boto3'), 'boto3/session.py', false)).toBe(false)
  })

  it('keeps folder patterns off files', () => {
    expect(matchesEntry(parseGlob('**/tests/'), 'pkg/tests', false)).toBe(false)
    expect(matchesEntry(parseGlob('**/tests/'), 'pkg/tests', true)).toBe(true)
  })
})

describe('parseGlob refuses, saying why', () => {
  it.each([
    ['/abs/**', /absolute/],
    ['~/x', /absolute/],
    ['C:/x', /absolute/],
    ['../x', /"\.\." segment/],
    ['a/../b', /"\.\." segment/],
    ['./boto3/**', /"\." segment/],
    ['a//b', /empty path segment/],
    ['!boto3/**', /negation/],
    ['a\\b', /separate folders with \//],
    ['a**/b', /whole path segment/],
    ['**', /whole layer/],
    ['**/**', /whole layer/],
    ['[ab].py', /not supported/],
    ['{a,b}', /not supported/],
    ['', /empty/]
  ])('%p', (pattern, reason) => {
    expect(() => parseGlob(pattern)).toThrow(GlobError)
    expect(() => parseGlob(pattern)).toThrow(reason)
  })
})
