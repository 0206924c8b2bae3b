// Removes the run's scratch folder made by temp-setup.mjs.
import fs from 'node:fs'

export default async function teardown() {
  const dir = process.env.LAMBDA_LAYER_TESTS_TMP
  if (!dir) return
  try {
    fs.rmSync(dir, { recursive: true, force: true })
  } catch (error) {
    console.warn(`Test scratch folder ${dir} not removed: ${error.message}`)
  }
}
