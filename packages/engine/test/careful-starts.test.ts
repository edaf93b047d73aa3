// Recovery tells a clean stop from a crash by the close record, and after a crash starts the jobs that existed
// then only once their start record is written (see carefulStartsThrough). These tests pin the bound; the
// child-process test test/crash/poison-pill.test.ts shows what it is for.
import { afterEach, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { cleanupDirs, crash, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

const open = (dir: string) => Engine.open({ dir, logger: recordingLogger() })
const recovery = (e: Engine) => e.recovery.get('default')!

it('a clean close leaves no careful starts; a crash makes every job that existed then start carefully', async () => {
  const dir = tempDir()
  const e1 = await open(dir)
  const q1 = e1.queue('q')
  await q1.add('a')
  const b = await q1.add('b')
  await e1.close()

  const e2 = await open(dir)
  expect(recovery(e2)).toMatchObject({ cleanStop: true, carefulThrough: 0 })
  await crash(e2)

  const e3 = await open(dir)
  expect(recovery(e3)).toMatchObject({ cleanStop: false, carefulThrough: b.numericId })
  // A job added after the restart did not exist at the crash: it takes the usual path.
  expect((await e3.queue('q').add('c')).numericId).toBeGreaterThan(b.numericId)
  await e3.close()
})

it('a clean close passes the bound on while a job under it is still waiting, and drops it once none is', async () => {
  const dir = tempDir()
  const e1 = await open(dir)
  const job = await e1.queue('q').add('x')
  await crash(e1)

  const e2 = await open(dir)
  expect(recovery(e2).carefulThrough).toBe(job.numericId)
  await e2.close() // 'x' is still waiting

  const e3 = await open(dir)
  expect(recovery(e3)).toMatchObject({ cleanStop: true, carefulThrough: job.numericId })
  const q3 = e3.queue('q')
  const ran: string[] = []
  q3.process(async (j) => { ran.push(j.data as string) })
  await e3.getJob(job.id)!.finished()
  expect(ran).toEqual(['x'])
  await e3.close()

  const e4 = await open(dir)
  expect(recovery(e4)).toMatchObject({ cleanStop: true, carefulThrough: 0 })
  await e4.close()
})

it('a careful start is written to the log before its handler runs, for every job of a burst; a usual start is not', async () => {
  const dir = tempDir()
  const e1 = await open(dir)
  const olds = await e1.queue('q').addBulk(Array.from({ length: 8 }, (_, i) => ({ data: `old-${i}` })))
  await crash(e1)

  const e2 = await open(dir)
  const p = (e2 as any).handles.get('default').pipeline
  const fresh = await e2.queue('q').add('fresh')
  const writtenAtStart = new Map<string, boolean>()
  // Concurrency 8: the eight old jobs start in one burst, so all eight share one wait for the write.
  e2.queue('q').process(async (j) => {
    writtenAtStart.set(j.data as string, j.startLsn > 0 && j.startLsn <= p.log.wal.writer.writtenLsn)
  }, { concurrency: 8 })
  for (const j of [...olds, fresh]) await e2.getJob(j.id)!.finished()
  expect(Object.fromEntries(writtenAtStart)).toEqual({
    ...Object.fromEntries(olds.map((_, i) => [`old-${i}`, true])),
    fresh: false,
  })
  await e2.close()
})

it('a job added after the restart does not call its handler before an older careful job started before it', async () => {
  const dir = tempDir()
  const e1 = await open(dir)
  const old = await e1.queue('q').add('old')
  await crash(e1)

  const e2 = await open(dir)
  const q = e2.queue('q')
  const fresh = await q.add('fresh')
  const called: string[] = []
  // Concurrency 2: both start in one burst, the old one first; its handler waits for its start's write.
  q.process(async (j) => { called.push(j.data as string) }, { concurrency: 2 })
  await Promise.all([e2.getJob(old.id)!.finished(), e2.getJob(fresh.id)!.finished()])
  expect(called).toEqual(['old', 'fresh'])
  await e2.close()
})
