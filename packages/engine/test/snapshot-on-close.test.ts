import { afterEach, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { Wal } from '@wq/wal'
import { EV_CLOSE } from '../src/codec/event-types.js'
import { MemoryFs, overrideFs } from '@wq/wal/testing'
import { cleanupDirs, gate, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

/** MemoryFs whose renames of snapshot files can be held at `renames`. */
function snapshotGatedFs() {
  const mem = new MemoryFs()
  const renames = gate()
  const fs = overrideFs(mem, {
    async rename(a, b) {
      if (b.endsWith('.snap')) await renames.pass()
      return mem.rename(a, b)
    },
  })
  return { fs, renames, mem }
}

it('close() during an automatic snapshot writes its own snapshot at the final LSN, and compaction does not trip over the other', async () => {
  const g = snapshotGatedFs()
  const logger = recordingLogger()
  const engine = await Engine.open({ dir: '/data', durability: 'os', logger, snapshotEvery: { events: 200 }, wal: { fs: g.fs } })
  const q = engine.queue('q')
  // A first automatic snapshot goes through, so the held one later has an older one to compact away.
  for (let i = 0; i < 250; i++) await q.add({ i })
  g.renames.hold()
  for (let i = 0; i < 250; i++) await q.add({ i })
  await g.renames.reached
  const closing = engine.close()
  g.renames.release()
  await closing

  expect(logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([])
  const wal = await Wal.open({ dir: '/data/default', fs: g.fs, durability: 'os' })
  const snapshots = await wal.snapshots()
  // The snapshot covers every record but the clean-close record that follows it.
  expect(snapshots.at(-1)!.lsn).toBe(wal.lastLsn - 1)
  const tail: number[] = []
  await wal.replay(snapshots.at(-1)!.lsn + 1, (r) => tail.push(r.type))
  expect(tail).toEqual([EV_CLOSE])
  await wal.close()

  const again = await Engine.open({ dir: '/data', durability: 'os', logger: recordingLogger(), wal: { fs: g.fs } })
  expect(again.queue('q').stats().counts.waiting).toBe(500)
  await again.close()
})

it('an open and close that change nothing write no new snapshot: the open and close records change no state', async () => {
  const dir = tempDir()
  const snapshotsWritten = async (run: (e: Engine) => Promise<void>) => {
    const logger = recordingLogger()
    const e = await Engine.open({ dir, logger })
    await run(e)
    await e.close()
    return logger.lines.filter((l) => l.msg === 'snapshot written').length
  }
  expect(await snapshotsWritten(async (e) => { await e.queue('q').add(1) })).toBe(1)
  expect(await snapshotsWritten(async () => {})).toBe(0)
  expect(await snapshotsWritten(async () => {})).toBe(0)
  expect(await snapshotsWritten(async (e) => { await e.queue('q').add(2) })).toBe(1)
  const again = await Engine.open({ dir, logger: recordingLogger() })
  expect(again.queue('q').stats().counts.waiting).toBe(2)
  await again.close()
})

it('engine.snapshot() during an automatic snapshot waits it out and takes its own, covering every add made before the call', async () => {
  const g = snapshotGatedFs()
  const open = (fs: typeof g.fs) => Engine.open({ dir: '/data', durability: 'os', logger: recordingLogger(), snapshotEvery: { events: 10 }, wal: { fs } })
  const engine = await open(g.fs)
  const q = engine.queue('q')
  g.renames.hold()
  const ids: string[] = []
  // The 10th event starts an automatic snapshot, held at its rename; five more adds are acknowledged meanwhile.
  for (let i = 0; i < 10; i++) ids.push((await q.add({ i })).id)
  await g.renames.reached
  for (let i = 10; i < 15; i++) ids.push((await q.add({ i })).id)
  const lsnAtCall = engine.stats().pipelines[0].lastLsn
  const taking = engine.snapshot()
  g.renames.release()
  const taken = await taking
  expect(taken.default).toBeGreaterThanOrEqual(lsnAtCall)
  // Its snapshot is durable, and the log was fsynced up to it first: a power cut now loses no add made before the call.
  const after = await open(g.mem.crash({ unsynced: 'drop', seed: 1 }))
  expect(ids.filter((id) => after.getJob(id) === undefined)).toEqual([])
  await after.close()
  await engine.close()
})
