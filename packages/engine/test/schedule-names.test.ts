/**
 * Schedule names are per queue: `mail` and `reports` may each have a `daily`. Logs written when names were one
 * namespace per pipeline (record types 19–21) still replay with the meaning they had.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { join } from 'node:path'
import { Engine } from '@wq/engine'
import { describeEvent } from '@wq/engine/inspect'
import { Wal, WalReader } from '@wq/wal'
import { SlabWriter } from '../src/codec/bytes.js'
import { encodeValue } from '../src/codec/data.js'
import { EV_CRON_FIRE, EV_INTERN, EV_SCHEDULE, EV_UNSCHEDULE } from '../src/codec/event-types.js'
import { EventWriter } from '../src/codec/event-writer.js'
import { emptyAddParams } from '../src/state/pipeline-state.js'
import { cleanupDirs, crash, nextEvent, recordingLogger, tempDir } from './helpers.js'

afterEach(() => {
  vi.useRealTimers()
  cleanupDirs()
})

const fakeTime = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
const open = (dir: string) => Engine.open({ dir, durability: 'sync', logger: recordingLogger(), snapshotEvery: false })
const scheduled = (e: Engine, queue: string) => e.queue(queue).schedules().map((s) => `${s.queue}/${s.name} ${s.pattern}`)

describe('schedule names', () => {
  it('two queues each keep their own schedule of one name: each fires into its own queue, and unschedule removes only its own', async () => {
    fakeTime()
    vi.setSystemTime(new Date('2030-01-01T00:00:30Z'))
    const dir = tempDir()
    const e1 = await open(dir)
    const mail = e1.queue<string>('mail')
    const reports = e1.queue<string>('reports')
    await mail.schedule('daily', '* * * * *', 'from mail', { timezone: 'UTC' })
    await reports.schedule('daily', '*/2 * * * *', 'from reports', { timezone: 'UTC' })
    expect(scheduled(e1, 'mail')).toEqual(['mail/daily * * * * *'])
    expect(scheduled(e1, 'reports')).toEqual(['reports/daily */2 * * * *'])

    // 00:01:00 is an occurrence of mail's pattern only, 00:02:00 of both.
    const added: string[] = []
    let wanted = { count: 0, reached: () => {} }
    e1.on('added', (job) => {
      added.push(`${job.queue}: ${String(e1.getJob(job.id)?.data)}`)
      if (added.length === wanted.count) wanted.reached()
    })
    const until = (count: number) => new Promise<void>((resolve) => { wanted = { count, reached: resolve } })
    const first = until(1)
    await vi.advanceTimersByTimeAsync(31_000)
    await first
    expect(added).toEqual(['mail: from mail'])
    const next = until(3)
    await vi.advanceTimersByTimeAsync(60_000)
    await next
    expect(added.slice(1).sort()).toEqual(['mail: from mail', 'reports: from reports'])

    expect(await reports.unschedule('daily')).toBe(true)
    expect(await reports.unschedule('daily')).toBe(false)
    expect(scheduled(e1, 'mail')).toEqual(['mail/daily * * * * *'])
    expect(scheduled(e1, 'reports')).toEqual([])
    // A queue the pipeline has never named has no schedules.
    expect(await e1.queue('never-used').unschedule('daily')).toBe(false)
    await crash(e1)

    // From the log alone, then from a snapshot: the same two queues' schedules.
    const e2 = await open(dir)
    expect(scheduled(e2, 'mail')).toEqual(['mail/daily * * * * *'])
    expect(scheduled(e2, 'reports')).toEqual([])
    await e2.queue('reports').schedule('daily', '0 * * * *', 'again', { timezone: 'UTC' })
    await e2.snapshot()
    await crash(e2)
    const e3 = await open(dir)
    expect(scheduled(e3, 'mail')).toEqual(['mail/daily * * * * *'])
    expect(scheduled(e3, 'reports')).toEqual(['reports/daily 0 * * * *'])
    const fired = nextEvent<[{ queue: string }]>(e3.on.bind(e3), 'added')
    await vi.advanceTimersByTimeAsync(60_000)
    expect((await fired)[0].queue).toBe('mail')
    expect(e3.queue('reports').stats().totals.added).toBe(1)
    await e3.close()

    // `wq dump` names the queue of every schedule record, so two `daily`s can be told apart.
    const described: string[] = []
    const reader = await WalReader.open(join(dir, 'default'))
    for await (const r of reader.records()) {
      const ev = describeEvent(r)
      if (['schedule', 'unschedule', 'cron-fire'].includes(ev.type)) described.push(`${ev.type} ${ev.queue}/${String(ev.schedule)}`)
    }
    expect(described).toEqual([
      'schedule mail/daily', 'schedule reports/daily', 'cron-fire mail/daily', 'cron-fire mail/daily', 'cron-fire reports/daily',
      'unschedule reports/daily', 'schedule reports/daily', 'cron-fire mail/daily',
    ])
  })

  it('a log written when names were one per pipeline replays with that meaning', async () => {
    fakeTime()
    const t = Date.parse('2030-01-01T00:00:30Z')
    vi.setSystemTime(t)
    const dir = tempDir()
    // Records as the engine wrote them before: a schedule replaced any of its name, and an unschedule or a
    // fire named the one schedule of that name.
    const wal = await Wal.open({ dir: join(dir, 'default'), durability: 'sync' })
    const ew = new EventWriter()
    const append = (type: number, payload: Uint8Array) => wal.append(payload.slice(), type)
    const legacy = (name: string, ...uints: number[]) => {
      const w = new SlabWriter()
      w.begin(); w.uint(t); w.str(name)
      for (const u of uints) w.uint(u)
      return w.end()
    }
    const schedule = (name: string, queueId: number, data: string) =>
      ew.schedule(t, name, queueId, '* * * * *', 'UTC', t + 30_000, emptyAddParams(), null, encodeValue(data, 1 << 20))
    await append(EV_INTERN, ew.intern(t, 1, 'mail'))
    await append(EV_INTERN, ew.intern(t, 2, 'reports'))
    await append(EV_SCHEDULE, schedule('daily', 1, 'mail 1'))
    await append(EV_SCHEDULE, schedule('daily', 2, 'reports 1')) // replaced mail's
    await append(EV_CRON_FIRE, legacy('daily', t + 90_000, 7)) // fired reports'
    await append(EV_SCHEDULE, schedule('weekly', 1, 'mail 2'))
    await append(EV_SCHEDULE, schedule('hourly', 2, 'reports 2'))
    await append(EV_UNSCHEDULE, legacy('hourly')) // removed reports'
    await wal.close()

    const e = await open(dir)
    expect(e.queue('mail').schedules().map((s) => s.name)).toEqual(['weekly'])
    expect(e.queue('reports').schedules().map((s) => [s.name, s.nextRunAt.getTime()])).toEqual([['daily', t + 90_000]])
    const job = e.getJob('7')
    expect([job?.queue, job?.data]).toEqual(['reports', 'reports 1'])
    expect(e.queue('mail').stats().totals.added).toBe(0)
    await e.close()
  })
})
