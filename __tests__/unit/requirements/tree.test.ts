import { describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ActionError } from '../../../src/errors.js'
import { decodeRequirements, readRequirementsTree } from '../../../src/requirements/tree.js'

function folder(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tree-'))
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), content)
  }
  return dir
}

function refusal(file: string, cwd?: string): string {
  try {
    readRequirementsTree(file, cwd)
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError)
    return (error as Error).message
  }
  throw new Error(`${file} was accepted`)
}

describe('readRequirementsTree', () => {
  it('reads the file and the files it includes, in the order pip reads them', () => {
    const dir = folder({
      'requirements.txt': 'six==1.17.0  # pinned\n-r more/extra.txt\n-c constraints.txt\n',
      'more/extra.txt': 'idna\n',
      'constraints.txt': 'idna<4\n'
    })
    const tree = readRequirementsTree(path.join(dir, 'requirements.txt'))
    expect(tree.requirements).toEqual([
      {
        name: 'requirements.txt',
        lines: ['six==1.17.0', '-r more/extra.txt', '-c constraints.txt']
      },
      { name: 'more/extra.txt', lines: ['idna'] },
      { name: 'constraints.txt', lines: ['idna<4'] }
    ])
  })

  it('refuses files that include each other in a loop, naming the loop', () => {
    const dir = folder({
      'requirements.txt': 'six\n-r a.txt\n',
      'a.txt': '-c sub/b.txt\n',
      'sub/b.txt': '-r ../a.txt\n'
    })
    expect(refusal(path.join(dir, 'requirements.txt'))).toMatch(
      /include each other in a loop \(a\.txt → sub\/b\.txt → a\.txt\)/
    )
  })

  it('reads a file included twice, without a loop, once', () => {
    const dir = folder({
      'requirements.txt': '-r a.txt\n-r b.txt\n',
      'a.txt': '-c common.txt\n',
      'b.txt': '-c common.txt\n',
      'common.txt': 'six==1.17.0\n'
    })
    const names = readRequirementsTree(path.join(dir, 'requirements.txt')).requirements.map(
      r => r.name
    )
    expect(names).toEqual(['requirements.txt', 'a.txt', 'common.txt', 'b.txt'])
  })

  it('reads UTF-16 with a byte-order mark, as PowerShell writes pip freeze', () => {
    const text = 'six==1.17.0\r\nidna==3.10\r\n'
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])
    const bom8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
    for (const bytes of [le, be, bom8]) {
      expect(decodeRequirements(bytes)).toBe(text)
      const dir = folder({ 'requirements.txt': bytes })
      expect(
        readRequirementsTree(path.join(dir, 'requirements.txt')).requirements[0].lines
      ).toEqual(['six==1.17.0', 'idna==3.10'])
    }
  })

  describe('refuses a file that is not a requirements file, never quoting it', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

    it.each([
      [
        'an environment dump (NUL-separated)',
        `HOME=/root\0AWS_SECRET_ACCESS_KEY=${secret}\0`,
        /NUL bytes/
      ],
      [
        'a .env file',
        `# settings\nREGION=us-east-1\nAWS_SECRET_ACCESS_KEY=${secret}\n`,
        /line 2 assigns the variable REGION/
      ],
      ['a shell export', `export TOKEN=${secret}\n`, /line 1 assigns the variable TOKEN/],
      ['binary data that is not UTF-8', Buffer.from([0x80, 0x81, 0xfe, 0x41]), /not UTF-8/]
    ])('%s', (_what, content, why) => {
      const dir = folder({ 'requirements.txt': content })
      const message = refusal(path.join(dir, 'requirements.txt'))
      expect(message).toMatch(/^Input `requirements`: requirements\.txt is not a requirements file/)
      expect(message).toMatch(why)
      expect(message).not.toContain(secret)
    })

    it('an included file too, named as pip would find it', () => {
      const dir = folder({
        'requirements.txt': 'six\n-r secrets.env\n',
        'secrets.env': `API_KEY=${secret}\n`
      })
      const message = refusal(path.join(dir, 'requirements.txt'))
      expect(message).toMatch(/secrets\.env is not a requirements file .*API_KEY/)
      expect(message).not.toContain(secret)
    })

    it('/proc/self/environ (not regular text: NUL-separated)', () => {
      const message = refusal('/proc/self/environ', os.tmpdir())
      expect(message).toMatch(/is not a requirements file/)
      expect(message).not.toContain(process.env.PATH ?? 'PATH')
    })

    it('a device', () => {
      expect(refusal('/dev/null', os.tmpdir())).toMatch(/not a regular file/)
    })
  })

  it('keeps requirements that merely contain "=": pins, markers, options', () => {
    const dir = folder({
      'requirements.txt': [
        'six==1.17.0',
        'idna===3.10',
        'attrs ~= 23.0',
        'packaging; python_version=="3.12"',
        '--index-url=https://pypi.org/simple',
        'typing_extensions >= 4'
      ].join('\n')
    })
    expect(
      readRequirementsTree(path.join(dir, 'requirements.txt')).requirements[0].lines
    ).toHaveLength(6)
  })
})
