import { expect, it } from 'vitest'
import { QueueMetrics } from '../src/runtime/metrics.js'

it('throughput counts every completion by its logged second, also one stamped before a newer second was counted', () => {
  const m = new QueueMetrics()
  const t = 1_700_000_000_000
  m.completed(t + 100)
  m.completed(t + 1_010)
  // A completion logged at t + 999 is applied after the one of t + 1,010 (or after a stats() call at the next second):
  // it must neither be lost nor wipe the newer second's count.
  m.completed(t + 999)
  m.completed(t + 1_100)
  expect(m.throughput(t + 1_200)).toBeCloseTo(4 / 10)
  // Ten seconds on, all of them have left the window.
  expect(m.throughput(t + 11_500)).toBe(0)
})
