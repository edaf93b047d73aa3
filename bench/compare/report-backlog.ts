/** The large-backlog table: memory with N waiting jobs, and start-up on them. */
import type { BacklogPhaseResult, Collected } from './collected.js'
import { table } from '../results-md.js'
import { int } from './stats.js'

function seconds(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)} s`
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '—' : `${int(bytes / 2 ** 20)} MiB`
}

function memory(fill: BacklogPhaseResult | undefined): [string, string] {
  if (!fill || fill.waiting <= 0) return ['—', '—']
  const count = fill.waiting
  const server = fill.serverRssMb ?? 0
  const held = fill.rssMb - fill.baselineRssMb + server
  const total = `${int(fill.rssMb)}${fill.serverRssMb !== undefined ? ` + ${int(server)} Redis` : ''}`
  return [total, int((held * 2 ** 20) / count)]
}

function startup(phase: BacklogPhaseResult | undefined): string {
  if (!phase) return '—'
  if (phase.serverStartupMs !== undefined) return `${seconds(phase.serverStartupMs / 1000)} Redis AOF load + ${seconds(phase.seconds)} client`
  return seconds(phase.seconds)
}

export function backlogTable(c: Collected): string[] {
  const count = c.options.backlogCount
  const rows = c.backlog.map((row) => {
    const [rss, perJob] = memory(row.fill)
    const fillRate = row.fill ? int(row.fill.waiting / row.fill.seconds) : '—'
    return [
      row.system.label,
      row.system.durability,
      fillRate,
      rss,
      perJob,
      mib(row.fill?.diskBytes),
      startup(row.restart),
      startup(row.restartSnapshot),
      seconds(row.restart?.closeSeconds),
      row.notes.join('; '),
    ]
  })
  return [
    `### ${int(count)} waiting jobs (100 B): memory and start-up`,
    [
      'One run, each phase in its own child process: fill (bulk adds, then RSS after a full GC), restart on what fill left, restart again after a clean close.',
      'wq fill exits without closing, so the first restart replays the whole WAL; its close writes a snapshot, which the second restart loads.',
      'SQLite "start-up" is opening the file and counting pending jobs; BullMQ\'s is Redis reloading its AOF, then the client connecting and counting.',
      '"bytes/job" is the RSS growth over the process before it opened the system (plus Redis RSS), divided by the job count.',
    ].join(' '),
    table(['System', 'Durability', 'fill jobs/s', 'RSS MiB with backlog', 'bytes/job', 'on disk', 'start-up (replay / open)', 'start-up (snapshot)', 'clean close', 'notes'], rows),
  ]
}
