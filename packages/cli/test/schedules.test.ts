/**
 * `wq inspect`, `wq replay` and `wq schedules list` show each pipeline's cron schedules: queue, name, pattern, time
 * zone, next run. Names are per queue, so two queues' schedules of one name are two rows. `wq schedules remove`
 * removes one by queue and name.
 */
import { cp } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, expectOneLineError, tempDir, wq } from './helpers.js'
import { openEngine } from './fixtures.js'

let root: string
const next = { hourly: '', daily: '' }

beforeAll(async () => {
  root = await tempDir()
  const engine = await openEngine(root)
  next.daily = (await engine.queue('mail').schedule('daily', '0 8 * * *', { kind: 'digest' }, { timezone: 'Europe/Paris' })).nextRunAt.toISOString()
  await engine.queue('reports').schedule('daily', '30 6 * * *', undefined, { timezone: 'UTC' })
  next.hourly = (await engine.queue('reports').schedule('hourly', '0 * * * *')).nextRunAt.toISOString()
  await engine.queue('reports').schedule('gone', '* * * * *')
  expect(await engine.queue('reports').unschedule('gone')).toBe(true)
  await engine.queue('plain').add({ n: 1 })
  await engine.pipeline('billing').queue('invoices').schedule('monthly', '0 0 1 * *', undefined, { timezone: 'UTC' })
  await engine.close()
})
afterAll(() => cleanup(root))

it('inspect --json lists every schedule by queue and name, with its pattern, time zone and next run', async () => {
  const r = await wq(['inspect', root, '--json'])
  expect(r.code, r.stderr).toBe(0)
  const schedules = JSON.parse(r.stdout).pipelines.find((p: { name: string }) => p.name === 'default').state.schedules
  expect(schedules.map((s: { queue: string; name: string; pattern: string; timezone?: string }) => [s.queue, s.name, s.pattern, s.timezone])).toEqual([
    ['mail', 'daily', '0 8 * * *', 'Europe/Paris'],
    ['reports', 'daily', '30 6 * * *', 'UTC'],
    ['reports', 'hourly', '0 * * * *', undefined],
  ])
  expect(schedules[0].nextRunAt).toBe(next.daily)
  expect(schedules[2].nextRunAt).toBe(next.hourly)
})

it('inspect shows them as a table under the queues', async () => {
  const r = await wq(['inspect', root, '--no-color'])
  expect(r.code, r.stderr).toBe(0)
  expect(r.stdout).toMatch(/^\s+QUEUE\s+SCHEDULE\s+PATTERN\s+NEXT RUN$/m)
  expect(r.stdout).toMatch(/^\s+mail\s+daily\s+0 8 \* \* \* \(Europe\/Paris\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/m)
  expect(r.stdout).toMatch(/^\s+reports\s+daily\s+30 6 \* \* \* \(UTC\)\s+\d{4}-/m)
  expect(r.stdout).toMatch(/^\s+reports\s+hourly\s+0 \* \* \* \*\s+\d{4}-/m)
  expect(r.stdout).not.toContain('gone')
})

it('replay shows the schedules as they were at that point', async () => {
  // LSN 1 is before any schedule: no table. The end of the log has all three.
  const early = await wq(['replay', root, '--until', '1', '--json'])
  expect(early.code, early.stderr).toBe(0)
  expect(JSON.parse(early.stdout).schedules).toEqual([])
  const now = await wq(['replay', root, '--no-color'])
  expect(now.code, now.stderr).toBe(0)
  expect(now.stdout).toMatch(/^\s+reports\s+hourly\s+0 \* \* \* \*/m)
  expect((await wq(['replay', root, '--until', '1', '--no-color'])).stdout).not.toContain('SCHEDULE')
})

describe('wq schedules', () => {
  it('list shows every pipeline\'s schedules; --pipeline and --queue narrow it; --json has the same rows', async () => {
    const all = await wq(['schedules', root, 'list', '--no-color'])
    expect(all.code, all.stderr).toBe(0)
    expect(all.stdout).toMatch(/^Pipeline billing\n\s+QUEUE\s+SCHEDULE\s+PATTERN\s+NEXT RUN\n\s+invoices\s+monthly\s+0 0 1 \* \* \(UTC\)/m)
    expect(all.stdout).toMatch(/^Pipeline default\n/m)
    const json = JSON.parse((await wq(['schedules', root, 'list', '--json'])).stdout)
    expect(json.schedules.map((s: { pipeline: string; queue: string; name: string }) => `${s.pipeline}/${s.queue}/${s.name}`)).toEqual([
      'billing/invoices/monthly', 'default/mail/daily', 'default/reports/daily', 'default/reports/hourly',
    ])
    const narrowed = JSON.parse((await wq(['schedules', root, 'list', '--pipeline', 'default', '--queue', 'reports', '--json'])).stdout)
    expect(narrowed.schedules.map((s: { name: string }) => s.name)).toEqual(['daily', 'hourly'])
    const unknown = await wq(['schedules', root, 'list', '--pipeline', 'default', '--queue', 'nope'])
    expect(unknown.code).toBe(2)
    expect(expectOneLineError(unknown)).toContain('unknown queue "nope"')
  })

  it('remove takes one queue\'s schedule away and leaves the other queue\'s of the same name; unknown ones are usage errors', async () => {
    const dir = await tempDir()
    try {
      await cp(root, dir, { recursive: true })
      const r = await wq(['schedules', dir, 'remove', 'reports', 'daily', '--pipeline', 'default'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain('removed schedule reports/daily (30 6 * * *)')
      const left = JSON.parse((await wq(['schedules', dir, 'list', '--pipeline', 'default', '--json'])).stdout)
      expect(left.schedules.map((s: { queue: string; name: string }) => `${s.queue}/${s.name}`)).toEqual(['mail/daily', 'reports/hourly'])

      const [again, noQueue, missing] = await Promise.all([
        wq(['schedules', dir, 'remove', 'reports', 'daily', '--pipeline', 'default']),
        wq(['schedules', dir, 'remove', 'nope', 'daily', '--pipeline', 'default']),
        wq(['schedules', dir, 'remove', 'reports', '--pipeline', 'default']),
      ])
      expect(again.code).toBe(2)
      expect(expectOneLineError(again)).toContain('unknown schedule "daily" in queue reports (pipeline default)')
      expect(noQueue.code).toBe(2)
      expect(expectOneLineError(noQueue)).toContain('unknown queue "nope"')
      expect(missing.code).toBe(2)
      expect(expectOneLineError(missing)).toContain('give the queue and the schedule name')

      // While an engine holds the lock, remove refuses (exit 3) and list still works.
      const engine = await openEngine(dir)
      try {
        const [locked, read] = await Promise.all([wq(['schedules', dir, 'remove', 'mail', 'daily', '--pipeline', 'default']), wq(['schedules', dir, 'list'])])
        expect(locked.code).toBe(3)
        expect(expectOneLineError(locked)).toContain(`locked by a running engine (PID ${process.pid})`)
        expect(read.code).toBe(0)
        expect(engine.queue('mail').schedules().map((s) => s.name)).toEqual(['daily'])
      } finally {
        await engine.close()
      }
    } finally {
      await cleanup(dir)
    }
  })
})
