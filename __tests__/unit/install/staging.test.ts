import { afterAll, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  cgroupRoom,
  decideStaging,
  type MemoryFacts,
  memoryDir,
  readMemoryFacts,
  Staging,
  sweepLeftovers
} from '../../../src/install/staging.js'
import { ActionError } from '../../../src/errors.js'

const GiB = 1024 ** 3
const MiB = 1024 ** 2
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'staging-unit-'))
afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

const roomy: MemoryFacts = { tmpfs: { tmpfs: true, free: 8 * GiB, used: 0 }, available: 14 * GiB }
const linux = process.platform === 'linux'

describe('memoryDir', () => {
  it('is /dev/shm unless LAMBDA_PYTHON_LAYER_TMPFS names another tmpfs', () => {
    expect(memoryDir({})).toBe('/dev/shm')
    expect(memoryDir({ LAMBDA_PYTHON_LAYER_TMPFS: '/mnt/ram' })).toBe('/mnt/ram')
  })
})

describe('decideStaging', () => {
  it('stages on disk when told to, whatever the memory', () => {
    expect(decideStaging('disk', roomy, '/dev/shm')).toEqual({
      kind: 'disk',
      reason: 'staging: disk'
    })
  })

  const onLinux = linux ? it : it.skip
  onLinux('auto: in memory with room, keeping at most 2 GiB there', () => {
    const decided = decideStaging('auto', roomy, '/dev/shm')
    expect(decided.kind).toBe('memory')
    expect(decided.kind === 'memory' && decided.budget).toBe(2 * GiB)
  })

  onLinux(
    'the budget is the smallest of the free tmpfs, the RAM beyond a 1 GiB reserve, and 2 GiB',
    () => {
      const tight = decideStaging(
        'auto',
        { tmpfs: { tmpfs: true, free: 8 * GiB, used: 0 }, available: 2.5 * GiB },
        '/dev/shm'
      )
      expect(tight.kind === 'memory' && tight.budget).toBe(1.5 * GiB)
      const small = decideStaging(
        'memory',
        { tmpfs: { tmpfs: true, free: 64 * MiB, used: 0 }, available: 14 * GiB },
        '/dev/shm'
      )
      expect(small.kind === 'memory' && small.budget).toBe(64 * MiB)
    }
  )

  onLinux('auto: on disk when memory is short, saying how short', () => {
    const container = decideStaging(
      'auto',
      { tmpfs: { tmpfs: true, free: 64 * MiB, used: 0 }, available: 14 * GiB },
      '/dev/shm'
    )
    expect(container.kind).toBe('disk')
    expect(container.reason).toContain('64.0 MiB free in /dev/shm')
    const limited = decideStaging(
      'auto',
      { tmpfs: { tmpfs: true, free: 8 * GiB, used: 0 }, available: 1.5 * GiB },
      '/dev/shm'
    )
    expect(limited.kind).toBe('disk')
  })

  onLinux(
    'auto: on disk without a tmpfs; memory then fails, naming the input and the folder',
    () => {
      const ext4: MemoryFacts = {
        tmpfs: { tmpfs: false, free: 80 * GiB, used: 0 },
        available: 14 * GiB
      }
      expect(decideStaging('auto', ext4, '/mnt/disk')).toEqual({
        kind: 'disk',
        reason: 'staging: auto, and /mnt/disk is not a tmpfs'
      })
      expect(decideStaging('auto', {}, '/dev/shm').kind).toBe('disk')
      expect(() => decideStaging('memory', ext4, '/mnt/disk')).toThrow(ActionError)
      expect(() => decideStaging('memory', ext4, '/mnt/disk')).toThrow(
        /Input `staging` is "memory", but \/mnt\/disk is not a tmpfs/
      )
    }
  )

  onLinux('reads this machine: /dev/shm and MemAvailable', () => {
    const facts = readMemoryFacts('/dev/shm')
    expect(facts.available).toBeGreaterThan(0)
    expect(readMemoryFacts(work).tmpfs?.tmpfs).toBe(false)
  })
})

describe('cgroupRoom', () => {
  const files = (values: Record<string, number>) => (file: string) => values[file]

  it('cgroup v2: the smallest room along the group and its parents', () => {
    const read = files({
      '/sys/fs/cgroup/runner/job/memory.max': 4 * GiB,
      '/sys/fs/cgroup/runner/job/memory.current': 3 * GiB,
      '/sys/fs/cgroup/runner/memory.max': 16 * GiB,
      '/sys/fs/cgroup/runner/memory.current': 3 * GiB
    })
    expect(cgroupRoom('0::/runner/job\n', read)).toBe(GiB)
  })

  it('cgroup v1: the memory controller; its "no limit" is no limit', () => {
    const read = files({
      '/sys/fs/cgroup/memory/ci/memory.limit_in_bytes': 2 * GiB,
      '/sys/fs/cgroup/memory/ci/memory.usage_in_bytes': 0.5 * GiB,
      '/sys/fs/cgroup/memory/memory.limit_in_bytes': 9223372036854771712,
      '/sys/fs/cgroup/memory/memory.usage_in_bytes': 3 * GiB
    })
    expect(cgroupRoom('5:cpu:/ci\n4:memory:/ci\n', read)).toBe(1.5 * GiB)
    expect(cgroupRoom('4:memory:/\n', read)).toBeUndefined()
    expect(cgroupRoom('', read)).toBeUndefined()
  })
})

/** Facts whose tmpfs use is `used()` at each read, on a runner with room. */
function facts(used: () => number): (dir: string) => MemoryFacts {
  return () => ({ tmpfs: { tmpfs: true, free: 8 * GiB, used: used() }, available: 14 * GiB })
}

describe('Staging', () => {
  const onLinux = linux ? it : it.skip

  onLinux('in memory: a folder of its own in the tmpfs, removed by dispose', () => {
    const tmpfs = fs.mkdtempSync(path.join(work, 'tmpfs-'))
    const staging = Staging.open('auto', path.join(work, 'disk-1'), {
      memoryDir: tmpfs,
      readFacts: facts(() => 0)
    })
    expect(staging.kind).toBe('memory')
    expect(path.dirname(staging.dir)).toBe(tmpfs)
    expect(path.basename(staging.dir)).toMatch(
      new RegExp(`^lambda-python-layer\\.[A-Za-z0-9_-]+\\.${process.pid}\\.`)
    )
    fs.writeFileSync(path.join(staging.dir, 'file'), 'x')
    staging.dispose()
    expect(fs.readdirSync(tmpfs)).toEqual([])
  })

  it('on disk: the run folder, kept by dispose (the zip lives there)', () => {
    const disk = path.join(work, 'disk-2')
    const staging = Staging.open('disk', disk)
    expect(staging.kind).toBe('disk')
    expect(staging.dir).toBe(disk)
    staging.dispose()
    expect(fs.existsSync(disk)).toBe(true)
  })

  onLinux(
    'the watch stops a build that outgrows its budget, once, and says by how much',
    async () => {
      const tmpfs = fs.mkdtempSync(path.join(work, 'tmpfs-'))
      let used = 100 * MiB
      const staging = Staging.open('memory', path.join(work, 'disk-3'), {
        memoryDir: tmpfs,
        readFacts: () => ({ tmpfs: { tmpfs: true, free: 50 * MiB, used }, available: 14 * GiB })
      })
      expect(staging.budget).toBe(50 * MiB)
      const stops: string[] = []
      const error = await staging
        .watch(
          async () => {
            used += 80 * MiB
            await new Promise(resolve => setTimeout(resolve, 700))
            throw new Error('pip was killed')
          },
          reason => stops.push(reason)
        )
        .catch((e: unknown) => e)
      expect(stops).toHaveLength(1)
      expect(stops[0]).toContain('grew past 50.0 MiB')
      expect(staging.ranOutOfRoom(error)).toBe(true)
      staging.moveToDisk()
      expect(staging.kind).toBe('disk')
      expect(staging.dir).toBe(path.join(work, 'disk-3'))
      expect(fs.readdirSync(tmpfs)).toEqual([])
    }
  )

  onLinux('a full tmpfs (ENOSPC) is running out of room too; other failures are not', () => {
    const tmpfs = fs.mkdtempSync(path.join(work, 'tmpfs-'))
    const staging = Staging.open('auto', path.join(work, 'disk-4'), {
      memoryDir: tmpfs,
      readFacts: facts(() => 0)
    })
    expect(staging.ranOutOfRoom(new Error('pip could not install: Some other error'))).toBe(false)
    expect(staging.ranOutOfRoom(new Error('OSError: [Errno 28] No space left on device'))).toBe(
      true
    )
    expect(staging.outgrew).toBe(`${tmpfs} is full`)
    staging.dispose()

    // A build tool's own words for it: the tmpfs being nearly full says it.
    let free = 8 * GiB
    const nearlyFull = Staging.open('auto', path.join(work, 'disk-6'), {
      memoryDir: tmpfs,
      readFacts: () => ({ tmpfs: { tmpfs: true, free, used: 0 }, available: 14 * GiB })
    })
    free = 3 * MiB
    expect(nearlyFull.ranOutOfRoom(new Error('error: could not write the wheel'))).toBe(true)
    nearlyFull.dispose()

    const onDisk = Staging.open('disk', path.join(work, 'disk-5'))
    expect(onDisk.ranOutOfRoom(new Error('No space left on device'))).toBe(false)
  })
})

describe('sweepLeftovers', () => {
  it("removes this host's folders whose run is gone, and only those", () => {
    const tmpfs = fs.mkdtempSync(path.join(work, 'sweep-'))
    const host =
      os
        .hostname()
        .replace(/[^A-Za-z0-9_-]+/g, '_')
        .slice(0, 40) || 'host'
    const exited = spawnSync(process.execPath, ['-e', '0']).pid
    const dead = `lambda-python-layer.${host}.${exited}.abc`
    const alive = `lambda-python-layer.${host}.${process.ppid}.def`
    const otherHost = `lambda-python-layer.elsewhere.${exited}.ghi`
    const unrelated = 'pulse-shm-1234'
    for (const name of [dead, alive, otherHost, unrelated]) {
      fs.mkdirSync(path.join(tmpfs, name, 'layer'), { recursive: true })
    }
    expect(sweepLeftovers(tmpfs)).toEqual([path.join(tmpfs, dead)])
    expect(fs.readdirSync(tmpfs).sort()).toEqual([alive, otherHost, unrelated].sort())
  })
})
