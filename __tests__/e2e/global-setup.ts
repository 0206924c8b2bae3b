import { startMoto } from '../helpers/moto.js'

/**
 * Starts one moto_server for the end-to-end tests, unless AWS_ENDPOINT_URL
 * already points at one (as `.ci/run` may do). Workers inherit the variable.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.E2E_AWS_ENDPOINT_URL) return
  const moto = await startMoto()
  process.env.E2E_AWS_ENDPOINT_URL = moto.endpoint
  ;(globalThis as Record<string, unknown>).__MOTO__ = moto.process
}
