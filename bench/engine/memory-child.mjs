// Memory measurement child for run.ts. Plain Node on the built engine (no TypeScript loader in the process),
// so the RSS it reports is the engine's, not a transpiler's.
import { Engine } from '@wq/engine'

const [how, dir, nArg] = process.argv.slice(2)
const n = Number(nArg)
const silent = { info() {}, warn() {}, error() {} }
const BODY = 'x'.repeat(60)
globalThis.gc()
const base = process.memoryUsage().rss
const t0 = performance.now()
let engine
if (how === 'snapshot') {
  engine = await Engine.open({ dir, durability: 'sync', logger: silent, snapshotEvery: false })
} else {
  engine = await Engine.open({ durability: 'memory', logger: silent, snapshotEvery: false })
  const q = engine.queue('bench')
  const items = Array.from({ length: 10_000 }, (_, i) => ({ data: { id: i, to: 'user@example.com', body: BODY } }))
  for (let done = 0; done < n; done += items.length) await q.addBulk(items)
}
const ms = performance.now() - t0
globalThis.gc()
await new Promise((r) => setTimeout(r, 50))
globalThis.gc()
const rss = process.memoryUsage().rss
const waiting = engine.queue('bench').stats().counts.waiting
process.send({ rss, base, waiting, ms, heap: process.memoryUsage().heapUsed })
await engine.close()
