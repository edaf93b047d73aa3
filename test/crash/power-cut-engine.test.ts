// Power cut under the engine (its WAL on MemoryFs), in every durability mode:
// the image is taken at the very moment a promise resolves — nothing that
// promise promised may be missing from it. Then a mixed load (single and bulk adds, priorities, unique keys,
// groups, retries and dead jobs, `{ next }` and `moveTo` moves) is cut at random moments and the reopened image is
// checked with the kill -9 loop's ledger, and against engine.flush(): every add, completion, death and move
// acknowledged before a flush (or snapshot) that resolved before the cut survives, in every mode.
import { describe, expect, it } from 'vitest'
import { Engine, JobDeadError, type AddOptions, type DurabilityMode, type Job } from '@wq/engine'
import { MemoryFs, overrideFs, overrideHandle } from '@wq/wal/testing'
import type { FileSystem } from '@wq/wal'
import { Rng, seedFromEnv } from './prng.mjs'
import { Kill9Ledger, type KillGuarantees, type ObservedJob } from './kill9/ledger.js'
import { GROUPS, MANY_ATTEMPTS, PLAIN_ATTEMPTS, Q, UNIQUE_KEYS } from './kill9/workload.mjs'
import { printSummary } from './summary.js'

const SEED = seedFromEnv()
const CASES = Number(process.env.WQ_POWER_CUT_CASES ?? 60) >> 1
const silent = { info() {}, warn() {}, error() {}, debug() {} }
const FATES = ['drop', 'keep', 'garble', 'random'] as const

function openEngine(fs: FileSystem, durability: DurabilityMode): Promise<Engine> {
  return Engine.open({
    dir: '/data',
    durability,
    logger: silent,
    closeTimeoutMs: 20,
    snapshotEvery: { events: 200 },
    wal: { fs, segmentBytes: 8192, intervalMs: 2, flushMs: 2, bufferRecords: 16 },
  })
}

async function observe(engine: Engine): Promise<ObservedJob[]> {
  const out: ObservedJob[] = []
  for (const name of Object.values(Q)) {
    for (const j of engine.queue(name).jobs({ limit: 100_000 })) {
      out.push({ id: j.id, queue: j.queue, state: j.state, attempts: j.attempts, key: j.key, data: j.data })
    }
  }
  return out
}

describe('power cut at the moment of acknowledgement (sync)', () => {
  it('a duplicate unique add resolves only once the job it returns is durable', async () => {
    for (const fate of FATES) {
      const mem = new MemoryFs()
      const engine = await openEngine(mem, 'sync')
      const q = engine.queue('u')
      let image: MemoryFs | null = null
      const original = q.add({ n: 1 }, { key: 'k' })
      const duplicate = q.add({ n: 2 }, { key: 'k' }).then((job) => {
        image = mem.crash({ unsynced: fate, seed: 1 })
        return job
      })
      const [, dup] = await Promise.all([original, duplicate])
      await engine.close()
      const after = await openEngine(image!, 'sync')
      expect(after.getJob(dup.id)?.info()?.key, `fate ${fate}: the job the duplicate add returned`).toBe('k')
      await after.close()
    }
  })

  it('finished() resolves only once the completion is durable', async () => {
    for (const fate of FATES) {
      const mem = new MemoryFs()
      const engine = await openEngine(mem, 'sync')
      const q = engine.queue('q')
      q.process(async () => 'result')
      let image: MemoryFs | null = null
      const job = await q.add({ n: 1 })
      await job.finished().then(() => (image = mem.crash({ unsynced: fate, seed: 1 })))
      await engine.close()
      const after = await openEngine(image!, 'sync')
      expect(after.getJob(job.id)?.info()?.state, `fate ${fate}`).toBe('completed')
      await after.close()
    }
  })

  it('an acknowledged add survives, whatever happens to the unsynced rest', async () => {
    for (const fate of FATES) {
      const mem = new MemoryFs()
      const engine = await openEngine(mem, 'sync')
      let image: MemoryFs | null = null
      const job = await engine.queue('q').add({ n: 1 }).then((j) => ((image = mem.crash({ unsynced: fate, seed: 2 })), j))
      await engine.close()
      const after = await openEngine(image!, 'sync')
      expect(after.getJob(job.id), `fate ${fate}`).toBeDefined()
      await after.close()
    }
  })
})

/** What each mode promises across a power cut, as this suite checks it. */
const POWER_CUT: Record<Exclude<DurabilityMode, 'memory'>, KillGuarantees> = {
  sync: { addsSurvive: true, completionsSurvive: true, duplicateCause: '' },
  'sync-enqueue': { addsSurvive: true, completionsSurvive: false, duplicateCause: 'completion not fsynced (sync-enqueue)' },
  interval: { addsSurvive: false, completionsSurvive: false, duplicateCause: 'not fsynced yet (interval)' },
  os: { addsSurvive: false, completionsSurvive: false, duplicateCause: 'never fsynced (os)' },
  buffered: { addsSurvive: false, completionsSurvive: false, duplicateCause: 'still buffered (buffered)' },
}

async function oneCut(mode: keyof typeof POWER_CUT, caseSeed: number) {
  const rng = new Rng(caseSeed)
  const mem = new MemoryFs()
  const ledger = new Kill9Ledger(POWER_CUT[mode])
  const ackedAdds = new Set<string>()
  const ackedDone = new Set<string>()
  const ackedDead = new Set<string>()
  const ackedMoves = new Set<string>()
  // What a checkpoint covered: acknowledged before a flush(), a snapshot() or (outside `buffered`) a segment's
  // fdatasync that completed before the cut. Every mode keeps it.
  const flushedAdds = new Set<string>()
  const flushedDone = new Set<string>()
  const flushedDead = new Set<string>()
  const flushedMoves = new Set<string>()
  ledger.beginCycle(1)
  let image: MemoryFs | null = null
  const cutAt = rng.range(1, 150)
  const flushEvery = rng.range(5, 40)
  let acks = 0
  /** What is acknowledged now; the returned function marks it covered, unless the cut came first. */
  const coverBefore = () => {
    const adds = [...ackedAdds]
    const done = [...ackedDone]
    const dead = [...ackedDead]
    const moves = [...ackedMoves]
    return () => {
      // A checkpoint that settles after the cut may or may not have completed before it: not counted.
      if (image) return
      for (const id of adds) flushedAdds.add(id)
      for (const id of done) flushedDone.add(id)
      for (const id of dead) flushedDead.add(id)
      for (const id of moves) flushedMoves.add(id)
    }
  }
  // Every fdatasync of a segment is a checkpoint of its own (the `interval` timer's, a rotation's seal, group
  // commit): what was acknowledged when it began had been written (outside `buffered`), so it survives once the
  // fdatasync completes before the cut.
  const fs = overrideFs(mem, {
    async open(path, openMode) {
      const fh = await mem.open(path, openMode)
      if (!path.endsWith('.wal')) return fh
      return overrideHandle(fh, {
        datasync: () => {
          const covered = mode === 'buffered' ? () => undefined : coverBefore()
          return fh.datasync().then(covered)
        },
      })
    },
  })
  const engine = await openEngine(fs, mode)
  const checkpoint = () => {
    // A snapshot is a checkpoint too: it fsyncs the log through everything applied before writing itself.
    const point: Promise<unknown> = rng.chance(0.5) ? engine.flush() : engine.snapshot()
    point.then(coverBefore(), () => undefined)
  }
  // Reports stop at the cut: what happens after it is not part of the image.
  const report: typeof ledger.onReport = (r) => {
    if (image) return
    ledger.onReport(r)
    if (r.t === 'add') ackedAdds.add(r.id)
    if (r.t === 'done') ackedDone.add(r.id)
    if (r.t === 'dead') ackedDead.add(r.id)
    if (r.t === 'move') ackedMoves.add(r.id)
    if (r.t === 'add' || r.t === 'done' || r.t === 'dead' || r.t === 'move') {
      if (++acks === cutAt) image = mem.crash({ unsynced: rng.pick(FATES), seed: rng.u32() })
      else if (acks % flushEvery === 0) checkpoint()
    }
  }
  const watched = new Set<string>()
  const handler = (queue: string, failRate: number, next?: boolean) => async (job: { id: string; data: any; attempt: number }) => {
    if (!watched.has(job.id)) {
      watched.add(job.id)
      engine.getJob(job.id)?.finished().then(() => report({ t: 'done', id: job.id }), (err) => {
        if (err instanceof JobDeadError) report({ t: 'dead', id: job.id })
      })
    }
    report({ t: 'start', id: job.id, q: queue, attempt: job.attempt, g: job.data?.g, s: job.data?.s })
    if (rng.chance(0.3)) await new Promise((resolve) => setTimeout(resolve, rng.int(2)))
    const ok = !rng.chance(failRate)
    report({ t: 'end', id: job.id, ok })
    if (!ok) throw new Error('planned failure')
    return next ? { next: { queue: Q.stage2, data: { from: job.id } } } : 'ok'
  }
  const opts = { keepCompleted: 1_000_000, attempts: MANY_ATTEMPTS, backoff: { type: 'fixed' as const, delay: 1 } }
  engine.queue(Q.plain, { ...opts, attempts: PLAIN_ATTEMPTS, concurrency: 4 }).process(handler(Q.plain, 0.4))
  // Two at a time: a keyed job added while another with its key runs may start before either start is logged.
  engine.queue(Q.unique, { ...opts, concurrency: 2 }).process(handler(Q.unique, 0))
  engine.queue(Q.grouped, { ...opts, concurrency: 3 }).process(handler(Q.grouped, 0.1))
  engine.queue(Q.stage1, { ...opts, concurrency: 2 }).process(handler(Q.stage1, 0, true))
  engine.queue(Q.stage2, { ...opts, concurrency: 2 }).process(handler(Q.stage2, 0))
  engine.queue(Q.parking, opts)
  engine.queue(Q.moved, { ...opts, concurrency: 2 }).process(handler(Q.moved, 0))
  const groupNext = new Map<string, number>()
  const groupTail = new Map<string, Promise<void>>()
  const parked: Job[] = []
  const add = async (queue: string, options: AddOptions = {}) => {
    const job = await engine.queue(queue).add({ n: rng.u32() }, options)
    report({ t: 'add', id: job.id, q: queue, key: options.key })
    return job
  }
  const operations: (() => Promise<unknown>)[] = [
    () => add(Q.plain, { priority: rng.int(3) }),
    async () => {
      const jobs = await engine.queue(Q.plain).addBulk(Array.from({ length: rng.range(2, 6) }, () => ({ data: { n: rng.u32() } })))
      for (const job of jobs) report({ t: 'add', id: job.id, q: Q.plain })
    },
    // Twice as likely as the others: keyed adds meeting keyed jobs mid-start are where snapshots went wrong.
    () => add(Q.unique, { key: rng.pick(UNIQUE_KEYS) }),
    () => add(Q.unique, { key: rng.pick(UNIQUE_KEYS) }),
    () => add(Q.stage1),
    () => {
      // Adds to one group are chained, so their order is the order the ledger is told.
      const g = rng.pick(GROUPS)
      const s = groupNext.get(g) ?? 0
      groupNext.set(g, s + 1)
      const tail = (groupTail.get(g) ?? Promise.resolve()).then(async () => {
        const job = await engine.queue(Q.grouped).add({ g, s }, { group: g })
        report({ t: 'add', id: job.id, q: Q.grouped, g, s })
      })
      groupTail.set(g, tail)
      return tail
    },
    async () => parked.push(await add(Q.parking)),
    async () => {
      const job = parked.shift()
      if (job === undefined) return
      await job.moveTo(Q.moved)
      report({ t: 'move', id: job.id, to: Q.moved })
    },
  ]
  const producer = async () => {
    while (!image) {
      await rng.pick(operations)()
      // On MemoryFs everything else is microtasks: without a pause now and then, a whole case would run before the
      // `interval` timer (2 ms) ever fired, and its fsyncs would never be a checkpoint here.
      if (rng.chance(0.05)) await new Promise((resolve) => setTimeout(resolve, rng.int(4)))
    }
  }
  await Promise.all([producer(), producer(), producer(), producer()])
  await engine.close().catch(() => undefined)

  const after = await openEngine(image!, mode)
  const jobs = await observe(after)
  ledger.afterCrash(jobs)
  await after.close()
  const present = new Set(jobs.map((j) => j.id))
  const byId = new Map(jobs.map((j) => [j.id, j]))
  const lostFlushed = [
    ...[...flushedAdds].filter((id) => !present.has(id)).map((id) => `add of ${id}`),
    ...[...flushedDone].filter((id) => byId.get(id)?.state !== 'completed').map((id) => `completion of ${id}`),
    ...[...flushedDead].filter((id) => byId.get(id)?.state !== 'dead').map((id) => `death of ${id}`),
    ...[...flushedMoves].filter((id) => byId.get(id)?.queue !== Q.moved).map((id) => `move of ${id}`),
  ]
  return { ledger, lostAdds: [...ackedAdds].filter((id) => !present.has(id)).length, flushed: flushedAdds.size + flushedDone.size + flushedDead.size + flushedMoves.size, lostFlushed }
}

describe('power cut under load, every durability mode', () => {
  for (const mode of Object.keys(POWER_CUT) as (keyof typeof POWER_CUT)[]) {
    it(`${mode}: ${CASES} cuts — recovery succeeds and keeps what the mode promises (seed ${SEED})`, async () => {
      const rng = new Rng(SEED ^ 0x33)
      let acknowledged = 0
      let deaths = 0
      let moves = 0
      let lost = 0
      let flushed = 0
      const duplicates = new Map<string, number>()
      const violations: string[] = []
      for (let i = 0; i < CASES; i++) {
        const caseSeed = rng.u32()
        const { ledger, lostAdds, flushed: covered, lostFlushed } = await oneCut(mode, caseSeed)
        acknowledged += ledger.operationsAcknowledged
        deaths += ledger.acknowledged.deaths
        moves += ledger.acknowledged.moves
        lost += lostAdds
        flushed += covered
        for (const what of lostFlushed) violations.push(`case ${i} (case seed ${caseSeed}): lost after flush(): ${what}`)
        for (const [cause, n] of ledger.duplicates) duplicates.set(cause, (duplicates.get(cause) ?? 0) + n)
        for (const v of ledger.violations) violations.push(`case ${i} (case seed ${caseSeed}): ${v.kind}: ${v.detail}`)
      }
      printSummary('power cut (engine)', {
        mode, seed: SEED, cases: CASES, acknowledged, deaths, moves,
        lost: POWER_CUT[mode].addsSurvive ? lost : `${lost} acknowledged adds (allowed: not fsynced)`,
        'covered-by-checkpoint': flushed,
        duplicates: [...duplicates].map(([c, n]) => `${n} (${c})`).join(', ') || 0, violations: violations.length,
      })
      expect(violations.slice(0, 5), `${violations.length} violations (WQ_SEED=${SEED})`).toEqual([])
      if (POWER_CUT[mode].addsSurvive) expect(lost).toBe(0)
    })
  }
})
