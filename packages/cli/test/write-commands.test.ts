/**
 * Commands that change a directory (snapshot, compact, jobs retry/remove):
 * they work through the engine, and refuse with exit 3 and the holder's PID
 * while a live engine holds the lock. Also: reading a corrupt engine log.
 */
import { cp, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cleanup, expectOneLineError, flipBit, segmentFiles, tempDir, wq } from './helpers.js'
import { openEngine, writeFixture, writeSegmentedLog, type Fixture } from './fixtures.js'

let template: string
let fx: Fixture
let root: string

beforeAll(async () => {
  template = await tempDir()
  fx = await writeFixture(template)
})
afterAll(() => cleanup(template))

beforeEach(async () => {
  root = await tempDir()
  await cp(template, root, { recursive: true })
})
afterEach(() => cleanup(root))

async function jobState(id: string): Promise<string | undefined> {
  const r = await wq(['jobs', root, 'show', id, '--json'])
  return r.code === 0 ? JSON.parse(r.stdout).job.state : undefined
}

describe('wq jobs retry / remove', () => {
  it('retry ID puts a dead job back to waiting', async () => {
    const r = await wq(['jobs', root, 'retry', fx.dead[0]])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`job ${fx.dead[0]}`)
    expect(await jobState(fx.dead[0])).toBe('waiting')
    expect(await jobState(fx.dead[1])).toBe('dead')
  })

  it('retry --all-dead retries every dead job of the queue', async () => {
    const r = await wq(['jobs', root, 'retry', '--all-dead', '--queue', 'mail', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).retried).toEqual([{ pipeline: 'default', queue: 'mail', count: 2 }])
    for (const id of fx.dead) expect(await jobState(id)).toBe('waiting')
  })

  it('remove ID deletes the job', async () => {
    const r = await wq(['jobs', root, 'remove', fx.waiting[0]])
    expect(r.code, r.stderr).toBe(0)
    expect(await jobState(fx.waiting[0])).toBeUndefined()
    expect(await jobState(fx.waiting[1])).toBe('waiting')
  })

  it('an unknown job, a missing id or a job that is not dead is exit 2', async () => {
    const [unknown, missing, notDead] = await Promise.all([
      wq(['jobs', root, 'retry', '12345']),
      wq(['jobs', root, 'remove']),
      wq(['jobs', root, 'retry', fx.waiting[0]]),
    ])
    expect(notDead.code).toBe(2)
    expect(expectOneLineError(notDead)).toBe(`wq: job ${fx.waiting[0]} is waiting, only dead jobs can be retried`)
    expect(unknown.code).toBe(2)
    expect(expectOneLineError(unknown)).toContain('unknown job "12345"')
    expect(missing.code).toBe(2)
    expect(expectOneLineError(missing)).toContain('missing job id')
  })

  it('write commands refuse while an engine holds the lock (exit 3, PID named); reads still work', async () => {
    const engine = await openEngine(root)
    try {
      const writes = [
        ['jobs', root, 'retry', fx.dead[0]],
        ['jobs', root, 'remove', fx.waiting[0]],
        ['jobs', root, 'retry', '--all-dead'],
        ['snapshot', root],
        ['compact', root],
      ]
      const [read, ...results] = await Promise.all([wq(['jobs', root, 'show', fx.dead[0]]), ...writes.map((args) => wq(args))])
      results.forEach((r, i) => {
        expect(r.code, writes[i].join(' ')).toBe(3)
        expect(expectOneLineError(r), writes[i].join(' ')).toContain(`locked by a running engine (PID ${process.pid})`)
      })
      expect(read.code).toBe(0)
    } finally {
      await engine.close()
    }
  })
})

describe('wq snapshot / compact', () => {
  it('snapshot writes a snapshot covering the end of the log', async () => {
    const before = (await readdir(join(root, 'default'))).filter((n) => n.endsWith('.snap'))
    const r = await wq(['snapshot', root, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    const def = json.pipelines.find((p: { pipeline: string }) => p.pipeline === 'default')
    expect(def.snapshot.lsn).toBeGreaterThan(0)
    const after = (await readdir(join(root, 'default'))).filter((n) => n.endsWith('.snap'))
    expect(after.length).toBeGreaterThanOrEqual(before.length)
    const human = await wq(['snapshot', root])
    expect(human.stdout).toMatch(/✓ default: snapshot at LSN [\d,]+/)
  })

  it('compact keeps the state intact', async () => {
    const r = await wq(['compact', root, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.pipelines.map((p: { pipeline: string }) => p.pipeline)).toEqual(['billing', 'default'])
    expect(await jobState(fx.dead[0])).toBe('dead')
    expect(await jobState(fx.waiting[0])).toBe('waiting')
  })
})

describe('a corrupt engine log', () => {
  it('read commands exit 4 naming the file and offset; verify exits 1; repair cuts it and reads work again', async () => {
    const dir = await tempDir()
    try {
      await writeSegmentedLog(dir)
      const files = await segmentFiles(join(dir, 'default'))
      expect(files.length).toBeGreaterThan(2)
      await flipBit(files[1], 1000)
      const escaped = files[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      const [inspect, list, dump, verify] = await Promise.all([
        wq(['inspect', dir]),
        wq(['jobs', dir, 'list']),
        wq(['dump', dir]),
        wq(['verify', dir]),
      ])
      expect(inspect.code).toBe(4)
      expect(inspect.stdout).toMatch(new RegExp(`unreadable: corrupt log: ${escaped} at offset \\d+`))
      expect(list.code).toBe(4)
      expect(expectOneLineError(list)).toMatch(new RegExp(`^wq: corrupt log: ${escaped} at offset \\d+: `))
      // dump streams what comes before the damage, then stops with the same error.
      expect(dump.code).toBe(4)
      expect(dump.stdout).toMatch(/^#1 /)
      expect(dump.stderr).toContain('corrupt log:')
      expect(verify.code).toBe(1)

      const repair = await wq(['repair', dir, '--truncate-at-corruption', '--yes'])
      expect(repair.code).toBe(0)
      const after = await wq(['inspect', dir, '--json'])
      expect(after.code).toBe(0)
      const mail = JSON.parse(after.stdout).pipelines[0].state.queues.find((q: { name: string }) => q.name === 'mail')
      // What was before the damage is still there; what was after it is in the side files.
      expect(mail.counts.waiting).toBeGreaterThan(0)
      expect(mail.counts.waiting).toBeLessThan(200)
    } finally {
      await cleanup(dir)
    }
  })
})
