/**
 * The demo's child engine: enqueues the batch, processes it and reports
 * progress to the parent, which kills it with SIGKILL mid-run. Started with
 * child_process.fork by `wq demo`; not meant to be run by hand.
 */
import { Engine } from '@wq/engine'
import { DEMO_ATTEMPTS, DEMO_QUEUE, parseChildArgv, simulatedWork, type ChildMessage } from './protocol.js'

const BULK = 1000
const REPORT_MS = 40

function send(message: ChildMessage): void {
  process.send?.(message)
}

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => quiet, level: 'silent' }

// Never outlive the parent (Ctrl-C, a crash before it could kill us): the engine here is meant to die abruptly anyway.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))

async function run(): Promise<void> {
  const args = parseChildArgv(process.argv.slice(2))
  const engine = await Engine.open({ dir: args.root, durability: 'sync', logger: quiet as never })
  const queue = engine.queue(DEMO_QUEUE, { concurrency: args.concurrency, attempts: DEMO_ATTEMPTS })
  const started = performance.now()
  for (let first = 0; first < args.jobs; first += BULK) {
    const batch = []
    for (let n = first; n < Math.min(args.jobs, first + BULK); n++) batch.push({ data: { n } })
    await queue.addBulk(batch)
  }
  send({ type: 'enqueued', count: args.jobs, ms: performance.now() - started })

  let processed = 0
  setInterval(() => send({ type: 'progress', processed }), REPORT_MS)
  queue.process(async (job) => {
    await simulatedWork(args.workMs)
    processed++
    return { n: (job.data as { n: number }).n }
  })
}

run().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  process.exitCode = 1
  setTimeout(() => process.exit(1), 100)
})
