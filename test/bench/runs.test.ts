// The end-to-end workloads decide the targets, so a full run measures them more often than the rest
// (a steadier median on a machine whose speed drifts). These tests pin which workload gets how many runs.
import { expect, it } from 'vitest'
import { parseOptions } from '../../bench/compare/options.js'
import { runsOf, workloads } from '../../bench/compare/workloads.js'

const list = workloads({ quick: false, count: 1000, steadyRates: [1000], steadySeconds: 1 })
const byKind = (kind: string) => list.find((w) => w.kind === kind)!

it('a full run measures the end-to-end workloads five times, the others three, steady state once', () => {
  const o = parseOptions([])
  expect(runsOf(byKind('e2e'), o)).toBe(5)
  expect(runsOf(byKind('enqueue-one'), o)).toBe(3)
  expect(runsOf(byKind('process'), o)).toBe(3)
  expect(runsOf(byKind('steady'), o)).toBe(1)
})

it('--runs alone sets the end-to-end runs too; --target-runs sets them on its own, in either order', () => {
  expect(runsOf(byKind('e2e'), parseOptions(['--runs=2']))).toBe(2)
  const both = parseOptions(['--target-runs=7', '--runs=2'])
  expect(runsOf(byKind('e2e'), both)).toBe(7)
  expect(runsOf(byKind('enqueue-one'), both)).toBe(2)
  expect(runsOf(byKind('e2e'), parseOptions(['--runs=2', '--target-runs=4']))).toBe(4)
})

it('a quick run measures everything once', () => {
  const o = parseOptions(['--quick'])
  expect(runsOf(byKind('e2e'), o)).toBe(1)
  expect(runsOf(byKind('enqueue-one'), o)).toBe(1)
})

it('--target-runs must be a positive number', () => {
  expect(() => parseOptions(['--target-runs=0'])).toThrow(/--target-runs must be a positive number/)
})
