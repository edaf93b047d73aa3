// Minimal reproductions of what the engine snapshot fuzzer found. The decoder
// trusts what it reads: a varint read at the end of the buffer returns 0
// instead of failing, so a damaged count makes a loop run (and allocate) for
// billions of iterations — the fuzzer's out-of-memory crash — and a short body
// decodes into errors that are not the decoder's own (RangeError "read past end
// of event", Error "unknown interned string").
import { describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { Wal, WalReader } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { ByteReader } from '../../packages/engine/src/codec/bytes.js'

const silent = { info() {}, warn() {}, error() {}, debug() {} }
const open = (fs: MemoryFs) => Engine.open({ dir: '/data', durability: 'sync', logger: silent, snapshotEvery: false, wal: { fs } })

describe('engine snapshot decoder bounds (found by the snapshot fuzzer)', () => {
  it('ByteReader.uint() at the end of its buffer throws instead of returning 0', () => {
    const r = new ByteReader(Uint8Array.of(5))
    expect(r.uint()).toBe(5)
    expect(() => r.uint()).toThrow()
  })

  it('a snapshot body cut short is refused with a deliberate error naming the snapshot', async () => {
    const fs = new MemoryFs()
    const engine = await open(fs)
    for (let n = 0; n < 20; n++) await engine.queue('q').add({ n }, { tags: ['t'] })
    await engine.close() // snapshots
    const snap = (await (await WalReader.open('/data/default', { fs })).latestSnapshot())!
    const wal = await Wal.open({ dir: '/data/default', fs })
    await wal.writeSnapshot(snap.lsn + 0, snap.data.subarray(0, Math.floor(snap.data.length / 2)))
    await wal.close()
    const err = await open(fs).then(
      async (e) => {
        await e.close()
        return null
      },
      (e: unknown) => e as { code?: unknown; message: string },
    )
    expect(err, 'Engine.open accepted a truncated snapshot').not.toBeNull()
    expect(typeof err!.code, `${String(err)} has no error code`).toBe('string')
    expect(err!.message).toMatch(/snapshot/i)
  })
})
