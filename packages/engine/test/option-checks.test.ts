/**
 * Options are checked where they enter: a bad one is a TypeError at the call that names it, and nothing is logged.
 * Before, a NaN, fractional or negative number was logged as bytes that read back as another number (a priority of
 * 1.5 came back as -2), or could not be read back (a keepCompleted of -1 crashed the process, and the pipeline no
 * longer opened), and Infinity never finished encoding (the process hung).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Engine, type AddOptions, type QueueOptions } from '@wq/engine'
import { cleanupDirs, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

const open = (dir: string) => Engine.open({ dir, durability: 'sync', logger: recordingLogger(), snapshotEvery: false })
const lastLsn = (e: Engine) => (e as any).handles.get('default').pipeline.log.lastLsn as number

const badAdds: [string, AddOptions, RegExp][] = [
  ['priority NaN', { priority: NaN }, /^priority must be an integer/],
  ['priority 1.5', { priority: 1.5 }, /^priority must be an integer/],
  ['priority Infinity', { priority: Infinity }, /^priority must be an integer/],
  ['delay NaN', { delay: NaN }, /^delay must be a finite number of ms ≥ 0/],
  ['delay -1', { delay: -1 }, /^delay must be/],
  ['delay as a string', { delay: '5' as unknown as number }, /^delay must be/],
  ['runAt an invalid Date', { runAt: new Date('nope') }, /^runAt must be a valid Date or epoch ms/],
  ['attempts 0', { attempts: 0 }, /^attempts must be a whole number ≥ 1/],
  ['attempts 1.5', { attempts: 1.5 }, /^attempts must be a whole number ≥ 1/],
  ['timeout -1', { timeout: -1 }, /^timeout must be/],
  ['a tag that is not a string', { tags: [1 as unknown as string] }, /^each tag must be a non-empty string/],
  ['tags not an array', { tags: 'x' as unknown as string[] }, /^tags must be an array of strings/],
  ['group a number', { group: 5 as unknown as string }, /^group must be a non-empty string/],
  ['key an object', { key: {} as unknown as string }, /^key must be a non-empty string/],
  ['onDuplicate unknown', { key: 'k', onDuplicate: 'merge' as 'keep' }, /^onDuplicate must be "keep" or "replace"/],
  ['backoff delay Infinity', { backoff: { type: 'fixed', delay: Infinity } }, /^backoff must be/],
  ['backoff jitter 2', { backoff: { type: 'exponential', delay: 1, jitter: 2 } }, /^backoff.jitter must be a number from 0 to 1/],
]

const badQueues: [string, QueueOptions, RegExp][] = [
  ['keepCompleted -1', { keepCompleted: -1 }, /^keepCompleted must be a whole number ≥ 0/],
  ['keepCompleted.count NaN', { keepCompleted: { count: NaN } }, /^keepCompleted.count must be/],
  ['keepCompleted.age -5', { keepCompleted: { age: -5 } }, /^keepCompleted.age must be/],
  ['groupConcurrency 0', { groupConcurrency: 0 }, /^groupConcurrency must be a whole number ≥ 1/],
  ['attempts NaN', { attempts: NaN }, /^attempts must be a whole number ≥ 1/],
  ['serial "yes"', { serial: 'yes' as unknown as boolean }, /^serial must be a boolean/],
  ['backoff maxDelay NaN', { backoff: { type: 'exponential', delay: 1, maxDelay: NaN } }, /^backoff.maxDelay must be/],
]

describe('bad options are refused at the call, and nothing is logged', () => {
  it.each(badAdds)('add, push, addBulk and schedule: %s', async (_name, options, message) => {
    const dir = tempDir()
    const e = await open(dir)
    const q = e.queue('q')
    await q.add('first')
    const before = lastLsn(e)
    await expect(q.add('x', options)).rejects.toThrow(message)
    await expect(q.addBulk([{ data: 'ok' }, { data: 'x', options }])).rejects.toThrow(message)
    if (options.key === undefined) expect(() => q.push('x', options)).toThrow(message)
    await expect(q.schedule('s', '0 0 1 1 *', 'x', options)).rejects.toThrow(message)
    expect(lastLsn(e)).toBe(before)
    expect(q.stats().totals.added).toBe(1)
    await e.close()
    const again = await open(dir)
    expect(again.queue('q').jobs({ limit: 10 }).map((j) => j.data)).toEqual(['first'])
    await again.close()
  })

  it.each(badQueues)('queue options: %s', async (_name, options, message) => {
    const dir = tempDir()
    const e = await open(dir)
    await e.queue('q').add('first')
    const before = lastLsn(e)
    expect(() => e.queue('other', options)).toThrow(message)
    expect(() => e.queue('q', options)).toThrow(message)
    expect(lastLsn(e)).toBe(before)
    await e.close()
    const again = await open(dir)
    expect(again.queue('q').stats().totals.added).toBe(1)
    await again.close()
  })

  it('empty names: a queue, a move target, a schedule', async () => {
    const e = await open(tempDir())
    expect(() => e.queue('')).toThrow(/^queue name must be a non-empty string/)
    const job = await e.queue('q').add(1)
    await expect(job.moveTo('')).rejects.toThrow(/^queue name must be a non-empty string/)
    await expect(e.queue('q').schedule('', '* * * * *')).rejects.toThrow(/^schedule name must be a non-empty string/)
    await e.close()
  })

  it('a handler whose next stage has a bad option fails its attempt with the reason; nothing of it is logged', async () => {
    const e = await open(tempDir())
    const q = e.queue('q', { attempts: 1 })
    q.process(() => ({ next: { queue: 'n', data: 1, options: { priority: 0.5 } } }))
    const job = await q.add(1)
    await expect(job.finished()).rejects.toThrow(/priority must be an integer, got 0.5/)
    expect(e.queue('n').stats().totals.added).toBe(0)
    await e.close()
  })
})

describe('what is accepted reads back as given', () => {
  it('Infinity for attempts, keepCompleted and groupConcurrency; negative priorities; fractional delays and timeouts (rounded up)', async () => {
    const dir = tempDir()
    const e = await open(dir)
    const q = e.queue('q', { attempts: Infinity, keepCompleted: Infinity, groupConcurrency: Infinity })
    const now = Date.now()
    const a = await q.add('a', { priority: -5, delay: 10_000.5, timeout: 1.5, attempts: Infinity })
    const b = await q.add('b', { runAt: now + 20_000.25 })
    const live = [a.info(), b.info()].map((i) => [i?.priority, i?.runAt?.getTime(), i?.maxAttempts])
    expect(live[0][0]).toBe(-5)
    expect(Number.isInteger(live[0][1])).toBe(true)
    expect(live[1][1]).toBe(Math.ceil(now + 20_000.25))
    await e.close()
    const again = await open(dir)
    const replayed = ['1', '2'].map((id) => again.getJob(id)!.info()).map((i) => [i?.priority, i?.runAt?.getTime(), i?.maxAttempts])
    expect(replayed).toEqual(live)
    await again.close()
  })
})

describe('Engine.open refuses bad options before touching the directory', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown durability', { durability: 'fast' }, /^durability must be "sync", "sync-enqueue", "interval", "os", "buffered", "memory", got "fast"/],
    ['snapshotEvery.events 0', { snapshotEvery: { events: 0 } }, /^snapshotEvery.events must be a whole number ≥ 1/],
    ['snapshotEvery.bytes NaN', { snapshotEvery: { bytes: NaN } }, /^snapshotEvery.bytes must be/],
    ['maxDataBytes NaN', { maxDataBytes: NaN }, /^maxDataBytes must be a whole number ≥ 1/],
    ['closeTimeoutMs -1', { closeTimeoutMs: -1 }, /^closeTimeoutMs must be a finite number of ms ≥ 0/],
    ['wal.segmentBytes 0', { wal: { segmentBytes: 0 } }, /^segmentBytes must be a whole number ≥ 1/],
    ['wal.intervalMs NaN', { wal: { intervalMs: NaN } }, /^intervalMs must be a finite number of ms > 0/],
    ['wal.bufferRecords 0', { wal: { bufferRecords: 0 } }, /^bufferRecords must be a whole number ≥ 1/],
    ['wal.preallocate "yes"', { wal: { preallocate: 'yes' } }, /^preallocate must be a boolean/],
  ]
  it.each(bad)('%s', async (_name, options, message) => {
    const dir = join(tempDir(), 'data')
    await expect(Engine.open({ dir, logger: recordingLogger(), ...options })).rejects.toThrow(message)
    expect(existsSync(dir)).toBe(false)
  })
})

describe('lookups and workers', () => {
  it('jobs() refuses a state it does not know and a negative limit, rather than listing nothing', async () => {
    const e = await open(tempDir())
    const q = e.queue('q')
    await q.add(1)
    expect(() => q.jobs({ state: 'waitng' as 'waiting' })).toThrow(/^state must be one of waiting, delayed, active, completed, dead, got waitng/)
    expect(() => q.jobs({ limit: -1 })).toThrow(/^limit must be a whole number ≥ 0/)
    expect(q.jobs({ state: 'waiting', limit: Infinity }).length).toBe(1)
    await e.close()
  })

  it('process() refuses a handler that is not a function', async () => {
    const e = await open(tempDir())
    expect(() => e.queue('q').process(5 as never)).toThrow(/^process\(\) takes a handler function, got number/)
    await e.close()
  })
})
