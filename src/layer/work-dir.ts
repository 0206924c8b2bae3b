/** The layer's work folder under RUNNER_TEMP, and where its zip goes: the same on a cache hit and a build. */
import fs from 'node:fs'
import path from 'node:path'
import { runnerTemp } from '../util/runner-temp.js'

/** A fresh work folder for this layer under RUNNER_TEMP. */
export function freshWorkDir(layerName: string): string {
  const safe = layerName.replace(/[^A-Za-z0-9_-]+/g, '_').slice(-60)
  const dir = runnerTemp('lambda-python-layer', safe)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/** Where the zip of a work folder goes. */
export function zipPathIn(workDir: string): string {
  return path.join(workDir, `${path.basename(workDir)}.zip`)
}
