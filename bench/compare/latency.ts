/**
 * Latency samples in a preallocated Float64Array: recording is a store and an
 * increment, so measuring does not allocate on the path it measures.
 */
export class LatencyRecorder {
  private samples: Float64Array
  private n = 0

  constructor(capacity: number) {
    this.samples = new Float64Array(Math.max(1, capacity))
  }

  record(ms: number): void {
    if (this.n === this.samples.length) this.grow()
    this.samples[this.n++] = ms
  }

  get count(): number {
    return this.n
  }

  /** p in 0..100; NaN when nothing was recorded. */
  percentile(p: number): number {
    if (this.n === 0) return NaN
    const sorted = this.samples.subarray(0, this.n).sort()
    const rank = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))
    return sorted[rank]
  }

  private grow(): void {
    const next = new Float64Array(this.samples.length * 2)
    next.set(this.samples)
    this.samples = next
  }
}

export interface LatencySummary {
  p50: number
  p99: number
  count: number
}

export function summarize(recorder: LatencyRecorder): LatencySummary {
  return { p50: recorder.percentile(50), p99: recorder.percentile(99), count: recorder.count }
}
