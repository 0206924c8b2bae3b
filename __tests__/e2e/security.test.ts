/**
 * What a hostile requirement, package or input must not achieve through the
 * bundled action: runner files in the layer (symbolic links), credentials in
 * the package build or the smoke test, pip-args that move the target, the
 * runner's path in the layer (-e), secrets in the log or the job summary,
 * HTML in the job summary, an IP address as S3 bucket.
 *
 * Each run gets its own RUNNER_TEMP, so every zip it wrote (the layer, the
 * cache copy) can be searched for what must not be there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { awsEnv, unique } from '../helpers/aws.js'
import {
  countingProxy,
  displayedLog,
  ENV_DUMP_MODULE,
  escapeRegExp,
  inParallel,
  leaksUnder,
  linesWith,
  makeEnvDumpProject,
  makeLinkedSdist,
  makeSetuptoolsProject,
  marker,
  pathForms,
  readDumps,
  tempDir,
  type CountingProxy
} from '../helpers/hostile.js'
import { entries, extract } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'

const toolCache = tempDir('toolcache-')
const versions = makeToolCache(toolCache, ['3.11', '3.12'])
const hostArch = process.arch === 'arm64' ? 'arm64' : 'x64'

function python(minor: '3.11' | '3.12'): string {
  return path.join(toolCache, 'Python', versions[minor], hostArch, 'bin', 'python3')
}

interface Run {
  result: ActionRun
  /** The run's RUNNER_TEMP: the layer zip and the cache copy are below it. */
  runnerTemp: string
  workspace: string
}

async function act(
  inputs: Record<string, string>,
  ws: string,
  env: Record<string, string | undefined> = {}
): Promise<Run> {
  const runnerTemp = tempDir('runner-temp-')
  const result = await runAction(inputs, { workspace: ws, toolCache, runnerTemp, env })
  return { result, runnerTemp, workspace: ws }
}

function errorOf(run: Run): string {
  return run.result.errors.join('\n')
}

/** Whether the action started `pip install` (the runner log echoes each command). */
function pipInstallRan(run: Run): boolean {
  return /^\[command\].* -m pip install /m.test(run.result.log)
}

describe('symbolic links in a local project (./pkg)', () => {
  // setuptools copies the bytes a link points at into the wheel, and pip
  // installs regular files: the staged layer never holds the link itself, only
  // the outside file's content under the link's name.
  const outside = tempDir('outside-')
  const fileSecret = marker('file-secret')
  const sshKey = marker('ssh-private-key')
  fs.writeFileSync(path.join(outside, 'secret.txt'), `${fileSecret}\n`)
  fs.mkdirSync(path.join(outside, 'sshdir'))
  fs.writeFileSync(
    path.join(outside, 'sshdir', 'id_rsa'),
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${sshKey}\n-----END OPENSSH PRIVATE KEY-----\n`
  )
  const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n')[0]

  interface OutsideLink {
    title: string
    /** The link, relative to the project: also where its content lands in the layer. */
    link: string
    target: string
    /** What the target holds that must not reach a zip. */
    secret: string
  }
  const outsideLinks: OutsideLink[] = [
    {
      title: 'a file outside the project holding a secret',
      link: 'leaky/secret.txt',
      target: path.join(outside, 'secret.txt'),
      secret: fileSecret
    },
    {
      title: '/etc/passwd',
      link: 'leaky/passwd.txt',
      target: '/etc/passwd',
      secret: passwd
    },
    {
      title: 'a folder outside the project holding id_rsa',
      link: 'leaky/keys',
      target: path.join(outside, 'sshdir'),
      secret: sshKey
    }
  ]

  /** requirements.txt `./pkg`: the distribution leaky-dist with the package leaky. */
  function linkedProject(
    links: Record<string, string>,
    files: Record<string, string> = {}
  ): string {
    const ws = workspace('./pkg\n')
    makeSetuptoolsProject(path.join(ws, 'pkg'), {
      name: 'leaky-dist',
      module: 'leaky',
      files,
      links,
      packageData: ['*.txt', 'keys/*']
    })
    return ws
  }

  const inputs = { 'layer-name': 'linked', runtimes: 'python3.12', publish: 'false' }
  const runs = new Map<string, Run>()
  let inside: Run
  let sdist: Run
  const sdistSecret = marker('sdist-secret')

  beforeAll(async () => {
    expect(versions['3.12']).toBeDefined()
    const sdistWs = workspace('tarlink==1.0\n')
    const sdistTarget = path.join(tempDir('outside-'), 'token.txt')
    fs.writeFileSync(sdistTarget, `${sdistSecret}\n`)
    makeLinkedSdist(path.join(sdistWs, 'dists'), {
      name: 'tarlink',
      version: '1.0',
      links: { 'tarlink/token.txt': sdistTarget }
    })
    await inParallel([
      ...outsideLinks.map(c => async () => {
        runs.set(c.title, await act(inputs, linkedProject({ [c.link]: c.target })))
      }),
      async () => {
        inside = await act(
          inputs,
          linkedProject(
            { 'leaky/alias.py': 'real.py' },
            { 'leaky/real.py': `ANSWER = 42  # ${marker('real')}\n` }
          )
        )
      },
      async () => {
        sdist = await act(
          { ...inputs, 'pip-args': `--find-links ${path.join(sdistWs, 'dists')}` },
          sdistWs
        )
      }
    ])
  })

  it.each(outsideLinks)(
    '$title: the build fails, naming the file, its package and the link target',
    ({ title, link, target }) => {
      const run = runs.get(title) as Run
      expect(run.result.exitCode).toBe(1)
      const error = errorOf(run)
      expect(error).toContain(link)
      // The distribution, or the local project as requirements.txt names it.
      expect(error).toMatch(/leaky[-_]dist|\.\/pkg\b|(^|[\s"'`(])pkg\//i)
      expect(error).toMatch(new RegExp(pathForms(target).map(escapeRegExp).join('|')))
    }
  )

  it.each(outsideLinks)('$title: no zip holds its content', ({ title, secret }) => {
    const run = runs.get(title) as Run
    expect(leaksUnder(run.runnerTemp, [secret])).toEqual([])
  })

  it('a link that stays inside the package: the build succeeds', () => {
    expect(inside.result.errors).toEqual([])
    expect(inside.result.exitCode).toBe(0)
  })

  it("a link that stays inside the package: the layer holds a regular file with the target's bytes", () => {
    const tree = extract(inside.result.outputs['zip-path'])
    const alias = path.join(tree, 'python', 'leaky', 'alias.py')
    expect(fs.lstatSync(alias).isSymbolicLink()).toBe(false)
    const real = fs.readFileSync(path.join(inside.workspace, 'pkg', 'leaky', 'real.py'))
    expect(fs.readFileSync(alias)).toEqual(real)
    // And it works as a module, on a clean interpreter, the way Lambda imports it.
    const answer = execFileSync(
      python('3.12'),
      [
        '-I',
        '-S',
        '-c',
        'import sys; sys.path.insert(0, sys.argv[1]); import leaky.alias as a; print(a.ANSWER)',
        path.join(tree, 'python')
      ],
      { encoding: 'utf8' }
    )
    expect(answer.trim()).toBe('42')
  })

  it("an sdist whose archive links to a runner file (tar keeps the link, the build copies the target): the file's bytes reach no zip", () => {
    expect(leaksUnder(sdist.runnerTemp, [sdistSecret])).toEqual([])
  })
})

describe('credentials in the environment of the package build and the smoke test', () => {
  const secrets: Record<string, string> = {
    AWS_ACCESS_KEY_ID: marker('AKIA-key-id'),
    AWS_SECRET_ACCESS_KEY: marker('aws-secret'),
    AWS_SESSION_TOKEN: marker('aws-session'),
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: marker('oidc-request-token'),
    ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:9/${marker('oidc-url')}`,
    ACTIONS_RUNTIME_TOKEN: marker('runtime-token'),
    ACTIONS_RESULTS_URL: `http://127.0.0.1:9/${marker('results-url')}/`,
    GITHUB_TOKEN: marker('ghs-token'),
    MY_API_TOKEN: marker('my-api-token'),
    DB_SECRET: marker('db-secret')
  }
  // What pip itself needs must still reach it (and so the build it runs).
  const pipNeeds: Record<string, string> = {
    PIP_DEFAULT_TIMEOUT: '61',
    HTTPS_PROXY: 'http://proxy.example.invalid:3128',
    NO_PROXY: 'example.invalid'
  }
  let dumps: string
  let run: Run

  /** "<dump file>: <variable>" for each secret value found anywhere in a dump. */
  function leaked(prefix: string): string[] {
    const found: string[] = []
    for (const [file, env] of Object.entries(readDumps(dumps, prefix))) {
      const text = JSON.stringify(env)
      for (const [name, value] of Object.entries(secrets)) {
        if (text.includes(value)) found.push(`${file}: ${name}`)
      }
    }
    return found
  }

  beforeAll(async () => {
    expect(versions['3.11']).toBeDefined()
    const ws = workspace('./pkg\n')
    makeEnvDumpProject(path.join(ws, 'pkg'), secrets)
    run = await act(
      {
        'layer-name': 'envdump',
        runtimes: 'python3.11',
        publish: 'false',
        cache: 'false',
        'smoke-test': 'true',
        // The in-tree backend needs nothing from an index (HTTPS_PROXY goes nowhere).
        'pip-args': '--no-index'
      },
      ws,
      { ...secrets, ...pipNeeds }
    )
    const zip = run.result.outputs['zip-path']
    dumps = zip ? path.join(extract(zip), 'python', 'envdump_dumps') : ''
  })

  it('builds the package, whose wheel carries what its build saw, and imports its module', () => {
    expect(run.result.errors).toEqual([])
    expect(run.result.exitCode).toBe(0)
    expect(Object.keys(readDumps(dumps, 'build-')).length).toBeGreaterThan(0)
  })

  it('the package build (setup.py, build backend) sees none of the credentials', () => {
    expect(leaked('build-')).toEqual([])
  })

  it("the package build still gets pip's own settings: PIP_*, HTTPS_PROXY, NO_PROXY", () => {
    const builds = Object.values(readDumps(dumps, 'build-'))
    expect(builds.length).toBeGreaterThan(0)
    for (const env of builds) expect(env).toMatchObject(pipNeeds)
  })

  it(`the smoke test imports ${ENV_DUMP_MODULE} with none of the credentials (the module raises if it sees one)`, () => {
    expect(run.result.log).not.toContain('credentials visible at import')
    expect(run.result.log).toContain('imports in a clean interpreter')
  })
})

describe('pip-args that would move the target or change the wheel tags', () => {
  interface Refused {
    given: string
    /** The pip-args value; `dir` is a fresh empty folder standing for /x. */
    args: (dir: string) => string
    /** The argument as given, which the error must name. */
    token: string
    /** Whether the argument names a folder pip would install into. */
    folder: boolean
  }
  const refused: Refused[] = [
    { given: '--tar=/x', args: d => `--tar=${d}`, token: '--tar', folder: true },
    { given: '--targ /x', args: d => `--targ ${d}`, token: '--targ', folder: true },
    { given: '-qt/x', args: d => `-qt${d}`, token: '-qt', folder: true },
    { given: '-v -vt /x', args: d => `-v -vt ${d}`, token: '-vt', folder: true },
    {
      given: '--plat manylinux1_x86_64',
      args: () => '--plat manylinux1_x86_64',
      token: '--plat',
      folder: false
    },
    {
      given: '--python-ver 3.8',
      args: () => '--python-ver 3.8',
      token: '--python-ver',
      folder: false
    },
    { given: '--impl pp', args: () => '--impl pp', token: '--impl', folder: false },
    { given: '--ab none', args: () => '--ab none', token: '--ab', folder: false }
  ]
  const accepted = ['--index-url https://pypi.org/simple', '-q', '--no-cache-dir', '--pre']

  const refusedRuns = new Map<string, { run: Run; dir: string }>()
  const acceptedRuns = new Map<string, Run>()

  beforeAll(async () => {
    expect(versions['3.12']).toBeDefined()
    const inputs = { 'layer-name': 'pipargs', runtimes: 'python3.12', publish: 'false' }
    await inParallel([
      ...refused.map(c => async () => {
        const dir = tempDir('pip-args-target-')
        const run = await act({ ...inputs, 'pip-args': c.args(dir) }, workspace('six==1.17.0\n'))
        refusedRuns.set(c.given, { run, dir })
      }),
      ...accepted.map(args => async () => {
        acceptedRuns.set(
          args,
          await act({ ...inputs, 'pip-args': args }, workspace('six==1.17.0\n'))
        )
      })
    ])
  })

  it.each(refused)('$given is refused before pip runs, naming pip-args and $token', c => {
    const { run } = refusedRuns.get(c.given) as { run: Run }
    expect(run.result.exitCode).toBe(1)
    const error = errorOf(run)
    expect(error).toContain('pip-args')
    expect(error).toMatch(new RegExp(`(^|[\\s"'\`(])${escapeRegExp(c.token)}(?![\\w-])`))
    expect(pipInstallRan(run)).toBe(false)
  })

  it.each(refused.filter(c => c.folder))('$given writes nothing to the folder it names', c => {
    const { dir } = refusedRuns.get(c.given) as { dir: string }
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it.each(accepted)('%s is accepted', args => {
    const run = acceptedRuns.get(args) as Run
    expect(run.result.errors).toEqual([])
    expect(run.result.exitCode).toBe(0)
    expect(JSON.parse(run.result.outputs.packages)).toEqual(['six==1.17.0'])
  })
})

describe('an editable requirement (-e ./pkg)', () => {
  // pip --target installs an editable project as a .pth file and an
  // __editable__ finder that point at the project folder on the runner.
  let run: Run

  beforeAll(async () => {
    expect(versions['3.11']).toBeDefined()
    const ws = workspace('-e ./pkg\n')
    makeSetuptoolsProject(path.join(ws, 'pkg'), {
      name: 'edpkg',
      module: 'edpkg',
      files: { 'edpkg/__init__.py': 'VALUE = 42\n' }
    })
    run = await act({ 'layer-name': 'editable', runtimes: 'python3.11', publish: 'false' }, ws)
  })

  it('puts the package code in the layer, or fails with advice about -e', () => {
    if (run.result.exitCode === 0) {
      const names = entries(run.result.outputs['zip-path'])
      expect(names).toContain('python/edpkg/__init__.py')
      expect(names.filter(n => /__editable__|\.pth$/.test(n))).toEqual([])
    } else {
      expect(run.result.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(/editable|(^|\s|`)-e(\s|`|$)/)
    }
  })

  it("never leaves the runner's path of the project in a zip", () => {
    expect(leaksUnder(run.runnerTemp, pathForms(run.workspace))).toEqual([])
  })
})

describe('secrets in messages', () => {
  describe('requirements: /proc/self/environ', () => {
    const secret = marker('environ-secret')
    let run: Run

    beforeAll(async () => {
      expect(versions['3.12']).toBeDefined()
      run = await act(
        {
          'layer-name': 'environ',
          runtimes: 'python3.12',
          publish: 'false',
          requirements: '/proc/self/environ'
        },
        workspace('six==1.17.0\n'),
        { AWS_SECRET_ACCESS_KEY: secret }
      )
    })

    it('fails before pip runs, saying it is not a requirements file', () => {
      expect(run.result.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(
        /^Input `requirements`: \/proc\/self\/environ is not a requirements file/
      )
      expect(pipInstallRan(run)).toBe(false)
    })

    it('the log, as the runner displays it, does not show the secret', () => {
      expect(linesWith(displayedLog(run.result.log), secret)).toEqual([])
    })

    it('the job summary does not hold the secret', () => {
      expect(run.result.summary).not.toBe('')
      expect(linesWith(run.result.summary, secret)).toEqual([])
    })
  })

  describe.each([
    ['requirements: a .env file', 'secrets.env', ''],
    ['pip-args: -r of a .env file', 'requirements.txt', '-r secrets.env'],
    ['pip-args: -c /proc/self/environ', 'requirements.txt', '-c /proc/self/environ']
  ])('%s', (_what, requirements, pipArgs) => {
    const secret = marker('dotenv-secret')
    let run: Run

    beforeAll(async () => {
      const ws = workspace('six==1.17.0\n')
      fs.writeFileSync(
        path.join(ws, 'secrets.env'),
        `REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY=${secret}\n`
      )
      run = await act(
        {
          'layer-name': 'dotenv',
          runtimes: 'python3.12',
          publish: 'false',
          requirements,
          'pip-args': pipArgs
        },
        ws,
        { AWS_SECRET_ACCESS_KEY: secret }
      )
    })

    it('fails before pip runs, naming the input and the file, never its content', () => {
      expect(run.result.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(
        new RegExp(
          `^Input \`${pipArgs ? 'pip-args' : 'requirements'}\`: \\S+ is not a requirements file`
        )
      )
      expect(pipInstallRan(run)).toBe(false)
      expect(linesWith(displayedLog(run.result.log), secret)).toEqual([])
      expect(linesWith(run.result.summary, secret)).toEqual([])
    })
  })

  describe('a password in a requirement URL', () => {
    const token = 's3cr3tTok3n'
    let run: Run

    beforeAll(async () => {
      expect(versions['3.12']).toBeDefined()
      run = await act(
        {
          'layer-name': 'urltoken',
          runtimes: 'python3.12',
          publish: 'false',
          'pip-args': '--retries 0 --timeout 5'
        },
        workspace(`mypkg @ https://user:${token}@127.0.0.1:9/mypkg-1.0.tar.gz\n`)
      )
    })

    it('fails (nothing listens there)', () => {
      expect(run.result.exitCode).toBe(1)
    })

    it('the log, as the runner displays it, shows the password only as ***', () => {
      expect(linesWith(displayedLog(run.result.log), token)).toEqual([])
    })

    it('the job summary does not hold the password', () => {
      expect(linesWith(run.result.summary, token)).toEqual([])
    })
  })
})

describe('HTML in the job summary', () => {
  const name = '<img src=x onerror=alert(1)>'
  let run: Run

  beforeAll(async () => {
    run = await act(
      { 'layer-name': name, runtimes: 'python3.12', publish: 'false' },
      workspace('six==1.17.0\n')
    )
  })

  it('an invalid layer-name fails validation', () => {
    expect(run.result.exitCode).toBe(1)
    expect(errorOf(run)).toContain('layer-name')
  })

  it('the summary written on failure shows the name escaped, never as markup', () => {
    expect(run.result.summary).not.toBe('')
    expect(linesWith(run.result.summary, '<img')).toEqual([])
    expect(run.result.summary).toContain('&lt;img')
  })
})

describe('s3-bucket: an IP address', () => {
  let aws: CountingProxy
  let run: Run

  beforeAll(async () => {
    const endpoint = awsEnv().AWS_ENDPOINT_URL as string
    aws = await countingProxy(endpoint)
    run = await act(
      {
        'layer-name': unique('ipbucket'),
        runtimes: 'python3.12',
        publish: 'true',
        'aws-region': 'us-east-1',
        's3-bucket': '192.168.1.1'
      },
      workspace('six==1.17.0\n'),
      { ...awsEnv(), AWS_ENDPOINT_URL: aws.url }
    )
  })

  afterAll(async () => {
    await aws?.close()
  })

  it('fails, naming s3-bucket and the value', () => {
    expect(run.result.exitCode).toBe(1)
    expect(errorOf(run)).toContain('s3-bucket')
    expect(errorOf(run)).toContain('192.168.1.1')
  })

  it('makes no AWS call', () => {
    expect(aws.requests).toEqual([])
  })

  it('builds nothing', () => {
    expect(pipInstallRan(run)).toBe(false)
  })
})
