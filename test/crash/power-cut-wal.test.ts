// Power cut under the WAL, in every durability mode: appends run concurrently on
// a MemoryFs; at a random moment the power goes (`crash()`: writes since the
// last fsync dropped, kept or garbled; files created since the last directory
// fsync gone); the log is reopened from the image. What must hold:
// - recovery succeeds (a power cut is never reported as corruption);
// - the records are exactly LSN 1..n as written (a prefix, nothing garbled);
// - everything a completed `sync()` covered survives, in every mode;
// - `sync`: every resolved append survives;
// - `interval` and `os`: every append acknowledged before a data sync that
//   completed survives (they acknowledge after write(), so only the unsynced
//   tail may go — at most the last interval, or whatever the OS had not flushed).
// - `buffered`: only the sync() guarantee; a power cut loses the unsynced rest.
import { describe, expect, it } from 'vitest'
import { basename } from 'node:path'
import { Wal, type Durability, type SegmentInfo } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { Rng, seedFromEnv } from './prng.mjs'
import { HookedFs } from './hooked-fs.js'
import { printSummary } from './summary.js'

const SEED = seedFromEnv()
const CASES_PER_MODE = Number(process.env.WQ_POWER_CUT_CASES ?? 60)
const DIR = '/wal'
const UNSYNCED = ['drop', 'keep', 'garble', 'random'] as const

interface CaseResult {
  /** Records a completed data sync of their segment covered (interval/os): proof the syncs happen. */
  coveredBySyncs: number
  acknowledged: number
  survived: number
  lostAcknowledged: number
}

function payloadFor(lsnHint: number, rng: Rng): Buffer {
  const body = Buffer.from(rng.bytes(rng.pick([0, 8, 30, 120, 600])))
  const head = Buffer.alloc(4)
  head.writeUInt32LE(lsnHint)
  return Buffer.concat([head, body])
}

/** The longest prefix 1..L of which every record's segment had a completed data sync covering it. */
function prefixCoveredBySyncs(segments: SegmentInfo[], synced: Map<string, number>, maxAcked: number): number {
  let covered = 0
  for (const seg of segments) {
    const upTo = Math.min(synced.get(basename(seg.file)) ?? 0, maxAcked)
    if (upTo < seg.firstLsn) break
    covered = upTo
    if (upTo < seg.lastLsn) break
  }
  return covered
}

async function oneCase(mode: Durability, caseSeed: number): Promise<CaseResult> {
  const rng = new Rng(caseSeed)
  const mem = new MemoryFs()
  let maxAcked = 0
  /** Highest LSN a completed sync() is known to cover (every mode). */
  let mustSurvive = 0
  /** Per segment file: the highest acknowledged LSN in it that a completed data sync of that file covered. */
  const syncedUpTo = new Map<string, number>()
  let wal: Wal | null = null
  // interval/os acknowledge after write(): a data sync of a segment that starts after
  // an acknowledgement and completes covers every acknowledged record in that segment.
  const fs = new HookedFs(mem, {
    onSync: (path) => {
      // A segment is created as `<name>.tmp` and renamed; its handle keeps the temp name.
      const name = basename(path).replace(/\.tmp$/, '')
      if ((mode !== 'interval' && mode !== 'os') || !wal || !name.endsWith('.wal')) return
      const segments = wal.segments()
      const i = segments.findIndex((seg) => basename(seg.file) === name)
      if (i === -1) return
      const end = i + 1 < segments.length ? segments[i + 1].firstLsn - 1 : Infinity
      const covered = Math.min(maxAcked, end)
      return () => syncedUpTo.set(name, Math.max(syncedUpTo.get(name) ?? 0, covered))
    },
  })
  wal = await Wal.open({
    dir: DIR,
    fs,
    durability: mode,
    segmentBytes: rng.pick([1024, 4096, 1 << 20]),
    intervalMs: 2,
    bufferRecords: rng.pick([4, 32]),
    flushMs: 2,
  })
  const log = wal
  const written = new Map<number, Buffer>()
  const total = rng.range(5, 400)
  const crashAfter = rng.int(total)
  let issued = 0
  let crashed = false
  let image: MemoryFs | null = null

  let segmentsAtCut: SegmentInfo[] = []
  let syncedAtCut = new Map<string, number>()
  const cut = () => {
    crashed = true
    image = mem.crash({ unsynced: rng.pick(UNSYNCED), seed: rng.u32() })
    segmentsAtCut = log.segments()
    syncedAtCut = new Map(syncedUpTo)
  }

  // Several producers, a random pause now and then, an explicit sync() sometimes.
  const producer = async () => {
    while (!crashed && issued < total) {
      const n = ++issued
      const payload = payloadFor(n, rng)
      if (rng.chance(0.05)) {
        const covered = log.lastLsn
        await log.sync().then(
          () => (crashed ? undefined : (mustSurvive = Math.max(mustSurvive, covered))),
          () => undefined,
        )
      }
      const lsn = log.push(payload)
      written.set(lsn, payload)
      await log.durable(lsn).then(
        () => {
          if (crashed) return
          maxAcked = Math.max(maxAcked, lsn)
          if (mode === 'sync') mustSurvive = Math.max(mustSurvive, lsn)
        },
        () => undefined,
      )
      if (n === crashAfter) cut()
      if (rng.chance(0.1)) await new Promise((resolve) => setTimeout(resolve, rng.int(3)))
    }
  }
  await Promise.all(Array.from({ length: rng.range(1, 8) }, producer))
  if (!crashed) cut()
  // The old process is gone; its handle on the old file system no longer matters.
  await log.close().catch(() => undefined)

  const after = await Wal.open({ dir: DIR, fs: image! })
  const survived: number[] = []
  for await (const r of after.records()) {
    survived.push(r.lsn)
    const original = written.get(r.lsn)
    expect(original && original.equals(Buffer.from(r.payload)), `record ${r.lsn} is not what was written`).toBe(true)
  }
  await after.close()
  survived.forEach((lsn, i) => expect(lsn, 'records form the prefix 1..n').toBe(i + 1))
  const last = survived.length
  const coveredBySyncs = prefixCoveredBySyncs(segmentsAtCut, syncedAtCut, maxAcked)
  mustSurvive = Math.max(mustSurvive, coveredBySyncs)
  const lostAcknowledged = Math.max(0, maxAcked - last)
  expect(last, `mode ${mode}: LSN ${mustSurvive} was guaranteed durable but only 1..${last} survived`).toBeGreaterThanOrEqual(mustSurvive)
  return { coveredBySyncs, acknowledged: maxAcked, survived: last, lostAcknowledged }
}

describe('power cut (WAL, MemoryFs.crash)', () => {
  for (const mode of ['sync', 'interval', 'os', 'buffered'] as const) {
    it(`${mode}: ${CASES_PER_MODE} seeded cuts keep what the mode promises (seed ${SEED})`, async () => {
      const rng = new Rng(SEED ^ mode.length)
      let acknowledged = 0
      let lost = 0
      let survived = 0
      let coveredBySyncs = 0
      for (let i = 0; i < CASES_PER_MODE; i++) {
        const caseSeed = rng.u32()
        try {
          const r = await oneCase(mode, caseSeed)
          acknowledged += r.acknowledged
          lost += r.lostAcknowledged
          survived += r.survived
          coveredBySyncs += r.coveredBySyncs
        } catch (error) {
          throw new Error(`mode ${mode}, case ${i}, case seed ${caseSeed} (WQ_SEED=${SEED}): ${(error as Error).message}`, { cause: error })
        }
      }
      if (mode === 'sync') expect(lost).toBe(0)
      // interval's timer and os's rotation seals must really fsync, or the checks above prove little.
      if (mode === 'interval' || mode === 'os') expect(coveredBySyncs).toBeGreaterThan(0)
      printSummary('power cut (WAL)', {
        mode,
        seed: SEED,
        cases: CASES_PER_MODE,
        acknowledged,
        survived,
        ...(mode === 'interval' || mode === 'os' ? { 'covered by data syncs': coveredBySyncs } : {}),
        lost: mode === 'sync' ? lost : `${lost} (allowed: acknowledged after the last completed fsync)`,
        duplicates: 0,
      })
    })
  }
})
