import { describe, expect, it } from 'vitest'
import { ByteReader, SlabWriter } from '../src/codec/bytes.js'
import { decodeValue, encodeValue } from '../src/codec/data.js'
import { JobDataError } from '@wq/engine'
import { memoryEngine } from './helpers.js'

describe('byte codec', () => {
  it('round-trips unsigned/signed integers up to 2^53, floats and strings', () => {
    const w = new SlabWriter()
    const ints = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Date.now(), Number.MAX_SAFE_INTEGER]
    const signed = [0, -1, 1, -64, 64, -(2 ** 40), 2 ** 40]
    const strings = ['', 'mail', 'é ünïcødé ✓', 'x'.repeat(300)]
    w.begin()
    for (const v of ints) w.uint(v)
    for (const v of signed) w.int(v)
    w.f64(Math.PI)
    for (const s of strings) w.str(s)
    const r = new ByteReader(w.end())
    for (const v of ints) expect(r.uint()).toBe(v)
    for (const v of signed) expect(r.int()).toBe(v)
    expect(r.f64()).toBe(Math.PI)
    for (const s of strings) expect(r.str()).toBe(s)
    expect(r.done).toBe(true)
  })

  it('refuses to log a value that would not read back as itself: negative, fractional, NaN, infinite, past 2^53', () => {
    const w = new SlabWriter()
    w.begin()
    for (const v of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e20]) expect(() => w.uint(v), String(v)).toThrow(RangeError)
    for (const v of [0.5, NaN, Infinity, 2 ** 53]) expect(() => w.int(v), String(v)).toThrow(RangeError)
    // Nothing was written by the refused calls.
    w.uint(5)
    const r = new ByteReader(w.end())
    expect(r.uint()).toBe(5)
    expect(r.done).toBe(true)
  })

  it('never overwrites a view it handed out, even across slab boundaries', () => {
    const w = new SlabWriter()
    const views: Uint8Array[] = []
    for (let i = 0; i < 5000; i++) {
      w.begin()
      w.bytes(new Uint8Array(100).fill(i & 0xff))
      views.push(w.end())
    }
    views.forEach((v, i) => expect(new ByteReader(v).bytes().every((b) => b === (i & 0xff))).toBe(true))
  })
})

describe('job data codec', () => {
  it('carries objects, arrays, Date, Map, Set, BigInt, Buffer and typed arrays', () => {
    const value = {
      o: { a: 1, b: [1, 'two', null, true] },
      d: new Date(1_700_000_000_000),
      m: new Map<unknown, unknown>([['k', 1], [2, new Map([['nested', new Set([1, 2])]])]]),
      s: new Set(['x', 'y']),
      n: 2n ** 70n,
      buf: Buffer.from('hello'),
      u16: new Uint16Array([1, 65535]),
      f64: new Float64Array([1.5, -2]),
    }
    const back = decodeValue(encodeValue(value, 1 << 20)) as typeof value
    expect(back.o).toEqual(value.o)
    expect(back.d).toEqual(value.d)
    expect(back.m).toBeInstanceOf(Map)
    expect(back.m.get('k')).toBe(1)
    expect((back.m.get(2) as Map<string, Set<number>>).get('nested')).toEqual(new Set([1, 2]))
    expect(back.s).toEqual(value.s)
    expect(back.n).toBe(value.n)
    expect(Buffer.from(back.buf).toString()).toBe('hello')
    expect(back.u16).toBeInstanceOf(Uint16Array)
    expect([...back.u16]).toEqual([1, 65535])
    expect([...back.f64]).toEqual([1.5, -2])
  })

  it('refuses functions and symbols with a clear error naming where they are', () => {
    expect(() => encodeValue({ a: { cb: () => 1 } }, 1 << 20)).toThrow(/function at data\.a\.cb/)
    expect(() => encodeValue({ list: [1, Symbol('s')] }, 1 << 20)).toThrow(/symbol at data\.list\[1\]/)
    expect(() => encodeValue({ a: () => 1 }, 1 << 20)).toThrow(JobDataError)
  })

  it('refuses data over the size limit', () => {
    expect(() => encodeValue({ s: 'x'.repeat(2000) }, 1000)).toThrow(/over the limit of 1000 bytes/)
  })
})

describe('add refuses bad data without writing anything', () => {
  it('function, symbol and oversized data reject at add; the log is untouched', async () => {
    const engine = await memoryEngine({ maxDataBytes: 1024 })
    const q = engine.queue('q')
    await q.add({ ok: true })
    const before = engine.stats().pipelines[0].lastLsn
    await expect(q.add({ f: () => 1 })).rejects.toThrow(JobDataError)
    await expect(q.add({ s: Symbol('x') } as never)).rejects.toThrow(JobDataError)
    await expect(q.add({ big: 'x'.repeat(2000) })).rejects.toThrow(/over the limit of 1024/)
    await expect(q.addBulk([{ data: 1 }, { data: { f() {} } }])).rejects.toThrow(JobDataError)
    expect(engine.stats().pipelines[0].lastLsn).toBe(before)
    expect(q.stats().counts.waiting).toBe(1)
    await engine.close()
  })
})
