// What every engine sweep checks once its image is reopened: the invariants that hold at any moment, and that the
// engine works: it runs its backlog, closes clean, and a second reopen holds what the first one drained to.
import type { Engine } from '@wq/engine'
import type { FileSystem } from '@wq/wal'
import { guard } from './harness.js'
import { HELD, eachQueue, handler, observe, openEngine, queue, type Mode, type Observed } from './queues.js'
import type { Entry } from './workload.js'

export type V = (kind: string, detail: string) => void
const firstLines = (err: unknown) => String((err as Error)?.stack ?? err).split('\n').slice(0, 3).join(' | ')

/** Opens the image (both pipelines); null, with a violation, if it cannot be opened. */
export async function reopen(fs: FileSystem, mode: Mode, snapEvery: number | false, V: V): Promise<Engine | null> {
  try {
    const e = await guard(openEngine(fs, mode, snapEvery), 'reopen')
    await guard(e.ready('b'), 'reopen b')
    return e
  } catch (err) {
    V('reopen-failed', firstLines(err))
    return null
  }
}

/** What holds at any moment: unique keys, group order, `{ next }` atomic. */
export function checkInvariants(now: Observed, V: V, when: string): void {
  const pending = new Map<string, string>()
  const groups = new Map<string, Map<number, string>>()
  const children = new Map<string, number>()
  for (const j of now.jobs.values()) {
    if (j.key !== undefined && (j.state === 'waiting' || j.state === 'delayed')) {
      const k = `${j.pl}/${j.queue}/${j.key}`
      if (pending.has(k)) V(`unique-key(${when})`, `${k}: ${pending.get(k)} and ${j.id}`)
      pending.set(k, j.id)
    }
    if (j.queue === 'grp') {
      const g = groups.get(j.data.g) ?? new Map<number, string>()
      groups.set(j.data.g, g)
      if (g.has(j.data.s)) V(`group-duplicate(${when})`, `${j.data.g}#${j.data.s}`)
      g.set(j.data.s, j.state)
    }
    if (j.pl === 'b' && j.queue === 'y') children.set(j.data?.from, (children.get(j.data?.from) ?? 0) + 1)
  }
  // groupConcurrency 1: the completed jobs of a group are a prefix of it.
  for (const [g, js] of groups) {
    const states = [...js].sort((a, b) => a[0] - b[0]).map(([, s]) => s)
    const firstOpen = states.findIndex((s) => s !== 'completed')
    if (firstOpen >= 0 && states.slice(firstOpen).includes('completed')) V(`group-order(${when})`, `${g}: ${states.join(',')}`)
  }
  for (const j of now.jobs.values()) {
    if (j.pl !== 'b' || j.queue !== 'x') continue
    const n = children.get(j.id) ?? 0
    if (n !== (j.state === 'completed' ? 1 : 0)) V(`next-not-atomic(${when})`, `${j.id} is ${j.state} with ${n} next-stage jobs`)
  }
}

/** Resolves once no queue that runs jobs has any waiting or running (the `drained` event, not polling). */
export async function drain(e: Engine): Promise<void> {
  const waits: Promise<void>[] = []
  eachQueue((pl, name) => {
    if (HELD.has(name) && name !== 'moved') return
    const q = queue(e, pl, name)
    const busy = () => q.stats().counts.waiting + q.stats().counts.active > 0
    if (busy()) waits.push(guard(new Promise<void>((resolve) => q.on('drained', () => !busy() && resolve())), `drain ${pl}/${name}`))
  })
  await Promise.all(waits)
}

/** What a check of one call knows about the rest of the ledger. */
export interface LedgerView {
  /** The calls that may be reflected in the state checked. */
  ledger: readonly Entry[]
  /** Whether another call `x` may have acted (it resolved, or may have reached the log anyway). */
  mayHaveActed: (x: Entry) => boolean
}

/**
 * An acknowledged call that acted on jobs, a queue's pause state or a schedule is reflected in `now`, unless a
 * later call (that may have acted) undid it. Adds are the callers' own to check: their rules differ.
 */
export function checkActed(r: Entry, tag: string, now: Observed, l: LedgerView, V: V): void {
  const at = (id: string) => now.jobs.get(id)
  const acts = (x: Entry) => x.kind !== 'add' && x.kind !== 'bulk' && x.kind !== 'push'
  const actedLater = (id: string) => l.ledger.some((x) => x.i > r.i && acts(x) && x.ids.includes(id) && l.mayHaveActed(x))
  const removedMaybe = (id: string) => l.ledger.some((x) => (x.kind === 'remove' || x.kind === 'removeDead') && x.ids.includes(id) && l.mayHaveActed(x))
  const later = (kind: Entry['kind'], also: (x: Entry) => boolean = () => true) => l.ledger.some((x) => x.i > r.i && x.kind === kind && also(x) && l.mayHaveActed(x))
  const id = r.ids[0]
  switch (r.kind) {
    case 'move': {
      if (actedLater(id) || removedMaybe(id)) break
      const j = at(id)
      if (!j || j.queue !== r.to) V('lost-move', `${tag} ${id} is ${j ? `${j.queue}/${j.state}` : 'gone'}`)
      else if (r.data !== undefined && JSON.stringify(j.data) !== JSON.stringify(r.data)) V('move-data', `${tag} ${id}`)
      break
    }
    case 'remove': case 'removeDead':
      for (const x of r.ids) if (at(x)) V(`${r.kind}-undone`, `${tag} ${x} is back (${at(x)!.state})`)
      break
    case 'retry': case 'retryDead':
      for (const x of r.ids) if (!actedLater(x) && at(x)?.state === 'dead') V(`${r.kind}-lost`, `${tag} ${x} is still dead`)
      break
    case 'fail':
      if (!actedLater(id) && !removedMaybe(id) && at(id)?.state !== 'dead') V('fail-lost', `${tag} ${id} is ${at(id)?.state ?? 'gone'}`)
      break
    case 'complete':
      if (at(id)?.state !== 'completed') V('complete-lost', `${tag} ${id} is ${at(id)?.state ?? 'gone'}`)
      break
    case 'pause':
      if (!later('pause') && now.paused['default/pz'] !== r.paused) V('pause-lost', `${tag}: paused=${now.paused['default/pz']}, want ${r.paused}`)
      break
    case 'schedule':
      if (!now.schedules.has(r.schedule!) && !l.ledger.some((x) => x.kind === 'unschedule' && x.schedule === r.schedule && l.mayHaveActed(x))) V('schedule-lost', `${tag} ${r.schedule}`)
      break
    case 'unschedule':
      if (now.schedules.has(r.schedule!)) V('unschedule-lost', `${tag} ${r.schedule} is back`)
      break
  }
}

/**
 * A bulk into b/x is there whole or not at all (a bulk over 64 KiB is several records, applied together when the
 * last one is). Its jobs carry the call's number (`u`) and are never moved or removed, so they can be counted.
 */
export function checkBulksWhole(ledger: readonly Entry[], now: Observed, V: V, when: string): void {
  const found = new Map<number, number>()
  for (const j of now.jobs.values()) if (j.pl === 'b' && j.queue === 'x' && typeof j.data?.u === 'number') found.set(j.data.u, (found.get(j.data.u) ?? 0) + 1)
  for (const x of ledger) {
    if (x.kind !== 'bulk' || x.count === undefined) continue
    const n = found.get(x.i) ?? 0
    if (n !== 0 && n !== x.count) V(`bulk-not-whole(${when})`, `bulk#${x.i} (${x.outcome}): ${n} of its ${x.count} jobs`)
  }
}

/** `e`, reopened on `fs`, works: runs its backlog with the invariants kept, closes clean, reopens with what it held. */
export async function keepsWorking(e: Engine, fs: FileSystem, mode: Mode, snapEvery: number | false, V: V): Promise<void> {
  try {
    eachQueue((pl, name) => {
      if (!HELD.has(name) || name === 'moved') queue(e, pl, name).process(async (job) => handler(pl, name)(job))
    })
    if (queue(e, 'default', 'pz').paused) await guard(queue(e, 'default', 'pz').resume(), 'resume after reopen')
    const post = await guard(queue(e, 'default', 'moved').add({ post: true }), 'add after reopen')
    await guard(post.finished(), 'finished() after reopen')
    await drain(e)
    const drained = observe(e)
    checkInvariants(drained, V, 'drained')
    await guard(e.close(), 'clean close')
    const again = await guard(openEngine(fs, mode, snapEvery), 'second reopen')
    await guard(again.ready('b'), 'second reopen b')
    const last = observe(again)
    if (last.jobs.get(post.id)?.state !== 'completed') V('post-not-completed', `${post.id} is ${last.jobs.get(post.id)?.state}`)
    for (const [id, j] of drained.jobs) {
      const a = last.jobs.get(id)
      if (!a) V('lost-at-clean-close', id)
      else if ((j.state === 'completed' || j.state === 'dead') && a.state !== j.state) V('state-went-back-at-clean-close', `${id}: ${j.state} -> ${a.state}`)
    }
    await guard(again.close(), 'second clean close')
  } catch (err) {
    V('keeps-working', firstLines(err))
    await e.close().catch(() => undefined)
  }
}
