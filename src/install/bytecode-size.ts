/**
 * How much precompiled bytecode would add to a staged layer, estimated
 * before compiling: from the .py sources compileall would compile and the
 * bytes of .pyc CPython writes per byte of source. A layer that the .pyc
 * would certainly push over Lambda's unzipped limit is then not compiled at
 * all, instead of compiled, measured and emptied of its .pyc again.
 */
import path from 'node:path'
import type { LayerTree } from '../layer/scan.js'
import { inTestSuite } from './bytecode.js'

/**
 * Bytes of .pyc per byte of .py source, as compileall writes them
 * (unchecked-hash, test suites left as source), by CPython minor version.
 *
 * Measured on the layers of 22 real requirements files (bench/corpus/, and
 * pandas + scipy + scikit-learn + pyarrow + duckdb + matplotlib), compiled
 * by CPython 3.9 to 3.13. Whole layers gave 0.74–1.00 (3.9, 3.10),
 * 1.13–1.44 (3.11), 1.04–1.32 (3.12) and 1.04–1.34 (3.13). Single packages
 * with at least 1 MiB of sources spread wider: 0.54–0.99 (3.9, 3.10),
 * 0.63–1.52 (3.11), 0.60–1.40 (3.12, 3.13), with data tables (idna) and
 * long docstrings (fastapi) at the bottom and dense code (sympy, anyio) at
 * the top. A low bound is two thirds of the least a whole layer gave,
 * rounded down; a high bound lies above every package. 3.14 was not
 * measured: it gets the widest bounds.
 *
 * Only a low bound above the limit skips the compile, and a layer is
 * always measured after its compile: a layer made almost wholly of sources
 * like idna's tables could be estimated over the limit while its .pyc
 * would have fitted, and ship without them; none can ship over the limit.
 */
export const PYC_PER_SOURCE_BYTE: Readonly<Record<string, { low: number; high: number }>> = {
  '3.9': { low: 0.45, high: 1.15 },
  '3.10': { low: 0.45, high: 1.15 },
  '3.11': { low: 0.75, high: 1.65 },
  '3.12': { low: 0.65, high: 1.55 },
  '3.13': { low: 0.65, high: 1.55 }
}
const UNMEASURED = { low: 0.45, high: 1.65 }

/**
 * Bytes a .pyc has beyond what its source's size explains: the 16-byte
 * header and an empty module's code object (97–115 bytes measured for an
 * empty file). Counted in the upper bound only.
 */
export const PYC_PER_FILE = 128

/** A site folder of the layer and the Python minor version that compiles it. */
export interface BytecodeSite {
  /** Relative to the layer root, "/"-separated: python, or python/lib/python3.12/site-packages. */
  dir: string
  /** "3.12" */
  python: string
}

export interface BytecodeForecast {
  /** The staged layer's size now, before compiling (any .pyc already there included). */
  unzippedBytes: number
  /** Bytes of .pyc already in the layer (a wheel's own, or kept from the earlier zip). */
  bytecodeBytes: number
  /** The .py files compileall would compile (outside test suites), and their bytes. */
  sources: number
  sourceBytes: number
  /** The layer's unzipped size once compiled: at least `low`, at most `high`. */
  low: number
  high: number
}

/**
 * What compiling would make of the layer, from its tree before compiling
 * (walkLayer: names and sizes, no content). Files reached through a linked
 * folder are not counted as sources: compileall does not follow those.
 */
export function forecastBytecode(
  tree: LayerTree,
  sites: readonly BytecodeSite[]
): BytecodeForecast {
  let unzippedBytes = 0
  let bytecodeBytes = 0
  let sources = 0
  let sourceBytes = 0
  let lowPyc = 0
  let highPyc = 0
  for (const entry of tree.entries) {
    if (entry.directory) continue
    unzippedBytes += entry.size
    if (entry.rel.endsWith('.pyc')) {
      bytecodeBytes += entry.size
      continue
    }
    if (!entry.rel.endsWith('.py') || entry.abs !== path.join(tree.root, entry.rel)) continue
    const site = sites.find(s => entry.rel.startsWith(`${s.dir}/`))
    if (!site || inTestSuite(entry.rel.slice(site.dir.length + 1))) continue
    const ratio = PYC_PER_SOURCE_BYTE[site.python] ?? UNMEASURED
    sources++
    sourceBytes += entry.size
    lowPyc += entry.size * ratio.low
    highPyc += entry.size * ratio.high + PYC_PER_FILE
  }
  return {
    unzippedBytes,
    bytecodeBytes,
    sources,
    sourceBytes,
    // The .pyc already there may be replaced by those compiled (low), or
    // stay beside them (high).
    low: Math.max(unzippedBytes, Math.floor(unzippedBytes - bytecodeBytes + lowPyc)),
    high: Math.ceil(unzippedBytes + highPyc)
  }
}

/**
 * `fits`: even the most bytecode keeps the layer within `limit`. `near`:
 * the estimate cannot tell, so the layer is compiled and measured. `over`:
 * even the least bytecode takes it over, while without any .pyc it fits,
 * so nothing is compiled. `over-anyway`: it is over the limit without .pyc
 * too; compiling changes nothing, and the size check explains.
 */
export type BytecodeVerdict = 'fits' | 'near' | 'over' | 'over-anyway'

export function bytecodeVerdict(forecast: BytecodeForecast, limit: number): BytecodeVerdict {
  if (forecast.unzippedBytes - forecast.bytecodeBytes > limit) return 'over-anyway'
  if (forecast.high <= limit) return 'fits'
  if (forecast.low > limit) return 'over'
  return 'near'
}
