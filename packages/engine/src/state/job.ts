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

export const MAX_ERRORS = 5
export const MAX_HISTORY = 20

export class JobRecord {
  /** Index in the heap holding it (a lane's ready heap or the delayed heap), -1 when in none. */
  hi = -1
  state = WAITING
  attempts = 0
  /** Order among equals: assigned once at add. */
  seq = 0
  runAt: number | undefined = undefined
  startedAt: number | undefined = undefined
  extra: JobExtra | null = null

  constructor(
    readonly id: number,
    public queue: QueueState,
    public lane: Lane,
    public priority: number,
    public maxAttempts: number,
    readonly createdAt: number,
    public data: Uint8Array,
  ) {}

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
