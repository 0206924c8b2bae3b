/**
 * @actions/cache, loaded when first used: with the Azure storage SDK it
 * uploads through, it is 3.6 MB of the bundle, in a chunk of its own. A run
 * with `cache: false` never loads it; other runs start loading it while
 * their first programs run (preloadCache).
 */
export type ActionsCache = typeof import('@actions/cache')

export async function actionsCache(): Promise<ActionsCache> {
  return await import('@actions/cache')
}
