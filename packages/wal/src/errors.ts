/** Errors thrown by @wq/wal. Each carries a stable string `code` for programmatic handling. */

/** Base class of every error this package throws on purpose. */
export class WalError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** A frame, header or file failed its checks in a place where a torn write cannot explain it. */
export class WalCorruptionError extends WalError {
  /** Path of the damaged file. */
  readonly file: string
  /** Byte offset in `file` where the first bad frame (or header) starts. */
  readonly offset: number
  /** Human-readable description of the failed check. */
  readonly reason: string
  constructor(file: string, offset: number, reason: string) {
    super('WAL_CORRUPT', `WAL corruption in ${file} at offset ${offset}: ${reason}`)
    this.file = file
    this.offset = offset
    this.reason = reason
  }
}

/** Another writer (in this process or another) holds the log's lock. */
export class WalLockedError extends WalError {
  readonly dir: string
  /** PID of the process holding the lock, or null when it could not be read. */
  readonly pid: number | null
  constructor(dir: string, pid: number | null) {
    super('WAL_LOCKED', `WAL ${dir} is locked by ${pid === null ? 'another writer' : `process ${pid}`}`)
    this.dir = dir
    this.pid = pid
  }
}

/**
 * An fsync failed earlier. The kernel may have dropped the dirty pages, and a
 * retried fsync can report success falsely, so nothing more is acknowledged
 * until the log is closed and reopened (recovery then reads what really is on disk).
 */
export class WalPoisonedError extends WalError {
  constructor(cause: unknown) {
    super('WAL_POISONED', `WAL is poisoned by an earlier I/O failure (${describe(cause)}); reopen it`, { cause })
  }
}

/** The log was closed. */
export class WalClosedError extends WalError {
  constructor() {
    super('WAL_CLOSED', 'WAL is closed')
  }
}

/** A payload is larger than `maxRecordBytes`. */
export class RecordTooLargeError extends WalError {
  readonly size: number
  readonly max: number
  constructor(size: number, max: number) {
    super('WAL_RECORD_TOO_LARGE', `record of ${size} bytes exceeds the maximum of ${max}`)
    this.size = size
    this.max = max
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err) return String((err as { code: unknown }).code)
  return err instanceof Error ? err.message : String(err)
}
