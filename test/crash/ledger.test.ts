// The kill -9 loop is only as good as its checker: feed it scripted histories
// and check that each broken invariant is caught and each legal one passes.
import { describe, expect, it } from 'vitest'
import { Kill9Ledger, type KillGuarantees, type ObservedJob } from './kill9/ledger.js'
import { Q } from './kill9/workload.mjs'

const SYNC: KillGuarantees = { addsSurvive: true, completionsSurvive: true, duplicateCause: 'n/a' }

function job(id: string, queue: string, state: ObservedJob['state'], extra: Partial<ObservedJob> = {}): ObservedJob {
  return { id, queue, state, attempts: 0, data: null, ...extra }
}

function kinds(ledger: Kill9Ledger): string[] {
  return ledger.violations.map((v) => v.kind)
}

describe('kill -9 ledger', () => {
  it('passes a clean history', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'add', id: 'a', q: Q.plain })
    l.onReport({ t: 'start', id: 'a', q: Q.plain, attempt: 1 })
    l.onReport({ t: 'end', id: 'a', ok: true })
    l.onReport({ t: 'done', id: 'a' })
    l.onReport({ t: 'add', id: 'b', q: Q.plain })
    l.afterCrash([job('a', Q.plain, 'completed'), job('b', Q.plain, 'waiting')])
    expect(l.violations).toEqual([])
    expect(l.operationsAcknowledged).toBe(3)
  })

  it('counts an acknowledged add that is gone as lost', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'add', id: 'a', q: Q.plain })
    l.afterCrash([])
    expect(kinds(l)).toEqual(['lost-add'])
    expect(l.lost).toBe(1)
  })

  it('catches a completion acknowledged by finished() that did not survive', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'add', id: 'a', q: Q.plain })
    l.onReport({ t: 'end', id: 'a', ok: true })
    l.onReport({ t: 'done', id: 'a' })
    l.afterCrash([job('a', Q.plain, 'waiting')])
    l.beginCycle(2)
    l.onReport({ t: 'end', id: 'a', ok: true })
    expect(kinds(l)).toEqual(['lost-completion', 'ran-after-finished'])
  })

  it('counts a rerun after a crash before the completion was acknowledged as an allowed duplicate', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'add', id: 'a', q: Q.plain })
    l.onReport({ t: 'end', id: 'a', ok: true })
    l.afterCrash([job('a', Q.plain, 'waiting')])
    l.beginCycle(2)
    l.onReport({ t: 'end', id: 'a', ok: true })
    expect(l.violations).toEqual([])
    expect(l.duplicates.get('crash between handler end and completion fsync')).toBe(1)
  })

  it('flags a job completed twice within one process', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'end', id: 'a', ok: true })
    l.onReport({ t: 'end', id: 'a', ok: true })
    expect(kinds(l)).toEqual(['ran-twice-without-crash'])
  })

  it('flags a grouped job that starts before an earlier one finished, live and on disk', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'add', id: 'x0', q: Q.grouped, g: 'g0', s: 0 })
    l.onReport({ t: 'add', id: 'x1', q: Q.grouped, g: 'g0', s: 1 })
    l.onReport({ t: 'start', id: 'x1', q: Q.grouped, attempt: 1, g: 'g0', s: 1 })
    expect(kinds(l)).toEqual(['group-order'])
    l.afterCrash([
      job('x0', Q.grouped, 'waiting', { data: { g: 'g0', s: 0 } }),
      job('x1', Q.grouped, 'completed', { data: { g: 'g0', s: 1 } }),
    ])
    expect(kinds(l)).toEqual(['group-order', 'group-order'])
    expect(l.groupNext()).toEqual({ g0: 2 })
  })

  it('allows a grouped job to start once the earlier one ended, even before its completion is durable', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'add', id: 'x0', q: Q.grouped, g: 'g0', s: 0 })
    l.onReport({ t: 'add', id: 'x1', q: Q.grouped, g: 'g0', s: 1 })
    l.onReport({ t: 'start', id: 'x0', q: Q.grouped, attempt: 1, g: 'g0', s: 0 })
    l.onReport({ t: 'end', id: 'x0', ok: true })
    l.onReport({ t: 'start', id: 'x1', q: Q.grouped, attempt: 1, g: 'g0', s: 1 })
    expect(l.violations).toEqual([])
  })

  it('flags two pending jobs with one unique key, attempts going back, and a vanished job', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.afterCrash([job('a', Q.unique, 'waiting', { key: 'k0', attempts: 2 }), job('c', Q.plain, 'dead')])
    l.beginCycle(2)
    l.afterCrash([
      job('a', Q.unique, 'waiting', { key: 'k0', attempts: 1 }),
      job('b', Q.unique, 'delayed', { key: 'k0' }),
    ])
    expect(kinds(l).sort()).toEqual(['attempts-went-back', 'unique-key', 'vanished'])
  })

  it('flags a stage-1 completion without its stage-2 job, and an orphan stage-2 job', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.afterCrash([
      job('s1', Q.stage1, 'completed'),
      job('s2', Q.stage1, 'waiting'),
      job('n2', Q.stage2, 'waiting', { data: { from: 's2' } }),
    ])
    expect(kinds(l)).toEqual(['move-not-atomic', 'move-not-atomic'])
  })

  it('flags an acknowledged move that did not survive', () => {
    const l = new Kill9Ledger(SYNC)
    l.beginCycle(1)
    l.onReport({ t: 'add', id: 'p', q: Q.parking })
    l.onReport({ t: 'move', id: 'p', to: Q.moved })
    l.afterCrash([job('p', Q.parking, 'waiting')])
    expect(kinds(l)).toEqual(['lost-move'])
  })

  describe('buffered', () => {
    const BUFFERED: KillGuarantees = { addsSurvive: false, completionsSurvive: false, duplicateCause: 'buffer', bufferedLossBound: 3 }

    it('accepts losing the last adds logged, even when one logged earlier was acknowledged later', () => {
      const l = new Kill9Ledger(BUFFERED)
      l.beginCycle(1)
      // Job 2 waited for its write (back-pressure), so 3 and 4 were acknowledged before it.
      for (const id of ['1', '3', '4', '2']) l.onReport({ t: 'add', id, q: Q.plain })
      l.afterCrash([job('1', Q.plain, 'waiting'), job('2', Q.plain, 'waiting')])
      expect(l.violations).toEqual([])
      expect(l.lostToBuffer).toBe(2)
    })

    it('flags a lost add followed in the log by one that survived', () => {
      const l = new Kill9Ledger(BUFFERED)
      l.beginCycle(1)
      for (const id of ['1', '2', '3']) l.onReport({ t: 'add', id, q: Q.plain })
      l.afterCrash([job('1', Q.plain, 'waiting'), job('3', Q.plain, 'waiting')])
      expect(kinds(l)).toEqual(['buffered-hole'])
    })

    it('flags losing more adds than the buffer can hold', () => {
      const l = new Kill9Ledger(BUFFERED)
      l.beginCycle(1)
      for (const id of ['1', '2', '3', '4', '5']) l.onReport({ t: 'add', id, q: Q.plain })
      l.afterCrash([job('1', Q.plain, 'waiting')])
      expect(kinds(l)).toEqual(['buffered-bound'])
    })
  })
})
