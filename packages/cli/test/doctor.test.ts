import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, expectOneLineError, tempDir, wq } from './helpers.js'

// Short measurements: the test checks what doctor reports, not how fast the disk is.
const QUICK = ['--seconds', '0.2', '--size', '2']

describe('wq doctor', () => {
  let dir: string
  beforeAll(async () => {
    dir = await tempDir()
  })
  afterAll(() => cleanup(dir))

  it('measures fdatasync and sequential writes and advises a mode per throughput', async () => {
    const r = await wq(['doctor', dir, ...QUICK])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/fdatasync\s+[\d,.]+\/s · p50 [\d.]+ ms · p99 [\d.]+ ms/)
    expect(r.stdout).toMatch(/sequential\s+[\d.]+ MB\/s/)
    for (const mode of ['sync', 'sync-enqueue', 'interval', 'os', 'buffered', 'memory']) expect(r.stdout).toMatch(new RegExp(`^  ${mode}\\s`, 'm'))
    expect(r.stdout).toMatch(/≈[\d.kM]+ jobs\/s one add at a time/)
    // The scratch file is gone.
    expect(await readdir(dir)).toEqual([])
  })

  it('--json carries the measurements and the advice', async () => {
    const r = await wq(['doctor', dir, ...QUICK, '--json'])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.fdatasync.samples).toBeGreaterThan(0)
    expect(json.fdatasync.perSecond).toBeGreaterThan(0)
    expect(json.fdatasync.p99Ms).toBeGreaterThanOrEqual(json.fdatasync.p50Ms)
    expect(json.sequentialWrite.bytes).toBe(2 * 1048576)
    expect(json.advice.modes.map((m: { mode: string }) => m.mode)).toEqual(['sync', 'sync-enqueue', 'interval', 'os', 'buffered', 'memory'])
    expect(typeof json.filesystem.type).toBe('string')
  })

  it('a missing directory is exit 2', async () => {
    const r = await wq(['doctor', join(dir, 'missing'), ...QUICK])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('no such directory')
  })
})
