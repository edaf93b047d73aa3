// The kill -9 loop's child: opens the engine (built dist/) on the given
// directory, runs a mixed load, and reports every acknowledgement to the parent
// on fd 3 (see protocol.mjs) until the parent SIGKILLs it.
//
//   node child.mjs <absolute path to packages/engine/dist/index.js>
//   then one line of JSON config on stdin (see ChildConfig in warm-child.ts).
// The engine is imported before the config arrives, so the parent can start
// the next child while the current one runs (import is most of a child's start-up).
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { Rng } from '../prng.mjs'
import { report } from './protocol.mjs'
import { BUFFER_RECORDS, GROUPS, KEEP_COMPLETED, MANY_ATTEMPTS, PLAIN_ATTEMPTS, Q, UNIQUE_KEYS } from './workload.mjs'

const { Engine, JobDeadError } = await import(pathToFileURL(process.argv[2]).href)
const config = await readConfig()
const rng = new Rng(config.seed)
// Safety net, from the moment there is work: a child the parent forgot must not run forever.
setTimeout(() => process.exit(3), config.maxLifeMs ?? 30_000).unref()

async function readConfig() {
  for await (const line of createInterface({ input: process.stdin })) return JSON.parse(line)
  process.exit(0) // the parent closed stdin: this warm child is not needed
}


const silent = { level: 'silent', trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} }
silent.child = () => silent

function fail(error) {
  report({ t: 'error', message: String(error?.stack ?? error) })
  process.exit(2)
}
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

const engine = await Engine.open({
  dir: config.dir,
  durability: config.durability,
  logger: silent,
  // Small thresholds, so snapshots and compaction happen under load (and get killed midway).
  snapshotEvery: { events: rng.pick([300, 1000, 4000]) },
  wal: { segmentBytes: rng.pick([16 * 1024, 256 * 1024]), intervalMs: 5, bufferRecords: BUFFER_RECORDS },
})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const watched = new Set()

/** Report the engine's acknowledgement of this job's end (finished() settles only when durable per mode). */
function watch(id) {
  if (watched.has(id)) return
  watched.add(id)
  const job = engine.getJob(id)
  if (!job) return report({ t: 'error', message: `getJob(${id}) found nothing for a running job` })
  job.finished().then(
    () => report({ t: 'done', id }),
    (error) => {
      if (error instanceof JobDeadError) report({ t: 'dead', id })
      else report({ t: 'error', message: `finished() of ${id} rejected: ${error?.stack ?? error}` })
    },
  )
}

/** A handler that reports its start and end; `failRate` of runs throw (to exercise retries). */
function handler(queue, failRate, next) {
  return async (job) => {
    watch(job.id)
    const data = job.data ?? {}
    report({ t: 'start', id: job.id, q: queue, attempt: job.attempt, g: data.g, s: data.s })
    if (rng.chance(0.5)) await sleep(rng.int(4))
    const ok = !rng.chance(failRate)
    report({ t: 'end', id: job.id, ok })
    if (!ok) throw new Error('planned failure')
    return next ? { next: next(job) } : { n: data.n }
  }
}

// `noDelays` isolates other failures while delayed jobs misbehave (pnpm crash --no-delays).
const noDelays = config.noDelays === true
const queueOptions = (attempts, extra = {}) => ({
  attempts,
  backoff: { type: 'fixed', delay: noDelays ? 0 : 2 },
  keepCompleted: KEEP_COMPLETED,
  ...extra,
})

// The recovered state, before any option or handler can change it: the parent
// checks it against what earlier children acknowledged (this is the reopen after the crash).
const PAGE = 100_000
const recovered = []
for (const name of Object.values(Q)) {
  let after
  for (;;) {
    const page = engine.queue(name).jobs({ limit: PAGE, after })
    for (const j of page) recovered.push([j.id, j.queue, j.state, j.attempts, j.key ?? null, j.data])
    if (page.length < PAGE) break
    after = page[page.length - 1].id
  }
}
report({ t: 'state', jobs: recovered })

const plain = engine.queue(Q.plain, queueOptions(PLAIN_ATTEMPTS, { concurrency: 4 }))
const grouped = engine.queue(Q.grouped, queueOptions(MANY_ATTEMPTS, { concurrency: 4 }))
const unique = engine.queue(Q.unique, queueOptions(MANY_ATTEMPTS, { concurrency: 1 }))
const delayed = engine.queue(Q.delayed, queueOptions(MANY_ATTEMPTS, { concurrency: 2 }))
const stage1 = engine.queue(Q.stage1, queueOptions(MANY_ATTEMPTS, { concurrency: 2 }))
const stage2 = engine.queue(Q.stage2, queueOptions(MANY_ATTEMPTS, { concurrency: 2 }))
const parking = engine.queue(Q.parking, queueOptions(MANY_ATTEMPTS))
const moved = engine.queue(Q.moved, queueOptions(MANY_ATTEMPTS, { concurrency: 2 }))

plain.process(handler(Q.plain, 0.3))
grouped.process(handler(Q.grouped, 0.1))
unique.process(async (job) => {
  // Slow on purpose: duplicates must meet a pending job with the same key.
  await sleep(5 + rng.int(10))
  return handler(Q.unique, 0)(job)
})
delayed.process(handler(Q.delayed, 0.1))
stage1.process(handler(Q.stage1, 0.1, (job) => ({ queue: Q.stage2, data: { from: job.id } })))
stage2.process(handler(Q.stage2, 0))
moved.process(handler(Q.moved, 0))

report({ t: 'ready', pid: process.pid })

let counter = 0
// Group sequence numbers continue after the highest one that survived (an add that
// was issued but never made durable leaves its number free again).
const groupNext = new Map()
for (const [, queue, , , , data] of recovered) {
  if (queue === Q.grouped && typeof data?.s === 'number' && (groupNext.get(data.g) ?? 0) <= data.s) groupNext.set(data.g, data.s + 1)
}
const groupTail = new Map()
const parked = []

async function addPlain() {
  const opts = { priority: rng.int(3) }
  if (rng.chance(0.1) && !noDelays) opts.delay = rng.int(30)
  const job = await plain.add({ n: counter++ }, opts)
  report({ t: 'add', id: job.id, q: Q.plain })
}

/** Adds to one group are chained so their order is the order the parent was told. */
function addGrouped() {
  const g = rng.pick(GROUPS)
  const s = groupNext.get(g) ?? 0
  groupNext.set(g, s + 1)
  const tail = (groupTail.get(g) ?? Promise.resolve()).then(async () => {
    const job = await grouped.add({ g, s }, { group: g })
    report({ t: 'add', id: job.id, q: Q.grouped, g, s })
  })
  groupTail.set(g, tail)
  return tail
}

async function addUnique() {
  const key = rng.pick(UNIQUE_KEYS)
  const job = await unique.add({ n: counter++ }, { key, onDuplicate: rng.chance(0.5) ? 'keep' : 'replace' })
  report({ t: 'add', id: job.id, q: Q.unique, key })
}

async function addDelayed() {
  const job = await delayed.add({ n: counter++ }, noDelays ? {} : { delay: 1 + rng.int(150) })
  report({ t: 'add', id: job.id, q: Q.delayed })
}

async function addStage() {
  const job = await stage1.add({ n: counter++ })
  report({ t: 'add', id: job.id, q: Q.stage1 })
}

async function park() {
  const job = await parking.add({ n: counter++ })
  report({ t: 'add', id: job.id, q: Q.parking })
  parked.push(job)
}

async function move() {
  const job = parked.shift()
  if (!job) return park()
  await job.moveTo(Q.moved)
  report({ t: 'move', id: job.id, to: Q.moved })
}

const operations = [
  [0.3, addPlain],
  [0.15, addGrouped],
  [0.15, addUnique],
  [0.1, addDelayed],
  [0.1, addStage],
  [0.1, park],
  [0.1, move],
]

function pickOperation() {
  let x = rng.float()
  for (const [weight, op] of operations) {
    if ((x -= weight) < 0) return op
  }
  return addPlain
}

// Closed loop with a bounded number of operations in flight, until killed.
const inFlight = config.inFlight ?? 8
async function lane() {
  for (;;) await pickOperation()()
}
for (let i = 0; i < inFlight; i++) lane().catch(fail)
