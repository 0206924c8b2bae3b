import fs from 'node:fs'
import path from 'node:path'
import { runAction } from '../__tests__/helpers/action.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
const { work, toolCache } = benchPython('prof-', '3.11')
const ws = path.join(work, 'ws')
fs.mkdirSync(ws)
fs.writeFileSync(path.join(ws, 'requirements.txt'), 'requests\nnumpy<2.3\npandas<2.3\npydantic\n')
const extra = JSON.parse(process.argv[2] ?? '{}')
const run = await runAction(
  { 'layer-name': 'prof', runtimes: 'python3.11', publish: 'false', cache: 'false', ...extra },
  { workspace: ws, toolCache, wrap: [process.execPath, '/tmp/w.mjs'] }
)
console.log(
  run.log
    .split('\n')
    .filter(l => l.startsWith('TIME'))
    .join('\n'),
  run.errors
)
