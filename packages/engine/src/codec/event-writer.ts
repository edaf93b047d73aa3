/**
 * Encodes engine events straight from their fields into WAL payload bytes
 * (no intermediate event objects). Each method returns the payload view;
 * the record type is the matching EV_* constant.
 */
import { SlabWriter } from './bytes.js'
import { writeAddBody, writeAddFields, writeBackoff, type AddStrings } from './add-body.js'
import type { AddParams } from '../state/pipeline-state.js'
import type { StoredQueueConfig } from '../state/queue-state.js'

export class EventWriter {
  readonly w = new SlabWriter()

  intern(time: number, id: number, s: string): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(id); w.str(s)
    return w.end()
  }

  queueConfig(time: number, queueId: number, c: StoredQueueConfig): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(queueId)
    w.u8(c.serial ? 1 : 0); w.uint(c.groupConcurrency); w.uint(c.keepCompleted); w.uint(c.keepCompletedAgeMs); w.uint(c.attempts)
    if (c.backoff !== undefined) { w.u8(1); writeBackoff(w, c.backoff) } else w.u8(0)
    return w.end()
  }

  add(time: number, queueId: number, jobId: number, p: AddParams, ids: AddStrings | null, data: Uint8Array): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(queueId)
    writeAddBody(w, jobId, p, ids, data)
    return w.end()
  }

  /**
   * An add whose data bytes are not copied in: the payload ends with their
   * length, and the log appends the bytes themselves as the record's tail.
   */
  addHead(time: number, queueId: number, jobId: number, p: AddParams, ids: AddStrings | null, dataLength: number): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(queueId)
    writeAddFields(w, jobId, p, ids)
    w.uint(dataLength)
    return w.end()
  }

  /** Bulk add: call `bulkBegin`, then `bulkItem` per job, then `end()`. Items run to the end of the payload. */
  bulkBegin(time: number, queueId: number): void {
    const w = this.w
    w.begin(); w.uint(time); w.uint(queueId)
  }

  bulkItem(jobId: number, p: AddParams, ids: AddStrings | null, data: Uint8Array): void {
    writeAddBody(this.w, jobId, p, ids, data)
  }

  end(): Uint8Array {
    return this.w.end()
  }

  start(time: number, jobId: number): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(jobId)
    return w.end()
  }

  complete(time: number, jobId: number, result: Uint8Array): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(jobId); w.bytes(result)
    return w.end()
  }

  runComplete(time: number, jobId: number, startedAt: number, result: Uint8Array): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(jobId); w.uint(startedAt); w.bytes(result)
    return w.end()
  }

  fail(time: number, jobId: number, outcome: number, retryAt: number, message: string, stack: string): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(jobId); w.u8(outcome); w.uint(retryAt); w.str(message); w.str(stack)
    return w.end()
  }

  /** `startedAt` > 0 when the job's start was not logged separately. */
  completeNext(
    time: number, jobId: number, startedAt: number, result: Uint8Array,
    queueId: number, nextId: number, p: AddParams, ids: AddStrings | null, data: Uint8Array,
  ): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(jobId); w.uint(startedAt); w.bytes(result); w.uint(queueId)
    writeAddBody(w, nextId, p, ids, data)
    return w.end()
  }

  move(time: number, jobId: number, queueId: number, data: Uint8Array | undefined): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(jobId); w.uint(queueId)
    if (data !== undefined) { w.u8(1); w.bytes(data) } else w.u8(0)
    return w.end()
  }

  /** retry, remove, and anything else that is just (time, id). */
  jobOnly(time: number, jobId: number): Uint8Array {
    return this.start(time, jobId)
  }

  /** pause, resume, retry-dead, remove-dead. */
  queueOnly(time: number, queueId: number): Uint8Array {
    return this.start(time, queueId)
  }

  jobBytes(time: number, jobId: number, bytes: Uint8Array): Uint8Array {
    return this.complete(time, jobId, bytes)
  }

  schedule(
    time: number, name: string, queueId: number, pattern: string, timezone: string, nextRunAt: number,
    p: AddParams, ids: AddStrings | null, data: Uint8Array,
  ): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.str(name); w.uint(queueId); w.str(pattern); w.str(timezone); w.uint(nextRunAt)
    writeAddBody(w, 0, p, ids, data)
    return w.end()
  }

  unschedule(time: number, name: string, queueId: number): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.str(name); w.uint(queueId)
    return w.end()
  }

  cronFire(time: number, name: string, queueId: number, nextRunAt: number, jobId: number): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.str(name); w.uint(queueId); w.uint(nextRunAt); w.uint(jobId)
    return w.end()
  }

  open(time: number): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time)
    return w.end()
  }

  close(time: number, carefulThrough: number): Uint8Array {
    const w = this.w
    w.begin(); w.uint(time); w.uint(carefulThrough)
    return w.end()
  }
}
