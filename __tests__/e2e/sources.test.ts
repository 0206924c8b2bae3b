/**
 * Packages with no wheel for the target, through the bundled dist/index.js
 * with real pip against the configured indexes: source-only pure-Python
 * dependencies deep in the tree are built into wheels with the runtime's
 * interpreter and installed, and the job summary lists them.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace, type ActionRun } from '../helpers/action.js'
import { awsEnv, unique } from '../helpers/aws.js'
import { entries } from '../helpers/layer.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
makeToolCache(toolCache, ['3.11', '3.12'])

async function build(
  requirements: string,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  return await runAction(
    { 'layer-name': 'sources', publish: 'false', ...inputs },
    { workspace: workspace(requirements), toolCache }
  )
}

describe('source-only pure-Python dependencies deep in the tree', () => {
  it.each([
    ['feedparser>=6,<=6.0.11', 'python3.12', 'sgmllib3k', 'sgmllib.py'],
    ['dnachisel>=3.2,<=3.2.16', 'python3.11', 'docopt', 'docopt.py']
  ])(
    '%s for %s: %s is built from source and installed',
    async (requirement, runtime, dep, file) => {
      const run = await build(`${requirement}\n`, { runtimes: runtime })
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      const packages = JSON.parse(run.outputs.packages) as string[]
      expect(packages.some(p => p.startsWith(`${dep}==`))).toBe(true)
      expect(entries(run.outputs['zip-path'])).toContain(`python/${file}`)
      expect(run.log).not.toMatch(/conflict with each other/)
      expect(run.summary).toMatch(
        new RegExp(
          `Built from source[\\s\\S]*${dep}==[^ ]+ \\(pure Python, built from its source distribution\\)`
        )
      )
    }
  )
})

describe('compiled source distributions', () => {
  describe('mmh3==3.0.0 (no wheel for Python 3.12) for python3.12 / x86_64', () => {
    let run: ActionRun
    beforeAll(async () => {
      run = await build('mmh3==3.0.0\n', { runtimes: 'python3.12', 'smoke-test': 'true' })
    })

    it('is built on the runner, repaired by auditwheel, verified and imported', () => {
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      expect(JSON.parse(run.outputs.packages)).toEqual(['mmh3==3.0.0'])
      const files = entries(run.outputs['zip-path'])
      expect(files.some(f => /^python\/mmh3\.cpython-312-x86_64-linux-gnu\.so$/.test(f))).toBe(true)
    })

    it('is marked in the job summary as built from source on the runner, with the policy', () => {
      expect(run.summary).toMatch(
        /mmh3==3\.0\.0 \(built from source on the runner \(auditwheel [\d.]+: manylinux_2_34_x86_64\)\)/
      )
    })
  })

  it('mmh3==3.0.0 for python3.12 / arm64 on an x86_64 runner: fails at once, naming the runner to use', async () => {
    const run = await build('mmh3==3.0.0\n', { runtimes: 'python3.12', architectures: 'arm64' })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /Package mmh3==3\.0\.0 has no wheel for python3\.12 \/ arm64 .*its source distribution needs a compiler\. This runner \(linux\/x64\) cannot build machine code for arm64 Lambda: run the job on a Linux runner of that CPU \(ubuntu-24\.04-arm\)/
    )
    // No compiler ran: the build stopped at the first compiler call.
    expect(run.log).not.toMatch(/\bgcc\b|x86_64-linux-gnu-gcc/)
  })

  it('build-from-source: pure refuses to compile it, saying how to allow it', async () => {
    const run = await build('mmh3==3.0.0\n', {
      runtimes: 'python3.12',
      'build-from-source': 'pure'
    })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /needs a compiler\. `build-from-source: pure` builds pure-Python packages only\. Set `build-from-source: auto`/
    )
  })

  it('build-from-source: false builds nothing, even a pure-Python package', async () => {
    const run = await build('feedparser==6.0.11\n', {
      runtimes: 'python3.12',
      'build-from-source': 'false'
    })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /Package sgmllib3k has no wheel for python3\.12 .*only a source distribution, and `build-from-source: false` builds none/
    )
  })

  describe('an extension that links a system library outside the manylinux policy (libyaml)', () => {
    let run: ActionRun
    beforeAll(async () => {
      const ws = workspace('lpl-zprobe==1.0\n')
      makeLibyamlSdist(path.join(ws, 'dists'))
      run = await runAction(
        {
          'layer-name': 'zprobe',
          publish: 'false',
          runtimes: 'python3.12',
          'pip-args': '--find-links ./dists',
          'smoke-test': 'true'
        },
        { workspace: ws, toolCache }
      )
    })

    it('gets the library vendored into the layer, and imports', () => {
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      const files = entries(run.outputs['zip-path'])
      expect(files.some(f => /^python\/lpl_zprobe\.libs\/libyaml-0-[0-9a-f]+\.so/.test(f))).toBe(
        true
      )
      expect(run.summary).toMatch(
        /lpl-zprobe==1\.0 \(built from source on the runner .*vendored libyaml-0-/
      )
    })
  })
})

/** A source distribution of an extension linked against libyaml, which no manylinux policy allows. */
function makeLibyamlSdist(dir: string): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zpkg-'))
  const src = path.join(root, 'lpl_zprobe-1.0')
  fs.mkdirSync(path.join(src, 'lpl_zprobe'), { recursive: true })
  fs.writeFileSync(
    path.join(src, 'setup.py'),
    "from setuptools import Extension, setup\nsetup(name='lpl-zprobe', version='1.0', packages=['lpl_zprobe'], ext_modules=[Extension('lpl_zprobe._z', ['lpl_zprobe/_z.c'], libraries=['yaml'])])\n"
  )
  fs.writeFileSync(
    path.join(src, 'PKG-INFO'),
    'Metadata-Version: 2.1\nName: lpl-zprobe\nVersion: 1.0\n'
  )
  fs.writeFileSync(path.join(src, 'lpl_zprobe', '__init__.py'), 'from ._z import yaml_version\n')
  fs.writeFileSync(
    path.join(src, 'lpl_zprobe', '_z.c'),
    [
      '#define PY_SSIZE_T_CLEAN',
      '#include <Python.h>',
      '#include <yaml.h>',
      'static PyObject *version(PyObject *self, PyObject *args) { return PyUnicode_FromString(yaml_get_version_string()); }',
      'static PyMethodDef methods[] = {{"yaml_version", version, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};',
      'static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_z", NULL, -1, methods};',
      'PyMODINIT_FUNC PyInit__z(void) { return PyModule_Create(&module); }',
      ''
    ].join('\n')
  )
  fs.mkdirSync(dir, { recursive: true })
  execFileSync('tar', [
    '-czf',
    path.join(dir, 'lpl_zprobe-1.0.tar.gz'),
    '-C',
    root,
    'lpl_zprobe-1.0'
  ])
}

describe('the import smoke test, on by default where the runner executes the target', () => {
  it('pandas==2.0.3 with numpy==2.2.6 for python3.11: fails with the binary incompatibility', async () => {
    const run = await build('pandas==2.0.3\nnumpy==2.2.6\n', { runtimes: 'python3.11' })
    expect(run.exitCode).toBe(1)
    const error = run.errors.join('\n')
    expect(error).toMatch(/^The import smoke test found \d+ problems?; the layer was not published/)
    expect(error).toMatch(/Importing pandas \(pandas==2\.0\.3\) .*binary incompatibility/)
    expect(error).toMatch(/pin the dependency to a release the package was built for/)
  })

  /** A layer of one module that reads a missing environment variable when imported. */
  async function buildEnvConfigured(inputs: Record<string, string> = {}): Promise<ActionRun> {
    const ws = workspace('./wheels/lpl_envcfg-1.0-py3-none-any.whl\n')
    makeWheel(path.join(ws, 'wheels'), {
      name: 'lpl_envcfg',
      version: '1.0',
      tag: 'py3-none-any',
      files: { 'lpl_envcfg.py': "import os\nURL = os.environ['LPL_ENVCFG_URL']\n" }
    })
    return await runAction(
      { 'layer-name': 'envcfg', publish: 'false', runtimes: 'python3.12', ...inputs },
      { workspace: ws, toolCache }
    )
  }

  it('a module that reads a missing environment variable at import: warns, naming it, and builds', async () => {
    const run = await buildEnvConfigured()
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(
      /::warning::Importing lpl_envcfg \(lpl_envcfg==1\.0\) with python3\.12 .*KeyError: 'LPL_ENVCFG_URL'.*does not prove the layer broken/
    )
  })

  it('smoke-test: true makes the same failure fatal', async () => {
    const run = await buildEnvConfigured({ 'smoke-test': 'true' })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(/Importing lpl_envcfg .*KeyError/)
  })
})

describe('bytecode that fits (compile: true)', () => {
  /** A wheel of modules that are each one large string literal, and compile to as much bytecode. */
  function bigSources(ws: string, name: string, files: number, text: () => string): void {
    const modules: Record<string, string> = {}
    for (let i = 0; i < files; i++) modules[`${name}/m${i}.py`] = `DATA = "${text()}"\n`
    modules[`${name}/__init__.py`] = ''
    makeWheel(path.join(ws, 'wheels'), {
      name,
      version: '1.0',
      tag: 'py3-none-any',
      files: modules
    })
  }

  it('a layer that fits the unzipped limit only without .pyc: ships without them, with a warning', async () => {
    const ws = workspace('./wheels/lpl_bigsrc-1.0-py3-none-any.whl\n')
    // 14 × 10 MiB of source: 140 MiB, and as much again in .pyc: 280 MiB.
    bigSources(ws, 'lpl_bigsrc', 14, () => 'a'.repeat(10 * 1024 * 1024))
    const run = await runAction(
      { 'layer-name': 'bigsrc', publish: 'false', runtimes: 'python3.12', 'smoke-test': 'false' },
      { workspace: ws, toolCache }
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(Number(run.outputs['unzipped-size'])).toBeLessThan(262_144_000)
    expect(entries(run.outputs['zip-path']).filter(f => f.endsWith('.pyc'))).toEqual([])
    expect(run.log).toMatch(
      /::warning::Precompiled bytecode \(\.pyc, [\d.]+ MiB\) would make the layer [\d.]+ MiB unzipped, over Lambda's limit of 250\.0 MiB; without it the layer is [\d.]+ MiB, so it ships without \.pyc files/
    )
    expect(run.summary).toMatch(/Warnings[\s\S]*Precompiled bytecode/)
  })

  it('a layer that even the least .pyc its sources make would take over the unzipped limit: nothing is compiled, with a warning', async () => {
    const ws = workspace('./wheels/lpl_bigdata-1.0-py3-none-any.whl\n')
    // 200 MiB of data and 4 × 10 MiB of source: the least .pyc estimated for 3.12 (0.65 byte per
    // byte of source) takes it over 250 MiB.
    const modules: Record<string, Buffer | string> = {
      'lpl_bigdata/__init__.py': '',
      'lpl_bigdata/blob.bin': Buffer.alloc(200 * 1024 * 1024)
    }
    for (let i = 0; i < 4; i++) {
      modules[`lpl_bigdata/m${i}.py`] = `DATA = "${'a'.repeat(10 * 1024 * 1024)}"\n`
    }
    makeWheel(path.join(ws, 'wheels'), {
      name: 'lpl_bigdata',
      version: '1.0',
      tag: 'py3-none-any',
      files: modules
    })
    const run = await runAction(
      { 'layer-name': 'bigdata', publish: 'false', runtimes: 'python3.12', 'smoke-test': 'false' },
      { workspace: ws, toolCache }
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(Number(run.outputs['unzipped-size'])).toBeLessThan(262_144_000)
    expect(entries(run.outputs['zip-path']).filter(f => f.endsWith('.pyc'))).toEqual([])
    expect(run.log).toMatch(
      /::warning::Precompiled bytecode \(\.pyc, an estimated [\d.]+ MiB or more from 40\.0 MiB of \.py sources\) would make the layer at least [\d.]+ MiB unzipped, over Lambda's limit of 250\.0 MiB; without it the layer is 240\.0 MiB, so nothing was compiled and it ships without \.pyc files/
    )
    // Decided before compiling: no .pyc was written, measured and removed.
    expect(run.log).not.toMatch(/Scan without bytecode/)
    expect(run.summary).not.toMatch(/Scan without bytecode/)
  })

  it('a zip that fits the direct upload only without .pyc: ships without them, with a warning', async () => {
    const ws = workspace('./wheels/lpl_bigzip-1.0-py3-none-any.whl\n')
    // 36 MiB of base64 noise in sources, and as much in .pyc: about 54 MiB zipped, 27 without.
    bigSources(ws, 'lpl_bigzip', 6, () => crypto.randomBytes(4.5 * 1024 * 1024).toString('base64'))
    const run = await runAction(
      { 'layer-name': unique('bigzip'), runtimes: 'python3.12', 'smoke-test': 'false' },
      { workspace: ws, toolCache, env: awsEnv() }
    )
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.published).toBe('true')
    expect(Number(run.outputs['code-size'])).toBeLessThanOrEqual(50 * 1024 * 1024)
    expect(run.log).toMatch(
      /::warning::The zip with precompiled bytecode \(\.pyc\) was [\d.]+ MiB, over the 50\.0 MiB Lambda accepts as a direct upload; without it, it is [\d.]+ MiB/
    )
  })
})

describe('old pins with no wheel for the runtime', () => {
  it.each([
    ['numpy==1.24.3', 'numpy 1.26.0'],
    ['pandas==1.1.3', 'pandas 2.1.1']
  ])(
    '%s for python3.12: the build fails, and the message names the first release with a wheel, not a traceback',
    async (requirement, first) => {
      const run = await build(`${requirement}\n`, { runtimes: 'python3.12' })
      expect(run.exitCode).toBe(1)
      const error = run.errors.join('\n')
      expect(error).toMatch(
        new RegExp(
          `^Package ${requirement.replace(/\./g, '\\.')} has no wheel for python3\\.12 / x86_64 .*, and building it from its source distribution failed`
        )
      )
      const [name, version] = first.split(' ')
      expect(error).toContain(
        `The first release after ${requirement.split('==')[1]} that has one is ${first}: pin ${name}==${version}`
      )
      // A few lines of what failed, not the traceback.
      expect(error.split('\n').length).toBeLessThanOrEqual(6)
      expect(error).not.toMatch(/Traceback|File "/)
    }
  )
})

it('a hash that does not match names the package, its line and both hashes', async () => {
  const wrong = '0'.repeat(64)
  const run = await build(`# pinned\nsix==1.17.0 --hash=sha256:${wrong}\n`, {
    runtimes: 'python3.12'
  })
  expect(run.exitCode).toBe(1)
  const error = run.errors.join('\n')
  expect(error).toMatch(
    new RegExp(
      `^A downloaded file does not match the hash the requirements allow; nothing was installed for python3\\.12 / x86_64 .*\\n- six==1\\.17\\.0 \\(requirements\\.txt, line 2\\): six-1\\.17\\.0-py2\\.py3-none-any\\.whl has sha256 [0-9a-f]{64}; allowed: ${wrong}`
    )
  )
  expect(error).not.toMatch(/Expected\s+or/)
})
