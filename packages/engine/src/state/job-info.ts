/**
 * Read-only description of a job (the shape `engine.getJob(id).info()` and
 * the inspect views return). Built on demand from a JobRecord.
 */
import { decodeValue } from '../codec/data.js'
import { ACTIVE, COMPLETED, DEAD, DELAYED, STATE_NAMES, type JobRecord } from './job.js'

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead'

export interface JobInfo {
  id: string
  queue: string
  state: JobState
  data: unknown
  result?: unknown
  priority: number
  group?: string
  key?: string
  tags: string[]
  attempts: number
  maxAttempts: number
  errors: { message: string; stack?: string; at: Date }[]
  createdAt: Date
  runAt?: Date
  startedAt?: Date
  finishedAt?: Date
  progress?: unknown
  history: { state: string; at: Date; note?: string }[]
}

/** Public id of a job: `<n>` in the default pipeline, `<pipeline>:<n>` elsewhere. */
export function publicJobId(pipeline: string, id: number): string {
  return pipeline === 'default' ? String(id) : `${pipeline}:${id}`
}

/** Inverse of publicJobId; undefined when `id` is not a job id. */
export function parseJobId(id: string): { pipeline: string; id: number } | undefined {
  const colon = id.lastIndexOf(':')
  const pipeline = colon < 0 ? 'default' : id.slice(0, colon)
  const n = Number(colon < 0 ? id : id.slice(colon + 1))
  if (!Number.isSafeInteger(n) || n <= 0) return undefined
  return { pipeline, id: n }
}

function safeDecode(bytes: Uint8Array | undefined): unknown {
  try {
    return decodeValue(bytes)
  } catch (err) {
    return { undecodable: (err as Error).message }
  }
}

export function jobInfo(pipeline: string, job: JobRecord): JobInfo {
  const x = job.extra
  const state = STATE_NAMES[job.state] as JobState
  const info: JobInfo = {
    id: publicJobId(pipeline, job.id),
    queue: job.queue.name,
    state,
    data: safeDecode(job.bytes()),
    priority: job.priority,
    tags: x?.tags ? [...x.tags] : [],
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    errors: (x?.errors ?? []).map((e) => (e.stack === undefined ? { message: e.message, at: new Date(e.at) } : { message: e.message, stack: e.stack, at: new Date(e.at) })),
    createdAt: new Date(job.createdAt),
    history: [],
  }
  if (job.lane.group !== undefined) info.group = job.lane.group
  if (x?.key !== undefined) info.key = x.key
  if (job.state === DELAYED && job.runAt !== undefined) info.runAt = new Date(job.runAt)
  if (job.startedAt !== undefined) info.startedAt = new Date(job.startedAt)
  if (x?.finishedAt !== undefined && (job.state === COMPLETED || job.state === DEAD)) info.finishedAt = new Date(x.finishedAt)
  if (job.state === COMPLETED && x?.result !== undefined) info.result = safeDecode(x.result)
  if (x?.progress !== undefined) info.progress = safeDecode(x.progress)
  // History: creation, the notable transitions recorded on the job, then the current state.
  const h = info.history
  h.push({ state: 'added', at: info.createdAt })
  for (const t of x?.history ?? []) h.push(t.note === undefined ? { state: t.state, at: new Date(t.at) } : { state: t.state, at: new Date(t.at), note: t.note })
  if (job.state === ACTIVE && info.startedAt) h.push({ state: 'active', at: info.startedAt })
  if (job.state === COMPLETED) h.push({ state: 'completed', at: info.finishedAt ?? info.createdAt })
  return info
}
