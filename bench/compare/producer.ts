/**
 * Adds jobs one by one through `add()`, keeping at most `window` jobs "open".
 * For an enqueue run a job is open until its add is acknowledged — like a
 * service handling that many requests at once. For an end-to-end run it is
 * open until it has completed, so the producer runs exactly as fast as the
 * system finishes jobs and the backlog stays bounded (steady state), instead
 * of measuring how fast a backlog can be piled up.
 *
 * For a system whose add is synchronous, the window also bounds how many are
 * added per macrotask, so its workers still get the event loop.
 */
import type { BenchJobData, BenchQueue } from './adapters/bench-queue.js'
import type { LatencyRecorder } from './latency.js'

export interface ProducerOptions {
  count: number
  window: number
  makeData: (t: number) => BenchJobData
  /** performance.now() after which no more adds are issued */
  deadline: number
  /** 'ack': a slot frees when the add is acknowledged; 'release': when release() is called (on completion) */
  slotsFreedBy: 'ack' | 'release'
  /** Records each acknowledged add's time from the add call to its acknowledgement, in ms (a closure per add, so only when asked). */
  ackLatency?: LatencyRecorder
}

export class Producer {
  issued = 0
  acked = 0
  /** resolves once issuing has ended (all issued, or the deadline) and every issued add is acknowledged */
  readonly finished: Promise<void>
  private open = 0
  private pendingAcks = 0
  private scheduled = false
  private stopped = false
  private failure: unknown
  private settle!: (err?: unknown) => void

  constructor(
    private readonly queue: BenchQueue,
    private readonly opts: ProducerOptions,
  ) {
    this.finished = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve())
    })
  }

  start(): Promise<void> {
    this.pump()
    return this.finished
  }

  /** A job left the system (slotsFreedBy: 'release'). */
  release(): void {
    this.open--
    this.schedulePump()
  }

  private readonly onAck = (): void => {
    this.pendingAcks--
    this.acked++
    if (this.opts.slotsFreedBy === 'ack') this.release()
    else this.finishIfDone()
  }

  private onAckAfter(recorder: LatencyRecorder, addedAt: number): void {
    recorder.record(performance.now() - addedAt)
    this.onAck()
  }

  private readonly onFail = (err: unknown): void => {
    this.failure ??= err
    this.stopped = true
    this.pendingAcks--
    this.finishIfDone()
  }

  private schedulePump(): void {
    if (!this.scheduled && !this.stopped && this.issued < this.opts.count && this.open <= this.opts.window / 2) {
      this.scheduled = true
      setImmediate(this.pump)
    }
    this.finishIfDone()
  }

  private finishIfDone(): void {
    if (this.pendingAcks === 0 && (this.issued === this.opts.count || this.stopped)) this.settle(this.failure)
  }

  private readonly pump = (): void => {
    this.scheduled = false
    const { count, window, makeData, deadline } = this.opts
    let budget = window
    while (budget-- > 0 && this.open < window && this.issued < count) {
      // Checked per add: a synchronous add (SQLite) can take milliseconds, so a batch could overrun the deadline by seconds.
      if (performance.now() >= deadline) {
        this.stopped = true
        break
      }
      this.open++
      this.pendingAcks++
      this.issued++
      const addedAt = performance.now()
      const pending = this.queue.add(makeData(addedAt))
      const recorder = this.opts.ackLatency
      if (pending) pending.then(recorder === undefined ? this.onAck : () => this.onAckAfter(recorder, addedAt), this.onFail)
      else if (recorder === undefined) this.onAck()
      else this.onAckAfter(recorder, addedAt)
    }
    if (!this.stopped && !this.scheduled && this.issued < count && this.open < window) {
      this.scheduled = true
      setImmediate(this.pump)
    }
    this.finishIfDone()
  }
}
