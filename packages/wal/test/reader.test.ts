import { describe, expect, it } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Wal, WalReader, isWalDir, type WalRecord } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { payloadFor, tempDir } from './helpers.js'

describe('WalReader', () => {
  it('reads while the writer holds the lock and appends, stopping at the last whole record', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', segmentBytes: 4096 })
    for (let i = 0; i < 100; i++) wal.push(payloadFor(i, 30))
    await wal.sync()
    const reader = await WalReader.open('/w', { fs })
    expect(reader.segments().at(-1)!.lastLsn).toBe(100)
    // A half-written frame at the end (a write in progress) is not reported.
    const last = wal.segments().at(-1)!.file
    const fh = await fs.open(last, 'readwrite')
    const size = (await fh.stat()).size
    await fh.write(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, 9, size)
    await fh.close()
    let count = 0
    await reader.replay(1, () => count++)
    expect(count).toBe(100)
    await fs.open(last, 'readwrite').then(async (h) => {
      await h.truncate(size)
      await h.close()
    })
    for (let i = 100; i < 300; i++) wal.push(payloadFor(i, 30))
    await wal.sync()
    const seen: WalRecord[] = []
    for await (const r of reader.records(250)) seen.push(r)
    expect(seen.map((r) => r.lsn)).toEqual(Array.from({ length: 51 }, (_, i) => 250 + i))
    // records() payloads stay valid after iteration.
    expect(seen.every((r) => Buffer.from(r.payload).readUInt32LE(0) === r.lsn - 1)).toBe(true)
    expect(reader.segments().length).toBe(wal.segments().length)
    await wal.close()
  })

  it('on real files, reads during continuous appends (with rotations) always see a contiguous prefix', async () => {
    const dir = await tempDir()
    const wal = await Wal.open({ dir, durability: 'os', segmentBytes: 16 * 1024 })
    let stop = false
    const writer = (async () => {
      let i = 0
      while (!stop) {
        for (let k = 0; k < 50; k++) wal.push(payloadFor(i++, 4 + (i % 300)))
        await wal.durable(wal.lastLsn)
      }
    })()
    const reader = await WalReader.open(dir)
    let previous = 0
    for (let round = 0; round < 20; round++) {
      let expected = 1
      const n = await reader.replay(1, (r) => {
        expect(r.lsn).toBe(expected++)
        expect(Buffer.from(r.payload).readUInt32LE(0)).toBe(r.lsn - 1)
      })
      expect(n).toBeGreaterThanOrEqual(previous)
      previous = n
    }
    stop = true
    await writer
    await wal.close()
    expect(previous).toBeGreaterThan(0)
    expect(wal.segments().length).toBeGreaterThan(1)
  })

  it('records() can be abandoned early', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os' })
    for (let i = 0; i < 1000; i++) wal.push(payloadFor(i))
    await wal.sync()
    let n = 0
    for await (const r of wal.records(10)) {
      expect(r.lsn).toBe(10 + n)
      if (++n === 5) break
    }
    await wal.close()
  })

  it('verify() reports progress and a clean log as ok', async () => {
    const dir = await tempDir()
    const wal = await Wal.open({ dir, durability: 'os', segmentBytes: 4096 })
    for (let i = 0; i < 500; i++) wal.push(payloadFor(i, 30))
    await wal.close()
    const reader = await WalReader.open(dir)
    const progress: [number, number][] = []
    const report = await reader.verify((done, total) => progress.push([done, total]))
    expect(report).toMatchObject({ ok: true, records: 500, problems: [] })
    expect(report.segments).toBe(wal.segments().length)
    const [lastDone, total] = progress.at(-1)!
    expect(lastDone).toBe(total)
    expect(total).toBe(wal.segments().reduce((n, s) => n + s.bytes, 0))
  })

  it('opens despite a bad segment header: verify() reports it, reads stop there with WalCorruptionError', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', segmentBytes: 1024 })
    for (let i = 0; i < 100; i++) wal.push(payloadFor(i, 40))
    await wal.close()
    const second = wal.segments()[1]
    const bytes = fs.bytes(second.file)
    bytes[0] ^= 0xff
    fs.setBytes(second.file, bytes)
    const reader = await WalReader.open('/w', { fs })
    const report = await reader.verify()
    expect(report.ok).toBe(false)
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: 'header', offset: 0, file: second.file }))
    let n = 0
    await expect(reader.replay(1, () => n++)).rejects.toMatchObject({ code: 'WAL_CORRUPT', file: second.file, offset: 0 })
    expect(n).toBe(second.firstLsn - 1)
    let m = 0
    const iterate = async () => {
      for await (const r of reader.records(1)) expect(r.lsn).toBe(++m)
    }
    await expect(iterate()).rejects.toMatchObject({ code: 'WAL_CORRUPT', file: second.file })
    expect(m).toBe(second.firstLsn - 1)
  })

  it('isWalDir recognises log directories', async () => {
    const dir = await tempDir()
    expect(await isWalDir(path.join(dir, 'missing'))).toBe(false)
    await mkdir(path.join(dir, 'other'))
    await writeFile(path.join(dir, 'other', 'x.txt'), 'x')
    expect(await isWalDir(path.join(dir, 'other'))).toBe(false)
    const wal = await Wal.open({ dir: path.join(dir, 'log') })
    await wal.close()
    expect(await isWalDir(path.join(dir, 'log'))).toBe(true)
  })
})
