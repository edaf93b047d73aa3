// A real full disk: the engine's directory on a 2 MiB tmpfs. Adds run until the
// file system refuses; then the failed add carries ENOSPC, the engine keeps
// serving reads, every acknowledged job is there after a reopen once space is
// back, and the engine works again. Skipped, saying why, where mounting a
// tmpfs is not permitted (it needs root).
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { mountTmpfs, type Tmpfs } from './tmpfs.js'
import { printSummary } from '../crash/summary.js'

const silent = { info() {}, warn() {}, error() {}, debug() {} }
let tmpfs: Tmpfs | null = null
let skipReason = ''

beforeAll(async () => {
  const mounted = await mountTmpfs(2 * 1024 * 1024)
  if (mounted.ok) tmpfs = mounted.fs
  else {
    skipReason = mounted.reason
    process.stdout.write(`[crash-suite] disk full (tmpfs): SKIPPED — ${skipReason}\n`)
  }
})

afterAll(async () => {
  await tmpfs?.unmount()
})

function hasCode(err: unknown, code: string): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === code) return true
  }
  return false
}

describe('disk full (a real tmpfs)', () => {
  it('adds until ENOSPC: the failure names it, reads go on, nothing acknowledged is lost, and it works again with space', async (ctx) => {
    if (!tmpfs) return ctx.skip()
    const dir = `${tmpfs.dir}/data`
    // No automatic snapshots: the point is the log filling the disk, not a snapshot failing first.
    const open = () => Engine.open({ dir, durability: 'sync', logger: silent, snapshotEvery: false, closeTimeoutMs: 50 })
    const engine = await open()
    const q = engine.queue('q')
    const acked = new Map<string, string>()
    let failure: unknown = null
    for (let i = 0; failure === null && i < 10_000; i++) {
      // Incompressible data, 4 KiB a job: 2 MiB is full after a few hundred.
      const data = randomBytes(4096).toString('base64')
      await Promise.all(
        [0, 1, 2, 3].map(() =>
          q.add({ data }).then(
            (job) => void acked.set(job.id, data),
            (err: unknown) => void (failure ??= err),
          ),
        ),
      )
    }
    expect(failure, 'the disk filled up').not.toBeNull()
    expect(hasCode(failure, 'ENOSPC'), `add failed with ${String(failure)}`).toBe(true)
    // Still serving reads.
    expect(engine.queue('q').jobs({ limit: 100_000 }).length).toBe(acked.size)
    for (const [id] of acked) expect(engine.getJob(id)?.info()?.state).toBe('waiting')
    await engine.close().catch(() => undefined)

    await tmpfs.resize(16 * 1024 * 1024)
    const again = await open()
    for (const [id, data] of acked) expect((again.getJob(id)?.data as { data: string } | undefined)?.data, `job ${id}`).toBe(data)
    again.queue('q').process(async () => 'ok')
    const job = await again.queue('q').add({ after: 'space is back' })
    await expect(job.finished()).resolves.toBe('ok')
    await again.close()
    printSummary('disk full (tmpfs)', { size: '2MiB', acknowledged: acked.size, failure: 'ENOSPC', lost: 0, 'works after reopen': true })
  })
})
