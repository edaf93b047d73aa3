/** Everything one `pnpm bench` run gathered, as the report reads it. */
import type { BacklogResult, DiskResult, WorkloadResult } from './measurement.js'
import type { Options } from './options.js'
import type { SystemConfig } from './systems.js'
import type { Workload } from './workloads.js'

export interface RunResult extends WorkloadResult {
  /** peak RSS of the server process (Redis), MiB */
  serverRssMb?: number
}

export interface BacklogPhaseResult extends BacklogResult {
  /** bytes in the data directory after the phase */
  diskBytes?: number
  /** RSS of the server process (Redis), MiB */
  serverRssMb?: number
  /** Redis only: ms from spawn until ready, i.e. AOF load */
  serverStartupMs?: number
}

export interface BacklogRow {
  system: SystemConfig
  fill?: BacklogPhaseResult
  restart?: BacklogPhaseResult
  restartSnapshot?: BacklogPhaseResult
  notes: string[]
}

export interface Collected {
  options: Options
  machine: string
  startedAt: Date
  finishedAt?: Date
  versions: Record<string, string>
  systems: SystemConfig[]
  /** a peer (family or id) that could not run, and why */
  skipped: { name: string; reason: string }[]
  failures: { what: string; system: string; error: string }[]
  disk?: DiskResult
  workloads: Workload[]
  results: Map<string, Map<string, RunResult[]>>
  backlog: BacklogRow[]
}
