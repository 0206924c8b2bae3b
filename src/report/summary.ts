/** The job summary: what was built, published and attached, and how long each phase took. */
import * as core from '@actions/core'
import type { Finding } from './finding.js'
import { formatBytes } from '../util/format.js'

export interface SummaryData {
  layerName: string
  runtimes: string[]
  architectures: string[]
  zip?: { bytes: number; unzippedBytes: number; sha256: string; files: number }
  /** The version of each region (the first is the primary). */
  layers?: Array<{
    region: string
    layerVersionArn: string
    published: boolean
    /** The Signer job whose signed zip the version holds. */
    signingJobArn?: string
  }>
  /** share-with, per region: what was granted, kept and removed. */
  sharing: Array<{ region: string; text: string }>
  /** lambda-smoke-test-role: per runtime/architecture, what the import test on Lambda found. */
  lambdaTest: Array<{ target: string; text: string }>
  /** ssm-parameter, per region: the parameter and whether it was written. */
  parameters: Array<{ region: string; name: string; text: string }>
  /** keep-versions, per region: what was deleted and kept, and why. */
  pruning: Array<{ region: string; text: string }>
  publishDisabled: boolean
  cache: string
  /** The package index the action was given (codeartifact), without credentials. */
  index?: string
  /** "pip", or "uv 0.13.9" (and where pip took over). */
  installer?: string
  /** Where the layer was staged: "memory (/dev/shm)", "disk". */
  staging?: string
  /** How package code ran: isolated, or why not. */
  sandbox?: string
  packages: Array<{ runtime: string; packages: string[] }>
  /** Packages that had no wheel for the target and were built from source, with how. */
  builtFromSource?: string[]
  /** compile: .py files in the layer, those compiled, and those of test suites left as source. */
  bytecode?: { sources: number; compiled: number; testSuiteSources: number }
  /** strip: the ELF files stripped, their bytes before and after, those left as they were. */
  strip?: {
    elfFiles: number
    stripped: number
    before: number
    after: number
    /** Left as they were: nothing to strip, or not safe to strip. */
    left: number
    /** Left because strip refused them. */
    refused: number
  }
  /** exclude: what each pattern removed, and the packages removed entirely. */
  excluded?: {
    files: number
    bytes: number
    patterns: Array<{ pattern: string; files: number; bytes: number; where: string }>
    removedPackages: string[]
  }
  functions: Array<{ function: string; before?: string; after?: string; status: string }>
  /** all-functions-using-layer: the entries found beyond `functions`. */
  discovered?: string[]
  findings: Finding[]
  /** Warnings that do not stop the run (mismatches, end of support, duplicates). */
  warnings: string[]
  phases: Array<{ name: string; seconds: number }>
  error?: string
}

/** Every value that comes from inputs, packages or AWS goes through here before it reaches HTML. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** "deps:7" from a layer version ARN, for the functions table; other text as it is. */
function shortVersion(arn?: string): string {
  if (!arn) return 'none'
  const parts = arn.split(':')
  return escapeHtml(arn.startsWith('arn:') && parts.length >= 8 ? `${parts[6]}:${parts[7]}` : arn)
}

const code = (text: string): string => `<code>${escapeHtml(text)}</code>`

export async function writeSummary(data: SummaryData): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const s = core.summary
  s.addRaw(`<h3>Lambda layer ${escapeHtml(data.layerName)}</h3>`, true)
  if (data.error) {
    s.addRaw(`<p><b>Failed</b></p><pre>${escapeHtml(data.error)}</pre>`, true)
  }

  const rows: string[][] = []
  const several = (data.layers?.length ?? 0) > 1
  for (const layer of data.layers ?? []) {
    rows.push([
      several ? `Layer version (${escapeHtml(layer.region)})` : 'Layer version',
      `${code(layer.layerVersionArn)} (${layer.published ? 'new version' : 'reused: identical content'})${layer.signingJobArn ? `, signed by Signer job ${code(layer.signingJobArn)}` : ''}`
    ])
  }
  if (!data.layers?.length && data.publishDisabled) {
    rows.push(['Layer version', 'not published (publish: false)'])
  }
  if (data.zip) {
    rows.push(['Zip', `${formatBytes(data.zip.bytes)} (${data.zip.bytes} bytes)`])
    rows.push([
      'Unzipped',
      `${formatBytes(data.zip.unzippedBytes)} (${data.zip.unzippedBytes} bytes, ${data.zip.files} files)`
    ])
    rows.push(['CodeSha256', code(data.zip.sha256)])
  }
  if (data.runtimes.length > 0) rows.push(['Runtimes', escapeHtml(data.runtimes.join(', '))])
  if (data.architectures.length > 0) {
    rows.push(['Architectures', escapeHtml(data.architectures.join(', '))])
  }
  rows.push(['Cache', escapeHtml(data.cache)])
  for (const probe of data.lambdaTest) {
    rows.push([`Imported on Lambda (${escapeHtml(probe.target)})`, escapeHtml(probe.text)])
  }
  for (const share of data.sharing) {
    rows.push([several ? `Shared (${escapeHtml(share.region)})` : 'Shared', escapeHtml(share.text)])
  }
  for (const parameter of data.parameters) {
    rows.push([
      several ? `Parameter Store (${escapeHtml(parameter.region)})` : 'Parameter Store',
      `${code(parameter.name)}: ${escapeHtml(parameter.text)}`
    ])
  }
  for (const prune of data.pruning) {
    rows.push([
      several ? `Old versions (${escapeHtml(prune.region)})` : 'Old versions',
      escapeHtml(prune.text)
    ])
  }
  if (data.installer) rows.push(['Installer', escapeHtml(data.installer)])
  if (data.staging) rows.push(['Staging', escapeHtml(data.staging)])
  if (data.sandbox) rows.push(['Package code', escapeHtml(data.sandbox)])
  if (data.index) rows.push(['Index', code(data.index)])
  if (data.builtFromSource && data.builtFromSource.length > 0) {
    rows.push(['Built from source', data.builtFromSource.map(escapeHtml).join('<br>')])
  }
  if (data.bytecode) {
    const { sources, compiled, testSuiteSources } = data.bytecode
    rows.push([
      'Bytecode',
      `${compiled.toLocaleString('en-US')} of ${sources.toLocaleString('en-US')} .py files compiled${testSuiteSources > 0 ? `; ${testSuiteSources.toLocaleString('en-US')} in packages' test suites left as source` : ''}`
    ])
  }
  if (data.strip) {
    const { elfFiles, stripped, before, after, left, refused } = data.strip
    const notes = [
      left > 0
        ? `${left.toLocaleString('en-US')} left as they were (nothing to strip, or not safe to strip: the log says why)`
        : '',
      refused > 0 ? `${refused.toLocaleString('en-US')} refused by strip` : ''
    ].filter(Boolean)
    rows.push([
      'Stripped',
      `${stripped.toLocaleString('en-US')} of ${elfFiles.toLocaleString('en-US')} ELF files${stripped > 0 ? `, ${formatBytes(before)} → ${formatBytes(after)} (${formatBytes(before - after)} saved)` : ''}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`
    ])
  }
  if (data.excluded) {
    rows.push([
      'Excluded',
      `${data.excluded.files.toLocaleString('en-US')} files (${formatBytes(data.excluded.bytes)})${data.excluded.removedPackages.length > 0 ? `; removed entirely: ${data.excluded.removedPackages.map(escapeHtml).join(', ')}` : ''}`
    ])
  }
  s.addTable([
    [
      { data: 'Item', header: true },
      { data: 'Value', header: true }
    ],
    ...rows
  ])

  if (data.discovered) {
    s.addRaw(
      `<p>Found using the layer (all-functions-using-layer): ${data.discovered.length === 0 ? 'none beyond <code>functions</code>' : data.discovered.map(escapeHtml).join(', ')}</p>`,
      true
    )
  }
  if (data.functions.length > 0) {
    s.addHeading('Functions', 4)
    s.addTable([
      [
        { data: 'Function', header: true },
        { data: 'Layer before', header: true },
        { data: 'Layer after', header: true },
        { data: 'Result', header: true }
      ],
      ...data.functions.map(f => [
        escapeHtml(f.function),
        shortVersion(f.before),
        shortVersion(f.after),
        escapeHtml(f.status)
      ])
    ])
  }

  if (data.warnings.length > 0) {
    s.addHeading('Warnings', 4)
    s.addList(data.warnings.map(w => `⚠️ ${escapeHtml(w).replace(/\r?\n/g, '<br>')}`))
  }

  if (data.findings.length > 0) {
    s.addHeading('Checks', 4)
    s.addList(
      data.findings.map(
        f =>
          `${f.severity === 'error' ? '❌' : '⚠️'} ${escapeHtml(f.message).replace(/\r?\n/g, '<br>')}`
      )
    )
  }

  if (data.excluded && data.excluded.patterns.length > 0) {
    s.addHeading('Excluded', 4)
    s.addTable([
      [
        { data: 'Pattern', header: true },
        { data: 'Files', header: true },
        { data: 'Size', header: true },
        { data: 'From', header: true }
      ],
      ...data.excluded.patterns.map(p => [
        code(p.pattern),
        p.files.toLocaleString('en-US'),
        formatBytes(p.bytes),
        escapeHtml(p.where || 'nothing')
      ])
    ])
  }

  for (const site of data.packages) {
    s.addDetails(
      `Packages for ${escapeHtml(site.runtime)} (${site.packages.length})`,
      `<pre>${site.packages.map(escapeHtml).join('\n')}</pre>`
    )
  }

  if (data.phases.length > 0) {
    s.addHeading('Phases', 4)
    s.addTable([
      [
        { data: 'Phase', header: true },
        { data: 'Seconds', header: true }
      ],
      ...data.phases.map(p => [escapeHtml(p.name), p.seconds.toFixed(1)])
    ])
  }
  await s.write()
}
