/**
 * The whole state of one pipeline: the fold of its events. Holds no I/O and
 * no timers; time only enters through event timestamps and `promoteDue(now)`.
 */
import { JobHeap, byRunAt } from './heap.js'
import type { JobRecord, StoredBackoff } from './job.js'
import { QueueState } from './queue-state.js'
import { DataStore } from './data-store.js'
import { JobTable } from './job-table.js'

/** A recurring job definition (cron), persisted with its next run time. */
export interface ScheduleState {
  name: string
  queue: QueueState
  pattern: string
  timezone: string | undefined
  /** Epoch ms of the next run; advanced by the same record that adds the run's job. */
  nextRunAt: number
  template: AddParams
  data: Uint8Array
}

/** The key of the schedule `name` of queue `queueId` in `PipelineState.schedules` (names are per queue). */
export function scheduleKey(queueId: number, name: string): string {
  return `${queueId}/${name}`
}

/** Everything an add carries besides the data; reused as a scratch object when decoding. */
export interface AddParams {
  priority: number
  runAt: number
  group: string | undefined
  key: string | undefined
  tags: string[] | undefined
  maxAttempts: number
  backoff: StoredBackoff | undefined
  timeout: number
}

export function emptyAddParams(): AddParams {
  return { priority: 0, runAt: 0, group: undefined, key: undefined, tags: undefined, maxAttempts: 0, backoff: undefined, timeout: 0 }
}

export class PipelineState {
  /** Jobs by id (a paged array: ids are dense). */
  readonly jobs = new JobTable()
  readonly queues = new Map<number, QueueState>()
  readonly queuesByName = new Map<string, QueueState>()
  /** Interned strings (queue names, groups, tags): id -> string. */
  readonly strings: string[] = ['']
  readonly stringIds = new Map<string, number>()
  /** Every delayed job of the pipeline, earliest first. */
  readonly delayed = new JobHeap(byRunAt)
  readonly tags = new Map<string, Set<JobRecord>>()
  /** By `scheduleKey(queue, name)`. */
  readonly schedules = new Map<string, ScheduleState>()
  /** Job data bytes (reference-counted slabs). */
  readonly store = new DataStore()
  maxJobId = 0
  /** LSN of the last event folded in. */
  lsn = 0
  /** Parts of a bulk whose last part has not come yet (EV_ADD_BULK_PART), oldest first: not applied until it does. */
  readonly bulkParts: { payload: Uint8Array; lsn: number }[] = []

  constructor(readonly name: string) {}

  /**
   * The LSN this state is the exact fold through: `lsn`, or, while a bulk's parts are held, the record before its
   * first part (nothing else has been applied since). What a snapshot of it covers.
   */
  get foldedLsn(): number {
    return this.bulkParts.length > 0 ? this.bulkParts[0].lsn - 1 : this.lsn
  }

  /** Record an interned string (idempotent: replaying an intern twice is harmless). */
  intern(id: number, s: string): void {
    this.strings[id] = s
    this.stringIds.set(s, id)
  }

  str(id: number): string {
    const s = this.strings[id]
    if (s === undefined) throw new Error(`unknown interned string ${id}`)
    return s
  }

  /** The queue named by interned string `id`, created on first reference. */
  queueById(id: number): QueueState {
    let q = this.queues.get(id)
    if (q === undefined) {
      q = new QueueState(id, this.str(id), this.store)
      this.queues.set(id, q)
      this.queuesByName.set(q.name, q)
    }
    return q
  }

  /**
   * The schedule named `name` in any queue. Only for records written when names were one namespace per
   * pipeline (EV_SCHEDULE and the rest), where there was at most one.
   */
  scheduleNamed(name: string): ScheduleState | undefined {
    for (const sc of this.schedules.values()) if (sc.name === name) return sc
    return undefined
  }

  job(id: number): JobRecord | undefined {
    return this.jobs.get(id)
  }
}
