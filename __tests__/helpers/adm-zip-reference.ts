/**
 * The layer zip as adm-zip 0.6 writes it, entry after entry on one core with
 * the whole archive in memory: the reference that zipLayer's bytes are
 * compared with (same entries, names, fixed time, "made by" and modes).
 */
import AdmZip from 'adm-zip'
import fs from 'node:fs'
import type { LayerTree } from '../../src/layer/scan.js'
import { FIXED_TIME } from '../../src/layer/zip.js'

const MADE_BY_UNIX_V20 = (3 << 8) | 20

/**
 * `sync`: adm-zip's synchronous writer, which makes the same bytes and does
 * not recurse per entry (its asynchronous one, used by default, overflows
 * the stack on a few thousand folders or empty files in a row).
 */
export async function admZipLayer(
  tree: LayerTree,
  options: { sync?: boolean } = {}
): Promise<Buffer> {
  const zip = new AdmZip({ noSort: true })
  for (const item of tree.entries) {
    const data = item.directory ? Buffer.alloc(0) : fs.readFileSync(item.abs)
    const entry = zip.addFile(
      item.name,
      data,
      '',
      item.directory || item.executable ? 0o755 : 0o644
    )
    entry.header.time = FIXED_TIME
    entry.header.made = MADE_BY_UNIX_V20
  }
  if (options.sync === true) return zip.toBuffer()
  return await new Promise<Buffer>((resolve, reject) => {
    zip.toBuffer(
      (data: Buffer) => resolve(data),
      (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)))
    )
  })
}
