/**
 * Runtime metrics of one queue: wait and run time percentiles over a sliding
 * window of the last samples, and completions per second. Counts and totals
 * live in the state (they survive restarts); these do not need to.
 */
import type { Percentiles } from '../types.js'

const WINDOW = 1024
const SECONDS = 10

class SampleWindow {
  private readonly samples = new Float64Array(WINDOW)
  private n = 0

  add(v: number): void {
    this.samples[this.n++ % WINDOW] = v
  }

  percentiles(): Percentiles {
    const count = Math.min(this.n, WINDOW)
    if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 }
    const sorted = this.samples.slice(0, count).sort()
    const at = (p: number) => sorted[Math.min(count - 1, Math.floor(p * count))]
    return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[count - 1] }
  }
}

export class QueueMetrics {
  readonly wait = new SampleWindow()
  readonly run = new SampleWindow()
  private readonly perSecond = new Float64Array(SECONDS)
  private second = 0

  /** `at`: the completion's logged time, which may fall just before a second a stats() call already rolled to. */
  completed(at: number): void {
    const s = Math.floor(at / 1000)
    if (s > this.second) this.roll(s)
    // Never roll back: that would zero buckets still holding counts. An older completion counts in its own second while it is in the window.
    this.perSecond[Math.max(s, this.second - SECONDS + 1) % SECONDS]++
  }

  private roll(s: number): void {
    const gap = Math.min(SECONDS, s - this.second)
    for (let i = 1; i <= gap; i++) this.perSecond[(this.second + i) % SECONDS] = 0
    this.second = s
  }

  /** Completions per second over the last 10 seconds. */
  throughput(now: number): number {
    const s = Math.floor(now / 1000)
    if (s > this.second) this.roll(s)
    let sum = 0
    for (let i = 0; i < SECONDS; i++) sum += this.perSecond[i]
    return sum / SECONDS
  }
}
