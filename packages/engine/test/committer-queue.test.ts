/**
 * The committer's queue of not-yet-durable events: slots are reused across
 * batches and a long queue is compacted in place once most of it is settled.
 * Whatever the queue's shape, every waiter hears exactly once, in LSN order.
 */
import { describe, expect, it } from 'vitest'
import { Committer, NOTE, type CommitWaiter } from '../src/runtime/committer.js'
import type { EventLog } from '../src/log/event-log.js'
import { PipelineState } from '../src/state/pipeline-state.js'
import { deferred } from './helpers.js'

/** A log whose records become durable only when the test says so. */
function heldLog(): { log: EventLog; makeDurable(lsn: number): void } {
  let last = 0
  let durableThrough = 0
  const waiting: { lsn: number; resolve: () => void }[] = []
  const log = {
    get lastLsn() { return last },
    push: () => ++last,
    durable(lsn: number) {
      if (lsn <= durableThrough) return Promise.resolve()
      const d = deferred()
      waiting.push({ lsn, resolve: d.resolve })
      return d.promise
    },
  } as unknown as EventLog
  return {
    log,
    makeDurable(lsn) {
      durableThrough = lsn
      for (const w of waiting.splice(0)) {
        if (w.lsn <= lsn) w.resolve()
        else waiting.push(w)
      }
    },
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('committer queue', () => {
  it('settles every event once, in LSN order, across reused slots and an in-place compaction', async () => {
    const { log, makeDurable } = heldLog()
    const committer = new Committer(log, new PipelineState('p'), {} as never, () => {}, false)
    const heard: number[] = []
    const submit = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const waiter: CommitWaiter = { committed: () => heard.push(lsn), failed: () => { throw new Error('failed') } }
        const lsn = committer.submit(1, new Uint8Array(1), NOTE, waiter)
      }
    }

    // Batches that drain completely: the slots are reused.
    for (let round = 0; round < 3; round++) {
      submit(50)
      await tick()
      makeDurable(log.lastLsn)
      await tick()
      expect(committer.pending).toBe(0)
    }
    // A long queue settled in part: more than 4,096 settled and more than half of it, so it is compacted.
    submit(6_000)
    await tick()
    const firstBatchEnd = log.lastLsn
    submit(2_000)
    await tick()
    submit(2_000)
    await tick()
    makeDurable(firstBatchEnd)
    await tick()
    expect(committer.pending).toBe(4_000)
    submit(100)
    await tick()
    // Durable through the next batch, part of the compacted queue: exactly the events up to there are settled.
    makeDurable(firstBatchEnd + 2_000)
    await tick()
    expect(heard.length).toBe(firstBatchEnd + 2_000)
    expect(heard.at(-1)).toBe(firstBatchEnd + 2_000)
    expect(committer.pending).toBe(2_100)
    makeDurable(log.lastLsn)
    await tick()
    expect(committer.pending).toBe(0)
    expect(heard).toEqual(Array.from({ length: log.lastLsn }, (_, i) => i + 1))
  })
})
