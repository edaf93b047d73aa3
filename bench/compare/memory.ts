import { readFileSync } from 'node:fs'

const MiB = 2 ** 20

/** Peak resident set size of this process in MiB (VmHWM on Linux; current RSS elsewhere). */
export function peakRssMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    if (match) return Number(match[1]) / 1024
  } catch {
    // not Linux: fall through
  }
  return process.memoryUsage().rss / MiB
}

/** Current RSS in MiB, after a full GC when the process runs with --expose-gc. */
export function settledRssMb(): number {
  globalThis.gc?.()
  return process.memoryUsage().rss / MiB
}

/** Resident set size of another process in MiB (Linux), current and peak; undefined when unreadable. */
export function processRssMb(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)
    const peak = /VmHWM:\s+(\d+) kB/.exec(status)
    if (!rss || !peak) return undefined
    return { rss: Number(rss[1]) / 1024, peak: Number(peak[1]) / 1024 }
  } catch {
    return undefined
  }
}
