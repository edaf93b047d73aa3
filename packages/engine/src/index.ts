/**
 * @wq/engine — a durable in-process job queue engine backed by @wq/wal.
 * See README.md for the API and what each durability mode guarantees.
 */
export { Engine } from './engine.js'
export { PipelineHandle } from './pipeline-handle.js'
export { Queue, type JobHandler } from './queue.js'
export { Job } from './runtime/job-handle.js'
export { ActiveJob } from './runtime/active-job.js'
export type { EngineEvents, JobRef } from './runtime/engine-events.js'
export type { ScheduleInfo, ScheduleOptions } from './runtime/cron.js'
export type { RecoveryStats } from './runtime/open-pipeline.js'
export type { JobFilter } from './state/listing.js'
export type { JobInfo, JobState } from './state/job-info.js'
export {
  EngineError, JobDataError, QueueFullError, EngineClosedError, JobStateError, LeaseError, JobDeadError, JobRemovedError, JobTimeoutError,
  EventUnreadableError,
} from './errors.js'
export type * from './types.js'
