// Smoke test of the side-by-side benchmark harness (`pnpm bench -- --quick`): every selected system runs
// every selected workload in its own child and reports a rate, a peer that cannot run here is skipped with
// a printed reason (a fresh CI machine has no redis-server), the disk probe reports its four figures, and
// --no-write leaves RESULTS.md alone.
// It checks that the harness works, not how fast anything is.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const scratch = mkdtempSync(path.join(os.tmpdir(), 'wq-bench-smoke-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const SYSTEMS = ['wq-memory', 'wq-os', 'wq-sync', 'fastq', 'fastq-codec', 'fastq-wal', 'sqlite-normal', 'bullmq-off']
const WORKLOADS = ['enqueue-one-100b', 'e2e-100b']

it('pnpm bench --quick runs each system on each workload, or says why a peer is skipped, probes the disk, and writes nothing', () => {
  const resultsBefore = readFileSync(path.join(root, 'bench/RESULTS.md'), 'utf8')
  const run = spawnSync(
    path.join(root, 'node_modules/.bin/tsx'),
    ['bench/compare/run.ts', '--quick', '--no-write', `--only=${[...SYSTEMS, 'disk'].join(',')}`, `--workloads=${WORKLOADS.join(',')}`, '--count=300', `--dir=${scratch}`],
    { cwd: root, encoding: 'utf8', timeout: 240_000 },
  )
  const output = `${run.stdout}\n${run.stderr}`
  expect(run.status, output).toBe(0)
  expect(output).not.toMatch(/FAILED/)
  const skipped = new Set([...output.matchAll(/SKIPPING (\w+) \(([^)]*)\): \S/g)].flatMap((m) => m[2].split(', ')))
  // wq, fastq and the two floors are always available; only the external peers may be skipped, and then with a reason.
  expect([...skipped].filter((id) => id.startsWith('wq-') || id.startsWith('fastq'))).toEqual([])
  const ran = new Map<string, number>()
  for (const m of output.matchAll(/\] (\S+)\s+run 1\/1 \([\d.]+ s\): ([\d,]+) jobs\/s/g)) {
    ran.set(m[1], (ran.get(m[1]) ?? 0) + 1)
    expect(Number(m[2].replaceAll(',', '')), `${m[1]} reported a rate`).toBeGreaterThan(0)
  }
  for (const id of SYSTEMS) {
    if (skipped.has(id)) continue
    expect(ran.get(id), `${id} ran every workload`).toBe(WORKLOADS.length)
  }
  const disk = output.match(/([\d,]+) fdatasync\/s in place, ([\d,]+) appending, ([\d,]+) MB\/s sequential, ([\d,]+) MB\/s rewriting cached pages/)
  expect(disk, output).not.toBeNull()
  for (const figure of disk!.slice(1)) expect(Number(figure.replaceAll(',', ''))).toBeGreaterThan(0)
  expect(output).toMatch(/### End to end: enqueue 300 one by one/)
  // The enqueue table times each add to its acknowledgement: real figures for wq, not dashes.
  const enqueueTable = output.split('### ').find((s) => s.startsWith('Enqueue 300 jobs one by one'))
  expect(enqueueTable, output).toMatch(/\| add→ack p50 \/ p99 ms \|/)
  expect(enqueueTable).toMatch(/\| wq memory \| [^|]+ \| [^|]+ \| [\d.]+ \/ [\d.]+ \|/)
  expect(readFileSync(path.join(root, 'bench/RESULTS.md'), 'utf8')).toBe(resultsBefore)
}, 300_000)
