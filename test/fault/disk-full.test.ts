// A real full disk: the engine's directory on a 2 MiB tmpfs. Adds run until the
// file system refuses; then the failed add carries ENOSPC, the engine keeps
// serving reads, every acknowledged job is there after a reopen once space is
// back, and the engine works again. Skipped, saying why, where mounting a
// tmpfs is not permitted (it needs root).
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { mountTmpfs, type Tmpfs } from './tmpfs.js'
import { printSummary } from '../crash/summary.js'

const silent = { info() {}, warn() {}, error() {}, debug() {} }
const mounted: Tmpfs[] = []

/** A fresh 2 MiB tmpfs, or null (and the reason printed once) where mounting is not permitted. */
async function smallDisk(): Promise<Tmpfs | null> {
  const m = await mountTmpfs(2 * 1024 * 1024)
  if (m.ok) {
    mounted.push(m.fs)
    return m.fs
  }
  process.stdout.write(`[crash-suite] disk full (tmpfs): SKIPPED — ${m.reason}\n`)
  return null
}

afterEach(async () => {
  for (const fs of mounted.splice(0)) await fs.unmount()
})

function hasCode(err: unknown, code: string): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === code) return true
  }
  return false
}

describe('disk full (a real tmpfs)', () => {
  for (const snapshots of [false, true]) {
    it(`adds until ENOSPC${snapshots ? ' (automatic snapshots on: some of them fail too)' : ''}: the failure names it, reads go on, nothing acknowledged is lost, and it works again with space`, async (ctx) => {
      const tmpfs = await smallDisk()
      if (!tmpfs) return ctx.skip()
      const dir = `${tmpfs.dir}/data`
      const open = () =>
        Engine.open({ dir, durability: 'sync', logger: silent, snapshotEvery: snapshots ? { events: 100 } : false, closeTimeoutMs: 50 })
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
      // Still serving reads, and holding exactly what was acknowledged.
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
      printSummary('disk full (tmpfs)', { size: '2MiB', snapshots, acknowledged: acked.size, failure: 'ENOSPC', lost: 0, 'works after reopen': true })
    })
  }
})
