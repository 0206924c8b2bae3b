/**
 * What is published is what was verified: the staged tree is fingerprinted
 * (each entry's inode, size, modification and change times) before the
 * import smoke test and the zip start, and again once both are done. A
 * change time cannot be set back by any program, so a file that package
 * code rewrote, added or removed while it was imported (possible only where
 * the runner allows no sandbox: in the sandbox the layer is read-only)
 * fails the step before anything is published.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ActionError } from '../errors.js'

export type TreeFingerprint = Map<string, string>

/** Every entry below `root`, by relative path. */
export function fingerprintTree(root: string): TreeFingerprint {
  const out: TreeFingerprint = new Map()
  const walk = (dir: string, rel: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name)
      const r = rel ? `${rel}/${entry.name}` : entry.name
      const s = fs.lstatSync(abs, { bigint: true })
      out.set(r, `${s.mode}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`)
      if (entry.isDirectory()) walk(abs, r)
    }
  }
  walk(root, '')
  return out
}

/** The entries added, removed or changed between two fingerprints. */
export function changedEntries(before: TreeFingerprint, after: TreeFingerprint): string[] {
  const changed: string[] = []
  for (const [rel, print] of before) {
    if (after.get(rel) !== print) changed.push(after.has(rel) ? rel : `${rel} (removed)`)
  }
  for (const rel of after.keys()) if (!before.has(rel)) changed.push(`${rel} (added)`)
  return changed.sort()
}

/** Fails when the staged tree is not as it was fingerprinted. */
export function assertUnchanged(root: string, before: TreeFingerprint): void {
  const changed = changedEntries(before, fingerprintTree(root))
  // A folder's times change with what is in it: name the files.
  const files = changed.filter(
    rel => !before.get(rel.replace(/ \((added|removed)\)$/, ''))?.startsWith('16')
  )
  if (changed.length === 0) return
  const shown = (files.length > 0 ? files : changed).slice(0, 10)
  throw new ActionError(
    `The staged layer changed while it was import-tested and zipped, so the zip may not be what was checked; nothing was published. Changed: ${shown.join(', ')}${changed.length > shown.length ? ', ...' : ''}. Package code wrote into the layer at import time: find the package that owns these files, and run the step where the sandbox is available (see the README's security model), where the layer is read-only to imports.`
  )
}
