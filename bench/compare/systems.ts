/**
 * The systems compared and the durability each configuration promises.
 * Rows are paired for ratios by durability class, so wq is only ever compared
 * with a peer that loses the same jobs on the same kind of failure.
 */

/** What survives a failure once the system has acknowledged an add. */
export type DurabilityClass =
  /** fsynced before the acknowledgement: survives power loss */
  | 'fsync'
  /** written to the OS soon, fsynced periodically: survives a process crash, may lose the last moments on power loss */
  | 'periodic'
  /** held in process memory (or written without any fsync promise): lost with the process */
  | 'none'

export type Family = 'wq' | 'bullmq' | 'sqlite' | 'fastq'

export type WqDurability = 'sync' | 'sync-enqueue' | 'interval' | 'os' | 'buffered' | 'memory'
export type RedisPersistence = 'always' | 'everysec' | 'off'
export type SqliteSynchronous = 'FULL' | 'NORMAL'

export interface SystemConfig {
  /** stable id used by --only and in result files, e.g. `wq-sync` */
  id: string
  family: Family
  /** row label in RESULTS.md */
  label: string
  /** how the configuration persists, in a few words */
  durability: string
  durabilityClass: DurabilityClass
  wq?: WqDurability
  redis?: RedisPersistence
  sqlite?: SqliteSynchronous
}

export const SYSTEMS: readonly SystemConfig[] = [
  { id: 'wq-sync', family: 'wq', label: 'wq sync', durability: 'fsync before ack (group commit)', durabilityClass: 'fsync', wq: 'sync' },
  { id: 'wq-sync-enqueue', family: 'wq', label: 'wq sync-enqueue', durability: 'adds fsynced, completions lazy', durabilityClass: 'fsync', wq: 'sync-enqueue' },
  { id: 'wq-interval', family: 'wq', label: 'wq interval', durability: 'fsync on an interval', durabilityClass: 'periodic', wq: 'interval' },
  { id: 'wq-os', family: 'wq', label: 'wq os', durability: 'written to the OS, no fsync wait', durabilityClass: 'periodic', wq: 'os' },
  { id: 'wq-buffered', family: 'wq', label: 'wq buffered', durability: 'buffered in process', durabilityClass: 'none', wq: 'buffered' },
  { id: 'wq-memory', family: 'wq', label: 'wq memory', durability: 'no disk', durabilityClass: 'none', wq: 'memory' },
  { id: 'bullmq-always', family: 'bullmq', label: 'BullMQ + Redis', durability: 'appendfsync always', durabilityClass: 'fsync', redis: 'always' },
  { id: 'bullmq-everysec', family: 'bullmq', label: 'BullMQ + Redis', durability: 'appendfsync everysec', durabilityClass: 'periodic', redis: 'everysec' },
  { id: 'bullmq-off', family: 'bullmq', label: 'BullMQ + Redis', durability: 'no persistence', durabilityClass: 'none', redis: 'off' },
  { id: 'sqlite-full', family: 'sqlite', label: 'SQLite (plainjob)', durability: 'WAL, synchronous=FULL', durabilityClass: 'fsync', sqlite: 'FULL' },
  { id: 'sqlite-normal', family: 'sqlite', label: 'SQLite (plainjob)', durability: 'WAL, synchronous=NORMAL', durabilityClass: 'periodic', sqlite: 'NORMAL' },
  { id: 'fastq', family: 'fastq', label: 'fastq', durability: 'in memory (ceiling)', durabilityClass: 'none' },
  // Not peers, and never a ratio's divisor: floors under the fastq target (adapters/fastq-floor.ts). The first is
  // what any queue that copies its jobs' data pays, the second what any queue that also logs them pays.
  { id: 'fastq-codec', family: 'fastq', label: 'fastq + msgpack copy', durability: 'data packed, copied and unpacked, no log (floor)', durabilityClass: 'none' },
  { id: 'fastq-wal', family: 'fastq', label: 'fastq + wq WAL', durability: 'buffered WAL, no queue state (floor)', durabilityClass: 'none' },
]

/**
 * The peer row a wq row is divided by, for each peer family, or undefined when
 * that peer has no configuration at the wq row's durability. fastq is the
 * ceiling only for the two modes that keep jobs in process memory.
 */
export function peerFor(wq: SystemConfig, family: Exclude<Family, 'wq'>): SystemConfig | undefined {
  if (family === 'fastq') return wq.wq === 'buffered' || wq.wq === 'memory' ? SYSTEMS.find((s) => s.id === 'fastq') : undefined
  return SYSTEMS.find((s) => s.family === family && s.durabilityClass === wq.durabilityClass)
}

/** Select systems by `--only` names: a family (`wq`, `bullmq`, `sqlite`, `fastq`) or a configuration id (`wq-sync`). */
export function selectSystems(only: string[] | undefined): SystemConfig[] {
  if (!only || only.length === 0) return [...SYSTEMS]
  const unknown = only.filter((n) => n !== 'disk' && !SYSTEMS.some((s) => s.id === n || s.family === n))
  if (unknown.length > 0) {
    throw new Error(`--only: unknown name(s) ${unknown.join(', ')}; use disk or any of ${[...new Set(SYSTEMS.flatMap((s) => [s.family, s.id]))].join(', ')}`)
  }
  return SYSTEMS.filter((s) => only.includes(s.id) || only.includes(s.family))
}
