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
  const engine = await Engine.open({ dir, durability: 'sync', logger: silent, snapshotEvery: false })
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
