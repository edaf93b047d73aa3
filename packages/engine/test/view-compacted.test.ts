import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { openView } from '@wq/engine/inspect'
import { cleanupDirs, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

describe('openView before a compacted snapshot', () => {
  it('fails with HISTORY_COMPACTED instead of folding a partial history', async () => {
    const dir = tempDir()
    const engine = await Engine.open({ dir, logger: recordingLogger(), snapshotEvery: false, wal: { segmentBytes: 4096 } })
    await Promise.all(Array.from({ length: 200 }, (_, n) => engine.queue('q').add({ n, pad: 'x'.repeat(100) })))
    const lsn = (await engine.snapshot()).default
    const removed = await engine.compact()
    expect(removed.default.removedSegments.length).toBeGreaterThan(0)

    for (const opts of [{ untilTime: new Date(0) }, { untilLsn: 5 }]) {
      await expect(openView(dir, opts)).rejects.toMatchObject({ code: 'HISTORY_COMPACTED', earliestLsn: lsn })
    }
    // The snapshot's own point and later still work.
    expect((await openView(dir, { untilLsn: lsn })).job('1')?.state).toBe('waiting')
    expect((await openView(dir)).queues()[0].counts.waiting).toBe(200)
    await engine.close()
  })
})
