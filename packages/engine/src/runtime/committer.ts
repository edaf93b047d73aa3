/**
 * Group commit between the engine and its log.
 *
 * Events are pushed to the log at once (their LSN fixes their order) and
 * queued here; one `durable()` (or `sync()`) promise covers every event pushed
 * in the same tick. When it resolves, the queued events are applied to the
 * state in LSN order and their waiters are told. When it rejects, none of the
 * queued events is applied, their waiters get the error, and eagerly applied
 * starts are undone: memory never holds an event the log does not.
 */
import { apply, type ApplyObserver } from '../state/apply.js'
import { EngineError } from '../errors.js'
import type { JobRecord } from '../state/job.js'
import type { PipelineState } from '../state/pipeline-state.js'
import { revertStart } from '../state/transitions.js'
import type { EventLog } from '../log/event-log.js'

/** Told when its event is durable (after it has been applied) or failed (never applied). */
export interface CommitWaiter {
  committed(): void
  failed(err: Error): void
}

/** Apply the event when durable. */
export const APPLY = 0
/** The event's effect (a start) was applied when pushed; undo it if the write fails. */
export const EAGER_START = 1
/** Nothing to apply (interned strings are recorded at push). */
export const NOTE = 2

/** Split a commit batch after this many payload bytes (the WAL writes in chunks of about this size). */
const SPLIT_BYTES = 256 * 1024

/** Queue slots kept across batches; a larger queue (a burst) is released once drained. */
const MAX_KEPT_SLOTS = 65_536

export class Committer {
  private readonly lsns: number[] = []
  private readonly types: number[] = []
  private readonly payloads: (Uint8Array | null)[] = []
  /** Data staged in the arena and logged as the record's tail (adds), or null. */
  private readonly tails: (Uint8Array | null)[] = []
  private readonly kinds: number[] = []
  private readonly refs: (CommitWaiter | JobRecord | null)[] = []
  /**
   * Queued events are at [head, size) of the six arrays. The arrays keep their
   * length when drained (slots are overwritten, references cleared): emptied
   * with `length = 0` they lost their backing stores and regrew batch after
   * batch, ~150 bytes of garbage per event.
   */
  private size = 0
  private head = 0
  private scheduled = false
  private batchNeedsSync = false
  private inflight = 0
  private idleWaiters: (() => void)[] = []
  /** Set once a write failed: the log is unusable and every later submit fails. */
  broken: Error | null = null
  /** After a failure in `sync-enqueue`: fsyncing what was written before failing the rest (see failBatch). */
  private salvaging = false
  /** Times the queue was failed and emptied (a settle loop stops if it happens under it). */
  private drops = 0
  pushedEvents = 0
  pushedBytes = 0
  /** Payload bytes submitted since the batch's last split point. */
  private batchBytes = 0
  /** LSNs within the current batch after which it is acknowledged in parts. */
  private splits: number[] = []
  /** First LSN of the batch being gathered. */
  private batchStart = 0
  /** First LSNs of batches waiting for an fsync (`sync-enqueue`), oldest first: nothing from there on is applied yet. */
  private syncBarriers: number[] = []
  /** Highest LSN whose durability promise has resolved. */
  private durableThrough = 0

  constructor(
    private readonly log: EventLog,
    private readonly state: PipelineState,
    private readonly observer: ApplyObserver,
    private readonly onBroken: (err: Error) => void,
    /** `sync-enqueue`: batches holding an enqueue are fsynced; others only written. */
    private readonly syncEnqueues: boolean,
    /** Called once per commit batch (snapshot thresholds). */
    private readonly afterBatch: () => void = () => {},
  ) {}

  /** Pending (not yet durable) events. */
  get pending(): number {
    return this.size - this.head
  }

  /**
   * Push an event and queue it. Throws (with nothing queued) if the log is
   * broken or refuses the record.
   */
  submit(type: number, payload: Uint8Array, kind: number, ref: CommitWaiter | JobRecord | null, enqueue = false, tail: Uint8Array | null = null): number {
    if (this.broken !== null) throw this.broken
    let lsn: number
    try {
      lsn = tail === null ? this.log.push(payload, type) : this.log.push(payload, type, tail)
    } catch (err) {
      // A log that stopped (an fsync failure, or a failed write in `buffered` mode) stops the pipeline, as a
      // failed batch does; a record the log merely refuses (too large) fails only its own call.
      if ((err as { code?: unknown }).code === 'WAL_POISONED') this.failBatch(err as Error)
      throw err
    }
    const bytes = tail === null ? payload.length : payload.length + tail.length
    this.pushedEvents++
    this.pushedBytes += bytes
    const at = this.size++
    this.lsns[at] = lsn
    this.types[at] = type
    this.payloads[at] = kind === APPLY ? payload : null
    this.tails[at] = tail
    this.kinds[at] = kind
    this.refs[at] = ref
    if (enqueue) this.batchNeedsSync = true
    // A batch of large records is acknowledged in parts, so the first are applied (and their jobs run)
    // while the log is still writing the rest.
    if ((this.batchBytes += bytes) >= SPLIT_BYTES) {
      this.batchBytes = 0
      this.splits.push(lsn)
    }
    if (!this.scheduled) {
      this.scheduled = true
      this.batchStart = lsn
      queueMicrotask(this.flush)
    }
    return lsn
  }

  private readonly flush = (): void => {
    this.scheduled = false
    const splits = this.splits
    this.splits = []
    this.batchBytes = 0
    if (this.broken !== null) return
    const lsn = this.log.lastLsn
    if (this.syncEnqueues && this.batchNeedsSync) {
      this.batchNeedsSync = false
      this.syncBarriers.push(this.batchStart)
      this.await(() => this.log.sync(), lsn, true, true)
      return
    }
    for (const at of splits) if (at < lsn) this.await(() => this.log.durable(at), at, false, false)
    this.await(() => this.log.durable(lsn), lsn, true, false)
  }

  /**
   * Settle what is durable once `durable()` resolves for `lsn`; `last` marks the
   * batch's final part, `barrier` a batch that waits for an fsync.
   */
  private await(durable: () => Promise<void>, lsn: number, last: boolean, barrier: boolean): void {
    let p: Promise<void>
    try {
      p = durable()
    } catch (err) {
      p = Promise.reject(err) // a log that throws here (closed) fails the batch like a failed write
    }
    this.inflight++
    p.then(
      () => {
        this.inflight--
        if (this.broken !== null) {
          this.notifyIdle() // the failure dropped every queued event; close() may be waiting for this part
          return
        }
        if (lsn > this.durableThrough) this.durableThrough = lsn
        if (barrier) this.syncBarriers.shift() // fsyncs complete in LSN order
        this.settle(this.settledThrough(this.durableThrough))
        if (last) this.afterBatch()
      },
      (err: unknown) => {
        this.inflight--
        this.failBatch(err instanceof Error ? err : new Error(String(err)))
      },
    )
  }

  /**
   * The log stopped by itself (EventLog.whenStopped): stop the pipeline as a failed batch does. In `buffered` mode
   * a background write can fail with no batch waiting on it (its records were acknowledged on entering the buffer),
   * and without this the pipeline would go on until the next push.
   */
  logStopped(err: Error): void {
    if (this.broken === null) this.failBatch(err)
  }

  /**
   * A write failed. A batch can fail after part of it became durable: the WAL
   * wrote (and in `sync` fsynced) the records that filled a segment, then
   * failed to publish the next one. Those records come back after a restart,
   * so they are applied and acknowledged like any other and only the rest
   * fails; rejecting them too would report adds as failed that then reappear.
   * In `sync-enqueue`, written adds still wait for their fsync: it is tried
   * once more, and they are acknowledged only if it succeeds.
   */
  private failBatch(err: Error): void {
    if (this.broken !== null) {
      // Another part of a batch already failed: its handling settles the queue (or already has).
      if (!this.salvaging) this.drop(err)
      return
    }
    // No new submits from here on. The failure is reported (and the waiting finished() promises rejected)
    // only after the durable part is settled, so a completion that is on disk resolves its promise.
    this.broken = err
    const written = this.log.durableLsn
    if (this.settledThrough(written) >= written) {
      this.settleThenFail(written, err)
      return
    }
    this.salvaging = true
    this.inflight++
    this.log.sync().then(
      () => {
        this.inflight--
        this.salvaging = false
        this.syncBarriers = []
        this.settleThenFail(written, err)
      },
      () => {
        // The log is stopped (poisoned), or this fsync failed: what an earlier fsync covered is still durable
        // (a seal fsyncs a segment's records before the step that may fail after it).
        this.inflight--
        this.salvaging = false
        this.settleThenFail(Math.min(this.log.syncedLsn, written), err)
      },
    )
  }

  private settleThenFail(durable: number, err: Error): void {
    if (durable > 0) this.settle(durable)
    this.onBroken(err)
    this.drop(err)
  }

  /**
   * How far events may be applied once the log is durable through `durable`. `sync-enqueue`: a later batch
   * that is only written can be acknowledged before an earlier batch's fsync; settling it must not apply (and
   * acknowledge) the earlier batch's adds with it.
   */
  private settledThrough(durable: number): number {
    return this.syncBarriers.length > 0 ? Math.min(durable, this.syncBarriers[0] - 1) : durable
  }

  private settle(lsn: number): void {
    const { lsns, types, payloads, tails, kinds, refs, state, observer } = this
    const drops = this.drops
    let i = this.head
    const n = this.size
    for (; i < n && lsns[i] <= lsn; i++) {
      const kind = kinds[i]
      const ref = refs[i]
      if (kind === APPLY) {
        const tail = tails[i]
        try {
          if (tail === null) apply(state, types[i], payloads[i]!, lsns[i], observer)
          else {
            tails[i] = null
            try {
              apply(state, types[i], payloads[i]!, lsns[i], observer, tail)
            } finally {
              state.store.arena.settle(tail)
            }
          }
        } catch (err) {
          this.applyFailed(i, err as Error)
          return
        }
        payloads[i] = null
      } else if (lsns[i] > state.lsn) state.lsn = lsns[i]
      refs[i] = null
      if (ref !== null && kind !== EAGER_START) (ref as CommitWaiter).committed()
      // A waiter's callback failed the queue (it was emptied under this loop): nothing more to settle.
      if (this.drops !== drops) return
    }
    this.head = i
    this.compactQueue()
    if (this.head === this.size && this.inflight === 0) this.notifyIdle()
  }

  /**
   * A record this engine logged could not be applied: a bug, since options and data are checked before anything
   * is logged. Stop the pipeline as a failed write does (error event, every waiter failed) rather than throw out
   * of the commit loop, which would take the whole process down with every other pipeline.
   */
  private applyFailed(i: number, cause: Error): void {
    this.head = i
    const err = new EngineError('APPLY_FAILED', `record ${this.lsns[i]} (type ${this.types[i]}) could not be applied, so the pipeline stops: ${cause.message}`)
    ;(err as Error & { cause?: unknown }).cause = cause
    if (this.broken === null) this.broken = err
    this.onBroken(err)
    this.drop(err)
  }

  /** Fail every queued event (none of them is applied) and empty the queue. */
  private drop(err: Error): void {
    this.drops++
    const { lsns, kinds, refs, tails } = this
    for (let i = this.head; i < this.size; i++) {
      const tail = tails[i]
      if (tail !== null) this.state.store.arena.settle(tail)
      const ref = refs[i]
      if (ref === null) continue
      if (kinds[i] === EAGER_START) {
        revertStart(ref as JobRecord)
        ;(ref as JobRecord).run = null
      }
      else (ref as CommitWaiter).failed(err)
    }
    this.lsns.length = this.types.length = this.payloads.length = this.tails.length = this.kinds.length = this.refs.length = 0
    this.head = this.size = 0
    this.syncBarriers = []
    this.notifyIdle()
  }

  private compactQueue(): void {
    const h = this.head
    if (h === this.size) {
      this.head = this.size = 0
      // After a burst, give the memory back rather than keep slots for it.
      if (this.lsns.length > MAX_KEPT_SLOTS) {
        this.lsns.length = this.types.length = this.payloads.length = this.tails.length = this.kinds.length = this.refs.length = 0
      }
    } else if (h > 4096 && h * 2 > this.size) {
      const n = this.size
      this.lsns.copyWithin(0, h, n); this.types.copyWithin(0, h, n); this.kinds.copyWithin(0, h, n)
      this.payloads.copyWithin(0, h, n); this.tails.copyWithin(0, h, n); this.refs.copyWithin(0, h, n)
      // The moved-from slots would otherwise keep their payloads and waiters alive.
      this.payloads.fill(null, n - h, n); this.tails.fill(null, n - h, n); this.refs.fill(null, n - h, n)
      this.head = 0
      this.size = n - h
    }
  }

  /** Resolves once everything submitted so far is durable and applied (or failed). */
  idle(): Promise<void> {
    if (this.head === this.size && this.inflight === 0 && !this.scheduled) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private notifyIdle(): void {
    if (this.scheduled || this.head !== this.size) return
    const w = this.idleWaiters
    this.idleWaiters = []
    for (const f of w) f()
  }
}
