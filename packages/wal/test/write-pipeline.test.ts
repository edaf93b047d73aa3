/**
 * The writer keeps up to `writesInFlight` chunk writes in flight (default 6). These tests hold each
 * chunk write at a gate and finish them out of order, to show that nothing is
 * acknowledged past an unfinished write, that a failure cuts back to the last
 * completed write whatever landed after it, and that a crash with a later chunk
 * on disk but not an earlier one reads as a torn tail, not as corruption.
 */
import { describe, expect, it } from 'vitest'
import { Wal, WalCorruptionError } from '@wq/wal'
import { fsError, MemoryFs, overrideFs, overrideHandle, type FileSystem } from '@wq/wal/testing'
import { payloadFor } from './helpers.js'

/** Records this big fill a chunk of their own (chunks are 256 KiB). */
const BIG = 150 * 1024

interface HeldWrite {
  position: number
  /** Let the write through; resolves once it has landed. */
  land(): Promise<void>
  /** Fail it with `code` instead. */
  fail(code: string): void
}

/** A MemoryFs whose chunk-sized writes to segments wait to be landed or failed, one by one. */
function heldWrites(mem: MemoryFs): { fs: FileSystem; held: HeldWrite[]; untilHeld(n: number): Promise<void> } {
  const held: HeldWrite[] = []
  let wanted = Infinity
  let notify: () => void = () => {}
  const fs = overrideFs(mem, {
    open: async (p, mode) => {
      const fh = await mem.open(p, mode)
      if (!p.endsWith('.wal')) return fh
      return overrideHandle(fh, {
        write: (buf, offset, length, position) => {
          if (length < BIG) return fh.write(buf, offset, length, position)
          return new Promise<number>((resolve, reject) => {
            held.push({
              position,
              land: () => fh.write(buf, offset, length, position).then(resolve, reject),
              fail: (code) => reject(fsError(code, 'write', p, 'injected')),
            })
            if (held.length >= wanted) notify()
          })
        },
      })
    },
  })
  const untilHeld = (n: number): Promise<void> =>
    held.length >= n ? Promise.resolve() : new Promise((resolve) => ((wanted = n), (notify = resolve)))
  return { fs, held, untilHeld }
}

/** An append whose outcome can be looked at without awaiting it. */
function tracked(p: Promise<number>): { promise: Promise<number>; lsn?: number; err?: NodeJS.ErrnoException } {
  const t: { promise: Promise<number>; lsn?: number; err?: NodeJS.ErrnoException } = { promise: p }
  t.promise = p.then(
    (lsn) => (t.lsn = lsn),
    (err: NodeJS.ErrnoException) => {
      t.err = err
      return -1
    },
  )
  return t
}

/** Lets every callback already due run (promise reactions and one macrotask turn). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function readBack(fs: FileSystem): Promise<{ lsns: number[]; payloads: Buffer[]; wal: Wal }> {
  const wal = await Wal.open({ dir: '/w', fs })
  const lsns: number[] = []
  const payloads: Buffer[] = []
  await wal.replay(1, (r) => {
    lsns.push(r.lsn)
    payloads.push(Buffer.from(r.payload))
  })
  return { lsns, payloads, wal }
}

/**
 * Crash `mem` now, keeping and then dropping what was not synced: recovery must
 * accept both images as a torn tail (never as corruption) and keep only LSN 1.
 */
async function expectOnlyFirstRecordAfterCrash(mem: MemoryFs): Promise<void> {
  for (const unsynced of ['keep', 'drop'] as const) {
    const image = mem.crash({ unsynced })
    let back
    try {
      back = await readBack(image)
    } catch (err) {
      expect.unreachable(`recovery refused the image (${unsynced}): ${err instanceof WalCorruptionError ? err.message : String(err)}`)
    }
    expect(back.lsns).toEqual([1])
    if (unsynced === 'keep') expect(back.wal.recovery.truncatedTail).toBeDefined()
    await back.wal.close()
  }
}

describe('two chunk writes in flight (writesInFlight: 2)', () => {
  it('issues a second write while the first runs, never a third, and acknowledges in LSN order', async () => {
    const mem = new MemoryFs()
    const { fs, held, untilHeld } = heldWrites(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', writesInFlight: 2 })
    const a = [1, 2, 3].map((i) => tracked(wal.append(payloadFor(i, BIG))))
    await untilHeld(2)
    await settle()
    expect(held.length).toBe(2)
    expect(held[1].position).toBeGreaterThan(held[0].position)

    // The second lands first: it must not be acknowledged before the first.
    await held[1].land()
    await settle()
    expect(a[1].lsn).toBeUndefined()
    expect(held.length).toBe(2)

    await held[0].land()
    await a[1].promise
    expect([a[0].lsn, a[1].lsn]).toEqual([1, 2])
    await untilHeld(3)
    await held[2].land()
    expect(await a[2].promise).toBe(3)
    await wal.close()

    const back = await readBack(mem)
    expect(back.lsns).toEqual([1, 2, 3])
    back.payloads.forEach((p, i) => expect(p.equals(payloadFor(i + 1, BIG))).toBe(true))
    await back.wal.close()
  })

  it('the first write failing after the second landed cuts the file back before both and rejects from the first', async () => {
    const mem = new MemoryFs()
    const { fs, held, untilHeld } = heldWrites(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', writesInFlight: 2 })
    expect(await wal.append(payloadFor(0, 40))).toBe(1)
    const segment = wal.segments()[0].file
    const sizeBefore = (await mem.stat(segment)).size
    const a = [1, 2, 3].map((i) => tracked(wal.append(payloadFor(i, BIG))))
    await untilHeld(2)
    await held[1].land()
    held[0].fail('EIO')
    await Promise.all(a.map((t) => t.promise))
    for (const t of a) expect(t.err?.code).toBe('EIO')
    expect(wal.poisoned).toBeNull()
    expect(held.length).toBe(2) // the third chunk was dropped, never written
    expect((await mem.stat(segment)).size).toBe(sizeBefore)

    // The log carries on from the cut, reusing the rejected LSNs.
    expect(await wal.append(payloadFor(4, 40))).toBe(2)
    await wal.close()
    const back = await readBack(mem)
    expect(back.wal.recovery.truncatedTail).toBeUndefined()
    expect(back.lsns).toEqual([1, 2])
    expect(back.payloads[1].equals(payloadFor(4, 40))).toBe(true)
    await back.wal.close()
  })

  it('the second write failing after the first landed keeps the first and rejects from the second', async () => {
    const mem = new MemoryFs()
    const { fs, held, untilHeld } = heldWrites(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', writesInFlight: 2 })
    const a = [1, 2, 3].map((i) => tracked(wal.append(payloadFor(i, BIG))))
    await untilHeld(2)
    held[1].fail('ENOSPC')
    await held[0].land()
    // The third chunk went out once the first completed; the cut-back waits for it.
    await untilHeld(3)
    await settle()
    expect(a[0].lsn).toBe(1)
    expect(a[1].err).toBeUndefined()
    await held[2].land()
    await Promise.all(a.map((t) => t.promise))
    expect(a[1].err?.code).toBe('ENOSPC')
    expect(a[2].err?.code).toBe('ENOSPC')
    expect(await wal.append(payloadFor(4, 40))).toBe(2)
    await wal.close()

    const back = await readBack(mem)
    expect(back.lsns).toEqual([1, 2])
    expect(back.payloads[0].equals(payloadFor(1, BIG))).toBe(true)
    await back.wal.close()
  })

  it('a crash with the second chunk on disk and the first not reads as a torn tail, not corruption', async () => {
    const mem = new MemoryFs()
    const { fs, held, untilHeld } = heldWrites(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', writesInFlight: 2 })
    // A synced record first, so the segment is fully synced when the big chunks are written: the first of
    // them may then say "everything before me was durable", and the second, written alongside it, must not.
    expect(await wal.append(payloadFor(0, 40))).toBe(1)
    await wal.sync()
    const a = [1, 2].map((i) => tracked(wal.append(payloadFor(i, BIG))))
    await untilHeld(2)
    await held[1].land()
    await settle()
    expect(a[1].lsn).toBeUndefined()

    await expectOnlyFirstRecordAfterCrash(mem)
    await held[0].land()
    await Promise.all(a.map((t) => t.promise))
    await wal.close()
  })
})

describe('as many writes in flight as allowed, never more', () => {
  for (const allowed of [1, 3, undefined]) {
    const n = allowed ?? 6
    it(`writesInFlight ${allowed ?? 'by default'}: issues ${n} at once, never ${n + 1}, and acknowledges in LSN order however they land`, async () => {
      const mem = new MemoryFs()
      const { fs, held, untilHeld } = heldWrites(mem)
      const wal = await Wal.open({ dir: '/w', fs, durability: 'os', writesInFlight: allowed })
      const a = Array.from({ length: n + 2 }, (_, i) => tracked(wal.append(payloadFor(i + 1, BIG))))
      await untilHeld(n)
      await settle()
      expect(held.length).toBe(n)
      for (let i = 1; i < n; i++) expect(held[i].position).toBeGreaterThan(held[i - 1].position)

      // All but the first land: nothing may be acknowledged, and no further write may start.
      for (let i = n - 1; i >= 1; i--) await held[i].land()
      await settle()
      expect(a.filter((t) => t.lsn !== undefined)).toEqual([])
      expect(held.length).toBe(n)

      await held[0].land()
      await a[n - 1].promise
      expect(a.slice(0, n).map((t) => t.lsn)).toEqual(Array.from({ length: n }, (_, i) => i + 1))
      for (let i = n; i < n + 2; i++) {
        await untilHeld(i + 1)
        await held[i].land()
      }
      expect(await a[n + 1].promise).toBe(n + 2)
      await wal.close()

      const back = await readBack(mem)
      expect(back.lsns).toEqual(Array.from({ length: n + 2 }, (_, i) => i + 1))
      back.payloads.forEach((p, i) => expect(p.equals(payloadFor(i + 1, BIG))).toBe(true))
      await back.wal.close()
    })
  }

  it('a middle write failing waits for every later write in flight, cuts back to the last completed one and rejects from it', async () => {
    const mem = new MemoryFs()
    const { fs, held, untilHeld } = heldWrites(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', writesInFlight: 4 })
    const a = [1, 2, 3, 4, 5].map((i) => tracked(wal.append(payloadFor(i, BIG))))
    await untilHeld(4)
    await held[0].land()
    await a[0].promise
    expect(a[0].lsn).toBe(1)
    await untilHeld(5) // the first completed, so the fifth went out
    held[1].fail('EIO')
    await held[3].land()
    await held[2].land()
    await settle()
    // The fifth write is still out: the cut must wait for it, or it could land after the cut.
    expect(a[1].err).toBeUndefined()
    await held[4].land()
    await Promise.all(a.map((t) => t.promise))
    for (const t of a.slice(1)) expect(t.err?.code).toBe('EIO')
    expect(wal.poisoned).toBeNull()

    expect(await wal.append(payloadFor(6, 40))).toBe(2)
    await wal.close()
    const back = await readBack(mem)
    expect(back.wal.recovery.truncatedTail).toBeUndefined()
    expect(back.lsns).toEqual([1, 2])
    expect(back.payloads[0].equals(payloadFor(1, BIG))).toBe(true)
    expect(back.payloads[1].equals(payloadFor(6, 40))).toBe(true)
    await back.wal.close()
  })

  it('a crash with later chunks on disk and the first not reads as a torn tail, not corruption', async () => {
    const mem = new MemoryFs()
    const { fs, held, untilHeld } = heldWrites(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os' })
    // Synced first, so the first big chunk may say "everything before me was durable"; the others must not.
    expect(await wal.append(payloadFor(0, 40))).toBe(1)
    await wal.sync()
    const a = [1, 2, 3, 4].map((i) => tracked(wal.append(payloadFor(i, BIG))))
    await untilHeld(4)
    for (const i of [3, 1, 2]) await held[i].land()
    await settle()
    expect(a.filter((t) => t.lsn !== undefined)).toEqual([])

    await expectOnlyFirstRecordAfterCrash(mem)
    await held[0].land()
    await Promise.all(a.map((t) => t.promise))
    await wal.close()
  })

  it('refuses a writesInFlight that is not a whole number of at least 1', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(Wal.open({ dir: '/w', fs: new MemoryFs(), writesInFlight: bad })).rejects.toThrow(/writesInFlight must be a whole number ≥ 1/)
    }
  })
})
