/**
 * What a crashed directory holds, as the engine's own recovery sees it. The
 * recovery runs on a copy, so the original stays exactly as the SIGKILL left
 * it and the next child recovers it itself (which is where kills during
 * recovery land).
 */
import { cp, rm } from 'node:fs/promises'
import { Engine, type JobInfo } from '@wq/engine'
import type { ObservedJob } from './ledger.js'
import { Q } from './workload.mjs'

const silent = { info() {}, warn() {}, error() {}, debug() {} }
const PAGE = 10_000

export interface Observation {
  jobs: ObservedJob[]
}

export async function observeDirectory(dir: string): Promise<Observation> {
  const copy = `${dir}-observed`
  await rm(copy, { recursive: true, force: true })
  await cp(dir, copy, { recursive: true })
  try {
    const engine = await Engine.open({ dir: copy, durability: 'os', logger: silent, snapshotEvery: false })
    try {
      const jobs: ObservedJob[] = []
      for (const name of Object.values(Q)) for (const info of allJobs(engine, name)) jobs.push(toObserved(info))
      return { jobs }
    } finally {
      await engine.close()
    }
  } finally {
    await rm(copy, { recursive: true, force: true })
  }
}

function* allJobs(engine: Engine, queue: string): Generator<JobInfo> {
  const q = engine.queue(queue)
  let after: string | undefined
  for (;;) {
    const page = q.jobs({ limit: PAGE, after })
    yield* page
    if (page.length < PAGE) return
    after = page[page.length - 1].id
  }
}

function toObserved(info: JobInfo): ObservedJob {
  return { id: info.id, queue: info.queue, state: info.state, attempts: info.attempts, key: info.key, data: info.data }
}
