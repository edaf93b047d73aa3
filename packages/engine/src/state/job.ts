/**
 * The in-memory record of one job. Kept small because a million of them may
 * be waiting: rarely used fields live in a lazily created `extra`, times are
 * plain epoch-millisecond numbers, and the data is the msgpack bytes written
 * at add (a view, never decoded here).
 */
import type { Lane } from './lane.js'
import type { QueueState } from './queue-state.js'

export const WAITING = 0
export const DELAYED = 1
export const ACTIVE = 2
export const COMPLETED = 3
export const DEAD = 4
export const REMOVED = 5

export const STATE_NAMES = ['waiting', 'delayed', 'active', 'completed', 'dead', 'removed'] as const
export type JobStateName = (typeof STATE_NAMES)[number]

export interface JobError {
  message: string
  stack?: string
  at: number
}

export interface JobTransition {
  state: string
  at: number
  note?: string
}

/** Per-job retry policy stored with the job (a backoff function cannot be stored; it stays queue-level). */
export interface StoredBackoff {
  type: 'fixed' | 'exponential'
  delay: number
  jitter?: number
  maxDelay?: number
}

/** Fields most jobs never need. */
export class JobExtra {
  key: string | undefined = undefined
  tags: string[] | undefined = undefined
  backoff: StoredBackoff | undefined = undefined
  timeout: number | undefined = undefined
  errors: JobError[] | undefined = undefined
  history: JobTransition[] | undefined = undefined
  result: Uint8Array | undefined = undefined
  progress: Uint8Array | undefined = undefined
  finishedAt: number | undefined = undefined
}

/** The runtime run of an active job (see runtime/active-job.ts); kept on the record to avoid a map per run. */
export interface RunRef {
  /** LSN of the run's start record, 0 while not logged. */
  startLsn: number
  settled: boolean
}

const TWO_24 = 16_777_216

export const MAX_ERRORS = 5
export const MAX_HISTORY = 20

export class JobRecord {
  /** Index in the heap holding it (a lane's ready heap or the delayed heap), -1 when in none. */
  hi = -1
  state = WAITING
  /** attempts (low 16 bits) and maxAttempts (high bits) in one small integer. */
  private am = 0
  /** runAt while delayed, startedAt otherwise (a job is never both: one field, not two). */
  private at: number | undefined = undefined
  extra: JobExtra | null = null
  /** Set while a run of this job is live or its outcome is not yet applied. */
  run: RunRef | null = null
  /** Where the data bytes are (see DataStore). */
  dataSlab = -1
  dataOff = 0
  dataLen = 0
  private createdHi: number
  private createdLo: number

  constructor(
    readonly id: number,
    /** The lane it belongs to; its queue is the job's queue. */
    public lane: Lane,
    public priority: number,
    maxAttempts: number,
    createdAt: number,
  ) {
    this.maxAttempts = maxAttempts
    // Two small integers instead of a double: a double field costs a heap number per job.
    this.createdHi = Math.floor(createdAt / TWO_24)
    this.createdLo = createdAt - this.createdHi * TWO_24
  }

  /** Epoch ms of the add. */
  get createdAt(): number {
    return this.createdHi * TWO_24 + this.createdLo
  }

  get queue(): QueueState {
    return this.lane.queue
  }

  get attempts(): number {
    return this.am & 0xffff
  }

  set attempts(v: number) {
    this.am = (this.am & ~0xffff) | (Math.max(0, Math.min(v, 0xffff)))
  }

  get maxAttempts(): number {
    return this.am >>> 16
  }

  set maxAttempts(v: number) {
    this.am = (Math.max(1, Math.min(v, 0x7fff)) << 16) | (this.am & 0xffff)
  }

  get runAt(): number | undefined {
    return this.state === DELAYED ? this.at : undefined
  }

  set runAt(v: number | undefined) {
    this.at = v
  }

  get startedAt(): number | undefined {
    return this.state === DELAYED ? undefined : this.at
  }

  set startedAt(v: number | undefined) {
    this.at = v
  }

  /** The job's msgpack data bytes. */
  bytes(): Uint8Array {
    return this.queue.store.view(this)
  }

  ext(): JobExtra {
    return this.extra ?? (this.extra = new JobExtra())
  }

  /** Record a transition that the plain timestamps (created, started, finished) do not already tell. */
  note(state: string, at: number, note?: string): void {
    const x = this.ext()
    const h = x.history ?? (x.history = [])
    h.push(note === undefined ? { state, at } : { state, at, note })
    if (h.length > MAX_HISTORY) h.shift()
  }

  addError(message: string, stack: string | undefined, at: number): void {
    const x = this.ext()
    const e = x.errors ?? (x.errors = [])
    e.push(stack === undefined ? { message, at } : { message, stack, at })
    if (e.length > MAX_ERRORS) e.shift()
  }
}
