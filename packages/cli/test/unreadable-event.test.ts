/**
 * A record whose checksum is good but that the engine cannot apply (not what this engine writes): the engine's
 * open, `wq inspect` and `wq jobs` say which pipeline, LSN and event type; `wq verify` lists it as a problem.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Engine, EventUnreadableError } from '@wq/engine'
import { Wal } from '@wq/wal'
import { cp } from 'node:fs/promises'
import { cleanup, expectOneLineError, tempDir, wq } from './helpers.js'

let root: string

/** Varint, as the engine writes its fields. */
function uint(v: number): number[] {
  const out: number[] = []
  while (v >= 0x80) { out.push((v % 128) | 0x80); v = Math.floor(v / 128) }
  out.push(v)
  return out
}

beforeAll(async () => {
  root = await tempDir()
  const wal = await Wal.open({ dir: join(root, 'default'), durability: 'sync' })
  const t = uint(Date.now())
  await wal.append(Uint8Array.from([...t, 1, 1, 0x71]), 1) // intern 1 = "q"
  await wal.append(Uint8Array.from([...t, 1, 0, 1, 0xff]), 2) // queue config for q, cut off inside a number
  await wal.append(Uint8Array.from([...t]), 23) // open
  await wal.close()
})
afterAll(() => cleanup(root))

it('the engine refuses to open it, naming the pipeline, the LSN and the event type', async () => {
  const quiet = { info() {}, warn() {}, error() {}, debug() {} }
  const err = await Engine.open({ dir: root, logger: quiet }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(EventUnreadableError)
  expect((err as EventUnreadableError).message).toBe('pipeline "default": the record at LSN 2 (queue-config) cannot be applied: read past end of event')
  expect((err as EventUnreadableError).lsn).toBe(2)
})

it('wq verify lists it (exit 1); wq inspect and wq jobs list report it as a corrupt log (exit 4)', async () => {
  const [verify, json, inspect, list] = await Promise.all([
    wq(['verify', root, '--no-color']),
    wq(['verify', root, '--json']),
    wq(['inspect', root, '--no-color']),
    wq(['jobs', root, 'list']),
  ])
  expect(verify.code).toBe(1)
  expect(verify.stdout).toMatch(/^✗ default .*: 1 problem$/m)
  expect(verify.stdout).toMatch(/^\s+event\s+\S+\.wal at LSN 2: pipeline "default": the record at LSN 2 \(queue-config\) cannot be applied/m)
  expect(verify.stdout).toContain('`wq dump <dir> --from <LSN>` shows it')
  expect(JSON.parse(json.stdout).pipelines[0].problems).toMatchObject([{ kind: 'event', lsn: 2 }])
  expect(inspect.code).toBe(4)
  expect(inspect.stdout).toContain('unreadable: corrupt log: pipeline "default": the record at LSN 2 (queue-config) cannot be applied')
  expect(list.code).toBe(4)
  expect(expectOneLineError(list)).toBe('wq: corrupt log: pipeline "default": the record at LSN 2 (queue-config) cannot be applied: read past end of event')
})

it('wq repair --cut-at-lsn cuts the log before it (kept aside); the engine then opens and the log verifies clean', async () => {
  const dir = await tempDir()
  try {
    await cp(root, dir, { recursive: true })
    const [outside, dry] = await Promise.all([
      wq(['repair', dir, '--cut-at-lsn', '9']),
      wq(['repair', dir, '--cut-at-lsn', '2', '--dry-run', '--no-color']),
    ])
    expect(outside.code).toBe(2)
    expect(expectOneLineError(outside)).toBe("wq: --cut-at-lsn: LSN 9 is not in pipeline default's log (LSN 1 … 3)")
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('Pipeline default: cut before LSN 2')
    expect(dry.stdout).toContain('dry run, nothing changed')
    expect((await wq(['verify', dir])).code).toBe(1)

    const r = await wq(['repair', dir, '--cut-at-lsn', '2', '--yes', '--no-color'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/✓ default: repaired; log now ends at LSN 1 \(2 records cut off\)/)
    expect(r.stdout).toMatch(/kept aside: \S+\.corrupt-\d+/)
    expect((await wq(['verify', dir])).code).toBe(0)
    const quiet = { info() {}, warn() {}, error() {}, debug() {} }
    const engine = await Engine.open({ dir, logger: quiet })
    await engine.queue('q').add('works')
    await engine.close()
  } finally {
    await cleanup(dir)
  }
})
