import fs from 'node:fs'
import path from 'node:path'
import { runAction } from '../__tests__/helpers/action.js'
import { startCacheService } from '../__tests__/helpers/cache-service.js'
import { benchPython } from '../__tests__/helpers/toolcache.js'
const { work, toolCache } = benchPython('prof-', '3.12')
const ws = path.join(work, 'ws')
fs.mkdirSync(ws)
fs.writeFileSync(path.join(ws, 'requirements.txt'), 'six\n')
const cache = await startCacheService(path.join(work, 'cache'))
const inputs = { 'layer-name': 'start', publish: 'false', runtimes: 'python3.12' }
const rt = () => {
  const d = path.join(work, 'rt')
  fs.rmSync(d, { recursive: true, force: true })
  fs.mkdirSync(d)
  return d
}
await runAction(inputs, { workspace: ws, toolCache, runnerTemp: rt(), env: { ...cache.env } })
fs.rmSync('/tmp/prof-out', { recursive: true, force: true })
const cpu = `const { spawnSync } = require('node:child_process'); const r = spawnSync(process.argv[1], ['--cpu-prof', '--cpu-prof-dir=/tmp/prof-out', '--cpu-prof-interval=200', ...process.argv.slice(2)], { stdio: 'inherit' }); process.exit(r.status ?? 1)`
const run = await runAction(inputs, {
  workspace: ws,
  toolCache,
  runnerTemp: rt(),
  env: { ...cache.env, RUNNER_DEBUG: '1' },
  wrap: [process.execPath, '-e', cpu]
})
console.log(run.exitCode, run.outputs['cache-hit'])
fs.writeFileSync('/tmp/hit.log', run.log)
await cache.stop?.()
process.exit(0)
