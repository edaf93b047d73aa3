/** Snapshot file layout constants (the file is this engine's own binary format). */
export const SNAPSHOT_MAGIC = 0x31535157 // 'WQS1' little-endian
/** v2: job data in one section at the end (copied out in one piece at load, so the file buffer can go). v3: no per-job seq. */
export const SNAPSHOT_VERSION = 3

/** Per-job flags in a snapshot. */
export const SF_RUN_AT = 1
export const SF_GROUP = 2
export const SF_EXTRA = 4
export const SF_HELD = 8
export const SF_STARTED = 16
