import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { EventNames, describeEvent, openEventNames } from '@wq/engine/inspect'
import { WalReader, type WalRecord } from '@wq/wal'
import { join } from 'node:path'
import { cleanupDirs, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

async function recordsOf(dir: string, from = 1): Promise<WalRecord[]> {
  const out: WalRecord[] = []
  for await (const r of (await WalReader.open(dir)).records(from)) out.push({ ...r, payload: r.payload.slice() })
  return out
}

describe('describeEvent name tables', () => {
  it('names queues whose intern records it never saw, from the snapshot', async () => {
    const dir = tempDir()
    const engine = await Engine.open({ dir, logger: recordingLogger(), snapshotEvery: false })
    await engine.queue('mail').add({ n: 1 })
    const lsn = (await engine.snapshot()).default
    await engine.queue('mail').add({ n: 2 })
    const names = await openEventNames(dir)
    const adds = (await recordsOf(join(dir, 'default'), lsn + 1)).map((r) => describeEvent(r, names)).filter((e) => e.type === 'add')
    expect(adds.map((e) => e.queue)).toEqual(['mail'])
    await engine.close()
  })

  it('keeps the names of two pipelines apart', async () => {
    const dir = tempDir()
    const engine = await Engine.open({ dir, logger: recordingLogger(), snapshotEvery: false })
    await engine.queue('mail').add({ n: 1 })
    await engine.pipeline('billing').queue('invoices').add({ n: 1 })
    const a = new EventNames()
    const b = new EventNames()
    const fromA = await recordsOf(join(dir, 'default'))
    const fromB = await recordsOf(join(dir, 'billing'))
    // Interleaved: each table learns only its own pipeline's intern records.
    fromA.forEach((r) => describeEvent(r, a))
    fromB.forEach((r) => describeEvent(r, b))
    const addA = fromA.map((r) => describeEvent(r, a)).find((e) => e.type === 'add')
    const addB = fromB.map((r) => describeEvent(r, b)).find((e) => e.type === 'add')
    expect([addA?.queue, addB?.queue]).toEqual(['mail', 'invoices'])
    await engine.close()
  })
})
