// A process whose handler kills it, synchronously, whenever it picks up the job whose data is 'poison':
// no await, no later turn, nothing of the engine runs after the handler is called. Other jobs complete.
// Once its queue is drained it closes the engine cleanly and exits 0.
//
//   node child.mjs <absolute path to packages/engine/dist/index.js> <dir> <durability>
import { pathToFileURL } from 'node:url'

const [enginePath, dir, durability] = process.argv.slice(2)
const { Engine } = await import(pathToFileURL(enginePath).href)
const silent = { info() {}, warn() {}, error() {} }
// Safety net: a child that neither crashes nor drains must not outlive the test.
setTimeout(() => process.exit(3), 20_000).unref()

const engine = await Engine.open({ dir, durability, logger: silent })
const q = engine.queue('q')
const drained = new Promise((resolve) => q.on('drained', resolve))
q.process((job) => {
  if (job.data === 'poison') process.kill(process.pid, 'SIGKILL')
  return 'ok'
})
if (q.stats().counts.waiting > 0) await drained
await engine.close()
