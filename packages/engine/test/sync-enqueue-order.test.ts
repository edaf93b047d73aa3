import { afterEach, expect, it, vi } from 'vitest'
import { Engine } from '@wq/engine'
import { MemoryFs, overrideFs, overrideHandle } from '@wq/wal/testing'
import { cleanupDirs, deferred, gate, recordingLogger } from './helpers.js'

afterEach(() => cleanupDirs())

/** MemoryFs whose segment writes and fdatasyncs can each be held at a gate, counting both. */
function gatedFs() {
  const mem = new MemoryFs()
  const writes = gate()
  const syncs = gate()
  const counts = { writesDone: 0, syncsStarted: 0 }
  const fs = overrideFs(mem, {
    async open(path, mode) {
      const fh = await mem.open(path, mode)
      if (!path.endsWith('.wal')) return fh
      return overrideHandle(fh, {
        async datasync() {
          counts.syncsStarted++
          await syncs.pass()
          return fh.datasync()
        },
        async write(buf, offset, length, position) {
          await writes.pass()
          const n = await fh.write(buf, offset, length, position)
          counts.writesDone++
          return n
        },
      })
    },
  })
  return { fs, counts, writes, syncs }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

it('sync-enqueue: an add is acknowledged after its fsync even when a later batch, only written, is acknowledged first', async () => {
  const g = gatedFs()
  const engine = await Engine.open({ dir: '/data', durability: 'sync-enqueue', logger: recordingLogger(), snapshotEvery: false, wal: { fs: g.fs, intervalMs: 60_000 } })
  const q = engine.queue('q')
  const finish = deferred()
  const started = deferred()
  q.process(async () => { started.resolve(); await finish.promise }, { concurrency: 1 })
  const first = await q.add('first')
  await started.promise
  // Writes held: one add's write is in flight; a second add and the first job's completion are encoded behind it,
  // so that both are written together in a later write pass.
  g.writes.hold()
  const writesBefore = g.counts.writesDone
  const inFlight = q.add('in flight')
  await turn()
  let acknowledged = false
  const second = q.add('second').then((job) => { acknowledged = true; return job })
  finish.resolve()
  await turn()
  // Let the first fsync through, then hold every later one.
  g.syncs.hold()
  const syncsAtRelease = g.counts.syncsStarted
  g.writes.release()
  await vi.waitFor(() => expect(g.counts.syncsStarted).toBeGreaterThan(syncsAtRelease))
  const syncsBefore = g.counts.syncsStarted
  g.syncs.release()
  g.syncs.hold()
  // The second add and the completion are written; the completion needs no fsync and is acknowledged on write.
  await vi.waitFor(() => expect(g.counts.writesDone).toBeGreaterThanOrEqual(writesBefore + 2))
  await vi.waitFor(() => expect(g.counts.syncsStarted).toBeGreaterThan(syncsBefore))
  await turn()
  expect(acknowledged).toBe(false)
  g.syncs.release()
  await inFlight
  await second
  expect(await first.finished()).toBeUndefined()
  await engine.close()
})
