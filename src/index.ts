/** The entrypoint the runner executes (bundled to dist/index.js). */
import { run } from './main.js'

await run()
