import fs from 'node:fs'
import path from 'node:path'
import { runAction } from '../__tests__/helpers/action.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
const { work, toolCache } = benchPython('prof-', '3.11')
const ws = path.join(work, 'ws')
fs.mkdirSync(ws)
fs.writeFileSync(path.join(ws, 'requirements.txt'), 'requests\nnumpy<2.3\npandas<2.3\npydantic\n')
const prof = '/tmp/prof-out'
fs.rmSync(prof, { recursive: true, force: true })
fs.mkdirSync(prof)
const t = Date.now()
const run = await runAction(
  { 'layer-name': 'prof', runtimes: 'python3.11', publish: 'false', cache: 'false' },
  { workspace: ws, toolCache, wrap: [process.execPath, '/tmp/w.mjs'] }
)
console.log('exit', run.exitCode, (Date.now() - t) / 1000, 's', run.errors)
