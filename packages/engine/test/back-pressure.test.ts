// Back-pressure (`maxPending` with onFull 'wait'): adds that find the queue full wait in line, are admitted in
// arrival order as room appears, carry the data as it was when add() was called, and fail when the engine closes.
import { afterEach, expect, it } from 'vitest'
import { EngineClosedError, JobDataError, QueueFullError } from '@wq/engine'
import { cleanupDirs, memoryEngine } from './helpers.js'

afterEach(() => cleanupDirs())

/** Records the order in which add promises settle. */
function tracker() {
  const order: string[] = []
  const track = <T>(name: string, p: Promise<T>) => p.then((v) => { order.push(name); return v }, (e) => { order.push(`${name}!`); throw e })
  return { order, track }
}

it('waiting adds are admitted oldest first, one per job that leaves, and an add made just then waits behind them', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 2 })
  await q.add('a')
  await q.add('b')
  const { order, track } = tracker()
  const c = track('c', q.add('c'))
  const d = track('d', q.add('d'))
  await new Promise((r) => setImmediate(r))
  expect(order).toEqual([])
  q.reserve() // 'a' leaves: the room goes to 'c' at once
  const e = track('e', q.add('e')) // so this one finds the queue full, behind 'd'
  await c
  q.reserve() // 'b' leaves
  await d
  expect(order).toEqual(['c', 'd'])
  q.reserve() // 'c' leaves
  await e
  expect(order).toEqual(['c', 'd', 'e'])
  // Taken from the queue in the order they were admitted.
  expect([q.reserve()!.data, q.reserve()!.data]).toEqual(['d', 'e'])
  await engine.close()
})

it('room left by a removed job goes to the oldest waiting add, not to a newer one', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 1 })
  const first = await q.add('first')
  const { order, track } = tracker()
  const waiting = track('waiting', q.add('waiting'))
  await new Promise((r) => setImmediate(r))
  await first.remove()
  const newer = track('newer', q.add('newer'))
  await waiting
  await new Promise((r) => setImmediate(r))
  expect(order).toEqual(['waiting'])
  expect(q.stats().counts.waiting).toBe(1)
  q.reserve()
  await newer
  expect(order).toEqual(['waiting', 'newer'])
  await engine.close()
})

it('an add that waited carries its data as it was when add() was called', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 1 })
  await q.add({ v: 1 })
  const data = { v: 2 }
  const pending = q.add(data)
  data.v = 3 // changed while the add waits for room
  q.reserve()
  const job = await pending
  expect(job.data).toEqual({ v: 2 })
  await engine.close()
})

it('bad data is refused at once, not after waiting for room', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 1 })
  await q.add(1)
  await expect(q.add({ f: () => 1 })).rejects.toBeInstanceOf(JobDataError)
  expect(q.stats().counts.waiting).toBe(1)
  await engine.close()
})

it('adds still waiting for room fail with EngineClosedError when the engine closes, instead of never settling', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 1 })
  await q.add(1)
  const waiting = [q.add(2), q.add(3)]
  await engine.close()
  for (const w of waiting) await expect(w).rejects.toBeInstanceOf(EngineClosedError)
})

it('a keyed add that waited, and finds its key taken when admitted, settles with the job already holding the key', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 2 })
  await q.add('x')
  await q.add('y')
  // Both find the queue full, so neither sees the other when called.
  const first = q.add('k-1', { key: 'k' })
  const second = q.add('k-2', { key: 'k' })
  q.reserve() // 'x' leaves: the first is admitted and takes the room
  const a = await first
  q.reserve() // 'y' leaves: the second is admitted, and its key is held by a job still waiting
  const b = await second
  expect(b.id).toBe(a.id)
  expect(b.data).toBe('k-1')
  expect(q.stats().counts.waiting).toBe(1)
  expect(q.stats().totals.added).toBe(3)
  await engine.close()
})

it('an add that waited gets its id when admitted, so ids follow the order adds were logged in', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 1 })
  const before = await q.add('before')
  const waited = q.add('waited')
  q.reserve() // 'before' leaves: 'waited' is admitted
  const admitted = await waited
  expect(admitted.numericId).toBe(before.numericId + 1)
  q.reserve()
  expect((await q.add('after')).numericId).toBe(admitted.numericId + 1)
  await engine.close()
})

it('jobs already in the pipeline are never refused for room: moveTo and retryDead may take a queue over maxPending, and adds wait until it is back under', async () => {
  const engine = await memoryEngine()
  const q = engine.queue('q', { maxPending: 1, attempts: 1 })
  const strict = engine.queue('strict', { maxPending: 1, onFull: 'reject' })
  await q.add('dies')
  await q.fail(q.reserve()!, 'boom') // one attempt: dead, not pending
  await q.add('a') // full
  await (await engine.queue('other').add('moved')).moveTo('q')
  expect(await q.retryDead()).toBe(1)
  expect(q.stats().counts.waiting).toBe(3)
  await strict.add('s')
  await (await engine.queue('other').add('moved')).moveTo('strict')
  await expect(strict.add('refused')).rejects.toBeInstanceOf(QueueFullError)

  const { order, track } = tracker()
  const late = track('late', q.add('late'))
  q.reserve()
  q.reserve() // one left: still at the bound
  await new Promise((r) => setImmediate(r))
  expect(order).toEqual([])
  q.reserve() // under it
  await late
  expect(order).toEqual(['late'])
  expect(strict.stats().counts.waiting).toBe(2)
  await engine.close()
})
