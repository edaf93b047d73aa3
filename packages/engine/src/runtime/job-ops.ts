/**
 * Operations a person (or code) performs on jobs and queues: retry, remove,
 * move, bulk retry/remove of dead jobs, pause and resume. Each is one logged
 * record, applied when durable. A waiting job targeted by one is locked so it
 * is not started before the operation applies (live order = log order).
 */
import { encodeValue } from '../codec/data.js'
import { checkName } from './check-options.js'
import { EV_MOVE, EV_PAUSE, EV_REMOVE, EV_REMOVE_DEAD, EV_RESUME, EV_RETRY, EV_RETRY_DEAD } from '../codec/event-types.js'
import { JobStateError } from '../errors.js'
import { ACTIVE, COMPLETED, DEAD, STATE_NAMES } from '../state/job.js'
import { publicJobId } from '../state/job-info.js'
import { APPLY } from './committer.js'
import type { Pipeline } from './pipeline.js'

function submitLocked(p: Pipeline, type: number, payload: Uint8Array, jobId: number): Promise<void> {
  p.lock(jobId)
  return new Promise((resolve, reject) => {
    try {
      p.committer.submit(type, payload, APPLY, {
        committed: () => { p.unlock(jobId); resolve() },
        failed: (err) => { p.unlock(jobId); reject(err) },
      }, true)
    } catch (err) {
      p.unlock(jobId)
      reject(err)
    }
  })
}

function submit(p: Pipeline, type: number, payload: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    p.committer.submit(type, payload, APPLY, { committed: resolve, failed: reject }, true)
  })
}

function known(p: Pipeline, id: number) {
  const job = p.state.jobs.get(id)
  if (job === undefined) throw new JobStateError(`job ${publicJobId(p.name, id)} is not known`)
  return job
}

export async function retryJob(p: Pipeline, id: number): Promise<void> {
  p.checkOpen()
  const job = known(p, id)
  if (job.state !== DEAD) throw new JobStateError(`job ${publicJobId(p.name, id)} is ${STATE_NAMES[job.state]}, only dead jobs can be retried`)
  await submitLocked(p, EV_RETRY, p.ew.jobOnly(p.now(), id), id)
}

export async function removeJob(p: Pipeline, id: number): Promise<void> {
  p.checkOpen()
  const job = known(p, id)
  if (job.state === ACTIVE) throw new JobStateError(`job ${publicJobId(p.name, id)} is running; it can be removed once it settles`)
  await submitLocked(p, EV_REMOVE, p.ew.jobOnly(p.now(), id), id)
}

export async function moveJobTo(p: Pipeline, id: number, queue: string, opts: { data?: unknown }): Promise<void> {
  p.checkOpen()
  checkName('queue name', queue)
  const job = known(p, id)
  if (job.state === ACTIVE || job.state === COMPLETED) {
    throw new JobStateError(`job ${publicJobId(p.name, id)} is ${STATE_NAMES[job.state]}; a handler moves its job by returning { next }`)
  }
  const data = 'data' in opts ? encodeValue(opts.data, p.settings.maxDataBytes) : undefined
  const q = p.queueState(queue)
  await submitLocked(p, EV_MOVE, p.ew.move(p.now(), id, q.id, data), id)
}

export async function retryDead(p: Pipeline, queue: string): Promise<number> {
  p.checkOpen()
  const q = p.state.queuesByName.get(queue)
  if (q === undefined || q.dead.size === 0) return 0
  const n = q.dead.size
  await submit(p, EV_RETRY_DEAD, p.ew.queueOnly(p.now(), q.id))
  return n
}

export async function removeDead(p: Pipeline, queue: string): Promise<number> {
  p.checkOpen()
  const q = p.state.queuesByName.get(queue)
  if (q === undefined || q.dead.size === 0) return 0
  const n = q.dead.size
  await submit(p, EV_REMOVE_DEAD, p.ew.queueOnly(p.now(), q.id))
  return n
}

export async function setPaused(p: Pipeline, queue: string, paused: boolean): Promise<void> {
  p.checkOpen()
  const q = p.queueState(queue)
  await submit(p, paused ? EV_PAUSE : EV_RESUME, p.ew.queueOnly(p.now(), q.id))
}
