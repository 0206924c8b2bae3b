/** The entrypoint the runner executes (bundled to dist/index.js). */
// First: sizes libuv's thread pool (the parallel zip) before anything uses it.
import './util/thread-pool.js'
import { run } from './main.js'

await run()
