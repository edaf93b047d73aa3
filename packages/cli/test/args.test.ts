import { describe, expect, it } from 'vitest'
import { parsePosition } from '../src/args.js'
import { CliError } from '../src/errors.js'

describe('parsePosition (--from/--to/--until)', () => {
  const now = new Date(2026, 11, 1, 15, 30, 0)

  it('reads digits as an LSN', () => {
    expect(parsePosition('1200', '--to', now)).toEqual({ kind: 'lsn', lsn: 1200 })
    expect(parsePosition('1_000_000', '--to', now)).toEqual({ kind: 'lsn', lsn: 1_000_000 })
  })

  it('reads ISO times, local date-times, times of day and relative times', () => {
    expect(parsePosition('2026-12-01T14:05:00Z', '--to', now)).toEqual({ kind: 'time', time: new Date(Date.UTC(2026, 11, 1, 14, 5)) })
    expect(parsePosition('2026-12-01 14:05', '--to', now)).toEqual({ kind: 'time', time: new Date(2026, 11, 1, 14, 5) })
    expect(parsePosition('14:05', '--to', now)).toEqual({ kind: 'time', time: new Date(2026, 11, 1, 14, 5) })
    expect(parsePosition('10m ago', '--to', now)).toEqual({ kind: 'time', time: new Date(2026, 11, 1, 15, 20) })
  })

  it('rejects anything else with a usage error naming the option', () => {
    for (const bad of ['soon', '25:00', '14:5', '2026-13-45', '-5', '']) {
      let err: unknown
      try {
        parsePosition(bad, '--until', now)
      } catch (e) {
        err = e
      }
      expect(err, bad).toBeInstanceOf(CliError)
      expect((err as CliError).exitCode).toBe(2)
      expect((err as CliError).message).toContain('--until')
    }
  })
})
