// Fuzz the WAL's readers with damaged and random bytes: every seeded case must
// end in a clean result (only true records, only true snapshots) or a clean
// WalError — never another exception type, a hang, or a read sized by a
// hostile length field.
import { describe, expect, it } from 'vitest'
import { Wal, WalError, WalReader, type WalRecord } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { Rng, seedFromEnv } from '../crash/prng.mjs'
import { printSummary } from '../crash/summary.js'
import { mutate } from './fuzz/mutate.mjs'
import { filesOf, settleWithin, writeFiles } from './fuzz/image.js'
import { HookedFs } from '../crash/hooked-fs.js'

const SEED = seedFromEnv()
const LOG_CASES = Number(process.env.WQ_FUZZ_CASES ?? 1500)
const SNAPSHOT_CASES = Math.ceil(LOG_CASES / 2)
const DIR = '/wal'
const HANG_MS = 5_000

interface Template {
  files: Map<string, Buffer>
  records: Map<number, Buffer>
  snapshots: { lsn: number; data: Buffer }[]
  largestFile: number
}

/** A small real log: several segments of random-sized records and two snapshots. */
async function buildTemplate(rng: Rng): Promise<Template> {
  const fs = new MemoryFs()
  const wal = await Wal.open({ dir: DIR, fs, segmentBytes: 2048, durability: 'sync' })
  const records = new Map<number, Buffer>()
  const snapshots: Template['snapshots'] = []
  for (let i = 0; i < 120; i++) {
    const payload = Buffer.from(rng.bytes(rng.pick([0, 1, 7, 8, 40, 200, 700])))
    records.set(await wal.append(payload, 1 + rng.int(255)), payload)
    if (i === 50 || i === 100) {
      const data = Buffer.from(rng.bytes(300 + rng.int(300)))
      await wal.writeSnapshot(wal.lastLsn, data)
      snapshots.push({ lsn: wal.lastLsn, data })
    }
  }
  await wal.close()
  const files = await filesOf(fs, DIR)
  return { files, records, snapshots, largestFile: Math.max(...[...files.values()].map((b) => b.length)) }
}

/** A clean outcome is a value, or an error this package threw on purpose. */
function assertClean(outcome: { error?: unknown }, where: string): void {
  if (outcome.error === undefined) return
  if (outcome.error instanceof WalError && typeof outcome.error.code === 'string') return
  const e = outcome.error as Error
  throw new Error(`${where}: not a clean error: ${e?.name}: ${e?.message}\n${e?.stack}`)
}

function assertTrueRecords(records: WalRecord[], template: Template, where: string): void {
  let previous = -1
  for (const r of records) {
    if (previous !== -1 && r.lsn !== previous + 1) throw new Error(`${where}: LSN ${r.lsn} after ${previous}`)
    previous = r.lsn
    const original = template.records.get(r.lsn)
    if (!original || !original.equals(Buffer.from(r.payload))) throw new Error(`${where}: record ${r.lsn} is not the one written`)
  }
}

async function collect(source: AsyncIterable<WalRecord>): Promise<WalRecord[]> {
  const out: WalRecord[] = []
  for await (const r of source) out.push({ lsn: r.lsn, type: r.type, payload: Buffer.from(r.payload) })
  return out
}

/** Damage one or two files of the template (segments mostly), or drop in a random extra segment. */
function damage(rng: Rng, template: Template, pickFrom: (name: string) => boolean): { files: Map<string, Buffer>; how: string } {
  const files = new Map(template.files)
  const names = [...files.keys()].filter(pickFrom)
  const hows: string[] = []
  const count = rng.chance(0.15) ? 2 : 1
  for (let i = 0; i < count; i++) {
    const name = rng.pick(names)
    const c = mutate(rng, files.get(name)!)
    files.set(name, c.bytes)
    hows.push(`${name}: ${c.how}`)
  }
  return { files, how: hows.join(' | ') }
}

describe('fuzz', () => {
  it(`WAL reader, verify and recovery: ${LOG_CASES} damaged logs (seed ${SEED})`, async () => {
    const rng = new Rng(SEED)
    const template = await buildTemplate(rng.fork())
    const readBound = template.largestFile + (1 << 20)
    const outcomes = { clean: 0, walErrors: 0, truncatedTails: 0, maxRead: 0 }
    for (let i = 0; i < LOG_CASES; i++) {
      const caseSeed = rng.u32()
      const r = new Rng(caseSeed)
      const { files, how } = damage(r, template, (n) => n.endsWith('.wal'))
      const where = `case ${i} (seed ${SEED}, case seed ${caseSeed}; ${how})`
      const mem = new MemoryFs()
      await writeFiles(mem, DIR, files)
      let largestRead = 0
      const fs = new HookedFs(mem, { onRead: (length, bytes) => (largestRead = Math.max(largestRead, length, bytes)) })

      const read = await settleWithin(HANG_MS, `${where} reader`, (async () => {
        const reader = await WalReader.open(DIR, { fs })
        const records = await collect(reader.records())
        const report = await reader.verify()
        return { records, report }
      })())
      assertClean(read, `${where} WalReader`)
      if (read.value) assertTrueRecords(read.value.records, template, `${where} WalReader`)

      const recover = await settleWithin(HANG_MS, `${where} Wal.open`, (async () => {
        const wal = await Wal.open({ dir: DIR, fs, truncateAtCorruption: r.chance(0.3) })
        const records = await collect(wal.records())
        const report = wal.recovery
        await wal.close()
        return { records, report }
      })())
      assertClean(recover, `${where} Wal.open`)
      if (recover.value) {
        assertTrueRecords(recover.value.records, template, `${where} Wal.open`)
        if (recover.value.report.truncatedTail) outcomes.truncatedTails++
      }
      if (read.error || recover.error) outcomes.walErrors++
      else outcomes.clean++
      expect(largestRead, `${where}: read of ${largestRead} bytes`).toBeLessThanOrEqual(readBound)
      outcomes.maxRead = Math.max(outcomes.maxRead, largestRead)
    }
    printSummary('fuzz WAL reader', { seed: SEED, cases: LOG_CASES, ...outcomes, hangs: 0, crashes: 0 })
  })

  it(`snapshot loader: ${SNAPSHOT_CASES} damaged snapshots never load as anything but a true snapshot (seed ${SEED})`, async () => {
    const rng = new Rng(SEED ^ 0x5a5a5a5a)
    const template = await buildTemplate(rng.fork())
    const truth = (s: { lsn: number; data: Buffer } | null) =>
      s === null || template.snapshots.some((t) => t.lsn === s.lsn && t.data.equals(s.data))
    const outcomes = { newest: 0, older: 0, none: 0, walErrors: 0 }
    for (let i = 0; i < SNAPSHOT_CASES; i++) {
      const caseSeed = rng.u32()
      const r = new Rng(caseSeed)
      const { files, how } = damage(r, template, (n) => n.endsWith('.snap'))
      const where = `case ${i} (seed ${SEED}, case seed ${caseSeed}; ${how})`
      const mem = new MemoryFs()
      await writeFiles(mem, DIR, files)

      const read = await settleWithin(HANG_MS, `${where} reader`, (async () => {
        const reader = await WalReader.open(DIR, { fs: mem })
        return reader.latestSnapshot()
      })())
      assertClean(read, `${where} WalReader.latestSnapshot`)
      if (read.value !== undefined) expect(truth(read.value), `${where}: reader loaded a snapshot that was never written`).toBe(true)

      const open = await settleWithin(HANG_MS, `${where} Wal.latestSnapshot`, (async () => {
        const wal = await Wal.open({ dir: DIR, fs: mem })
        try {
          return await wal.latestSnapshot()
        } finally {
          await wal.close()
        }
      })())
      assertClean(open, `${where} Wal.latestSnapshot`)
      if (open.value !== undefined) {
        expect(truth(open.value), `${where}: loaded a snapshot that was never written`).toBe(true)
        const newest = template.snapshots[template.snapshots.length - 1]
        if (open.value === null) outcomes.none++
        else if (open.value.lsn === newest.lsn) outcomes.newest++
        else outcomes.older++
      } else outcomes.walErrors++
    }
    printSummary('fuzz snapshot loader (WAL)', { seed: SEED, cases: SNAPSHOT_CASES, ...outcomes, wrong: 0, hangs: 0, crashes: 0 })
  })
})
