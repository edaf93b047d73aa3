/** Opens the BenchQueue for a system configuration. Imports lazily, so a child loads only the system it measures. */
import type { SystemConfig } from '../systems.js'
import type { BenchQueue, OpenContext } from './bench-queue.js'

export async function openSystem(system: SystemConfig, ctx: OpenContext): Promise<BenchQueue> {
  switch (system.family) {
    case 'wq':
      return (await import('./wq.js')).openWq(ctx, system.wq!)
    case 'bullmq':
      return (await import('./bullmq.js')).openBullmq(ctx)
    case 'sqlite':
      return (await import('./sqlite.js')).openSqlite(ctx, system.sqlite!)
    case 'fastq':
      if (system.id === 'fastq-codec' || system.id === 'fastq-wal') return (await import('./fastq-floor.js')).openFastqFloor(ctx, system.id === 'fastq-wal')
      return (await import('./fastq.js')).openFastq()
  }
}
