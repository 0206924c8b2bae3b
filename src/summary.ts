/** The job summary: what was built, published and attached, and how long each phase took. */
import * as core from '@actions/core'
import type { Finding } from './findings.js'
import { formatBytes } from './findings.js'

export interface SummaryData {
  layerName: string
  runtimes: string[]
  architectures: string[]
  zip?: { bytes: number; unzippedBytes: number; sha256: string; files: number }
  publish?: { layerVersionArn: string; published: boolean }
  publishDisabled: boolean
  cache: string
  packages: Array<{ runtime: string; packages: string[] }>
  functions: Array<{ function: string; before?: string; after?: string; status: string }>
  findings: Finding[]
  phases: Array<{ name: string; seconds: number }>
  error?: string
}

function versionOf(arn?: string): string {
  if (!arn) return '—'
  const parts = arn.split(':')
  return parts.length >= 8 ? `${parts[6]}:${parts[7]}` : arn
}

export async function writeSummary(data: SummaryData): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const s = core.summary
  s.addHeading(`Lambda layer ${data.layerName}`, 3)
  if (data.error) {
    s.addRaw(`<p><b>Failed</b></p><pre>${escape(data.error)}</pre>`, true)
  }

  const rows: string[][] = []
  if (data.publish) {
    rows.push([
      'Layer version',
      `<code>${data.publish.layerVersionArn}</code> (${data.publish.published ? 'new version' : 'reused: identical content'})`
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
    rows.push(['CodeSha256', `<code>${data.zip.sha256}</code>`])
  }
  if (data.runtimes.length > 0) rows.push(['Runtimes', data.runtimes.join(', ')])
  if (data.architectures.length > 0) rows.push(['Architectures', data.architectures.join(', ')])
  rows.push(['Cache', escape(data.cache)])
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
        escape(f.function),
        versionOf(f.before),
        versionOf(f.after),
        escape(f.status)
      ])
    ])
  }

  if (data.findings.length > 0) {
    s.addHeading('Checks', 4)
    s.addList(
      data.findings.map(
        f =>
          `${f.severity === 'error' ? '❌' : '⚠️'} ${escape(f.message).replace(/\r?\n/g, '<br>')}`
      )
    )
  }

  for (const site of data.packages) {
    s.addDetails(
      `Packages for ${site.runtime} (${site.packages.length})`,
      `<pre>${site.packages.map(escape).join('\n')}</pre>`
    )
  }

  if (data.phases.length > 0) {
    s.addHeading('Phases', 4)
    s.addTable([
      [
        { data: 'Phase', header: true },
        { data: 'Seconds', header: true }
      ],
      ...data.phases.map(p => [p.name, p.seconds.toFixed(1)])
    ])
  }
  await s.write()
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
