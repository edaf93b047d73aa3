import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { describeEvent, listPipelines, openView, type DescribedEvent } from '@wq/engine/inspect'
import { WalReader } from '@wq/wal'
import { join } from 'node:path'
import { cleanupDirs, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

async function populated() {
  const dir = tempDir()
  const engine = await Engine.open({ dir, logger: recordingLogger() })
  const q = engine.queue('mail', { attempts: 1 })
  q.process(async (job) => { if (job.data.bad) throw new Error('bounced'); return 'sent' })
  const ok = await q.add({ to: 'a' }, { tags: ['welcome'] })
  await ok.finished()
  const bad = await q.add({ to: 'b', bad: true })
  await bad.finished().catch(() => {})
  await engine.queue('later').add({ x: 1 }, { delay: 60_000 })
  await engine.pipeline('billing').queue('invoices').add({ n: 1 })
  return { dir, engine, ok, bad }
}

describe('inspect views', () => {
  it('lists pipelines and folds the log read-only while the engine runs', async () => {
    const { dir, engine, ok, bad } = await populated()
    expect(await listPipelines(dir)).toEqual(['billing', 'default'])
    let progressCalls = 0
    const view = await openView(dir, { onProgress: () => progressCalls++ })
    expect(progressCalls).toBeGreaterThan(0)
    expect(view.snapshotLsn).toBeNull()
    const mail = view.queues().find((q) => q.name === 'mail')!
    expect(mail.counts).toMatchObject({ completed: 1, dead: 1 })
    expect(mail.totals).toMatchObject({ added: 2, completed: 1, dead: 1 })
    expect(view.job(ok.id)).toMatchObject({ state: 'completed', result: 'sent', tags: ['welcome'] })
    expect(view.job(bad.id)!.errors[0].message).toBe('bounced')
    expect(view.jobs({ state: 'delayed' }).length).toBe(1)
    expect(view.jobs({ tag: 'welcome' }).map((j) => j.id)).toEqual([ok.id])
    const billing = await openView(dir, { pipeline: 'billing' })
    expect(billing.queues().map((q) => q.name)).toEqual(['invoices'])
    await engine.close()
    const afterClose = await openView(dir)
    expect(afterClose.snapshotLsn).not.toBeNull()
    expect(afterClose.job(bad.id)!.state).toBe('dead')
  })

  it('untilLsn and untilTime show the state at a point in the log', async () => {
    const { dir, engine, ok } = await populated()
    const all = await openView(dir)
    let addLsn = 0
    const reader = await WalReader.open(join(dir, 'default'))
    for await (const r of reader.records()) if (describeEvent(r).type === 'add' && addLsn === 0) addLsn = r.lsn
    const early = await openView(dir, { untilLsn: addLsn })
    expect(early.lastLsn).toBe(addLsn)
    expect(early.job(ok.id)!.state).toBe('waiting')
    expect(all.job(ok.id)!.state).toBe('completed')
    const before = await openView(dir, { untilTime: new Date(0) })
    expect(before.queues()).toEqual([])
    await engine.close()
  })

  it('describeEvent names event types, queues and fields as JSON-safe values', async () => {
    const { dir, engine } = await populated()
    await engine.close()
    const reader = await WalReader.open(join(dir, 'default'))
    const events: DescribedEvent[] = []
    for await (const r of reader.records()) events.push(describeEvent(r))
    const add = events.find((e) => e.type === 'add')!
    expect(add).toMatchObject({ queue: 'mail', jobId: '1', data: { to: 'a' }, tags: ['welcome'] })
    expect(add.time).toBeInstanceOf(Date)
    expect(events.some((e) => e.type === 'fail' && e.error === 'bounced' && e.outcome === 'dead')).toBe(true)
    expect(events.some((e) => e.type === 'run-complete' || e.type === 'complete')).toBe(true)
    expect(() => JSON.stringify(events)).not.toThrow()
  })
})
