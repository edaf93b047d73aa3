/**
 * Turns disk measurements into advice: for each durability mode, what it
 * survives, what an acknowledgement waits for, and roughly how many jobs per
 * second this disk lets it carry. Estimates, stated as such: the CPU cost of
 * the engine itself is measured by bench/, not here.
 */
import type { FilesystemInfo, FsyncMeasurement, SequentialMeasurement } from './measure.js'

export interface ModeAdvice {
  mode: 'sync' | 'sync-enqueue' | 'interval' | 'os' | 'buffered' | 'memory'
  survives: string
  waitsFor: string
  /** Jobs/s the disk allows in this mode, or null when the disk is not what limits it. */
  diskLimitJobsPerSecond: number | null
  fits: string
}

export interface Advice {
  /** Assumed log bytes per job (add + start + complete records). */
  jobBytes: number
  /** Concurrency assumed for the group-commit figure. */
  concurrency: number
  modes: ModeAdvice[]
  notes: string[]
}

const FAST_FSYNC_MS = 0.05
const SLOW_FSYNC_PER_SECOND = 300

/**
 * In `sync` mode one fdatasync acknowledges every append that arrived while
 * the previous one ran (group commit), so C concurrent producers get up to C
 * jobs per fdatasync until the disk's bandwidth is the limit.
 */
export function adviseModes(
  fsync: FsyncMeasurement,
  sequential: SequentialMeasurement,
  fs: FilesystemInfo,
  opts: { jobBytes: number; concurrency: number },
): Advice {
  const bandwidthJobs = (sequential.mbPerSecond * 1e6) / opts.jobBytes
  const oneAtATime = fsync.perSecond
  const grouped = Math.min(fsync.perSecond * opts.concurrency, bandwidthJobs)
  const modes: ModeAdvice[] = [
    {
      mode: 'sync',
      survives: 'power loss',
      waitsFor: 'fdatasync (group commit)',
      diskLimitJobsPerSecond: grouped,
      fits: `≈${round(oneAtATime)} jobs/s one add at a time; ≈${round(grouped)} with ${opts.concurrency} concurrent adds`,
    },
    {
      mode: 'sync-enqueue',
      survives: 'power loss (adds)',
      waitsFor: 'fdatasync on add',
      diskLimitJobsPerSecond: grouped,
      fits: 'adds as in sync; completions do not wait (a lost one re-runs the job)',
    },
    {
      mode: 'interval',
      survives: 'crash; power cut loses ≤200 ms',
      waitsFor: 'write()',
      diskLimitJobsPerSecond: bandwidthJobs,
      fits: `disk allows ≈${round(bandwidthJobs)} jobs/s: the CPU is the limit`,
    },
    {
      mode: 'os',
      survives: 'process crash',
      waitsFor: 'write()',
      diskLimitJobsPerSecond: bandwidthJobs,
      fits: `disk allows ≈${round(bandwidthJobs)} jobs/s: the CPU is the limit`,
    },
    {
      mode: 'buffered',
      survives: 'crash loses ≤50 ms',
      waitsFor: 'memory',
      diskLimitJobsPerSecond: bandwidthJobs,
      fits: 'fastest; for work you can redo',
    },
    { mode: 'memory', survives: 'nothing', waitsFor: '-', diskLimitJobsPerSecond: null, fits: 'tests and throwaway work' },
  ]

  const notes: string[] = []
  if (fs.volatile) {
    notes.push(
      `This directory is on ${fs.type} (RAM): nothing here survives a reboot, whatever the mode, and fdatasync costs next to ` +
        'nothing, so these figures say nothing about a real disk. Run doctor on the directory the data will live in.',
    )
  } else {
    notes.push(
      `Up to ≈${round(oneAtATime)} jobs/s added one at a time, or ≈${round(grouped)} with ${opts.concurrency} concurrent producers, ` +
        '`sync` keeps every acknowledged job through a power cut.',
    )
  }
  if (!fs.volatile && fsync.p50Ms < FAST_FSYNC_MS) {
    notes.push(
      `fdatasync returns in ${(fsync.p50Ms * 1000).toFixed(0)} µs: the disk (or a virtual disk) acknowledges from a cache; ` +
        'unless that cache is battery/capacitor backed, `sync` here may not survive a power cut.',
    )
  }
  if (fsync.perSecond < SLOW_FSYNC_PER_SECOND) {
    notes.push(
      `fdatasync is slow here (p50 ${fsync.p50Ms.toFixed(1)} ms): add with concurrency, use \`sync-enqueue\`, ` +
        'or `interval` if losing 200 ms of work on a power cut is acceptable.',
    )
  }
  if (fsync.p99Ms > fsync.p50Ms * 10 && fsync.p99Ms > 5) {
    notes.push(`fdatasync latency varies a lot (p99 ${fsync.p99Ms.toFixed(1)} ms vs p50 ${fsync.p50Ms.toFixed(2)} ms): expect tail latency in sync mode.`)
  }
  notes.push('Above the disk figures the engine is CPU-bound; see bench/RESULTS.md for measured end-to-end rates per mode.')
  return { jobBytes: opts.jobBytes, concurrency: opts.concurrency, modes, notes }
}

function round(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`
  if (n >= 10_000) return `${Math.round(n / 1000)}k`
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`
  return String(Math.round(n))
}
