/**
 * Parsing of command-line values: positions in the log (an LSN or a time),
 * counts and job states. Every parser throws a usage CliError naming the bad
 * value and what would have been accepted.
 */
import { usageError } from './errors.js'
import { formatTime } from './output/format.js'

/** A point in the log, given by the user as an LSN or as a time. */
export type LogPosition = { kind: 'lsn'; lsn: number } | { kind: 'time'; time: Date }

const LSN_PATTERN = /^#?\d[\d_]*$/
const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/
const RELATIVE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s+ago$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

const POSITION_HELP =
  'expected an LSN (e.g. 1200) or a time: 2026-12-01T14:05:00Z, "2026-12-01 14:05", 14:05 (today, local) or "10m ago"'

/**
 * Parses `--from/--to/--until` values: digits are an LSN, anything else must
 * be a time. `now` is injectable for tests of relative and time-of-day forms.
 */
export function parsePosition(value: string, option: string, now = new Date()): LogPosition {
  const text = value.trim()
  if (LSN_PATTERN.test(text)) {
    const lsn = Number(text.replace(/[#_]/g, ''))
    if (!Number.isSafeInteger(lsn) || lsn < 0) throw usageError(`${option}: LSN out of range: ${value}`)
    return { kind: 'lsn', lsn }
  }
  const time = parseTime(text, now)
  if (!time) throw usageError(`${option}: not an LSN or a time: "${value}"`, POSITION_HELP)
  return { kind: 'time', time }
}

function parseTime(text: string, now: Date): Date | null {
  const relative = RELATIVE.exec(text)
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]])
  const clock = TIME_OF_DAY.exec(text)
  if (clock) {
    const [h, m, s, ms] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0), Number((clock[4] ?? '0').padEnd(3, '0'))]
    if (h > 23 || m > 59 || s > 59) return null
    const date = new Date(now)
    date.setHours(h, m, s, ms)
    return date
  }
  if (DATE_TIME.test(text)) {
    // V8 reads "YYYY-MM-DD HH:MM" as local time and a bare date as UTC midnight;
    // make a bare date local midnight too, since everything else here is local.
    const normalised = text.length === 10 ? `${text}T00:00:00` : text.replace(' ', 'T')
    const date = new Date(normalised)
    if (Number.isNaN(date.getTime())) return null
    return date
  }
  return null
}

/** Parses a positive integer option such as --limit. */
export function parsePositiveInt(value: string, option: string): number {
  const n = Number(value.replace(/_/g, ''))
  if (!/^\d[\d_]*$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw usageError(`${option}: expected a positive whole number, got "${value}"`)
  }
  return n
}

/** Parses a positive number (fractions allowed) such as --interval 0.5. */
export function parsePositiveNumber(value: string, option: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw usageError(`${option}: expected a positive number, got "${value}"`)
  return n
}

export const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'dead'] as const
export type JobStateName = (typeof JOB_STATES)[number]

/** Parses --state. */
export function parseJobState(value: string): JobStateName {
  const state = value.trim().toLowerCase()
  if ((JOB_STATES as readonly string[]).includes(state)) return state as JobStateName
  throw usageError(`--state: unknown state "${value}"`, `one of: ${JOB_STATES.join(', ')}`)
}

/** Whether a record at (lsn, time) lies at or before a position. */
export function isAtOrBefore(position: LogPosition, lsn: number, time: Date | undefined): boolean {
  if (position.kind === 'lsn') return lsn <= position.lsn
  return time === undefined || time.getTime() <= position.time.getTime()
}

/** Whether a record at (lsn, time) lies at or after a position. */
export function isAtOrAfter(position: LogPosition, lsn: number, time: Date | undefined): boolean {
  if (position.kind === 'lsn') return lsn >= position.lsn
  return time === undefined || time.getTime() >= position.time.getTime()
}

/** Human description of a position, for messages. */
export function describePosition(position: LogPosition): string {
  return position.kind === 'lsn' ? `LSN ${position.lsn}` : formatTime(position.time)
}
