/**
 * `wq inspect` and `wq replay` show each pipeline's cron schedules: queue, name, pattern, time zone, next run.
 * Names are per queue, so two queues' schedules of one name are two rows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cleanup, tempDir, wq } from './helpers.js'
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
  await engine.close()
})
afterAll(() => cleanup(root))

it('inspect --json lists every schedule by queue and name, with its pattern, time zone and next run', async () => {
  const r = await wq(['inspect', root, '--json'])
  expect(r.code, r.stderr).toBe(0)
  const schedules = JSON.parse(r.stdout).pipelines[0].state.schedules
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
