// Minimal reproductions of what the kill -9 loop found in the engine's replay.
// Each test copies the data directory while the engine is still running — the
// image a kill -9 would leave, since everything acknowledged in `sync` mode is
// on disk — and opens the copy, so no close() snapshot hides the log's content.
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'

const silent = { info() {}, warn() {}, error() {}, debug() {} }
const cleanup: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const f of cleanup.splice(0)) await f()
})

async function openEngine(dir: string): Promise<Engine> {
  const engine = await Engine.open({ dir, durability: 'sync', logger: silent, snapshotEvery: false, closeTimeoutMs: 50 })
  cleanup.push(() => engine.close().catch(() => undefined))
  return engine
}

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wq-replay-'))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** What a kill -9 right now would leave behind, opened by a new engine. */
async function reopenCrashImage(dir: string): Promise<Engine> {
  const image = `${dir}-image`
  await cp(dir, image, { recursive: true })
  cleanup.push(() => rm(image, { recursive: true, force: true }))
  return openEngine(image)
}

describe('replay after kill -9 (found by the kill -9 loop)', () => {
  it('a delayed job that ran and completed is still completed after a crash', async () => {
    const dir = await freshDir()
    const engine = await openEngine(dir)
    const q = engine.queue('q')
    q.process(async () => 'ok')
    const job = await q.add({ n: 1 }, { delay: 5 })
    await expect(job.finished()).resolves.toBe('ok')

    const after = await reopenCrashImage(dir)
    expect(after.getJob(job.id)?.info()).toMatchObject({ state: 'completed', attempts: 1 })
  })

  it('a job retried after a backoff delay and then completed is still completed after a crash', async () => {
    const dir = await freshDir()
    const engine = await openEngine(dir)
    const q = engine.queue('q', { attempts: 3, backoff: { type: 'fixed', delay: 5 } })
    let runs = 0
    q.process(async () => {
      if (++runs === 1) throw new Error('first run fails')
      return 'ok'
    })
    const job = await q.add({ n: 1 })
    await expect(job.finished()).resolves.toBe('ok')

    const after = await reopenCrashImage(dir)
    expect(after.getJob(job.id)?.info()).toMatchObject({ state: 'completed', attempts: 2 })
  })

  it('a job that died after a backoff retry is still dead after a crash', async () => {
    const dir = await freshDir()
    const engine = await openEngine(dir)
    const q = engine.queue('q', { attempts: 2, backoff: { type: 'fixed', delay: 5 } })
    q.process(async () => {
      throw new Error('always fails')
    })
    const job = await q.add({ n: 1 })
    await expect(job.finished()).rejects.toThrow()

    const after = await reopenCrashImage(dir)
    expect(after.getJob(job.id)?.info()).toMatchObject({ state: 'dead', attempts: 2 })
  })
})

describe('recovery after kill -9 (found by the kill -9 loop)', () => {
  it('never leaves two pending jobs with one unique key (a running job goes back while a newer one with its key waits)', async () => {
    const dir = await freshDir()
    const engine = await openEngine(dir)
    const q = engine.queue('u')
    let started!: () => void
    const running = new Promise<void>((resolve) => (started = resolve))
    q.process(async (_job, { signal }) => {
      started()
      // Runs until the engine shuts down: the "crash" happens while it runs.
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
    })
    const first = await q.add({ n: 1 }, { key: 'k' })
    await running
    // The first job is running, so it is not pending: a second add with the key makes a new job.
    const second = await q.add({ n: 2 }, { key: 'k' })
    expect(second.id).not.toBe(first.id)

    const after = await reopenCrashImage(dir)
    const pending = after
      .queue('u')
      .jobs({ limit: 100 })
      .filter((j) => j.key === 'k' && (j.state === 'waiting' || j.state === 'delayed'))
    expect(pending.map((j) => j.id), 'jobs pending with key k').toHaveLength(1)
  })
})
