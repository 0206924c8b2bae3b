import { describe, expect, it } from '@jest/globals'
import {
  evaluateMarker,
  evaluateNode,
  lambdaEnvironment,
  parseMarker,
  withoutExtras
} from '../../../src/requirements/markers.js'

const x86 = lambdaEnvironment('python3.12', 'x86_64', '3.12.7')
const arm = lambdaEnvironment('python3.11', 'arm64', '3.11.9', {
  extras: ['S3_Extra'],
  dependencyGroups: ['lambda']
})

describe('evaluateMarker, for the Lambda target', () => {
  it.each<[string, boolean, boolean]>([
    ['python_version >= "3.12"', true, false],
    ['python_version < "3.12"', false, true],
    ['python_version == "3.11"', false, true],
    ['python_full_version >= "3.12.4"', true, false],
    ['python_version ~= "3.11"', true, true],
    ['python_version ~= "3.11.0"', false, true],
    ['platform_machine == "aarch64"', false, true],
    ["platform_machine == 'x86_64' or platform_machine == 'AMD64'", true, false],
    ['sys_platform == "win32"', false, false],
    ['sys_platform != "win32" and platform_system == "Linux"', true, true],
    ['os_name == "nt"', false, false],
    ['os.name == "posix"', true, true],
    ['implementation_name == "cpython" and python_version < "3.13"', true, true],
    ['platform_python_implementation != "PyPy"', true, true],
    [
      '(python_version < "3.10" or platform_machine == "aarch64") and sys_platform == "linux"',
      false,
      true
    ],
    ['"linux" in sys_platform', true, true],
    ['"win" not in sys_platform', true, true],
    ['python_version > "3.9" and python_version < "3.11"', false, false],
    ['extra == "s3-extra"', false, true],
    ['extra == "other"', false, false],
    ['"lambda" in dependency_groups', false, true],
    ['"lambda" not in dependency_groups', true, false],
    ['python_version >= "3.13.0a1"', false, false]
  ])('%s → x86_64/3.12: %p, arm64/3.11: %p', (marker, onX86, onArm) => {
    expect(evaluateMarker(marker, x86)).toBe(onX86)
    expect(evaluateMarker(marker, arm)).toBe(onArm)
  })

  it.each([
    ['python_version >', /expected a variable or a quoted string/],
    ['python_version >= "3.9', /unclosed quote/],
    ['(python_version >= "3.9"', /unclosed parenthesis/],
    ['platform_cpu == "x"', /unknown marker variable "platform_cpu"/],
    ['python_version >= "3.9" python_version', /unexpected text/]
  ])('refuses %p, naming the marker', (marker, why) => {
    expect(() => evaluateMarker(marker, x86)).toThrow(why)
    expect(() => evaluateMarker(marker, x86)).toThrow(marker)
  })
})

describe('withoutExtras, as poetry-core 1.9 takes extras out of a dependency marker', () => {
  // Expected: poetry-core's `marker.intersect(parent).without_extras()`, with
  // no parent condition (AnyMarker) and under `python_version >= "3.9"`, which
  // holds on every target here.
  const targets = [
    lambdaEnvironment('python3.12', 'x86_64', '3.12.7'),
    lambdaEnvironment('python3.9', 'arm64', '3.9.18')
  ]
  it.each<[string, string, string]>([
    ['extra == "a"', '', ''],
    ['extra == "a" or extra == "b"', '', ''],
    [
      'extra == "a" and python_version < "3.10"',
      'python_version < "3.10"',
      'python_version < "3.10"'
    ],
    [
      'python_version < "3.10" and (extra == "a" or extra == "b")',
      'python_version < "3.10"',
      'python_version < "3.10"'
    ],
    ['sys_platform == "win32" or extra == "a"', 'sys_platform == "win32"', ''],
    [
      '(extra == "a" or sys_platform == "win32") and python_version < "3.10"',
      'python_version < "3.10"',
      'python_version < "3.10"'
    ],
    ['(extra == "a" and extra == "b") or sys_platform == "win32"', '', ''],
    ['extra == "a" or extra == "b" or sys_platform == "win32"', 'sys_platform == "win32"', ''],
    [
      'platform_machine == "aarch64" and extra == "a" or python_version < "3.8" and extra == "b"',
      'platform_machine == "aarch64" or python_version < "3.8"',
      'platform_machine == "aarch64"'
    ]
  ])('%s → %p without a parent condition, %p under one', (marker, alone, under) => {
    for (const env of targets) {
      const holds = (node: ReturnType<typeof withoutExtras>) => !node || evaluateNode(node, env)
      const expected = (m: string) => !m || evaluateMarker(m, env)
      expect(holds(withoutExtras(parseMarker(marker), true))).toBe(expected(alone))
      expect(holds(withoutExtras(parseMarker(marker), false))).toBe(expected(under))
    }
  })
})
