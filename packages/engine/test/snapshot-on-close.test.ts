import { afterEach, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { Wal } from '@wq/wal'
import { MemoryFs, overrideFs } from '@wq/wal/testing'
import { cleanupDirs, deferred, recordingLogger } from './helpers.js'

afterEach(() => cleanupDirs())

/** MemoryFs whose renames of snapshot files can be held, reporting when one is waiting. */
function snapshotGatedFs() {
  const mem = new MemoryFs()
  let hold = false
  let release = deferred()
  let waiting = deferred()
  const fs = overrideFs(mem, {
    async rename(a, b) {
      if (hold && b.endsWith('.snap')) {
        waiting.resolve()
        await release.promise
      }
      return mem.rename(a, b)
    },
  })
  return {
    fs,
    holdSnapshots() { hold = true; release = deferred(); waiting = deferred() },
    releaseSnapshots() { hold = false; release.resolve() },
    get snapshotWaiting() { return waiting.promise },
  }
}

it('close() during an automatic snapshot writes its own snapshot at the final LSN, and compaction does not trip over the other', async () => {
  const g = snapshotGatedFs()
  const logger = recordingLogger()
  const engine = await Engine.open({ dir: '/data', durability: 'os', logger, snapshotEvery: { events: 200 }, wal: { fs: g.fs } })
  const q = engine.queue('q')
  // A first automatic snapshot goes through, so the held one later has an older one to compact away.
  for (let i = 0; i < 250; i++) await q.add({ i })
  g.holdSnapshots()
  for (let i = 0; i < 250; i++) await q.add({ i })
  await g.snapshotWaiting
  const closing = engine.close()
  g.releaseSnapshots()
  await closing

  expect(logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([])
  const wal = await Wal.open({ dir: '/data/default', fs: g.fs, durability: 'os' })
  const snapshots = await wal.snapshots()
  expect(snapshots.at(-1)!.lsn).toBe(wal.lastLsn)
  await wal.close()

  const again = await Engine.open({ dir: '/data', durability: 'os', logger: recordingLogger(), wal: { fs: g.fs } })
  expect(again.queue('q').stats().counts.waiting).toBe(500)
  await again.close()
})
