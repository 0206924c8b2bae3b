import { describe, expect, it } from '@jest/globals'
import { filesNamed, indexArgs, parsePipOptions } from '../../../src/requirements/pip-args.js'

describe('parsePipOptions reads pip-args the way pip does', () => {
  it.each([
    [['--tar=/x'], /"--tar=\/x": pip reads it as --target/],
    [['--targ', '/x'], /"--targ": pip reads it as --target/],
    [['-qt/x'], /"-qt\/x": pip reads it as --target/],
    [['-v', '-vt', '/x'], /"-vt": pip reads it as --target/],
    [['--plat', 'manylinux1_x86_64'], /pip reads it as --platform/],
    [['--python-ver', '3.8'], /pip reads it as --python-version/],
    [['--impl', 'pp'], /pip reads it as --implementation/],
    [['--ab', 'none'], /pip reads it as --abi/],
    [['--python', '/usr/bin/python3'], /pip reads it as --python,/],
    [['-e', './pkg'], /pip reads it as --editable/],
    [['--pre=yes'], /--pre takes no value/],
    [['--no'], /ambiguous to pip/],
    [['--frobnicate'], /not an option of pip install/],
    [['-z'], /-z is not an option of pip install/],
    [['requests'], /packages belong in the requirements file/],
    [['--index-url'], /--index-url needs a value/]
  ])('%j is refused', (args, message) => {
    expect(() => parsePipOptions(args)).toThrow(message)
  })

  it('takes the next argument as a value, whatever it looks like', () => {
    expect(parsePipOptions(['--index-url', '--target']).map(o => o.name)).toEqual(['--index-url'])
  })

  it.each([
    [['--extra-index-url', 'https://x.example/simple', '--pre', '--no-deps']],
    [['-q', '--no-cache-dir', '-i', 'https://pypi.org/simple']],
    [['-vvq', '--find-links=./wheels', '--timeout', '60']]
  ])('%j is accepted', args => {
    expect(() => parsePipOptions(args)).not.toThrow()
  })

  it('names the index options and the local files', () => {
    const options = parsePipOptions([
      '-i',
      'https://a.example/simple',
      '--no-index',
      '-fwheels',
      '-c',
      'constraints.txt',
      '--extra-index-url=https://b.example/simple',
      '-q'
    ])
    expect(indexArgs(options)).toEqual([
      '--index-url',
      'https://a.example/simple',
      '--no-index',
      '--find-links',
      'wheels',
      '--extra-index-url',
      'https://b.example/simple'
    ])
    expect(filesNamed(options)).toEqual(['wheels', 'constraints.txt'])
  })
})

describe('requirementIndexArgs', () => {
  it("turns requirements files' index options into pip arguments, find-links resolved per file", async () => {
    const { requirementIndexArgs } = await import('../../../src/requirements/pip-args.js')
    expect(
      requirementIndexArgs([
        {
          path: '/ws/requirements.txt',
          lines: ['-i https://a.example/simple', 'six', '--find-links=wheels', '--no-index']
        },
        {
          path: '/ws/sub/more.txt',
          lines: ['-f ../local', '--extra-index-url https://b.example/simple', '--pre']
        }
      ])
    ).toEqual([
      '--index-url',
      'https://a.example/simple',
      '--find-links',
      '/ws/wheels',
      '--no-index',
      '--find-links',
      '/ws/local',
      '--extra-index-url',
      'https://b.example/simple',
      '--pre'
    ])
  })
})
