/** Human rendering of queue summaries and job lists, shared by inspect, replay, stats and jobs. */
import type { JobInfo, QueueSummary, ScheduleSummary } from '@wq/engine/inspect'
import { c } from './colour.js'
import { formatAgo, formatInt, formatTime, formatValue } from './format.js'
import { renderTable } from './table.js'

/** Per queue: counts by state now, and totals since the queue began. */
export function renderQueueTable(queues: QueueSummary[], indent = '  '): string {
  if (queues.length === 0) return `${indent}${c.dim('(no queues)')}`
  return renderTable(
    [
      { header: 'QUEUE' },
      { header: 'WAITING', align: 'right' },
      { header: 'DELAYED', align: 'right' },
      { header: 'ACTIVE', align: 'right' },
      { header: 'DEAD', align: 'right' },
      { header: 'ADDED', align: 'right' },
      { header: 'COMPLETED', align: 'right' },
      { header: 'FAILED', align: 'right' },
    ],
    queues.map((q) => [
      q.name + (q.paused ? ` ${c.yellow('(paused)')}` : ''),
      formatInt(q.counts.waiting),
      formatInt(q.counts.delayed),
      formatInt(q.counts.active),
      q.counts.dead > 0 ? c.red(formatInt(q.counts.dead)) : '0',
      formatInt(q.totals.added),
      formatInt(q.totals.completed),
      formatInt(q.totals.failed),
    ]),
    indent,
  )
}

/** Recurring jobs: queue, name, cron pattern (with its time zone), next run. */
export function renderScheduleTable(schedules: ScheduleSummary[], indent = '  '): string {
  return renderTable(
    [{ header: 'QUEUE' }, { header: 'SCHEDULE' }, { header: 'PATTERN' }, { header: 'NEXT RUN' }],
    schedules.map((s) => [s.queue, s.name, s.pattern + (s.timezone === undefined ? '' : c.dim(` (${s.timezone})`)), formatTime(s.nextRunAt)]),
    indent,
  )
}

export function colourState(state: string): string {
  switch (state) {
    case 'dead':
      return c.red(state)
    case 'active':
      return c.cyan(state)
    case 'completed':
      return c.green(state)
    case 'delayed':
      return c.yellow(state)
    default:
      return state
  }
}

/** One line per job: id, queue, state, attempts, age, tags, last error or data. */
export function renderJobTable(jobs: JobInfo[], indent = ''): string {
  const now = Date.now()
  return renderTable(
    [
      { header: 'ID' },
      { header: 'QUEUE' },
      { header: 'STATE' },
      { header: 'ATTEMPTS', align: 'right' },
      { header: 'CREATED' },
      { header: 'TAGS' },
      { header: 'LAST ERROR / DATA' },
    ],
    jobs.map((job) => {
      const lastError = job.errors.length > 0 ? job.errors[job.errors.length - 1] : undefined
      return [
        job.id,
        job.queue,
        colourState(job.state),
        `${job.attempts}/${job.maxAttempts}`,
        formatAgo(job.createdAt, now),
        job.tags.join(','),
        lastError ? c.red(formatValue(lastError.message, 50)) : c.dim(formatValue(job.data, 50)),
      ]
    }),
    indent,
  )
}
