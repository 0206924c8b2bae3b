/**
 * Lock files and pyproject.toml as `requirements`, through the bundled
 * dist/index.js: uv.lock (read by uv), pylock.toml and Pipfile.lock (read as
 * data), a pyproject.toml with and without a lock. Markers are evaluated for
 * the target, hashes enforced, the project itself and the dev group left
 * out, local path dependencies installed as regular packages.
 */
import { describe, expect, it } from '@jest/globals'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT, runAction, type ActionRun } from '../helpers/action.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.12'])
const FIXTURES = path.join(ROOT, '__tests__', 'fixtures')

/** A workspace holding a copy of a fixture project under `project/`. */
function projectWorkspace(fixture: string): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-ws-'))
  fs.cpSync(path.join(FIXTURES, fixture), path.join(ws, 'project'), { recursive: true })
  return ws
}

async function build(
  ws: string,
  requirements: string,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return await runAction(
    {
      'layer-name': 'locked',
      publish: 'false',
      runtimes: 'python3.12',
      requirements,
      ...inputs
    },
    { workspace: ws, toolCache }
  )
}

/** The layer's distributions, names normalized (PEP 503). */
const names = (run: ActionRun) =>
  (JSON.parse(run.outputs.packages) as string[])
    .map(p =>
      p
        .split('==')[0]
        .toLowerCase()
        .replace(/[-_.]+/g, '-')
    )
    .sort()

describe('uv.lock', () => {
  it('installs the main dependencies for the target: no dev group, no project, the workspace library as a package', async () => {
    const run = await build(projectWorkspace('uv-project'), 'project/uv.lock')
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(names(run)).toEqual(['idna', 'lpl-helper', 'six'])
    expect(run.log).toMatch(/uv\.lock, read by uv 0\.13\.9 \(uv export/)
    const files = entries(run.outputs['zip-path'])
    expect(files).toContain('python/lpl_helper/__init__.py')
    // Never editable: no .pth, no link to the runner's checkout.
    expect(files.filter(f => /\.pth$|__editable__/.test(f))).toEqual([])
  })

  it('evaluates markers for the target: arm64 gets what is marked for aarch64', async () => {
    const run = await build(projectWorkspace('uv-project'), 'project/uv.lock', {
      architectures: 'arm64'
    })
    expect(run.errors).toEqual([])
    expect(names(run)).toEqual(['idna', 'lpl-helper', 'six', 'typing-extensions'])
  })

  it('adds the groups and extras asked for', async () => {
    const run = await build(projectWorkspace('uv-project'), 'project/uv.lock', {
      groups: 'lambda',
      extras: 's3'
    })
    expect(run.errors).toEqual([])
    expect(names(run)).toEqual(['certifi', 'idna', 'jmespath', 'lpl-helper', 'six'])
  })

  it('pyproject.toml with uv.lock beside it: reads the lock', async () => {
    const run = await build(projectWorkspace('uv-project'), 'project/pyproject.toml')
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(/pyproject\.toml has uv\.lock beside it/)
    expect(names(run)).toEqual(['idna', 'lpl-helper', 'six'])
  })
})

describe('pylock.toml (PEP 751)', () => {
  it('installs what it holds, for the target', async () => {
    const run = await build(projectWorkspace('uv-project'), 'project/pylock.lambda.toml')
    expect(run.errors).toEqual([])
    expect(names(run)).toEqual(['certifi', 'idna', 'jmespath', 'lpl-helper', 'six'])
    expect(run.log).toMatch(/read by the action \(PEP 751 data\)/)
  })

  it('a file whose hash is not the locked one fails, naming the package', async () => {
    const ws = projectWorkspace('uv-project')
    const lock = path.join(ws, 'project', 'pylock.lambda.toml')
    const text = fs.readFileSync(lock, 'utf8')
    // six's wheel and sdist hashes, replaced.
    const six = text.slice(text.indexOf('name = "six"'))
    const tampered = six.replace(/sha256 = "[0-9a-f]{64}"/g, `sha256 = "${'a'.repeat(64)}"`)
    fs.writeFileSync(lock, text.replace(six, tampered))
    const run = await build(ws, 'project/pylock.lambda.toml')
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /does not match the hash the requirements allow[\s\S]*- six==1\.17\.0 .*has sha256 [0-9a-f]{64}; allowed: a{64}/
    )
  })
})

describe('an index named by the lock', () => {
  it('is added to the install: a package only a private index serves installs, hash-checked', async () => {
    // A private simple index on disk (file://), serving one wheel.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'private-index-'))
    const wheel = makeWheel(path.join(root, 'files'), {
      name: 'lpl_locked',
      version: '1.0',
      tag: 'py3-none-any',
      files: { 'lpl_locked/__init__.py': 'LOCKED = True\n' }
    })
    const digest = crypto.createHash('sha256').update(fs.readFileSync(wheel)).digest('hex')
    fs.mkdirSync(path.join(root, 'simple', 'lpl-locked'), { recursive: true })
    fs.writeFileSync(
      path.join(root, 'simple', 'lpl-locked', 'index.html'),
      `<!DOCTYPE html><html><body><a href="../../files/${path.basename(wheel)}#sha256=${digest}">${path.basename(wheel)}</a></body></html>\n`
    )
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-ws-'))
    fs.writeFileSync(
      path.join(ws, 'pylock.toml'),
      [
        'lock-version = "1.0"',
        'created-by = "test"',
        '[[packages]]',
        'name = "lpl-locked"',
        'version = "1.0"',
        `index = "file://${root}/simple"`,
        `wheels = [{ name = "${path.basename(wheel)}", hashes = { sha256 = "${digest}" } }]`,
        ''
      ].join('\n')
    )
    const run = await build(ws, 'pylock.toml')
    expect(run.errors).toEqual([])
    expect(names(run)).toEqual(['lpl-locked'])
    expect(run.log).toContain(`Indexes named by the lock, added to pip's: file://${root}/simple.`)
  })
})

describe('a local path dependency with compiled parts', () => {
  /** A workspace with pylock.toml naming cext/, a C extension module. */
  function cextWorkspace(): string {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-cext-'))
    const project = path.join(ws, 'cext')
    fs.mkdirSync(project)
    fs.writeFileSync(
      path.join(project, 'pyproject.toml'),
      '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "lpl-cext"\nversion = "0.1"\n'
    )
    fs.writeFileSync(
      path.join(project, 'setup.py'),
      'from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("lpl_cext", ["lpl_cext.c"])])\n'
    )
    fs.writeFileSync(
      path.join(project, 'lpl_cext.c'),
      [
        '#include <Python.h>',
        'static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }',
        'static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};',
        'static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "lpl_cext", NULL, -1, methods};',
        'PyMODINIT_FUNC PyInit_lpl_cext(void) { return PyModule_Create(&module); }',
        ''
      ].join('\n')
    )
    fs.writeFileSync(
      path.join(ws, 'pylock.toml'),
      'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "lpl-cext"\ndirectory = { path = "cext" }\n'
    )
    return ws
  }

  it('is compiled where the runner runs the target, repaired by auditwheel, and imports', async () => {
    const run = await build(cextWorkspace(), 'pylock.toml', { 'smoke-test': 'true' })
    expect(run.errors).toEqual([])
    expect(names(run)).toEqual(['lpl-cext'])
    expect(run.log).toMatch(
      /Built the local project lpl-cext \(cext\) for python3\.12 \/ x86_64 .* and repaired it for manylinux_2_34_x86_64: lpl_cext-0\.1-cp312-cp312-\S*manylinux_2_34_x86_64\S*\.whl/
    )
    expect(
      entries(run.outputs['zip-path']).some(f =>
        /^python\/lpl_cext\.cpython-312-x86_64-linux-gnu\.so$/.test(f)
      )
    ).toBe(true)
  })

  it('fails for arm64 on this runner, no compiler having run, naming the runner to use', async () => {
    const run = await build(cextWorkspace(), 'pylock.toml', { architectures: 'arm64' })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /The local project lpl-cext \(cext\) compiles machine code, and no compiler runs for python3\.12 \/ arm64 .*ubuntu-24\.04-arm/
    )
  })
})

describe('Pipfile.lock', () => {
  it('installs default; markers for the target; develop only when asked', async () => {
    const ws = projectWorkspace('pipenv-project')
    const plain = await build(ws, 'project/Pipfile.lock')
    expect(plain.errors).toEqual([])
    expect(names(plain)).toEqual(['idna', 'six'])
    const dev = await build(ws, 'project/Pipfile.lock', {
      groups: 'develop',
      architectures: 'arm64'
    })
    expect(dev.errors).toEqual([])
    expect(names(dev)).toEqual(['certifi', 'idna', 'six', 'typing-extensions'])
  })

  it('a category it does not have fails before anything runs, naming it', async () => {
    const run = await build(projectWorkspace('pipenv-project'), 'project/Pipfile.lock', {
      groups: 'lambda'
    })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /Pipfile\.lock has no "lambda" category \(input `groups`\); it has default, develop/
    )
    expect(run.log).not.toMatch(/-m pip install/)
  })
})

describe('pyproject.toml without a lock', () => {
  it('installs [project].dependencies with the extras and groups asked for, resolved for the target', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-ws-'))
    fs.writeFileSync(
      path.join(ws, 'pyproject.toml'),
      [
        '[project]',
        'name = "svc"',
        'version = "1.0"',
        'dependencies = ["six==1.17.0", "colorama; sys_platform == \'win32\'"]',
        '[project.optional-dependencies]',
        's3 = ["jmespath==1.0.1"]',
        '[dependency-groups]',
        'dev = ["iniconfig"]',
        'lambda = [{include-group = "base"}]',
        'base = ["idna==3.10"]',
        ''
      ].join('\n')
    )
    const run = await build(ws, 'pyproject.toml', { extras: 's3', groups: 'lambda' })
    expect(run.errors).toEqual([])
    expect(names(run)).toEqual(['idna', 'jmespath', 'six'])
    expect(run.log).toMatch(
      /pyproject\.toml has no lock beside it: installing its \[project\]\.dependencies/
    )
  })

  it('an extra it does not have fails, naming it and what there is', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-ws-'))
    fs.writeFileSync(
      path.join(ws, 'pyproject.toml'),
      '[project]\nname = "svc"\nversion = "1.0"\ndependencies = []\n[project.optional-dependencies]\naws = ["boto3"]\n'
    )
    const run = await build(ws, 'pyproject.toml', { extras: 's3' })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /pyproject\.toml has no optional dependencies "s3" \(input `extras`\); it has aws/
    )
  })
})

describe('poetry.lock (Poetry 2)', () => {
  it('installs main for the target; groups, extras and markers as Poetry exports them', async () => {
    const ws = projectWorkspace('poetry-project')
    const plain = await build(ws, 'project/poetry.lock')
    expect(plain.errors).toEqual([])
    expect(names(plain)).toEqual(['idna', 'six'])
    expect(plain.log).toMatch(/poetry\.lock, read by the action \(poetry\.lock 2\.1 data/)
    const more = await build(ws, 'project/pyproject.toml', {
      groups: 'lambda',
      extras: 's3',
      architectures: 'arm64'
    })
    expect(more.errors).toEqual([])
    expect(names(more)).toEqual(['certifi', 'idna', 'jmespath', 'six', 'typing-extensions'])
  })
})

describe('poetry.lock written by Poetry 1 (lock-versions 2.0 and 1.1)', () => {
  it('2.0 (Poetry 1.8): walked from pyproject.toml as `poetry export` walks it, with an extra', async () => {
    const run = await build(projectWorkspace('poetry-1.8-project'), 'project/poetry.lock', {
      extras: 'cache'
    })
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(
      /poetry\.lock, read by the action \(poetry\.lock 2\.0, walked from pyproject\.toml as Poetry exports it\)/
    )
    // httpx[socks] brings socksio; importlib-metadata is for Python below 3.10; colorama for Windows.
    expect(names(run)).toEqual([
      'anyio',
      'cachetools',
      'certifi',
      'h11',
      'httpcore',
      'httpx',
      'idna',
      'six',
      'sniffio',
      'socksio',
      'typing-extensions'
    ])
  })

  it('1.1 (Poetry 1.2): the main dependencies for python3.12, the version of urllib3 locked for it', async () => {
    const run = await build(projectWorkspace('poetry-1.2-project'), 'project/pyproject.toml')
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(/poetry\.lock 1\.1, walked from pyproject\.toml/)
    expect(names(run)).toEqual([
      'anyio',
      'attrs',
      'botocore',
      'certifi',
      'h11',
      'httpcore',
      'httpx',
      'idna',
      'jmespath',
      'python-dateutil',
      'six',
      'sniffio',
      'socksio',
      'typing-extensions',
      'urllib3'
    ])
    expect(JSON.parse(run.outputs.packages)).toContain('urllib3==2.8.0')
  })
})

describe("the project's own Python range", () => {
  /** The run fails before any install, naming the file, the range and the runtimes that fit. */
  function refused(run: ActionRun, file: string, range: string): void {
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toContain(
      `Input \`runtimes\`: python3.12 is outside the Python range of the project: ${file} declares "${range}"`
    )
    expect(run.errors.join('\n')).toContain('Runtimes that fit: python3.13, python3.14.')
    expect(run.log).not.toMatch(/-m pip install|uv pip install|uv export/)
  }

  it('uv.lock: requires-python above the runtime fails before uv runs', async () => {
    const ws = projectWorkspace('uv-project')
    const lock = path.join(ws, 'project', 'uv.lock')
    fs.writeFileSync(
      lock,
      fs
        .readFileSync(lock, 'utf8')
        .replace('requires-python = ">=3.11"', 'requires-python = ">=3.13"')
    )
    refused(await build(ws, 'project/uv.lock'), 'project/uv.lock', '>=3.13')
  })

  it("poetry.lock: Poetry's python constraint in pyproject.toml (caret)", async () => {
    const ws = projectWorkspace('poetry-1.8-project')
    const pyproject = path.join(ws, 'project', 'pyproject.toml')
    fs.writeFileSync(
      pyproject,
      fs.readFileSync(pyproject, 'utf8').replace('python = "^3.9"', 'python = "^3.13"')
    )
    refused(await build(ws, 'project/poetry.lock'), 'project/pyproject.toml', '^3.13')
  })

  it('pyproject.toml without a lock: requires-python', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-ws-'))
    fs.writeFileSync(
      path.join(ws, 'pyproject.toml'),
      '[project]\nname = "svc"\nversion = "1.0"\nrequires-python = ">=3.13"\ndependencies = ["six==1.17.0"]\n'
    )
    refused(await build(ws, 'pyproject.toml'), 'pyproject.toml', '>=3.13')
  })
})

describe('a pylock.toml that is a requirements file', () => {
  it('is read as a requirements file, with a notice saying what it is', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-ws-'))
    // What `uv export -o pylock.toml` wrote before uv chose the format by the file name.
    fs.writeFileSync(
      path.join(ws, 'pylock.toml'),
      [
        '# This file was autogenerated by uv via the following command:',
        '#    uv export -o pylock.toml',
        'six==1.17.0 \\',
        '    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\',
        '    --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81',
        ''
      ].join('\n')
    )
    const run = await build(ws, 'pylock.toml')
    expect(run.errors).toEqual([])
    expect(run.log).toMatch(
      /::notice::requirements: pylock\.toml is a requirements file, not a PEP 751 lock \(older `uv export -o pylock\.toml` wrote one\)/
    )
    expect(names(run)).toEqual(['six'])
  })
})
