/**
 * What a run tells the workflow: its outputs (set in one place, when the run
 * ends, whatever happened), the job summary, and each phase's time, with one
 * log group per phase.
 */
import * as core from '@actions/core'
import { AsyncLocalStorage } from 'node:async_hooks'
import { describeFailure, errorMessage } from '../errors.js'
import { type BuiltLayer, packageList } from '../layer/built.js'
import { hexSha256 } from '../layer/zip.js'
import { cancellation, CancelledError } from '../util/cancel.js'
import { type SummaryData, writeSummary } from './summary.js'

/** The outputs of action.yml; those not reached keep these values. */
const DEFAULT_OUTPUTS = {
  'cache-hit': 'false',
  published: 'false',
  'ssm-parameter-written': 'false',
  'updated-functions': '[]',
  'function-versions': '{}'
}

export class RunReport {
  readonly summary: SummaryData
  private readonly outputs = new Map<string, string>(Object.entries(DEFAULT_OUTPUTS))

  constructor(layerName: string) {
    this.summary = {
      layerName,
      runtimes: [],
      architectures: [],
      publishDisabled: false,
      cache: 'not used',
      packages: [],
      functions: [],
      sharing: [],
      lambdaTest: [],
      parameters: [],
      pruning: [],
      findings: [],
      warnings: [],
      phases: []
    }
  }

  /** The phase running now (for a cancellation's message). */
  private current?: string
  /** Set inside work run alongside the main line (background): its phases are not "current". */
  private readonly side = new AsyncLocalStorage<true>()

  /** Runs `work` alongside the main line: its phases are timed, but a cancellation names the main line's. */
  async background<T>(work: () => Promise<T>): Promise<T> {
    return await this.side.run(true, work)
  }

  /** A warning for the log (an annotation) and the job summary. */
  warn(message: string): void {
    core.warning(message)
    this.summary.warnings.push(message)
  }

  /**
   * Warnings of one kind as one annotation: alone as it is; several under
   * `headline` with the first three and a count of the rest, so that a run
   * over hundreds of functions does not print hundreds of annotations.
   */
  warnTogether(items: readonly string[], headline: (count: number) => string): void {
    if (items.length === 0) return
    if (items.length === 1) {
      this.warn(items[0])
      return
    }
    const shown = items.slice(0, 3).join('; ')
    const more = items.length > 3 ? `; and ${items.length - 3} more` : ''
    this.warn(`${headline(items.length)}: ${shown}${more}.`)
  }

  /** Runs one phase: timed for the summary, its log in a group when `group` names one. */
  async phase<T>(name: string, work: () => Promise<T>, group?: string): Promise<T> {
    const start = Date.now()
    if (this.side.getStore() === undefined) this.current = name
    try {
      return group === undefined ? await work() : await core.group(group, work)
    } finally {
      this.summary.phases.push({ name, seconds: (Date.now() - start) / 1000 })
    }
  }

  output(name: string, value: string): void {
    this.outputs.set(name, value)
  }

  /** Records the layer, built now or restored, in the outputs and the summary. */
  layer(layer: BuiltLayer): void {
    const { zip } = layer
    core.info(
      `Layer zip: ${zip.path}, ${zip.bytes} bytes (${zip.unzippedBytes} unzipped, ${zip.files} files), CodeSha256 ${zip.sha256}`
    )
    this.summary.zip = zip
    this.summary.packages = layer.sites.map(s => ({
      runtime: s.runtime,
      packages: s.packages.map(p => `${p.name}==${p.version}`)
    }))
    this.summary.builtFromSource = [
      ...new Set(
        layer.sites.flatMap(s =>
          s.packages.flatMap(p =>
            p.builtFromSource ? [`${p.name}==${p.version} (${p.builtFromSource})`] : []
          )
        )
      )
    ]
    this.output('zip-path', zip.path)
    this.output('code-sha256', zip.sha256)
    this.output('zip-sha256', hexSha256(zip.sha256))
    this.output('code-size', String(zip.bytes))
    this.output('unzipped-size', String(zip.unzippedBytes))
    this.output('packages', JSON.stringify(packageList(layer)))
    if (layer.sbom) this.output('sbom-path', layer.sbom)
  }

  /** Records why the run failed: a user's error as its message, a bug with its stack too. */
  fail(error: unknown): void {
    if (cancellation.requested && !(error instanceof CancelledError && error.detailed)) {
      // Whatever stopped the run (a killed pip, an aborted call), the cancellation is the news.
      if (!(error instanceof CancelledError))
        core.info(`After the cancellation: ${errorMessage(error)}`)
      error = new CancelledError(
        cancellation.requested,
        this.cancelledMessage(cancellation.requested)
      )
    }
    const { message, stack } = describeFailure(error)
    if (stack) core.info(`Stack trace of the unexpected error:\n${stack}`)
    this.summary.error = message
    core.setFailed(message)
  }

  /** What a run cancelled before attaching changed: at most a published version. */
  private cancelledMessage(signal: string): string {
    const layers = this.summary.layers ?? []
    const published = layers.filter(l => l.published).map(l => l.layerVersionArn)
    const reused = layers.filter(l => !l.published).map(l => l.layerVersionArn)
    const what =
      layers.length === 0
        ? 'Nothing was published.'
        : published.length === 0
          ? `Layer version ${reused.join(', ')} was reused; nothing was published.`
          : `Layer version ${published.join(', ')} was published.${reused.length ? ` Layer version ${reused.join(', ')} was reused.` : ''}`
    return `The run was cancelled (${signal})${this.current ? ` during ${this.current}` : ''}. ${what} No function was changed.`
  }

  /** Sets the outputs and writes the job summary; never throws. */
  async finish(): Promise<void> {
    for (const [name, value] of this.outputs) core.setOutput(name, value)
    try {
      await writeSummary(this.summary)
    } catch (error) {
      core.warning(`Could not write the job summary: ${errorMessage(error)}`)
    }
  }
}
