/**
 * WAL record types of engine events. The record type byte of the WAL is the
 * event type, so the payload carries only the event's fields (starting with
 * its time, then the job or queue it concerns). Numbers are stable: they are
 * on disk.
 */
export const EV_INTERN = 1
export const EV_QUEUE_CONFIG = 2
export const EV_ADD = 3
export const EV_ADD_BULK = 4
export const EV_START = 5
export const EV_COMPLETE = 6
/** Start and completion of one run in one record (both happened before the flush). */
export const EV_RUN_COMPLETE = 7
export const EV_FAIL = 8
/** Completion of a job plus the add of its next stage: atomic. */
export const EV_COMPLETE_NEXT = 9
export const EV_MOVE = 10
export const EV_RETRY = 11
export const EV_REMOVE = 12
export const EV_RETRY_DEAD = 13
export const EV_REMOVE_DEAD = 14
export const EV_PROGRESS = 15
export const EV_REPLACE = 16
export const EV_PAUSE = 17
export const EV_RESUME = 18
/**
 * Schedules as logged before their names were per queue (one namespace per pipeline). Read, never written:
 * replaying one keeps its old meaning, so a schedule replaces any schedule of its name in whichever queue,
 * and an unschedule or a fire names the pipeline's one schedule of that name. See EV_QUEUE_SCHEDULE.
 */
export const EV_SCHEDULE = 19
export const EV_UNSCHEDULE = 20
export const EV_CRON_FIRE = 21
/**
 * A clean close: workers drained, nothing left running. It changes no state;
 * recovery reads it to tell a clean stop from a crash (see careful starts in
 * open-pipeline.ts). Its one field after the time is the job id through which
 * starts must still be logged before their handlers run (0: none).
 */
export const EV_CLOSE = 22
/**
 * A process opened the log to run it. Written (to the OS) before any handler
 * can run, so a process that crashes before logging anything else still
 * leaves a log that does not end with a clean close. No state; no fields.
 */
export const EV_OPEN = 23
/**
 * A schedule is named within its queue: `mail` and `reports` may each have a `daily`. Same fields as
 * EV_SCHEDULE (time, name, queue, pattern, time zone, next run, template); new numbers so a reader that
 * knows only pipeline-wide names refuses these records instead of folding two schedules into one.
 */
export const EV_QUEUE_SCHEDULE = 24
/** Fields: time, name, queue. */
export const EV_QUEUE_UNSCHEDULE = 25
/** Fields: time, name, queue, next run, id of the run's job. */
export const EV_QUEUE_CRON_FIRE = 26
/**
 * A part of a bulk too large for one record, with more parts to follow: same fields as EV_ADD_BULK. The parts
 * and the EV_ADD_BULK that ends them are consecutive records, and are applied together when that last one is:
 * a bulk cut short (a failed write, a crash) adds none of its jobs.
 */
export const EV_ADD_BULK_PART = 27

export const EVENT_NAMES: Record<number, string> = {
  [EV_INTERN]: 'intern',
  [EV_QUEUE_CONFIG]: 'queue-config',
  [EV_ADD]: 'add',
  [EV_ADD_BULK]: 'add-bulk',
  [EV_START]: 'start',
  [EV_COMPLETE]: 'complete',
  [EV_RUN_COMPLETE]: 'run-complete',
  [EV_FAIL]: 'fail',
  [EV_COMPLETE_NEXT]: 'complete-next',
  [EV_MOVE]: 'move',
  [EV_RETRY]: 'retry',
  [EV_REMOVE]: 'remove',
  [EV_RETRY_DEAD]: 'retry-dead',
  [EV_REMOVE_DEAD]: 'remove-dead',
  [EV_PROGRESS]: 'progress',
  [EV_REPLACE]: 'replace',
  [EV_PAUSE]: 'pause',
  [EV_RESUME]: 'resume',
  [EV_SCHEDULE]: 'schedule',
  [EV_UNSCHEDULE]: 'unschedule',
  [EV_CRON_FIRE]: 'cron-fire',
  [EV_CLOSE]: 'close',
  [EV_OPEN]: 'open',
  [EV_QUEUE_SCHEDULE]: 'schedule',
  [EV_QUEUE_UNSCHEDULE]: 'unschedule',
  [EV_QUEUE_CRON_FIRE]: 'cron-fire',
  [EV_ADD_BULK_PART]: 'add-bulk-part',
}

/** Flags of an add body: which optional fields follow. */
export const AF_PRIORITY = 1
export const AF_RUN_AT = 2
export const AF_GROUP = 4
export const AF_KEY = 8
export const AF_TAGS = 16
export const AF_ATTEMPTS = 32
export const AF_BACKOFF = 64
export const AF_TIMEOUT = 128
