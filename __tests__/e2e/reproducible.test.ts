/**
 * The layer's bytes are pinned: a fixed set of local wheels gives one known
 * CodeSha256. A change of the code that moves, adds or drops a byte of the
 * zip (entry order, timestamps, permissions, compression, bytecode) fails
 * here, so a refactoring can show that it changed nothing users get.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runAction, workspace } from '../helpers/action.js'
import { makeToolCache } from '../helpers/toolcache.js'
import { makeWheel } from '../helpers/wheel.js'

const toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
const versions = makeToolCache(toolCache, ['3.11'])

/** The sources' bytes are fixed; the wheels' own zip metadata does not reach the layer. */
function wheelhouse(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinned-wheels-'))
  makeWheel(dir, {
    name: 'pinned_alpha',
    version: '1.0.0',
    tag: 'py3-none-any',
    files: {
      'pinned_alpha/__init__.py': 'from .core import VALUE\n__all__ = ["VALUE"]\n',
      'pinned_alpha/core.py': 'VALUE = {"a", "b", "c"}\n\ndef double(x):\n    return 2 * x\n',
      'pinned_alpha/data/table.csv': 'k,v\n1,2\n3,4\n',
      'pinned_alpha/tests/test_core.py': 'def test_it():\n    assert True\n'
    }
  })
  makeWheel(dir, {
    name: 'pinned_beta',
    version: '2.1',
    tag: 'py3-none-any',
    files: {
      'pinned_beta.py': 'import pinned_alpha\nNAME = "beta" * 40\n',
      'pinned_beta_ext/Zeta.py': 'Z = 1\n',
      'pinned_beta_ext/__init__.py': ''
    }
  })
  return dir
}

// Recorded from the build before the code was reorganised into stage folders.
// The bytecode pin changed once, on purpose: pinned_alpha/tests/ is a test
// suite, which stays as source since build format 3 (no test_core.pyc).
const PINNED = {
  source: 'gGg9WdbppwYcBn+zZEMRMOxqtSLMHRu24erlUM7PBdA=',
  bytecode: 'bvo50kceMt6HUNkTzMD9QxurWRA0ddbZunCOfA8G31Y='
}
// .pyc bytes depend on the interpreter's minor version (its marshal format
// and compiler); pinned for the exact release these machines have.
const BYTECODE_PYTHON = '3.11.7'

describe('the layer zip for a fixed wheel set', () => {
  const wheels = wheelhouse()
  const ws = workspace('pinned_alpha==1.0.0\npinned_beta==2.1\n')
  const inputs = {
    'layer-name': 'pinned',
    runtimes: 'python3.11',
    publish: 'false',
    // Recorded with pip: each INSTALLER file says who installed it.
    installer: 'pip',
    'pip-args': `--no-index --find-links ${wheels}`
  }
  let source: string | undefined
  let bytecode: string | undefined

  beforeAll(async () => {
    expect(versions['3.11']).toBeDefined()
    const plain = await runAction({ ...inputs, compile: 'false' }, { workspace: ws, toolCache })
    expect(plain.errors).toEqual([])
    source = plain.outputs['code-sha256']
    const compiled = await runAction({ ...inputs, compile: 'true' }, { workspace: ws, toolCache })
    expect(compiled.errors).toEqual([])
    bytecode = compiled.outputs['code-sha256']
  })

  it('has the pinned CodeSha256 without bytecode', () => {
    expect(source).toBe(PINNED.source)
  })

  const sameInterpreter = versions['3.11'] === BYTECODE_PYTHON ? it : it.skip
  sameInterpreter('has the pinned CodeSha256 with bytecode', () => {
    expect(bytecode).toBe(PINNED.bytecode)
  })
})

describe('the same inputs on runners with other folders', () => {
  /**
   * A package with a console script: pip and uv write it to bin/ with a
   * shebang naming the interpreter's absolute path, and list it in RECORD.
   * The layer drops bin/ and must drop those rows with it.
   */
  function cliWheels(dir: string): string {
    makeWheel(dir, {
      name: 'pinned_cli',
      version: '1.0',
      tag: 'py3-none-any',
      files: {
        'pinned_cli/__init__.py': 'def main():\n    print("hi")\n',
        'pinned_cli-1.0.dist-info/entry_points.txt':
          '[console_scripts]\npinned-cli = pinned_cli:main\n'
      }
    })
    return dir
  }

  /** One build from a fresh workspace, RUNNER_TEMP and tool cache at paths of their own. */
  async function buildFrom(root: string, installer: string): Promise<string | undefined> {
    const ws = path.join(root, 'checkout', 'of', 'the', 'repository')
    fs.mkdirSync(ws, { recursive: true })
    fs.writeFileSync(path.join(ws, 'requirements.txt'), 'pinned_cli==1.0\n')
    cliWheels(path.join(ws, 'wheels'))
    const cache = path.join(root, 'hostedtoolcache')
    expect(makeToolCache(cache, ['3.11'])['3.11']).toBeDefined()
    const temp = path.join(root, '_temp')
    fs.mkdirSync(temp)
    const run = await runAction(
      {
        'layer-name': 'same-bytes',
        runtimes: 'python3.11',
        publish: 'false',
        cache: 'false',
        installer,
        'pip-args': `--no-index --find-links ${path.join(ws, 'wheels')}`
      },
      { workspace: ws, toolCache: cache, runnerTemp: temp }
    )
    expect(run.errors).toEqual([])
    return run.outputs['code-sha256']
  }

  it.each(['pip', 'uv'])(
    'gives the same CodeSha256 with %s',
    async installer => {
      const a = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-a-'))
      const b = fs.mkdtempSync(path.join(os.tmpdir(), 'a-runner-with-a-longer-work-folder-b-'))
      const first = await buildFrom(a, installer)
      const second = await buildFrom(b, installer)
      expect(first).toMatch(/^[A-Za-z0-9+/]{43}=$/)
      expect(second).toBe(first)
    },
    180_000
  )
})
