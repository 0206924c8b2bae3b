/**
 * The last step of `npm run package`, after `ncc build --stats-out`: from the
 * webpack stats of the build, writes dist/licenses.txt for every package in
 * the bundle, removes the chunks an earlier build left in dist/, and removes
 * the stats.
 *
 * ncc's own `--license` file holds only the packages of the chunk written
 * last once the bundle is split into chunks (the AWS SDK is in a chunk of
 * its own, loaded only by a run that publishes), so the packages of the
 * other chunks would be missing from it. The format is ncc's: for each
 * package, sorted by name, its name, the license its package.json declares
 * and the text of its license file.
 *
 *   npx tsx scripts/package-dist.ts <dist> <stats.json>
 */
import fs from 'node:fs'
import path from 'node:path'

interface StatsModule {
  identifier?: string
  modules?: StatsModule[]
}

const [dist, statsFile] = process.argv.slice(2)
if (!dist || !statsFile) throw new Error('usage: package-dist.ts <dist> <stats.json>')
const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as {
  assets?: Array<{ name: string }>
  modules?: StatsModule[]
}

/** The folder of the package a bundled file belongs to: the innermost node_modules/<name> (or <@scope/name>). */
function packageRoot(file: string): string | undefined {
  return /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]
}

const roots = new Set<string>()
const visit = (modules: StatsModule[] | undefined): void => {
  for (const m of modules ?? []) {
    // "<loader>!<loader>!/path/to/file.js|…": the file is the last "!" part.
    const file = (m.identifier ?? '').split('!').pop()?.split('|')[0] ?? ''
    const root = packageRoot(file)
    if (root) roots.add(fs.realpathSync(root))
    visit(m.modules)
  }
}
visit(stats.modules)

const notices = new Map<string, string>()
for (const root of roots) {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string
    license?: string | { type?: string }
  }
  const license =
    typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? '')
  const file = fs
    .readdirSync(root)
    .sort()
    .find(f => /^licen[cs]e/i.test(f) && fs.statSync(path.join(root, f)).isFile())
  const text =
    file === undefined
      ? []
      : [fs.readFileSync(path.join(root, file), 'utf8').replace(/\r\n/g, '\n')]
  notices.set(manifest.name, [manifest.name, license, ...text].join('\n'))
}
const body = [...notices.keys()]
  .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  .map(name => notices.get(name))
  .join('\n\n')
fs.writeFileSync(path.join(dist, 'licenses.txt'), body.endsWith('\n') ? body : `${body}\n`)

// Chunks are named by number: a build whose chunks changed leaves the old ones behind.
const emitted = new Set((stats.assets ?? []).map(a => a.name))
for (const name of fs.readdirSync(dist)) {
  if (name.endsWith('.js') && !emitted.has(name)) fs.rmSync(path.join(dist, name))
}
fs.rmSync(statsFile)
