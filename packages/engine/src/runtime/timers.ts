/**
 * One timer per pipeline, armed for the earliest of: the next delayed job,
 * the next lease/timeout deadline, the next cron run. No timer per job.
 */
import type { Pipeline } from './pipeline.js'

const MAX_TIMEOUT = 2 ** 31 - 1

export class Timers {
  private timer: NodeJS.Timeout | null = null
  private armedFor = Infinity
  private stopped = false

  constructor(private readonly p: Pipeline) {}

  private next(): number {
    const p = this.p
    let t = Infinity
    const d = p.state.delayed.peek()
    if (d !== undefined) t = d.runAt!
    const run = p.runs.deadlines.peek()
    if (run !== undefined && run.deadline < t) t = run.deadline
    const c = p.cron.nextAt()
    if (c < t) t = c
    return t
  }

  /** (Re)arm for the earliest deadline, if it is earlier than the one armed. */
  arm(): void {
    if (this.stopped) return
    const t = this.next()
    if (t === Infinity || t >= this.armedFor) return
    if (this.timer !== null) clearTimeout(this.timer)
    // setTimeout holds at most ~24.8 days; a later deadline re-arms when this fires.
    const delay = Math.min(MAX_TIMEOUT, Math.max(0, t - this.p.now()))
    this.armedFor = delay === MAX_TIMEOUT ? this.p.now() + delay : t
    this.timer = setTimeout(this.fire, delay)
  }

  private readonly fire = (): void => {
    this.timer = null
    this.armedFor = Infinity
    if (this.stopped) return
    const p = this.p
    const now = p.now()
    p.promote()
    p.runs.expire(now)
    p.cron.fireDue(now)
    this.arm()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }
}
