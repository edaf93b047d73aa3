/** Errors thrown by @wq/engine. Each has a stable string `code`. */
export class EngineError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

/** Job data (or a result) that msgpack cannot carry, or that is over the size limit. Nothing was written. */
export class JobDataError extends EngineError {
  constructor(message: string) {
    super('JOB_DATA', message)
  }
}

/** `add` on a queue at `maxPending` with `onFull: 'reject'`. */
export class QueueFullError extends EngineError {
  constructor(readonly queue: string, readonly maxPending: number) {
    super('QUEUE_FULL', `queue "${queue}" is full (maxPending ${maxPending})`)
  }
}

/** The engine (or pipeline) is closing or closed. */
export class EngineClosedError extends EngineError {
  constructor(message = 'engine is closed') {
    super('ENGINE_CLOSED', message)
  }
}

/** An operation that does not apply to the job's current state (e.g. removing a running job). */
export class JobStateError extends EngineError {
  constructor(message: string) {
    super('JOB_STATE', message)
  }
}

/** A lease that is unknown, already settled, or expired. */
export class LeaseError extends EngineError {
  constructor(message: string) {
    super('LEASE', message)
  }
}

/** A job that ran out of attempts; `finished()` rejects with it. */
export class JobDeadError extends EngineError {
  constructor(readonly jobId: string, message: string, readonly lastError?: { message: string; stack?: string }) {
    super('JOB_DEAD', message)
  }
}

/** The job was removed before it finished. */
export class JobRemovedError extends EngineError {
  constructor(readonly jobId: string) {
    super('JOB_REMOVED', `job ${jobId} was removed`)
  }
}

/** A handler ran past its `timeout`. */
export class JobTimeoutError extends EngineError {
  constructor(ms: number) {
    super('JOB_TIMEOUT', `job timed out after ${ms} ms`)
  }
}

/**
 * A record read back from a pipeline's log that the engine cannot apply (its checksum is good, so the WAL does not
 * see it): the log is not what this engine writes. Code `EVENT_UNREADABLE`; names the pipeline, LSN and event type.
 */
export class EventUnreadableError extends EngineError {
  constructor(readonly pipeline: string, readonly lsn: number, readonly eventType: string, readonly reason: string) {
    super('EVENT_UNREADABLE', `pipeline "${pipeline}": the record at LSN ${lsn} (${eventType}) cannot be applied: ${reason}`)
  }
}
