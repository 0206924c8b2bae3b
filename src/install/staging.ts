/**
 * Where the layer is staged (input `staging`): in memory, on the tmpfs at
 * /dev/shm, when the runner has room there and in RAM; else on disk, in
 * RUNNER_TEMP. A build writes thousands of small files (the installers
 * unpack every wheel, compile writes the .pyc); on a tmpfs none of them
 * costs a journal write. The bytes of the layer are the same either way.
 *
 * In memory, the build may add at most `budget` bytes to the tmpfs (so a
 * request for several GB of packages cannot exhaust the runner's RAM). A
 * watch compares the tmpfs's use with its use at the start; a build that
 * outgrows its budget, or fills the tmpfs, has its programs stopped and is
 * staged again on disk, in the run's folder in RUNNER_TEMP (the caller does
 * that). The folder is removed when the run ends, and a folder left by a run
 * that was killed is removed by the next run on the same host.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ActionError } from '../errors.js'
import { formatBytes } from '../util/format.js'

export type StagingChoice = 'auto' | 'memory' | 'disk'

/**
 * The tmpfs used for staging in memory: /dev/shm, or the one a self-hosted
 * runner names in LAMBDA_PYTHON_LAYER_TMPFS.
 */
export function memoryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAMBDA_PYTHON_LAYER_TMPFS || '/dev/shm'
}
/** statfs f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994
/** RAM left to the installers, the interpreters and the action beside the staged files. */
const RESERVE = 1024 ** 3
/** The most a build may keep in memory: a layer's files are at most 250 MB unzipped. */
const MAX_BUDGET = 2 * 1024 ** 3
/** Below this budget, `auto` stages on disk. */
const MIN_BUDGET = 1024 ** 3
/** Free space below which a failed build in memory is taken to have filled the tmpfs. */
const NEARLY_FULL = 16 * 1024 ** 2
/** How often the watch reads the tmpfs's use. */
const WATCH_MS = 200

const PREFIX = 'lambda-python-layer.'

/** What decides whether staging in memory fits: read from the system, or given by a test. */
export interface MemoryFacts {
  /** The tmpfs: its type, free and used bytes; undefined when it is missing. */
  tmpfs?: { tmpfs: boolean; free: number; used: number }
  /** RAM available to this process: MemAvailable, or less under a cgroup limit. */
  available?: number
}

export interface StagingPlace {
  kind: 'memory' | 'disk'
  /** The scratch folder of the build: the layer tree, the installers' temporary files. */
  dir: string
  /** Why here, for the log. */
  reason: string
  /** In memory: the bytes the build may add to the tmpfs. */
  budget?: number
}

/** The tmpfs's type and space, or undefined when it is missing. */
function readTmpfs(dir: string): MemoryFacts['tmpfs'] {
  try {
    const s = fs.statfsSync(dir)
    return {
      tmpfs: s.type === TMPFS_MAGIC,
      free: s.bavail * s.bsize,
      used: (s.blocks - s.bfree) * s.bsize
    }
  } catch {
    return undefined
  }
}

function readNumber(file: string): number | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim()
    const n = Number(text)
    return Number.isFinite(n) ? n : undefined
  } catch {
    return undefined
  }
}

/**
 * The room a memory cgroup leaves (limit minus usage, the smallest along the
 * process's cgroup and its parents), or undefined without a limit. Files in
 * a tmpfs are charged to the cgroup that writes them.
 */
export function cgroupRoom(
  procCgroup: string,
  read: (file: string) => number | undefined = readNumber
): number | undefined {
  let room: number | undefined
  const consider = (limit: number | undefined, usage: number | undefined): void => {
    // cgroup v1 says "no limit" with a page-rounded 2^63.
    if (limit === undefined || usage === undefined || limit >= 2 ** 62) return
    const left = Math.max(0, limit - usage)
    room = room === undefined ? left : Math.min(room, left)
  }
  for (const line of procCgroup.split('\n')) {
    const [id, controllers, group] = line.split(':')
    if (group === undefined) continue
    const v2 = id === '0' && controllers === ''
    if (!v2 && !controllers.split(',').includes('memory')) continue
    const base = v2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/memory'
    const parts = group.split('/').filter(Boolean)
    for (let i = parts.length; i >= 0; i--) {
      const dir = path.posix.join(base, ...parts.slice(0, i))
      consider(
        read(path.posix.join(dir, v2 ? 'memory.max' : 'memory.limit_in_bytes')),
        read(path.posix.join(dir, v2 ? 'memory.current' : 'memory.usage_in_bytes'))
      )
    }
  }
  return room
}

/** What the system says about the tmpfs and the RAM available. */
export function readMemoryFacts(dir = memoryDir()): MemoryFacts {
  const facts: MemoryFacts = {}
  const tmpfs = readTmpfs(dir)
  if (tmpfs) facts.tmpfs = tmpfs
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))
    if (match) facts.available = Number(match[1]) * 1024
  } catch {
    // not Linux: no staging in memory
  }
  try {
    const room = cgroupRoom(fs.readFileSync('/proc/self/cgroup', 'utf8'))
    if (room !== undefined && facts.available !== undefined) {
      facts.available = Math.min(facts.available, room)
    }
  } catch {
    // no cgroups: MemAvailable stands
  }
  return facts
}

/**
 * Decides where to stage: the budget is the smaller of the tmpfs's free space
 * and the RAM available less a reserve, at most MAX_BUDGET. Throws for
 * `memory` when there is no tmpfs to stage on.
 */
export function decideStaging(
  choice: StagingChoice,
  facts: MemoryFacts,
  dir: string = memoryDir()
): { kind: 'memory'; budget: number; reason: string } | { kind: 'disk'; reason: string } {
  if (choice === 'disk') return { kind: 'disk', reason: 'staging: disk' }
  const { tmpfs, available } = facts
  const missing =
    process.platform !== 'linux'
      ? `this runner is not Linux (${process.platform})`
      : !tmpfs
        ? `${dir} does not exist`
        : !tmpfs.tmpfs
          ? `${dir} is not a tmpfs`
          : available === undefined
            ? 'the RAM available is unknown'
            : undefined
  if (missing || !tmpfs || available === undefined) {
    if (choice === 'memory') {
      throw new ActionError(
        `Input \`staging\` is "memory", but ${missing}. Set \`staging: auto\` (memory where the runner has it, else disk) or \`staging: disk\`.`
      )
    }
    return { kind: 'disk', reason: `staging: auto, and ${missing}` }
  }
  const budget = Math.max(0, Math.min(tmpfs.free, available - RESERVE, MAX_BUDGET))
  const room = `${formatBytes(tmpfs.free)} free in ${dir}, ${formatBytes(available)} of RAM available`
  if (choice === 'auto' && budget < MIN_BUDGET) {
    return {
      kind: 'disk',
      reason: `staging: auto, and memory is short: ${room}; staging in memory needs ${formatBytes(MIN_BUDGET)} of each beyond a ${formatBytes(RESERVE)} reserve of RAM`
    }
  }
  return {
    kind: 'memory',
    budget,
    reason: `staging: ${choice}, ${room}; the build may keep up to ${formatBytes(budget)} there`
  }
}

function hostTag(): string {
  return (
    os
      .hostname()
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .slice(0, 40) || 'host'
  )
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes staging folders that runs on this host left behind when they were
 * killed (their process is gone). Never fails the action.
 */
export function sweepLeftovers(memoryDir: string): string[] {
  const removed: string[] = []
  const mine = `${PREFIX}${hostTag()}.`
  let names: string[]
  try {
    names = fs.readdirSync(memoryDir)
  } catch {
    return removed
  }
  for (const name of names) {
    if (!name.startsWith(mine)) continue
    const pid = Number(name.slice(mine.length).split('.')[0])
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue
    const dir = path.join(memoryDir, name)
    try {
      if (fs.lstatSync(dir).uid !== process.getuid?.()) continue
      fs.rmSync(dir, { recursive: true, force: true })
      removed.push(dir)
    } catch {
      // another run's, or already gone
    }
  }
  return removed
}

/**
 * The staging of one run: where it is, and, in memory, the watch that stops
 * a build that outgrows its budget. `dispose` removes a folder in memory
 * (also when the process exits without reaching it).
 */
export class Staging {
  private place: StagingPlace
  private startUsed = 0
  private outgrown?: string
  /** The least free space a watch's reading saw in the tmpfs. */
  private lowestFree = Infinity
  private readonly removeOnExit = (): void => this.dispose()

  private constructor(
    place: StagingPlace,
    private readonly diskDir: string,
    private readonly tmpfsDir: string,
    private readonly readFacts: (dir: string) => MemoryFacts
  ) {
    this.place = place
    if (place.kind === 'memory') {
      this.startUsed = readFacts(tmpfsDir).tmpfs?.used ?? 0
      process.once('exit', this.removeOnExit)
    }
  }

  /**
   * Decides and creates the staging folder. `diskDir` is the folder on disk
   * (in RUNNER_TEMP), created when it is used.
   */
  static open(
    choice: StagingChoice,
    diskDir: string,
    options: { memoryDir?: string; readFacts?: (dir: string) => MemoryFacts } = {}
  ): Staging {
    const tmpfs = options.memoryDir ?? memoryDir()
    const readFacts = options.readFacts ?? readMemoryFacts
    const decision = decideStaging(choice, readFacts(tmpfs), tmpfs)
    let place: StagingPlace = { kind: 'disk', dir: diskDir, reason: decision.reason }
    if (decision.kind === 'memory') {
      sweepLeftovers(tmpfs)
      try {
        const dir = fs.mkdtempSync(path.join(tmpfs, `${PREFIX}${hostTag()}.${process.pid}.`))
        place = { kind: 'memory', dir, reason: decision.reason, budget: decision.budget }
      } catch (error) {
        if (choice === 'memory') {
          throw new ActionError(
            `Input \`staging\` is "memory", but no folder can be made in ${tmpfs}: ${(error as Error).message}. Set \`staging: auto\` or \`staging: disk\`.`
          )
        }
        place.reason = `staging: auto, and ${tmpfs} is not writable`
      }
    }
    if (place.kind === 'disk') fs.mkdirSync(diskDir, { recursive: true })
    return new Staging(place, diskDir, tmpfs, readFacts)
  }

  get kind(): 'memory' | 'disk' {
    return this.place.kind
  }

  get dir(): string {
    return this.place.dir
  }

  /** Where the layer was staged, for the job summary. */
  get label(): string {
    if (this.place.kind === 'memory') return `memory (${this.tmpfsDir})`
    return this.outgrown ? 'disk (moved from memory: out of room)' : 'disk'
  }

  /** The folder on disk a build moves to when memory runs out. */
  get diskFolder(): string {
    return this.diskDir
  }

  get reason(): string {
    return this.place.reason
  }

  get budget(): number | undefined {
    return this.place.budget
  }

  /** Why the build left memory, once it outgrew its budget or filled the tmpfs. */
  get outgrew(): string | undefined {
    return this.outgrown
  }

  /**
   * Runs `work` with a watch on the budget (in memory): when the build
   * outgrows it, `stop` is called once (it stops the programs running and
   * any that would start) and the reason is kept in `outgrew`.
   */
  async watch<T>(work: () => Promise<T>, stop: (reason: string) => void): Promise<T> {
    const budget = this.place.budget
    if (this.place.kind !== 'memory' || budget === undefined) return await work()
    const timer = setInterval(() => {
      const tmpfs = this.readFacts(this.tmpfsDir).tmpfs
      this.lowestFree = Math.min(this.lowestFree, tmpfs?.free ?? Infinity)
      const added = Math.max(0, (tmpfs?.used ?? 0) - this.startUsed)
      if (added > budget && !this.outgrown) {
        this.outgrown = `the build grew past ${formatBytes(budget)} in ${this.tmpfsDir} (${formatBytes(added)})`
        stop(`staging in memory ran out of room: ${this.outgrown}`)
      }
    }, WATCH_MS)
    timer.unref()
    try {
      return await work()
    } finally {
      clearInterval(timer)
    }
  }

  /**
   * Whether `error` means the build ran out of room in memory (its budget, or
   * a full tmpfs: "No space left on device", ENOSPC), so that staging it on
   * disk can succeed. Records the reason.
   */
  ranOutOfRoom(error: unknown): boolean {
    if (this.place.kind !== 'memory') return false
    if (this.outgrown) return true
    const text =
      error instanceof Error
        ? `${error.message} ${(error as NodeJS.ErrnoException).code ?? ''}`
        : String(error)
    // A failure whose message does not say so (a build tool's own words)
    // still counts when the tmpfs was nearly full at a watch's reading or is now.
    const freeNow = this.readFacts(this.tmpfsDir).tmpfs?.free ?? Infinity
    if (
      /No space left on device|ENOSPC/.test(text) ||
      Math.min(this.lowestFree, freeNow) < NEARLY_FULL
    ) {
      this.outgrown = `${this.tmpfsDir} is full`
      return true
    }
    return false
  }

  /** Leaves memory: removes the folder there and stages on disk from now on. */
  moveToDisk(): void {
    this.dispose()
    fs.mkdirSync(this.diskDir, { recursive: true })
    this.place = {
      kind: 'disk',
      dir: this.diskDir,
      reason: `moved from memory: ${this.outgrown ?? 'out of room'}`
    }
  }

  /** Removes the folder in memory, if any. */
  dispose(): void {
    if (this.place.kind !== 'memory') return
    process.off('exit', this.removeOnExit)
    fs.rmSync(this.place.dir, { recursive: true, force: true })
  }
}
