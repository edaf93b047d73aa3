// A job whose handler kills the process at once — before the start record, which rides with the next flush,
// is ever written — must still run out of attempts instead of crashing every process that picks it up.
// Each child below opens the log, picks the job up and dies by SIGKILL inside the handler; between two
// children this process opens the log itself and closes it cleanly, as an operator looking at it would.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Engine, type DurabilityMode } from '@wq/engine'

const ENGINE = fileURLToPath(new URL('../../packages/engine/dist/index.js', import.meta.url))
const CHILD = fileURLToPath(new URL('./poison/child.mjs', import.meta.url))
const silent = { info() {}, warn() {}, error() {} }
const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

function runChild(dir: string, durability: DurabilityMode): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ENGINE, dir, durability], { stdio: ['ignore', 'ignore', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

async function jobInfo(dir: string, durability: DurabilityMode, id: string) {
  const engine = await Engine.open({ dir, durability, logger: silent })
  const info = engine.getJob(id)!.info()!
  await engine.close()
  return info
}

describe.each(['sync', 'os', 'buffered'] as DurabilityMode[])('a job that kills the process as soon as its handler is called (%s)', (durability) => {
  it('runs out of attempts: the first crash is not counted, every later one is, and the jobs behind it then run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wq-poison-'))
    dirs.push(dir)
    const setup = await Engine.open({ dir, durability, logger: silent })
    const q = setup.queue('q', { attempts: 3 })
    const before = await q.add('before')
    const poison = await q.add('poison')
    const after = await q.add('after')
    await setup.close()

    const crashes: number[] = []
    for (let run = 1; run <= 8; run++) {
      const exit = await runChild(dir, durability)
      expect(exit.signal).toBe('SIGKILL')
      const info = await jobInfo(dir, durability, poison.id)
      crashes.push(info.attempts)
      if (info.state === 'dead') break
    }
    // Attempts seen after each crash: the first went uncounted (its start was never written).
    expect(crashes).toEqual([0, 1, 2, 3])
    const dead = await jobInfo(dir, durability, poison.id)
    expect(dead).toMatchObject({ state: 'dead', attempts: 3 })
    expect(dead.errors.map((e) => e.message)).toEqual(['worker lost', 'worker lost', 'worker lost'])

    // The job behind it is no longer stuck: the next process completes it, drains and closes cleanly.
    expect(await runChild(dir, durability)).toEqual({ code: 0, signal: null })
    expect((await jobInfo(dir, durability, before.id)).state).toBe('completed')
    expect((await jobInfo(dir, durability, after.id)).state).toBe('completed')
  })
})
