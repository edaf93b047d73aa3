/**
 * Recurring jobs. A schedule (name, cron pattern, queue, job template) is
 * logged with its next run time; names are per queue. When that time comes, ONE record adds the
 * run's job and advances the next run time, so a restart can never run the
 * same occurrence twice; occurrences missed while the process was down are
 * run once, not once each.
 */
import { Cron } from 'croner'
import { encodeValue } from '../codec/data.js'
import { EV_QUEUE_CRON_FIRE, EV_QUEUE_SCHEDULE, EV_QUEUE_UNSCHEDULE } from '../codec/event-types.js'
import { scheduleKey } from '../state/pipeline-state.js'
import { APPLY, type CommitWaiter } from './committer.js'
import { prepareTemplate } from './adds.js'
import { checkAddOptions, checkName } from './check-options.js'
import type { Pipeline } from './pipeline.js'
import type { AddOptions } from '../types.js'

export interface ScheduleOptions extends Omit<AddOptions, 'delay' | 'runAt' | 'key' | 'onDuplicate'> {
  /** IANA time zone for the pattern. Default: the process's. */
  timezone?: string
}

export interface ScheduleInfo {
  name: string
  queue: string
  pattern: string
  timezone?: string
  nextRunAt: Date
}

export class CronSchedules {
  private readonly parsers = new Map<string, Cron>()
  /** Schedules (by scheduleKey) whose fire record is pushed but not yet applied (do not fire twice). */
  private readonly firing = new Set<string>()
  /**
   * Schedules (by scheduleKey) with a schedule or unschedule record pushed but not yet applied: whether the last of them
   * creates the schedule, and how many are outstanding. A fire must not land between such a record and
   * its application (it would apply to the replacement, or to nothing), and unschedule() must see a
   * schedule() that is still being logged.
   */
  private readonly changing = new Map<string, { exists: boolean; outstanding: number }>()

  private change(key: string, exists: boolean): CommitWaiter['committed'] {
    let c = this.changing.get(key)
    if (c === undefined) this.changing.set(key, (c = { exists, outstanding: 0 }))
    c.exists = exists
    c.outstanding++
    return () => {
      if (--c.outstanding === 0) this.changing.delete(key)
      this.p.timers.arm()
    }
  }

  constructor(private readonly p: Pipeline) {}

  private parser(pattern: string, timezone: string | undefined): Cron {
    const k = `${pattern}\0${timezone ?? ''}`
    let c = this.parsers.get(k)
    if (c === undefined) {
      c = new Cron(pattern, { timezone, paused: true })
      this.parsers.set(k, c)
    }
    return c
  }

  private nextAfter(pattern: string, timezone: string | undefined, after: number): number {
    const d = this.parser(pattern, timezone).nextRun(new Date(after))
    return d === null ? 0 : d.getTime()
  }

  /** Create or replace the schedule `name` of `queue`. */
  set(name: string, queue: string, pattern: string, data: unknown, o: ScheduleOptions): Promise<ScheduleInfo> {
    const p = this.p
    p.checkOpen()
    checkName('schedule name', name)
    checkAddOptions(o)
    const now = p.now()
    const nextRunAt = this.nextAfter(pattern, o.timezone, now) // throws on a bad pattern
    if (nextRunAt === 0) throw new TypeError(`cron pattern "${pattern}" never runs`)
    encodeValue(data, p.settings.maxDataBytes)
    const a = prepareTemplate(p, queue, data, o)
    const payload = p.ew.schedule(now, name, a.queueId, pattern, o.timezone ?? '', nextRunAt, a.params, a.ids, a.data)
    return this.submitChange(scheduleKey(a.queueId, name), true, EV_QUEUE_SCHEDULE, payload, { name, queue, pattern, timezone: o.timezone, nextRunAt: new Date(nextRunAt) })
  }

  /** Remove the schedule `name` of `queue`; false if there is none (counting one still being logged). */
  remove(name: string, queue: string): Promise<boolean> {
    const p = this.p
    p.checkOpen()
    const queueId = p.state.stringIds.get(queue)
    // A queue never named in this pipeline has no schedules (and no id to log one by).
    if (queueId === undefined) return Promise.resolve(false)
    const key = scheduleKey(queueId, name)
    if (!(this.changing.get(key)?.exists ?? p.state.schedules.has(key))) return Promise.resolve(false)
    return this.submitChange(key, false, EV_QUEUE_UNSCHEDULE, p.ew.unschedule(p.now(), name, queueId), true)
  }

  private submitChange<T>(key: string, exists: boolean, type: number, payload: Uint8Array, result: T): Promise<T> {
    return new Promise((resolve, reject) => {
      const settled = this.change(key, exists)
      try {
        this.p.committer.submit(type, payload, APPLY, {
          committed: () => { settled(); resolve(result) },
          failed: (err) => { settled(); reject(err) },
        }, true)
      } catch (err) {
        settled()
        throw err
      }
    })
  }

  list(): ScheduleInfo[] {
    return [...this.p.state.schedules.values()].map((s) => ({
      name: s.name, queue: s.queue.name, pattern: s.pattern, timezone: s.timezone, nextRunAt: new Date(s.nextRunAt),
    }))
  }

  /** Earliest next run over all schedules not already firing. */
  nextAt(): number {
    let t = Infinity
    for (const [key, s] of this.p.state.schedules) {
      if (s.nextRunAt > 0 && s.nextRunAt < t && !this.firing.has(key) && !this.changing.has(key)) t = s.nextRunAt
    }
    return t
  }

  fireDue(now: number): void {
    const p = this.p
    if (p.closing || p.committer.broken !== null) return
    for (const [key, s] of p.state.schedules) {
      if (s.nextRunAt === 0 || s.nextRunAt > now || this.firing.has(key) || this.changing.has(key)) continue
      // The next occurrence after now: missed occurrences collapse into this one run.
      const next = this.nextAfter(s.pattern, s.timezone, Math.max(now, s.nextRunAt))
      const jobId = ++p.state.maxJobId
      this.firing.add(key)
      const done: CommitWaiter = {
        committed: () => { this.firing.delete(key); p.timers.arm() },
        failed: () => { this.firing.delete(key) },
      }
      try {
        p.committer.submit(EV_QUEUE_CRON_FIRE, p.ew.cronFire(now, s.name, s.queue.id, next, jobId), APPLY, done, true)
      } catch {
        this.firing.delete(key)
      }
    }
  }
}
