/** The human line of one event: `#LSN  time  type  queue  job N  key=value …`. */
import { c } from '../output/colour.js'
import { formatTime, formatValue } from '../output/format.js'
import type { DumpEvent } from './event.js'

const TYPE_COLOURS: Record<string, (s: string) => string> = {
  add: c.green,
  'add-bulk': c.green,
  'add-bulk-part': c.green,
  complete: c.blue,
  'run-complete': c.blue,
  'complete-next': c.blue,
  fail: c.yellow,
  remove: c.red,
  'remove-dead': c.red,
}

/** Fields shown in their own columns, or too long for a line (the stack: see --json). */
const NOT_AS_FIELDS = new Set(['lsn', 'type', 'time', 'jobId', 'queue', 'stack'])
const TYPE_WIDTH = 13

export function eventLineFormatter(lastLsn: number): (event: DumpEvent) => string {
  const lsnWidth = String(lastLsn).length + 1
  return (event) => {
    const fields = event as Record<string, unknown>
    const colour = event.type === 'fail' && fields.outcome === 'dead' ? c.red : (TYPE_COLOURS[event.type] ?? ((s: string) => s))
    const rest = Object.entries(fields)
      .filter(([key, value]) => !NOT_AS_FIELDS.has(key) && value !== undefined)
      .map(([key, value]) => `${c.dim(`${key}=`)}${formatValue(value instanceof Date ? value.toISOString() : value, 80)}`)
      .join(' ')
    const parts = [
      c.dim(`#${event.lsn}`.padEnd(lsnWidth)),
      event.time instanceof Date ? formatTime(event.time) : c.dim('-'.padEnd(23)),
      colour(event.type.padEnd(TYPE_WIDTH)),
    ]
    if (typeof fields.queue === 'string') parts.push(fields.queue)
    if (typeof fields.jobId === 'string') parts.push(c.cyan(`job ${fields.jobId}`))
    if (rest !== '') parts.push(rest)
    return parts.join('  ')
  }
}
