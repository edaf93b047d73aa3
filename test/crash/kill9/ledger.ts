/**
 * The parent's ledger of one kill -9 run (one data directory, many cycles):
 * every acknowledgement the children reported, and what the directory held
 * after each crash. It checks the invariants as reports arrive (order
 * of grouped starts, duplicate runs) and after each crash (nothing
 * acknowledged lost, unique keys, attempts, moves).
 */
import type { ChildReport } from './protocol.mjs'
import { Q } from './workload.mjs'

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead'

/** One job as found in the directory after a crash. */
export interface ObservedJob {
  id: string
  queue: string
  state: JobState
  attempts: number
  key?: string
  data: unknown
}

/** What one durability mode promises about acknowledgements under kill -9. */
export interface KillGuarantees {
  /** Acknowledged adds and moves survive (all modes that write before acknowledging). */
  addsSurvive: boolean
  /** A resolved `finished()` means the completion survives. */
  completionsSurvive: boolean
  /** Cause to give a duplicate run in this mode. */
  duplicateCause: string
  /**
   * `buffered`: acknowledged records still in the buffer die with the process, at most this many per crash.
   * The adds lost must be the last ones logged (the log keeps a prefix); they are counted, not failed.
   */
  bufferedLossBound?: number
}

export interface Violation {
  cycle: number
  kind: string
  detail: string
}

interface GroupRef {
  g: string
  s: number
}

const LOST_COMPLETION = 'crash between handler end and completion fsync'

export class Kill9Ledger {
  readonly violations: Violation[] = []
  /** Duplicate runs (a job's handler ended successfully more than once), by cause. */
  readonly duplicates = new Map<string, number>()
  acknowledged = { adds: 0, completions: 0, deaths: 0, moves: 0 }
  lost = 0
  /** Acknowledged adds lost with the buffer (`buffered` only), within its bound. */
  lostToBuffer = 0

  private cycle = 0
  private readonly reported = new Set<string>()
  private readonly ackedAdds = new Map<string, string>() // id -> queue it was added to
  private readonly movedTo = new Map<string, string>()
  private readonly doneInCycle = new Map<string, number>()
  private readonly deadAcked = new Set<string>()
  private readonly lastOkEnd = new Map<string, number>() // id -> cycle of its last successful end
  private readonly groupOf = new Map<string, GroupRef>()
  /** Group members finished for good: durably at the last observation, or ended ok this cycle. */
  private terminal = new Map<string, Set<number>>()
  private nextSeq = new Map<string, number>()
  private observed = new Map<string, ObservedJob>()
  /** Adds acknowledged since the last observation, in acknowledgement order (= log order). */
  private addsSinceObserved: string[] = []

  constructor(private readonly guarantees: KillGuarantees) {}

  get operationsAcknowledged(): number {
    const a = this.acknowledged
    return a.adds + a.completions + a.deaths + a.moves
  }

  get duplicateCount(): number {
    let total = 0
    for (const n of this.duplicates.values()) total += n
    return total
  }

  /** The next sequence number per group, for the next child (so group order continues). */
  groupNext(): Record<string, number> {
    return Object.fromEntries(this.nextSeq)
  }

  beginCycle(cycle: number): void {
    this.cycle = cycle
  }

  /** Feed one report of the running child, in the order it was written. */
  onReport(r: ChildReport): void {
    switch (r.t) {
      case 'add':
        this.acknowledged.adds++
        if (!this.ackedAdds.has(r.id)) {
          this.ackedAdds.set(r.id, r.q)
          this.addsSinceObserved.push(r.id)
        }
        if (r.g !== undefined && r.s !== undefined) this.noteGroupMember(r.id, { g: r.g, s: r.s })
        break
      case 'start':
        this.onStart(r)
        break
      case 'end':
        if (r.ok) this.onOkEnd(r.id)
        break
      case 'done':
        this.acknowledged.completions++
        this.doneInCycle.set(r.id, this.cycle)
        break
      case 'dead':
        this.acknowledged.deaths++
        this.deadAcked.add(r.id)
        break
      case 'move':
        this.acknowledged.moves++
        this.movedTo.set(r.id, r.to)
        break
      case 'error':
        this.violate('child-error', r.message)
        break
      case 'state':
        // The child's own recovery of the previous crash: check it as that crash's outcome.
        this.afterCrash(
          r.jobs.map(([id, queue, state, attempts, key, data]) => ({
            id, queue, state: state as JobState, attempts, key: key ?? undefined, data,
          })),
        )
        break
      case 'ready':
        break
    }
  }

  /** Check the directory's content after a crash, as recovery (by a child or the parent) found it. */
  afterCrash(jobs: Iterable<ObservedJob>): void {
    const now = new Map<string, ObservedJob>()
    for (const job of jobs) {
      now.set(job.id, job)
      if (job.state === 'active') this.violate('recovery', `job ${job.id} is still active after recovery`)
    }
    if (this.guarantees.bufferedLossBound !== undefined) this.checkBufferedLoss(now, this.guarantees.bufferedLossBound)
    this.addsSinceObserved = []
    this.checkAcknowledged(now)
    this.checkMonotonic(now)
    this.checkUniqueKeys(now)
    this.checkGroupsArePrefixes(now)
    this.checkStagesAtomic(now)
    this.observed = now
    this.rebuildGroupKnowledge(now)
  }

  private onStart(r: Extract<ChildReport, { t: 'start' }>): void {
    const before = this.observed.get(r.id)
    if (before?.state === 'completed') {
      this.violate('ran-after-durable-completion', `job ${r.id} started though the directory had it completed`)
    }
    if (r.g === undefined || r.s === undefined) return
    this.noteGroupMember(r.id, { g: r.g, s: r.s })
    const finished = this.terminal.get(r.g) ?? new Set<number>()
    for (let earlier = 0; earlier < r.s; earlier++) {
      if (!finished.has(earlier)) {
        this.violate('group-order', `group ${r.g}: job #${r.s} (${r.id}) started before #${earlier} finished`)
        return
      }
    }
  }

  private onOkEnd(id: string): void {
    const previous = this.lastOkEnd.get(id)
    this.lastOkEnd.set(id, this.cycle)
    const group = this.groupOf.get(id)
    if (group) this.terminalSet(group.g).add(group.s)
    if (previous === undefined) return
    if (previous === this.cycle) {
      this.violate('ran-twice-without-crash', `job ${id} completed twice in one process lifetime`)
    } else if (this.doneInCycle.get(id) === previous && this.guarantees.completionsSurvive) {
      this.violate('ran-after-finished', `job ${id} ran again although finished() had resolved in cycle ${previous}`)
    } else {
      const cause = this.guarantees.completionsSurvive ? LOST_COMPLETION : this.guarantees.duplicateCause
      this.duplicates.set(cause, (this.duplicates.get(cause) ?? 0) + 1)
    }
  }

  /**
   * `buffered`: the adds acknowledged since the last observation that are gone must be the last ones logged
   * (a later add surviving an earlier lost one would mean a hole in the log), and no more than the buffer holds.
   * The lost ones are then forgotten: the next process never saw them.
   *
   * Log order, not acknowledgement order: an add made while the writes were far behind waits for its write,
   * so an add logged after it can be acknowledged first. The engine numbers jobs as it logs their adds.
   */
  private checkBufferedLoss(now: Map<string, ObservedJob>, bound: number): void {
    const adds = this.addsSinceObserved.slice().sort((a, b) => Number(a) - Number(b))
    const firstLost = adds.findIndex((id) => !now.has(id))
    if (firstLost < 0) return
    const survivor = adds.slice(firstLost).find((id) => now.has(id))
    if (survivor !== undefined) {
      this.violate('buffered-hole', `job ${adds[firstLost]} was lost but ${survivor}, logged after it, survived`)
    }
    const lost = adds.slice(firstLost).filter((id) => !now.has(id))
    if (lost.length > bound) this.violate('buffered-bound', `${lost.length} acknowledged adds lost in one crash, more than the buffer's ${bound}`)
    this.lostToBuffer += lost.length
    for (const id of lost) this.ackedAdds.delete(id)
  }

  private checkAcknowledged(now: Map<string, ObservedJob>): void {
    if (!this.guarantees.addsSurvive) return
    for (const [id, queue] of this.ackedAdds) {
      if (!now.has(id)) {
        this.lost++
        this.violate('lost-add', `job ${id} (queue ${queue}) was acknowledged but is gone`)
      }
    }
    for (const [id, to] of this.movedTo) {
      const job = now.get(id)
      if (job && job.queue !== to) this.violate('lost-move', `job ${id} was moved to ${to} but is in ${job.queue}`)
    }
    if (this.guarantees.completionsSurvive) {
      for (const id of this.doneInCycle.keys()) {
        const job = now.get(id)
        if (job && job.state !== 'completed') {
          this.lost++
          this.violate('lost-completion', `finished() resolved for ${id} but it is ${job.state}`)
        }
      }
      for (const id of this.deadAcked) {
        const job = now.get(id)
        if (job && job.state !== 'dead') this.violate('lost-death', `finished() rejected for ${id} but it is ${job.state}`)
      }
    }
  }

  /** What was durable stays so: no job vanishes, completed/dead stay put, attempts never go back. */
  private checkMonotonic(now: Map<string, ObservedJob>): void {
    for (const [id, before] of this.observed) {
      const after = now.get(id)
      if (!after) {
        this.violate('vanished', `job ${id} (${before.state} in ${before.queue}) disappeared`)
        continue
      }
      if ((before.state === 'completed' || before.state === 'dead') && after.state !== before.state) {
        this.violate('state-went-back', `job ${id} went from ${before.state} to ${after.state}`)
      }
      if (after.attempts < before.attempts) {
        this.violate('attempts-went-back', `job ${id} attempts ${before.attempts} -> ${after.attempts}`)
      }
    }
  }

  private checkUniqueKeys(now: Map<string, ObservedJob>): void {
    const pending = new Map<string, string>()
    for (const job of now.values()) {
      if (job.key === undefined || (job.state !== 'waiting' && job.state !== 'delayed')) continue
      const slot = `${job.queue}\u0000${job.key}`
      const other = pending.get(slot)
      if (other !== undefined) {
        this.violate('unique-key', `queue ${job.queue} key ${job.key}: ${other} and ${job.id} both pending`)
      } else pending.set(slot, job.id)
    }
  }

  /** Adds of a group are chained, and the log is ordered: durable members and durable completions are prefixes. */
  private checkGroupsArePrefixes(now: Map<string, ObservedJob>): void {
    const groups = new Map<string, Map<number, ObservedJob>>()
    for (const job of now.values()) {
      const ref = groupRefOf(job)
      if (!ref) continue
      let members = groups.get(ref.g)
      if (!members) groups.set(ref.g, (members = new Map()))
      if (members.has(ref.s)) this.violate('group-duplicate', `group ${ref.g} has two jobs #${ref.s}`)
      members.set(ref.s, job)
    }
    for (const [g, members] of groups) {
      let unfinishedSeen: number | null = null
      const highest = Math.max(...members.keys())
      for (let s = 0; s <= highest; s++) {
        const job = members.get(s)
        if (!job) {
          this.violate('group-gap', `group ${g}: #${s} missing below #${highest}`)
          break
        }
        const finished = job.state === 'completed' || job.state === 'dead'
        if (!finished && unfinishedSeen === null) unfinishedSeen = s
        if (finished && job.state === 'completed' && unfinishedSeen !== null) {
          this.violate('group-order', `group ${g}: #${s} completed while #${unfinishedSeen} is not finished`)
          break
        }
      }
    }
  }

  /** `{ next }` is one record: a completed stage-1 job has exactly one stage-2 child, an unfinished one none. */
  private checkStagesAtomic(now: Map<string, ObservedJob>): void {
    const children = new Map<string, number>()
    for (const job of now.values()) {
      if (job.queue !== Q.stage2) continue
      const from = (job.data as { from?: string } | null)?.from
      if (typeof from === 'string') children.set(from, (children.get(from) ?? 0) + 1)
    }
    for (const job of now.values()) {
      if (job.queue !== Q.stage1) continue
      const count = children.get(job.id) ?? 0
      const expected = job.state === 'completed' ? 1 : 0
      if (count !== expected) {
        this.violate('move-not-atomic', `stage1 job ${job.id} is ${job.state} with ${count} stage2 jobs`)
      }
      children.delete(job.id)
    }
    for (const from of children.keys()) this.violate('move-not-atomic', `stage2 job from unknown stage1 job ${from}`)
  }

  private rebuildGroupKnowledge(now: Map<string, ObservedJob>): void {
    // From the directory alone: an add issued but never made durable leaves its number free again.
    this.terminal = new Map()
    this.nextSeq = new Map()
    for (const job of now.values()) {
      const ref = groupRefOf(job)
      if (!ref) continue
      this.noteGroupMember(job.id, ref)
      if (job.state === 'completed' || job.state === 'dead') this.terminalSet(ref.g).add(ref.s)
    }
  }

  private noteGroupMember(id: string, ref: GroupRef): void {
    this.groupOf.set(id, ref)
    if ((this.nextSeq.get(ref.g) ?? 0) <= ref.s) this.nextSeq.set(ref.g, ref.s + 1)
  }

  private terminalSet(g: string): Set<number> {
    let set = this.terminal.get(g)
    if (!set) this.terminal.set(g, (set = new Set()))
    return set
  }

  /** Record a violation found outside the ledger (a child that died on its own, a failed recovery). */
  violate(kind: string, detail: string): void {
    // A broken state found after one crash is usually still there after the next: report it once.
    const key = `${kind}\u0000${detail}`
    if (this.reported.has(key)) return
    this.reported.add(key)
    this.violations.push({ cycle: this.cycle, kind, detail })
  }
}

function groupRefOf(job: ObservedJob): GroupRef | null {
  if (job.queue !== Q.grouped) return null
  const data = job.data as { g?: unknown; s?: unknown } | null
  if (typeof data?.g !== 'string' || typeof data.s !== 'number') return null
  return { g: data.g, s: data.s }
}
