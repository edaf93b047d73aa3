/**
 * Per-queue state: lanes (ungrouped + one per group) served round-robin,
 * the unique-key index, dead jobs, recent completions, counts and totals.
 * Everything here is part of the fold, so it survives restarts.
 */
import { Deque } from './deque.js'
import { Lane } from './lane.js'
import type { JobRecord, StoredBackoff } from './job.js'
import type { DataStore } from './data-store.js'

/** Queue settings that change what events mean, so they are logged. */
export interface StoredQueueConfig {
  serial: boolean
  groupConcurrency: number
  keepCompleted: number
  keepCompletedAgeMs: number
  attempts: number
  backoff: StoredBackoff | undefined
}

export const DEFAULT_QUEUE_CONFIG: StoredQueueConfig = {
  serial: false,
  groupConcurrency: 1,
  keepCompleted: 1000,
  keepCompletedAgeMs: 0,
  attempts: 3,
  backoff: undefined,
}

export interface QueueTotals {
  added: number
  completed: number
  failed: number
  retried: number
  dead: number
}

export interface QueueCounts {
  waiting: number
  delayed: number
  active: number
  dead: number
  completed: number
}

export class QueueState implements StoredQueueConfig {
  paused = false
  serial = DEFAULT_QUEUE_CONFIG.serial
  groupConcurrency = DEFAULT_QUEUE_CONFIG.groupConcurrency
  keepCompleted = DEFAULT_QUEUE_CONFIG.keepCompleted
  keepCompletedAgeMs = DEFAULT_QUEUE_CONFIG.keepCompletedAgeMs
  attempts = DEFAULT_QUEUE_CONFIG.attempts
  backoff: StoredBackoff | undefined = undefined

  readonly defaultLane: Lane
  readonly groups = new Map<string, Lane>()
  /** Lanes that may have work, served in turn (fairness between groups). */
  readonly ring = new Deque<Lane>()
  /** Unique key -> the waiting or delayed job holding it. */
  readonly keys = new Map<string, JobRecord>()
  readonly dead = new Set<JobRecord>()
  /** Recent completions, oldest first (removed ones are skipped lazily). */
  readonly completed = new Deque<JobRecord>()

  readonly counts: QueueCounts = { waiting: 0, delayed: 0, active: 0, dead: 0, completed: 0 }
  readonly totals: QueueTotals = { added: 0, completed: 0, failed: 0, retried: 0, dead: 0 }

  constructor(readonly id: number, readonly name: string, readonly store: DataStore) {
    this.defaultLane = new Lane(this, undefined)
  }

  config(): StoredQueueConfig {
    const { serial, groupConcurrency, keepCompleted, keepCompletedAgeMs, attempts, backoff } = this
    return { serial, groupConcurrency, keepCompleted, keepCompletedAgeMs, attempts, backoff }
  }

  /** The lane for `group` (created on first use). */
  lane(group: string | undefined): Lane {
    if (group === undefined) return this.defaultLane
    let lane = this.groups.get(group)
    if (lane === undefined) {
      lane = new Lane(this, group)
      this.groups.set(group, lane)
    }
    return lane
  }

  /** Put a lane in the serving ring if it can run something. */
  offer(lane: Lane): void {
    if (!lane.inRing && lane.eligible) {
      lane.inRing = true
      this.ring.push(lane)
    }
  }

  /** A job stops referencing `lane`. Empty group lanes are dropped so group names do not leak. */
  leave(lane: Lane): void {
    lane.members--
    if (lane.members <= 0 && lane.group !== undefined && !lane.inRing && this.groups.get(lane.group) === lane) {
      this.groups.delete(lane.group)
    }
  }

  /**
   * The next job to run, round-robin over lanes; removed from its lane's ready
   * structure. Undefined when nothing can run. Does not look at `paused`.
   */
  takeNext(): JobRecord | undefined {
    const ring = this.ring
    for (let n = ring.size; n > 0; n--) {
      const lane = ring.shift()!
      if (!lane.eligible) {
        lane.inRing = false
        if (lane.members <= 0 && lane.group !== undefined && this.groups.get(lane.group) === lane) this.groups.delete(lane.group)
        continue
      }
      const job = lane.take()!
      // A lane that can still run more goes to the back: groups take turns.
      if (lane.running + 1 < lane.limit && (lane.held === null ? lane.ready.size > 0 : false)) ring.push(lane)
      else lane.inRing = false
      return job
    }
    return undefined
  }

  get hasReady(): boolean {
    return this.ring.size > 0
  }
}
