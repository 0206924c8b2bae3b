// One scratch folder per test run: every test's os.tmpdir() points into it
// (the workers inherit TMPDIR), and temp-teardown.mjs removes it, so the
// folders tests make with mkdtemp do not pile up in the system's temp folder.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export default async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-layer-tests-'))
  process.env.LAMBDA_LAYER_TESTS_TMP = dir
  process.env.TMPDIR = dir
}
