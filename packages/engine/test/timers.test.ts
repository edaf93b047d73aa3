import { afterEach, describe, expect, it, vi } from 'vitest'
import { Engine } from '@wq/engine'
import { cleanupDirs, crash, deferred, memoryEngine, nextEvent, recordingLogger, tempDir } from './helpers.js'

// Only time is faked: microtasks and setImmediate stay real so the engine's batching works.
const fakeTime = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })

afterEach(() => {
  vi.useRealTimers()
  cleanupDirs()
})

describe('delayed and scheduled jobs', () => {
  it('a delayed job waits for its delay, a runAt job for its time', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const q = engine.queue<string>('q')
    const ran: string[] = []
    q.process(async (job) => { ran.push(job.data) })
    const a = await q.add('delay', { delay: 5_000 })
    await q.add('runAt', { runAt: new Date(Date.now() + 10_000) })
    expect(a.state).toBe('delayed')
    await vi.advanceTimersByTimeAsync(4_999)
    expect(ran).toEqual([])
    await vi.advanceTimersByTimeAsync(2)
    expect(ran).toEqual(['delay'])
    await vi.advanceTimersByTimeAsync(5_000)
    expect(ran).toEqual(['delay', 'runAt'])
    await engine.close()
  })

  it('delayed jobs survive a restart and run when due', async () => {
    const dir = tempDir()
    fakeTime()
    const e1 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    const job = await e1.queue('q').add('later', { delay: 60_000 })
    await crash(e1)
    const e2 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    expect(e2.getJob(job.id)!.state).toBe('delayed')
    const ran = deferred<string>()
    e2.queue<string>('q').process(async (j) => ran.resolve(j.data))
    await vi.advanceTimersByTimeAsync(60_001)
    expect(await ran.promise).toBe('later')
    await e2.close()
  })
})

describe('recurring jobs (cron)', () => {
  it('adds a job at each cron occurrence', async () => {
    fakeTime()
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const engine = await memoryEngine()
    const q = engine.queue('reports')
    const runs: number[] = []
    q.process(async (job) => { runs.push(Date.now()); expect(job.data).toEqual({ kind: 'daily' }) })
    const info = await q.schedule('every-minute', '* * * * *', { kind: 'daily' }, { timezone: 'UTC' })
    expect(info.nextRunAt.toISOString()).toBe('2030-01-01T00:01:00.000Z')
    await vi.advanceTimersByTimeAsync(3 * 60_000 + 10)
    expect(runs.length).toBe(3)
    expect(q.schedules()[0].nextRunAt.toISOString()).toBe('2030-01-01T00:04:00.000Z')
    await engine.close()
  })

  it('schedule() takes no job id: the adds before and after it get consecutive ids', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const before = await q.add(1)
    await q.schedule('tick', '0 0 1 1 *', { cron: 1 })
    const after = await q.add(2)
    expect(Number(after.id)).toBe(Number(before.id) + 1)
    await engine.close()
  })

  it('is persisted, and a restart never runs an occurrence twice (missed ones run once)', async () => {
    const dir = tempDir()
    fakeTime()
    vi.setSystemTime(new Date('2030-01-01T00:00:30Z'))
    const e1 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    await e1.queue('r').schedule('tick', '* * * * *', 'x', { timezone: 'UTC' })
    const fired = nextEvent(e1.on.bind(e1), 'added')
    await vi.advanceTimersByTimeAsync(31_000) // 00:01:01: first occurrence fired
    await fired
    expect(e1.queue('r').stats().totals.added).toBe(1)
    await crash(e1)

    // Restart at the same instant: the fired occurrence is not fired again.
    const e2 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    await new Promise((r) => setImmediate(r))
    expect(e2.queue('r').stats().totals.added).toBe(1)
    expect(e2.queue('r').schedules()[0].nextRunAt.toISOString()).toBe('2030-01-01T00:02:00.000Z')
    await crash(e2)

    // Down for 5 minutes: the missed occurrences collapse into one run at start-up.
    vi.setSystemTime(new Date('2030-01-01T00:07:30Z'))
    const e3 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    const caughtUp = nextEvent(e3.on.bind(e3), 'added')
    await vi.advanceTimersByTimeAsync(1)
    await caughtUp
    expect(e3.queue('r').stats().totals.added).toBe(2)
    expect(e3.queue('r').schedules()[0].nextRunAt.toISOString()).toBe('2030-01-01T00:08:00.000Z')
    expect(await e3.queue('r').unschedule('tick')).toBe(true)
    expect(e3.queue('r').schedules()).toEqual([])
    await e3.close()
  })

  it('unschedule() right after an unawaited schedule() removes it, and a second unschedule() finds nothing', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    const q = e1.queue('r')
    const scheduled = q.schedule('tick', '* * * * *', 'x')
    const removed = q.unschedule('tick')
    const removedAgain = q.unschedule('tick')
    await scheduled
    expect(await removed).toBe(true)
    expect(await removedAgain).toBe(false)
    expect(q.schedules()).toEqual([])
    await e1.close()
    const e2 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    expect(e2.queue('r').schedules()).toEqual([])
    await e2.close()
  })

  it('an occurrence that comes due while a replacement or removal is being logged does not fire into it', async () => {
    const dir = tempDir()
    fakeTime()
    vi.setSystemTime(new Date('2030-01-01T00:00:30Z'))
    const e1 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    const q = e1.queue('r')
    await q.schedule('tick', '* * * * *', 'old', { timezone: 'UTC' })
    await q.schedule('gone', '* * * * *', 'old', { timezone: 'UTC' })
    // Both are replaced or removed, and their 00:01 occurrence comes due before either record is applied.
    const log = (e1 as any).handles.get('default').pipeline.log
    const pushedBefore = log.lastLsn
    const replaced = q.schedule('tick', '0 0 1 1 *', 'new', { timezone: 'UTC' })
    const removed = q.unschedule('gone')
    while (log.lastLsn < pushedBefore + 2) await Promise.resolve() // both records pushed; an fsync cannot finish in microtasks
    vi.advanceTimersByTime(31_000)
    await replaced
    expect(await removed).toBe(true)
    const check = (e: Engine) => {
      expect(e.queue('r').stats().totals.added).toBe(0)
      expect(e.queue('r').schedules().map((s) => [s.name, s.nextRunAt.toISOString()])).toEqual([['tick', '2031-01-01T00:00:00.000Z']])
    }
    check(e1)
    await e1.close()
    const e2 = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    check(e2)
    await e2.close()
  })
})
