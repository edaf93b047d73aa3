import { describe, expect, it } from 'vitest'
import { adviseModes } from '../src/doctor/advice.js'

const fsync = (perSecond: number, p50Ms: number) => ({ writeBytes: 4096, samples: 100, seconds: 1, perSecond, p50Ms, p99Ms: p50Ms * 2, maxMs: p50Ms * 3 })
const sequential = { bytes: 64e6, chunkBytes: 1 << 20, seconds: 0.5, mbPerSecond: 128 }
const ext4 = { type: 'ext4', volatile: false }
const opts = { jobBytes: 256, concurrency: 100 }

describe('doctor advice', () => {
  it('sync carries one job per fdatasync one at a time, and concurrency × that with group commit, up to the bandwidth', () => {
    const advice = adviseModes(fsync(1000, 1), sequential, ext4, opts)
    const sync = advice.modes.find((m) => m.mode === 'sync')!
    expect(sync.diskLimitJobsPerSecond).toBe(100_000) // 1000 fsyncs/s × 100 producers < 128 MB/s ÷ 256 B = 500k
    expect(sync.fits).toContain('≈1.0k jobs/s one add at a time')
    const os = advice.modes.find((m) => m.mode === 'os')!
    expect(os.diskLimitJobsPerSecond).toBe(500_000)
    expect(advice.notes[0]).toContain('keeps every acknowledged job through a power cut')
  })

  it('a slow fdatasync suggests sync-enqueue or interval', () => {
    const advice = adviseModes(fsync(100, 10), sequential, ext4, opts)
    expect(advice.notes.some((n) => n.includes('fdatasync is slow here') && n.includes('sync-enqueue'))).toBe(true)
  })

  it('a suspiciously fast fdatasync warns of a volatile write cache', () => {
    const advice = adviseModes(fsync(50_000, 0.01), sequential, ext4, opts)
    expect(advice.notes.some((n) => n.includes('acknowledges from a cache'))).toBe(true)
  })

  it('on tmpfs it promises nothing about power cuts', () => {
    const advice = adviseModes(fsync(50_000, 0.01), sequential, { type: 'tmpfs', volatile: true }, opts)
    expect(advice.notes[0]).toContain('nothing here survives a reboot')
    expect(advice.notes.some((n) => n.includes('through a power cut'))).toBe(false)
  })
})
