// Fuzz the engine's snapshot loader: snapshot bodies that pass the WAL's
// checksum (written through Wal.writeSnapshot) but hold random or mutated
// bytes. Engine.open must end in a clean, deliberate error (or in a state it
// can serve) — never a stray TypeError/RangeError from deep in the decoder, a
// hang, or an allocation sized by a hostile count. The cases run in a child
// process with a small heap (built dist/), so a crash or a hang is caught and
// named instead of taking the test runner down.
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { Wal, WalReader } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { Rng, seedFromEnv } from '../crash/prng.mjs'
import { printSummary } from '../crash/summary.js'
import { filesOf, writeFiles } from './fuzz/image.js'

const SEED = seedFromEnv()
const CASES = Number(process.env.WQ_FUZZ_CASES ?? 1500) >> 1
const ROOT = '/data'
const WAL_DIR = `${ROOT}/default`
const silent = { info() {}, warn() {}, error() {}, debug() {} }
const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')
const CHILD = fileURLToPath(new URL('./fuzz/engine-snapshot-child.mjs', import.meta.url))
const HEAP_MB = 192
const HANG_MS = 10_000
const scratch: string[] = []
afterAll(async () => {
  for (const d of scratch) await rm(d, { recursive: true, force: true })
})

const openEngine = (fs: MemoryFs) =>
  Engine.open({ dir: ROOT, durability: 'sync', logger: silent, snapshotEvery: false, closeTimeoutMs: 50, wal: { fs } })

interface Template {
  segments: Map<string, Buffer>
  body: Buffer
  lsn: number
  jobs: number
}

/** An engine directory with jobs in every state, a snapshot of it, and its log. */
async function buildTemplate(): Promise<Template> {
  const fs = new MemoryFs()
  const engine = await openEngine(fs)
  const q = engine.queue('q', { attempts: 1 })
  const g = engine.queue('grouped')
  let fail = false
  q.process(async (job) => {
    if ((fail = !fail)) throw new Error(`no ${String((job.data as { n: number }).n)}`)
    return { ok: true }
  })
  const finished: Promise<unknown>[] = []
  for (let n = 0; n < 20; n++) {
    const job = await q.add({ n, tags: ['t'] }, { priority: n % 3, tags: [`tag${n % 2}`], key: n % 4 === 0 ? `k${n}` : undefined })
    finished.push(job.finished().catch(() => undefined))
  }
  await Promise.all(finished)
  for (let n = 0; n < 10; n++) await g.add({ n }, { group: `g${n % 2}`, delay: 60_000 })
  await engine.queue('parked').add({ big: 'x'.repeat(500) })
  await engine.snapshot()
  await engine.close()
  const snap = await (await WalReader.open(WAL_DIR, { fs })).latestSnapshot()
  const files = await filesOf(fs, WAL_DIR)
  const segments = new Map([...files].filter(([name]) => name.endsWith('.wal')))
  return { segments, body: Buffer.from(snap!.data), lsn: snap!.lsn, jobs: 31 }
}

/** A directory holding the template's log and `body` as its only snapshot, at `lsn`. */
async function imageWith(template: Template, body: Uint8Array, lsn = template.lsn): Promise<MemoryFs> {
  const fs = new MemoryFs()
  await writeFiles(fs, WAL_DIR, template.segments)
  const wal = await Wal.open({ dir: WAL_DIR, fs })
  await wal.writeSnapshot(lsn, body)
  await wal.close()
  return fs
}

/** A deliberate error: one of ours with a string code, or the snapshot decoder's own format error. */
function isClean(err: unknown): boolean {
  const e = err as { code?: unknown; name?: string }
  return (typeof e?.code === 'string' && e.code.length > 0) || (e as object)?.constructor?.name === 'SnapshotFormatError'
}

interface CaseOutcome {
  index: number
  how: string
  verdict: 'opened' | 'clean' | 'unclean' | 'crash' | 'hang'
  detail: string
}

/** Run cases [0, count) in children; restart after a case that kills its child. */
async function runCases(templateDir: string, seed: number, count: number): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = []
  let start = 0
  while (start < count) {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CHILD, JSON.stringify({ templateDir, root: ROOT_DIR, seed, start, count })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    // The head: V8 prints "heap out of memory" first, then a long native stack.
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(0, 4000)))
    let current: { index: number; how: string } | null = null
    let hung = false
    let watchdog = setTimeout(() => ((hung = true), child.kill('SIGKILL')), HANG_MS)
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    for await (const line of createInterface({ input: child.stdout! })) {
      clearTimeout(watchdog)
      watchdog = setTimeout(() => ((hung = true), child.kill('SIGKILL')), HANG_MS)
      const m = /^(start|end) (\d+) (\S+)\s?(.*)$/.exec(line)
      if (!m) continue
      if (m[1] === 'start') current = { index: Number(m[2]), how: `case seed ${m[3]}; ${m[4]}` }
      else if (current) {
        outcomes.push({ ...current, verdict: m[3] as CaseOutcome['verdict'], detail: m[4] })
        current = null
      }
    }
    clearTimeout(watchdog)
    const { code, signal } = await exited
    if (current === null && code === 0) return outcomes
    if (current === null) throw new Error(`fuzz child failed before a case (exit ${code}, ${signal}): ${stderr}`)
    const oom = /heap out of memory|Allocation failed/.test(stderr)
    outcomes.push({
      ...current,
      verdict: hung ? 'hang' : 'crash',
      detail: hung ? `no progress for ${HANG_MS} ms` : `process died (exit ${code}, ${signal})${oom ? ': JavaScript heap out of memory' : ''}`,
    })
    start = current.index + 1
  }
  return outcomes
}

describe('fuzz: engine snapshot loader', () => {
  it(`${CASES} snapshot bodies with valid checksums but damaged content open cleanly or fail cleanly (seed ${SEED})`, async () => {
    const template = await buildTemplate()
    // The undamaged body loads: the harness itself is sound.
    const good = await openEngine(await imageWith(template, template.body))
    expect(good.queue('q').jobs({ limit: 1000 }).length).toBe(20)
    await good.close()

    const dir = await mkdtemp(join(tmpdir(), 'wq-snapfuzz-'))
    scratch.push(dir)
    await mkdir(join(dir, 'segments'))
    for (const [name, bytes] of template.segments) await writeFile(join(dir, 'segments', name), bytes)
    await writeFile(join(dir, 'body.bin'), template.body)
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ lsn: template.lsn, queues: ['q', 'grouped', 'parked'] }))

    const outcomes = await runCases(dir, SEED ^ 0x51, CASES)
    const count = (v: CaseOutcome['verdict']) => outcomes.filter((o) => o.verdict === v).length
    printSummary('fuzz snapshot loader (engine)', {
      seed: SEED, cases: outcomes.length, opened: count('opened'), 'clean errors': count('clean'),
      unclean: count('unclean'), crashes: count('crash'), hangs: count('hang'),
    })
    const bad = outcomes.filter((o) => o.verdict === 'unclean' || o.verdict === 'crash' || o.verdict === 'hang')
    // Crashes and hangs first: they are the worst.
    bad.sort((a, b) => Number(a.verdict === 'unclean') - Number(b.verdict === 'unclean'))
    const shown = bad.slice(0, 6).map((o) => `#${o.index} ${o.verdict}: ${o.detail} (${o.how})`)
    expect(outcomes.length).toBe(CASES)
    expect(shown, `${bad.length} of ${CASES} cases did not end cleanly (WQ_SEED=${SEED})`).toEqual([])
  }, 180_000)

  it('a snapshot whose content covers an earlier LSN than its label is not trusted blindly (events in between must not vanish)', async () => {
    const fs = new MemoryFs()
    const engine = await openEngine(fs)
    const q = engine.queue('q')
    for (let n = 0; n < 5; n++) await q.add({ n })
    await engine.snapshot()
    const early = await (await WalReader.open(WAL_DIR, { fs })).latestSnapshot()
    const later: string[] = []
    for (let n = 5; n < 8; n++) later.push((await q.add({ n })).id)
    await engine.close()
    // Relabel the early content as the newest snapshot (metadata disagreeing with content).
    const image = new MemoryFs()
    const files = await filesOf(fs, WAL_DIR)
    await writeFiles(image, WAL_DIR, new Map([...files].filter(([name]) => name.endsWith('.wal'))))
    const wal = await Wal.open({ dir: WAL_DIR, fs: image })
    await wal.writeSnapshot(wal.lastLsn, early!.data)
    await wal.close()

    const outcome = await openEngine(image).then(
      async (reopened) => {
        const missing = later.filter((id) => reopened.getJob(id) === undefined)
        await reopened.close()
        return missing.length === 0 ? 'opened with every job' : `opened without jobs ${missing.join(', ')}`
      },
      (err: unknown) => (isClean(err) ? 'clean error' : `unclean: ${String(err)}`),
    )
    expect(['opened with every job', 'clean error']).toContain(outcome)
  })
})
