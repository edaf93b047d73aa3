/**
 * After compaction the records that interned a queue's name are gone; dump
 * must take the names from the snapshot instead of printing `#<id>`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { cleanup, tempDir, wq } from './helpers.js'

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => quiet, level: 'silent' }
let root: string

beforeAll(async () => {
  root = await tempDir()
  const engine = await Engine.open({ dir: root, durability: 'os', wal: { segmentBytes: 4096 }, snapshotEvery: false, logger: quiet as never })
  const invoices = engine.queue('invoices')
  for (let i = 0; i < 100; i++) await invoices.add({ n: i, pad: 'x'.repeat(60) })
  await engine.snapshot()
  await engine.compact()
  await invoices.add({ n: 'after compaction' })
  await engine.close()
})
afterAll(() => cleanup(root))

it('names queues interned before the oldest remaining segment', async () => {
  const result = await wq(['dump', root, '--json'])
  expect(result.code).toBe(0)
  const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { lsn: number; type: string; queue?: string })
  // The premise: compaction dropped the first segments, and with them the record that named the queue.
  expect(events[0].lsn).toBeGreaterThan(1)
  const adds = events.filter((e) => e.type === 'add')
  expect(adds.length).toBeGreaterThan(0)
  for (const add of adds) expect(add.queue).toBe('invoices')
})
