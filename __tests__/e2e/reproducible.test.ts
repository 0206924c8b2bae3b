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
