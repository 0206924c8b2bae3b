/**
 * `all-functions-using-layer`: the functions of a region that use any
 * version of the layer, found in the preflight and then updated as if they
 * had been named in `functions`. A function whose $LATEST has the layer is
 * listed by its ARN; an alias whose version has it, by the alias ARN, so
 * that it moves to a new version too.
 */
import { ListAliasesCommand, ListFunctionsCommand, type LambdaClient } from '@aws-sdk/client-lambda'
import { arnLocation, layerArnFor, layerArnOf, type LayerName } from '../aws-inputs/index.js'
import { call, type CallLimits, callError } from './client.js'

/** Items per page (ListFunctions returns at most 50 whatever is asked). */
const PAGE_SIZE = 50

/** The unqualified ARN of a function or of one of its versions. */
function unqualified(arn: string): string {
  const parts = arn.split(':')
  return parts.length > 7 ? parts.slice(0, 7).join(':') : arn
}

/**
 * The `functions` entries (function and alias ARNs) of `region` that use a
 * version of the layer (the layer of that name in each function's account,
 * or the layer ARN given), sorted.
 */
export async function functionsUsingLayer(
  client: LambdaClient,
  layer: LayerName,
  region: string,
  limits: CallLimits
): Promise<string[]> {
  const latest = new Set<string>()
  const versions = new Map<string, Set<string>>()
  let marker: string | undefined
  try {
    do {
      const page = await call(
        `ListFunctions (${region})`,
        limits.callTimeoutMs,
        async abortSignal =>
          await client.send(
            new ListFunctionsCommand({
              FunctionVersion: 'ALL',
              MaxItems: PAGE_SIZE,
              Marker: marker
            }),
            { abortSignal }
          ),
        { repeat: true }
      )
      for (const fn of page.Functions ?? []) {
        const arn = unqualified(fn.FunctionArn ?? '')
        const location = arnLocation(arn)
        if (!location) continue
        const ours = layerArnFor(layer, location)
        if (!(fn.Layers ?? []).some(l => l.Arn && layerArnOf(l.Arn) === ours)) continue
        if (fn.Version === undefined || fn.Version === '$LATEST') latest.add(arn)
        else versions.set(arn, (versions.get(arn) ?? new Set()).add(fn.Version))
      }
      marker = page.NextMarker || undefined
    } while (marker)
  } catch (error) {
    throw callError(
      `Listing the functions of ${region} (all-functions-using-layer)`,
      'lambda:ListFunctions',
      error
    )
  }
  const entries = new Set(latest)
  for (const [arn, used] of versions) {
    let aliasMarker: string | undefined
    do {
      const page = await call(
        `ListAliases (${arn})`,
        limits.callTimeoutMs,
        async abortSignal =>
          await client.send(new ListAliasesCommand({ FunctionName: arn, Marker: aliasMarker }), {
            abortSignal
          }),
        { repeat: true }
      ).catch((error: unknown) => {
        throw callError(
          `Listing the aliases of ${arn} (all-functions-using-layer)`,
          'lambda:ListAliases',
          error
        )
      })
      for (const alias of page.Aliases ?? []) {
        if (alias.FunctionVersion && used.has(alias.FunctionVersion) && alias.AliasArn) {
          entries.add(alias.AliasArn)
        }
      }
      aliasMarker = page.NextMarker || undefined
    } while (aliasMarker)
  }
  return [...entries].sort()
}
