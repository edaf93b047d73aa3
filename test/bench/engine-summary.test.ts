// bench:engine reports each throughput row as the median of several runs and judges its target on that median.
import { expect, it } from 'vitest'
import { atLeast, atMost, below, parseEngineOptions, rateCell, status, summarize } from '../../bench/engine/summary.js'

it('a full run repeats each throughput row three times, a quick run once, and --runs sets it', () => {
  expect(parseEngineOptions([]).runs).toBe(3)
  expect(parseEngineOptions(['--quick']).runs).toBe(1)
  expect(parseEngineOptions(['--runs=5']).runs).toBe(5)
  expect(parseEngineOptions(['--runs', '2', '--quick']).runs).toBe(2)
})

it('--only takes its parts with or without "=", and refuses a part it does not know', () => {
  expect([...parseEngineOptions(['--only', 'e2e,bulk']).only!]).toEqual(['e2e', 'bulk'])
  expect([...parseEngineOptions(['--only=memory']).only!]).toEqual(['memory'])
  expect(parseEngineOptions([]).only).toBeNull()
  expect(() => parseEngineOptions(['--only=e2e,speed'])).toThrow(/--only takes e2e, bulk, recovery, memory; got "e2e,speed"/)
  expect(() => parseEngineOptions(['--only'])).toThrow(/got "\(nothing\)"/)
})

it('a bad --runs or an unknown flag is refused with the reason', () => {
  expect(() => parseEngineOptions(['--runs=0'])).toThrow(/--runs must be a whole number of at least 1, got "0"/)
  expect(() => parseEngineOptions(['--runs=two'])).toThrow(/got "two"/)
  expect(() => parseEngineOptions(['--fast'])).toThrow(/unknown option --fast/)
})

it('the row is the median of its runs with their range; one run shows no range', () => {
  const s = summarize([{ wall: 306_000, cpu: 250_000 }, { wall: 241_199, cpu: 211_515 }, { wall: 284_400, cpu: 230_000 }])
  expect(s).toEqual({ runs: 3, wall: 284_400, wallMin: 241_199, wallMax: 306_000, cpu: 230_000 })
  expect(rateCell(s)).toBe('284,400 jobs/s (241,199–306,000)')
  expect(rateCell(summarize([{ wall: 1234.4, cpu: 1000 }]))).toBe('1,234 jobs/s')
  expect(() => summarize([])).toThrow(/no runs/)
})

it('a target is judged on the figure reported: a slow run alone does not miss it, a slow median does', () => {
  const target = atLeast(250_000)
  expect(target.text).toBe('≥ 250,000')
  expect(status(target, summarize([{ wall: 241_199, cpu: 1 }, { wall: 284_000, cpu: 1 }, { wall: 306_000, cpu: 1 }]).wall)).toBe('met')
  expect(status(target, summarize([{ wall: 241_199, cpu: 1 }, { wall: 249_999, cpu: 1 }, { wall: 306_000, cpu: 1 }]).wall)).toBe('**missed**')
  expect(status(target, 250_000)).toBe('met')
  expect(status(undefined, 1)).toBe('')
})

it('time and size targets are upper bounds, strict or not as written', () => {
  expect(below(2_000, 'ms').text).toBe('< 2,000 ms')
  expect(status(below(2_000, 'ms'), 1_999)).toBe('met')
  expect(status(below(2_000, 'ms'), 2_000)).toBe('**missed**')
  expect(atMost(400, 'MB').text).toBe('≤ 400 MB')
  expect(status(atMost(400, 'MB'), 400)).toBe('met')
  expect(status(atMost(400, 'MB'), 401)).toBe('**missed**')
})

it('a quick run leaves bench/RESULTS.md alone unless told to write; a full run writes unless told not to', () => {
  expect(parseEngineOptions([]).write).toBe(true)
  expect(parseEngineOptions(['--no-write']).write).toBe(false)
  expect(parseEngineOptions(['--quick']).write).toBe(false)
  expect(parseEngineOptions(['--quick', '--write']).write).toBe(true)
})
