/** The job summary: what was built, published and attached, and how long each phase took. */
import * as core from '@actions/core'
import type { Finding } from '../checks/findings.js'
import { formatBytes } from '../util/format.js'

export interface SummaryData {
  layerName: string
  runtimes: string[]
  architectures: string[]
  zip?: { bytes: number; unzippedBytes: number; sha256: string; files: number }
  publish?: { layerVersionArn: string; published: boolean }
  publishDisabled: boolean
  cache: string
  /** The package index the action was given (codeartifact), without credentials. */
  index?: string
  /** "pip", or "uv 0.13.9" (and where pip took over). */
  installer?: string
  packages: Array<{ runtime: string; packages: string[] }>
  /** Packages that had no wheel for the target and were built from source, with how. */
  builtFromSource?: string[]
  functions: Array<{ function: string; before?: string; after?: string; status: string }>
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

/** "layer:deps:7" from a layer version ARN, for the functions table. */
function shortVersion(arn?: string): string {
  if (!arn) return 'none'
  const parts = arn.split(':')
  return escapeHtml(parts.length >= 8 ? `${parts[6]}:${parts[7]}` : arn)
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
  if (data.publish) {
    rows.push([
      'Layer version',
      `${code(data.publish.layerVersionArn)} (${data.publish.published ? 'new version' : 'reused: identical content'})`
    ])
  } else if (data.publishDisabled) {
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
  if (data.installer) rows.push(['Installer', escapeHtml(data.installer)])
  if (data.index) rows.push(['Index', code(data.index)])
  if (data.builtFromSource && data.builtFromSource.length > 0) {
    rows.push(['Built from source', data.builtFromSource.map(escapeHtml).join('<br>')])
  }
  s.addTable([
    [
      { data: 'Item', header: true },
      { data: 'Value', header: true }
    ],
    ...rows
  ])

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
