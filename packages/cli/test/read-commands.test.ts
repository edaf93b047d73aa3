/**
 * Read-only commands (inspect, dump, replay, jobs list/show, stats) against a
 * directory written by the engine; they also work while an engine holds the lock.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, expectOneLineError, lines, tempDir, wq } from './helpers.js'
import { openEngine, writeFixture, type Fixture } from './fixtures.js'

let root: string
let fx: Fixture

beforeAll(async () => {
  root = await tempDir()
  fx = await writeFixture(root)
})
afterAll(() => cleanup(root))

describe('wq inspect', () => {
  it('shows pipelines, segments, snapshots, the lock and per-queue counts', async () => {
    const r = await wq(['inspect', root])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Pipeline billing\s+not locked/m)
    expect(r.stdout).toMatch(/^Pipeline default\s+not locked/m)
    expect(r.stdout).toMatch(/segments\s+\d+ · [\d.]+ (B|KiB|MiB) · LSN 1 … [\d,]+/)
    expect(r.stdout).toMatch(/^\s+QUEUE\s+WAITING\s+DELAYED\s+ACTIVE\s+DEAD\s+ADDED\s+COMPLETED\s+FAILED$/m)
    // mail: 3 completed, 2 dead; reports: 2 waiting + 1 delayed; invoices: 2 waiting.
    expect(r.stdout).toMatch(/^\s+mail\s+0\s+0\s+0\s+2\s+5\s+3\s+\d+$/m)
    expect(r.stdout).toMatch(/^\s+reports\s+2\s+1\s+0\s+0\s+3\s+0\s+0$/m)
    expect(r.stdout).toMatch(/^\s+invoices\s+2\s+0\s+0\s+0\s+2\s+0\s+0$/m)
  })

  it('--json has the same facts', async () => {
    const r = await wq(['inspect', root, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.pipelines.map((p: { name: string }) => p.name)).toEqual(['billing', 'default'])
    const def = json.pipelines[1]
    expect(def.lock).toEqual({ locked: false, pid: null })
    expect(def.segments.count).toBeGreaterThan(0)
    expect(def.segments.firstLsn).toBe(1)
    const mail = def.state.queues.find((q: { name: string }) => q.name === 'mail')
    expect(mail.counts).toMatchObject({ waiting: 0, active: 0, dead: 2 })
    expect(mail.totals).toMatchObject({ added: 5, completed: 3 })
  })

  it('--pipeline limits it, and an unknown pipeline is exit 2', async () => {
    const [r, bad] = await Promise.all([wq(['inspect', root, '--pipeline', 'billing']), wq(['inspect', root, '--pipeline', 'nope'])])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain('Pipeline default')
    expect(bad.code).toBe(2)
    expect(expectOneLineError(bad)).toContain('unknown pipeline "nope"')
  })

  it('works while an engine holds the lock, and names its PID', async () => {
    const engine = await openEngine(root)
    try {
      const r = await wq(['inspect', root])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain(`locked by PID ${process.pid}`)
    } finally {
      await engine.close()
    }
  })
})

describe('wq dump', () => {
  it('prints one line per event with LSN, time, type, queue and job', async () => {
    const r = await wq(['dump', root])
    expect(r.code, r.stderr).toBe(0)
    const out = lines(r.stdout)
    expect(out.length).toBeGreaterThan(5)
    expect(out[0]).toMatch(/^#1\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\s+\S+/)
    expect(r.stdout).toContain(fx.dead[0])
  })

  it('--json prints JSON lines, and --job keeps only that job', async () => {
    const r = await wq(['dump', root, '--json', '--job', fx.dead[0]])
    expect(r.code, r.stderr).toBe(0)
    const events = lines(r.stdout).map((l) => JSON.parse(l))
    expect(events.length).toBeGreaterThanOrEqual(3) // added, started, failed … dead
    for (const e of events) expect(JSON.stringify(e)).toContain(fx.dead[0])
    const lsns = events.map((e) => e.lsn)
    expect(lsns).toEqual([...lsns].sort((a, b) => a - b))
  })

  it('--from/--to LSN and --limit bound the range', async () => {
    const [r, limited] = await Promise.all([wq(['dump', root, '--json', '--from', '3', '--to', '6']), wq(['dump', root, '--json', '--limit', '2'])])
    expect(lines(r.stdout).map((l) => JSON.parse(l).lsn)).toEqual([3, 4, 5, 6])
    expect(lines(limited.stdout)).toHaveLength(2)
  })

  it('--queue also matches events that name only the job (start, fail), --job takes a pipeline-qualified id', async () => {
    const [fails, billing] = await Promise.all([wq(['dump', root, '--json', '--queue', 'mail', '--type', 'fail']), wq(['dump', root, '--json', '--job', fx.billing[0]])])
    const events = lines(fails.stdout).map((l) => JSON.parse(l))
    // Two dead jobs, two attempts each.
    expect(events).toHaveLength(4)
    for (const e of events) expect(e).toMatchObject({ type: 'fail', queue: 'mail', error: 'smtp refused' })
    const billingEvents = lines(billing.stdout).map((l) => JSON.parse(l))
    expect(billingEvents.length).toBeGreaterThan(0)
    for (const e of billingEvents) expect(e.queue).toBe('invoices')
  })

  it('--type and --queue filter', async () => {
    const all = lines((await wq(['dump', root, '--json'])).stdout).map((l) => JSON.parse(l))
    const someType = all.find((e) => e.queue === 'reports')?.type as string
    const r = await wq(['dump', root, '--json', '--queue', 'reports', '--type', someType])
    const events = lines(r.stdout).map((l) => JSON.parse(l))
    expect(events.length).toBeGreaterThan(0)
    for (const e of events) expect(e).toMatchObject({ queue: 'reports', type: someType })
  })

  it('--from a time after everything prints nothing; a bad --to is exit 2', async () => {
    const [r, bad] = await Promise.all([wq(['dump', root, '--from', new Date(Date.now() + 3_600_000).toISOString()]), wq(['dump', root, '--to', 'later'])])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(bad.code).toBe(2)
  })

  it('several pipelines: --pipeline chooses, default is "default"', async () => {
    const billing = lines((await wq(['dump', root, '--json', '--pipeline', 'billing'])).stdout).map((l) => JSON.parse(l))
    expect(billing.some((e) => e.queue === 'invoices')).toBe(true)
    expect(billing.some((e) => e.queue === 'mail')).toBe(false)
  })
})

describe('wq replay', () => {
  it('with no --until shows the state at the end of the log', async () => {
    const r = await wq(['replay', root, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.queues.find((q: { name: string }) => q.name === 'reports').counts.waiting).toBe(2)
  })

  it('--until an earlier LSN shows the queues as they were then', async () => {
    const all = lines((await wq(['dump', root, '--json'])).stdout).map((l) => JSON.parse(l))
    const firstMailEvent = all.find((e) => e.queue === 'mail' && e.jobId !== undefined)
    const [r, human] = await Promise.all([
      wq(['replay', root, '--until', String(firstMailEvent.lsn), '--json']),
      wq(['replay', root, '--until', String(firstMailEvent.lsn)]),
    ])
    expect(r.code, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.lastLsn).toBe(firstMailEvent.lsn)
    expect(json.queues.find((q: { name: string }) => q.name === 'reports')).toBeUndefined()
    expect(human.stdout).toContain(`as of LSN ${firstMailEvent.lsn}`)
  })

  it('--until a time before the first event shows no jobs', async () => {
    const r = await wq(['replay', root, '--until', '2000-01-01T00:00:00Z', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    for (const q of json.queues) expect(q.totals.added).toBe(0)
  })

  it('--until past the end of the log is exit 2', async () => {
    const r = await wq(['replay', root, '--until', '99999999'])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('past the end of the log')
  })

  it('--jobs lists the jobs as they were', async () => {
    const r = await wq(['replay', root, '--jobs', '--state', 'dead'])
    expect(r.code, r.stderr).toBe(0)
    for (const id of fx.dead) expect(r.stdout).toContain(id)
  })
})

describe('wq jobs list / show', () => {
  it('lists jobs with filters', async () => {
    const [dead, human, taggedResult] = await Promise.all([
      wq(['jobs', root, 'list', '--state', 'dead', '--json']),
      wq(['jobs', root, 'list', '--queue', 'reports']),
      wq(['jobs', root, 'list', '--tag', 'bounce', '--json']),
    ])
    expect(dead.code).toBe(0)
    expect(JSON.parse(dead.stdout).jobs.map((j: { id: string }) => j.id).sort()).toEqual([...fx.dead].sort())
    expect(human.stdout).toMatch(/^ID\s+QUEUE\s+STATE\s+ATTEMPTS\s+CREATED\s+TAGS\s+LAST ERROR \/ DATA$/m)
    for (const id of [...fx.waiting, fx.delayed]) expect(human.stdout).toContain(id)
    const tagged = JSON.parse(taggedResult.stdout)
    expect(tagged.jobs.map((j: { id: string }) => j.id).sort()).toEqual([...fx.dead].sort())
  })

  it('pages with --limit and --after', async () => {
    const first = JSON.parse((await wq(['jobs', root, 'list', '--queue', 'reports', '--limit', '1', '--json'])).stdout)
    expect(first.jobs).toHaveLength(1)
    expect(first.next).toBe(first.jobs[0].id)
    const second = JSON.parse((await wq(['jobs', root, 'list', '--queue', 'reports', '--limit', '5', '--after', first.next, '--json'])).stdout)
    expect(second.jobs.map((j: { id: string }) => j.id)).not.toContain(first.next)
    expect(second.jobs).toHaveLength(2)
  })

  it('accepts the action first too', async () => {
    const r = await wq(['jobs', 'list', root, '--state', 'dead'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(fx.dead[0])
  })

  it('an unknown queue is exit 2 naming the queues there are', async () => {
    const r = await wq(['jobs', root, 'list', '--queue', 'nope'])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('unknown queue "nope"')
    expect(r.stderr).toContain('mail')
  })

  it('show prints the job with its history and last errors', async () => {
    const [r, jsonResult] = await Promise.all([wq(['jobs', root, 'show', fx.dead[0]]), wq(['jobs', root, 'show', fx.dead[0], '--json'])])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^Job ${fx.dead[0]}\\s+dead\\s+pipeline default, queue mail`, 'm'))
    expect(r.stdout).toMatch(/attempts\s+2 of 2/)
    expect(r.stdout).toContain('bounce')
    expect(r.stdout).toContain('History')
    expect(r.stdout).toContain('Last errors')
    expect(r.stdout).toContain('smtp refused')
    const json = JSON.parse(jsonResult.stdout)
    expect(json.pipeline).toBe('default')
    expect(json.job).toMatchObject({ id: fx.dead[0], state: 'dead', queue: 'mail', attempts: 2 })
    expect(json.job.errors.at(-1).message).toBe('smtp refused')
  })

  it('show finds a job in any pipeline', async () => {
    const r = await wq(['jobs', root, 'show', fx.billing[0], '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ pipeline: 'billing', job: { id: fx.billing[0], queue: 'invoices' } })
  })

  it('show of an unknown job is exit 2', async () => {
    const r = await wq(['jobs', root, 'show', 'no-such-job'])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('unknown job "no-such-job"')
  })
})

describe('wq stats', () => {
  it('prints counts, totals and rates per queue', async () => {
    const [r, jsonResult] = await Promise.all([wq(['stats', root, '--pipeline', 'default']), wq(['stats', root, '--json'])])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/ADDED\/S\s+DONE\/S\s+FAILED\/S/)
    expect(r.stdout).toMatch(/^\s+reports\s+2\s+1\s+0\s+0\s/m)
    const json = JSON.parse(jsonResult.stdout)
    const mail = json.pipelines.find((p: { pipeline: string }) => p.pipeline === 'default').queues.find((q: { name: string }) => q.name === 'mail')
    expect(mail.totals.completed).toBe(3)
    // Everything happened within the last minute: the rates are totals / 60 s.
    expect(mail.rates.added).toBeCloseTo(5 / 60, 5)
  })

  it('--watch refreshes (one JSON line per refresh without a terminal)', async () => {
    const r = await wq(['stats', root, '--watch', '--interval', '0.1', '--count', '3', '--window', '3600', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const frames = lines(r.stdout).map((l) => JSON.parse(l))
    expect(frames).toHaveLength(3)
    // The first frame's rates are over the past --window (the fixture's adds are in it), the next ones between refreshes (nothing happens).
    const invoices = (frame: { pipelines: { queues: { rates: { added: number } }[] }[] }) => frame.pipelines[0].queues[0].rates
    expect(invoices(frames[0]).added).toBeCloseTo(2 / 3600, 6)
    for (const frame of frames.slice(1)) expect(invoices(frame)).toEqual({ added: 0, completed: 0, failed: 0 })
    expect(new Date(frames[2].at).getTime()).toBeGreaterThan(new Date(frames[0].at).getTime())
  })
})

describe('a pipeline directory given directly', () => {
  it('is read as that pipeline only', async () => {
    const r = await wq(['inspect', join(root, 'billing'), '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).pipelines.map((p: { name: string }) => p.name)).toEqual(['billing'])
  })
})
