// `buffered` acknowledges a record when it enters the buffer, so a failed write loses records the caller was
// told are logged. The log then stops (as after an fsync failure) instead of going on from the cut: going on
// let later records build on lost ones (an add naming a queue whose intern record was lost), and the log no
// longer replayed ("unknown interned string"). Reopening recovers the written prefix, as after a crash.
import { describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { Wal, WalPoisonedError } from '@wq/wal'
import { FaultyFs, MemoryFs } from '@wq/wal/testing'

const silent = { info() {}, warn() {}, error() {}, debug() {} }

describe('a failed write in buffered mode', () => {
  it('stops the WAL: later appends are refused, and the reopened log holds the written prefix', async () => {
    const mem = new MemoryFs()
    const fs = new FaultyFs(mem)
    const logged: { fields: Record<string, unknown>; message: string }[] = []
    const logger = { ...silent, error: (fields: Record<string, unknown>, message: string) => logged.push({ fields, message }) }
    const wal = await Wal.open({ dir: '/w', fs, durability: 'buffered', bufferRecords: 4, logger })
    for (let i = 0; i < 4; i++) wal.push(Buffer.from(`a${i}`))
    await wal.written()
    const poisoned = wal.whenPoisoned()
    fs.inject({ op: 'write', nth: 1, code: 'EIO', persistent: false })
    for (let i = 0; i < 4; i++) wal.push(Buffer.from(`b${i}`))
    await wal.written()
    expect(wal.poisoned).toMatchObject({ code: 'EIO' })
    // Its owner hears of it with no append waiting: these were acknowledged on entering the buffer.
    expect(await poisoned).toBe(wal.poisoned)
    expect(await wal.whenPoisoned()).toBe(wal.poisoned)
    expect(() => wal.push(Buffer.from('c'))).toThrow(WalPoisonedError)
    // One error line, saying where and from which record the log was lost.
    expect(logged).toHaveLength(1)
    expect(logged[0].message).toMatch(/write failed in buffered mode; records from this LSN were lost/)
    expect(logged[0].fields).toMatchObject({ file: expect.stringContaining('/w/'), fromLsn: 5 })
    await wal.close().catch(() => undefined)
    fs.clearFaults()
    const again = await Wal.open({ dir: '/w', fs: mem, durability: 'buffered' })
    const got: string[] = []
    await again.replay(1, (r) => got.push(Buffer.from(r.payload).toString()))
    expect(got).toEqual(['a0', 'a1', 'a2', 'a3'])
    await again.close()
  })

  it('stops the pipeline, and the engine reopens the directory and works again', async () => {
    for (let nth = 1; nth <= 4; nth++) {
      const fs = new FaultyFs(new MemoryFs())
      const open = () => Engine.open({ dir: '/data', durability: 'buffered', logger: silent, snapshotEvery: false, wal: { fs, bufferRecords: 8 } })
      const engine = await open()
      const errors: Error[] = []
      engine.on('error', (err) => errors.push(err))
      fs.inject({ op: 'write', nth, code: 'EIO', persistent: false })
      const q = engine.queue('q')
      const acked: string[] = []
      let refused = 0
      for (let i = 0; i < 60; i++) {
        try {
          acked.push((await q.add({ i })).id)
        } catch {
          refused++
        }
        await new Promise((r) => setImmediate(r))
      }
      expect(errors.length, `write #${nth}: the pipeline reported the failure`).toBeGreaterThan(0)
      expect(refused, `write #${nth}: later adds are refused`).toBeGreaterThan(0)
      await engine.close().catch(() => undefined)
      fs.clearFaults()
      const again = await open()
      // What survived is a prefix of the acknowledged adds (the buffer at the failure may be lost).
      const present = again.queue('q').jobs({ limit: 1000 }).map((j) => j.id)
      expect(present, `write #${nth}: a prefix of the acknowledged adds`).toEqual(acked.slice(0, present.length))
      const q2 = again.queue('q')
      q2.process(async () => 'ok')
      await expect((await q2.add({ i: 'after' })).finished()).resolves.toBe('ok')
      await again.close()
    }
  })
})
