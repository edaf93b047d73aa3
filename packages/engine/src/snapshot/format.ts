/** Snapshot file layout constants (the file is this engine's own binary format). */
export const SNAPSHOT_MAGIC = 0x31535157 // 'WQS1' little-endian
/**
 * v2: job data in one section at the end (copied out in one piece at load, so the file buffer can go). v3: no
 * per-job seq. v4: schedule names are per queue, so two queues' schedules may share a name; the layout is v3's.
 */
export const SNAPSHOT_VERSION = 4
/** Versions this code reads: a v3 snapshot is read as v4 (its names are unique in the pipeline, so also per queue). */
export const SNAPSHOT_VERSIONS_READ: readonly number[] = [3, 4]

/** Per-job flags in a snapshot. */
export const SF_RUN_AT = 1
export const SF_GROUP = 2
export const SF_EXTRA = 4
export const SF_HELD = 8
export const SF_STARTED = 16
