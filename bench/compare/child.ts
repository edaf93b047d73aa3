/**
 * One measurement in a fresh process, so one system's heap, RSS and GC debt
 * never bleed into another's figure. The request arrives as JSON in argv[2];
 * the result goes back over the IPC channel.
 */
import { openSystem } from './adapters/open-system.js'
import { runBacklogPhase } from './backlog.js'
import { measureDisk } from './disk-limits.js'
import { runWorkload } from './drivers.js'
import type { ChildMessage, MeasurementRequest, MeasurementResult, WorkloadRequest } from './measurement.js'
import { peakRssMb } from './memory.js'
import { SYSTEMS } from './systems.js'

async function measureWorkload(req: WorkloadRequest): Promise<MeasurementResult> {
  const system = SYSTEMS.find((s) => s.id === req.systemId)
  if (!system) throw new Error(`unknown system ${req.systemId}`)
  const queue = await openSystem(system, { dir: req.dir, redisPort: req.redisPort })
  const timed = await runWorkload(queue, req.workload, req.maxSeconds)
  const rssMb = peakRssMb()
  await queue.close()
  return { type: 'workload', ...timed, rssMb }
}

async function measure(req: MeasurementRequest): Promise<MeasurementResult> {
  switch (req.type) {
    case 'workload':
      return measureWorkload(req)
    case 'disk':
      return measureDisk(req)
    case 'backlog':
      return runBacklogPhase(req)
  }
}

function reply(message: ChildMessage): void {
  // Exit explicitly: a peer library may keep a timer or socket alive after close.
  process.send!(message, () => process.exit(message.ok ? 0 : 1))
}

measure(JSON.parse(process.argv[2]) as MeasurementRequest).then(
  (result) => reply({ ok: true, result }),
  (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
)
