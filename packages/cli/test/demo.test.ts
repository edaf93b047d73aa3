import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, expectOneLineError, tempDir, wq } from './helpers.js'

describe('wq demo', () => {
  let dir: string
  beforeAll(async () => {
    dir = await tempDir()
  })
  afterAll(() => cleanup(dir))

  it('kills the child engine mid-run, recovers, and loses nothing (no terminal)', async () => {
    const data = join(dir, 'demo')
    const r = await wq(['demo', data, '--jobs', '2000', '--work-ms', '4'], { timeoutMs: 50_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/1\. A child process opens an engine/)
    expect(r.stdout).toMatch(/✓ 2,000 jobs enqueued and fsynced/)
    expect(r.stdout).toMatch(/2\. kill -9 the child \(PID \d+\) as it reports [\d,]+ of 2,000 jobs done/)
    expect(r.stdout).toMatch(/4\. Reopen the directory here: recovered in/)
    expect(r.stdout).toContain('✓ nothing was lost: 2,000 added, 2,000 completed, 0 waiting, 0 running, 0 dead')
    // No progress bar escapes without a terminal.
    expect(r.stdout + r.stderr).not.toContain('\u001b[')
    // The directory given is kept, for `wq inspect`.
    expect((await readdir(data)).length).toBeGreaterThan(0)
    const inspect = await wq(['inspect', data, '--json'])
    const demoQueue = JSON.parse(inspect.stdout).pipelines[0].state.queues.find((q: { name: string }) => q.name === 'demo')
    expect(demoQueue.totals).toMatchObject({ added: 2000, completed: 2000 })
  })

  it('--json reports the run: killed mid-way, every job completed', async () => {
    const r = await wq(['demo', '--jobs', '1000', '--work-ms', '4', '--kill-at', '0.3', '--json'], { timeoutMs: 50_000 })
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout)
    expect(summary.ok).toBe(true)
    expect(summary.lost).toBe(0)
    expect(summary.processedBeforeKill).toBeGreaterThanOrEqual(300)
    expect(summary.processedBeforeKill).toBeLessThan(1000)
    expect(summary.atKill.completed).toBeLessThan(1000)
    expect(summary.final).toMatchObject({ added: 1000, completed: 1000, waiting: 0, active: 0, dead: 0 })
    expect(summary.kept).toBe(false)
  })

  it('refuses a directory that is not empty', async () => {
    const full = join(dir, 'full')
    await mkdir(full)
    await writeFile(join(full, 'x'), 'x')
    const r = await wq(['demo', full])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('not empty')
  })
})
