import { describe, expect, it } from '@jest/globals'
import { evaluateMarker, lambdaEnvironment } from '../../../src/requirements/markers.js'

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
