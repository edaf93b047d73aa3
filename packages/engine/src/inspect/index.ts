/**
 * @wq/engine/inspect — read-only views of an engine data directory for the
 * CLI: the engine's own fold over snapshot + WAL tail, without a lock.
 */
export { HistoryCompactedError, listPipelines, openView, type PipelineView, type QueueSummary, type ScheduleSummary, type OpenViewOptions } from './view.js'
export { describeEvent, type DescribedEvent } from './describe.js'
export { EVENT_NAMES } from '../codec/event-types.js'
export { EventNames, openEventNames } from './event-names.js'
export type { JobInfo, JobState } from '../state/job-info.js'
