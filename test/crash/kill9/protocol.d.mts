/** Messages the kill -9 child reports to its parent, one JSON line each. */
export type ChildReport =
  /** The engine is open (recovery done) and load is about to start. */
  | { t: 'ready'; pid: number }
  /** Every job right after the engine opened (recovered), as [id, queue, state, attempts, key, data]. */
  | { t: 'state'; jobs: [string, string, string, number, string | null, unknown][] }
  /** `add` resolved with job `id` (for a unique key, possibly an existing job). */
  | { t: 'add'; id: string; q: string; g?: string; s?: number; key?: string }
  /** A handler started (not an acknowledgement: the start event is flushed lazily). */
  | { t: 'start'; id: string; q: string; attempt: number; g?: string; s?: number }
  /** A handler finished its work and is about to return (`ok`) or throw. */
  | { t: 'end'; id: string; ok: boolean }
  /** `job.finished()` resolved: the engine acknowledged the completion. */
  | { t: 'done'; id: string }
  /** `job.finished()` rejected: the engine acknowledged the job as dead. */
  | { t: 'dead'; id: string }
  /** `job.moveTo(to)` resolved. */
  | { t: 'move'; id: string; to: string }
  /** Something the child did not expect: the parent fails the run. */
  | { t: 'error'; message: string }

export declare const REPORT_FD: 3
/** Child side: write one report synchronously (it survives a SIGKILL right after). */
export declare function report(message: ChildReport): void
/** Parent side: parse reports from the child's fd 3; a torn last line is dropped. */
export declare function readReports(stream: NodeJS.ReadableStream, onMessage: (message: ChildReport) => void): Promise<void>
