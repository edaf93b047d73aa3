// Torn writes and bit rot on a real directory: cut the log at random offsets,
// flip bits in segments, headers and snapshots. Recovery must cut a torn tail
// to exactly the whole frames before it, report mid-log corruption with file
// and offset, fall back to an older snapshot — and `wq verify` (the built CLI,
// reading without a lock) must say the same thing open does.
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Wal, WalCorruptionError, WalError, WalReader, type VerifyProblem, type VerifyReport } from '@wq/wal'
import { Rng, seedFromEnv } from './prng.mjs'
import { printSummary } from './summary.js'
import { mutate } from '../fault/fuzz/mutate.mjs'

const SEED = seedFromEnv()
const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url))
const run = promisify(execFile)
const HEADER = 64
const RANDOM_CASES = Number(process.env.WQ_ROT_CASES ?? 40)
const frameBytes = (payload: number) => (24 + payload + 7) & ~7

interface Layout {
  /** Segment files in LSN order with the byte offset and LSN of every frame. */
  segments: { file: string; frames: { lsn: number; offset: number; end: number; payload: number }[]; bytes: number }[]
  payloads: Map<number, Buffer>
  snapshots: { file: string; lsn: number; data: Buffer }[]
}

let root: string
let template: string
let layout: Layout
let counter = 0

/** A fresh copy of the template directory to damage. */
async function copyOfTemplate(): Promise<string> {
  const dir = join(root, `case-${counter++}`)
  await cp(template, dir, { recursive: true })
  await rm(join(dir, 'LOCK'), { force: true })
  return dir
}

async function buildTemplate(dir: string, rng: Rng): Promise<Layout> {
  const wal = await Wal.open({ dir, segmentBytes: 4096, keepSnapshots: 2 })
  const payloads = new Map<number, Buffer>()
  const snapshots: Layout['snapshots'] = []
  for (let i = 0; i < 240; i++) {
    const payload = Buffer.from(rng.bytes(rng.pick([1, 10, 60, 200, 500])))
    payloads.set(await wal.append(payload), payload)
    if (i === 80 || i === 160 || i === 200) {
      const data = Buffer.from(rng.bytes(400))
      const info = await wal.writeSnapshot(wal.lastLsn, data)
      snapshots.push({ file: basename(info.file), lsn: wal.lastLsn, data })
    }
  }
  const segments = wal.segments().map((s) => {
    const frames: Layout['segments'][number]['frames'] = []
    let offset = HEADER
    for (let lsn = s.firstLsn; lsn <= s.lastLsn; lsn++) {
      const size = frameBytes(payloads.get(lsn)!.length)
      frames.push({ lsn, offset, end: offset + size, payload: payloads.get(lsn)!.length })
      offset += size
    }
    return { file: basename(s.file), frames, bytes: offset }
  })
  await wal.close()
  return { segments, payloads, snapshots }
}

type OpenOutcome =
  | { kind: 'ok'; lastLsn: number; torn?: { file: string; offset: number } }
  | { kind: 'corrupt'; file: string; offset: number; reason: string }

async function openAndRead(dir: string): Promise<OpenOutcome> {
  try {
    const wal = await Wal.open({ dir })
    let last = 0
    for await (const r of wal.records()) {
      expect(r.lsn, 'records are contiguous from 1').toBe(last + 1)
      expect(Buffer.from(r.payload).equals(layout.payloads.get(r.lsn)!), `record ${r.lsn} is what was written`).toBe(true)
      last = r.lsn
    }
    const t = wal.recovery.truncatedTail
    await wal.close()
    return { kind: 'ok', lastLsn: last, torn: t && { file: basename(t.file), offset: t.offset } }
  } catch (error) {
    if (error instanceof WalCorruptionError) {
      return { kind: 'corrupt', file: basename(error.file), offset: error.offset, reason: error.reason }
    }
    throw error
  }
}

/**
 * `WalReader.verify()`. A reader that refuses to open (a bad segment header or a
 * gap) is reported as that one problem, the way `wq verify` then reports it.
 */
async function verifyInProcess(dir: string): Promise<VerifyReport> {
  try {
    return await (await WalReader.open(dir)).verify()
  } catch (error) {
    if (!(error instanceof WalCorruptionError)) throw error
    return refusal(error.file, error.offset, error.reason)
  }
}

function refusal(file: string, offset: number, reason: string): VerifyReport {
  return { ok: false, segments: 0, records: 0, snapshots: 0, problems: [{ file, offset, reason, kind: 'corruption' }] }
}

/**
 * `wq verify <dir> --json`, the built binary: exit 1 with a JSON report listing
 * problems, or exit 4 with one "corrupt log: <file> at offset <n>" line when the
 * log cannot even be opened for reading.
 */
async function verifyWithCli(dir: string): Promise<{ exitCode: number; problems: VerifyProblem[] }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, 'verify', dir, '--json'])
    return { exitCode: 0, problems: JSON.parse(stdout).pipelines.flatMap((p: VerifyReport) => p.problems) }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    if (e.code === 4) {
      const m = /corrupt log: (\S+) at offset (\d+): (.*)/.exec(e.stderr ?? '')
      if (!m) throw new Error(`wq verify exit 4 without file and offset: ${e.stderr}`)
      return { exitCode: 4, problems: refusal(m[1], Number(m[2]), m[3]).problems }
    }
    if (e.code !== 1 || !e.stdout) throw new Error(`wq verify failed (exit ${e.code}): ${e.stderr}`)
    return { exitCode: 1, problems: JSON.parse(e.stdout).pipelines.flatMap((p: VerifyReport) => p.problems) }
  }
}

const segmentProblem = (p: VerifyProblem) => p.kind !== 'snapshot'
const sameSpot = (p: VerifyProblem, file: string, offset: number) => basename(p.file) === file && p.offset === offset

/** The rule `wq verify` and open must agree on, for the segments of one directory. */
function expectAgreement(open: OpenOutcome, problems: VerifyProblem[], where: string): void {
  const segmentProblems = problems.filter(segmentProblem)
  const shown = `${where}: open=${JSON.stringify(open)} verify=${JSON.stringify(segmentProblems)}`
  if (open.kind === 'corrupt') {
    const first = segmentProblems.find((p) => p.kind !== 'torn-tail')
    expect(first, shown).toBeDefined()
    expect(sameSpot(first!, open.file, open.offset), shown).toBe(true)
  } else if (open.torn) {
    expect(segmentProblems.map((p) => p.kind), shown).toEqual(['torn-tail'])
    expect(sameSpot(segmentProblems[0], open.torn.file, open.torn.offset), shown).toBe(true)
  } else {
    expect(segmentProblems, shown).toEqual([])
  }
}

/** Rewrite a segment header field and give it a valid checksum: only the checks on meaning can catch it. */
async function forgeHeader(path: string, edit: (header: Buffer) => void): Promise<void> {
  const bytes = await readFile(path)
  edit(bytes)
  bytes.writeUInt32LE(crc32(bytes.subarray(0, 60)), 60)
  await writeFile(path, bytes)
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wq-torn-'))
  template = join(root, 'template')
  layout = await buildTemplate(template, new Rng(SEED))
  expect(layout.segments.length).toBeGreaterThan(4)
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('torn writes', () => {
  it(`a cut at random offsets of the last segment reopens to exactly the whole frames before it (seed ${SEED})`, async () => {
    const rng = new Rng(SEED ^ 0x70)
    const last = layout.segments[layout.segments.length - 1]
    const offsets = new Set<number>([HEADER, last.bytes - 1, last.bytes])
    for (const f of last.frames.slice(-3)) offsets.add(f.offset).add(f.offset + 1).add(f.end - 1)
    while (offsets.size < 24) offsets.add(rng.range(HEADER, last.bytes))
    let torn = 0
    for (const cut of offsets) {
      const dir = await copyOfTemplate()
      await truncate(join(dir, last.file), cut)
      const verified = await verifyInProcess(dir)
      const whole = last.frames.filter((f) => f.end <= cut)
      const expectedLast = whole.length > 0 ? whole[whole.length - 1].lsn : last.frames[0].lsn - 1
      const open = await openAndRead(dir)
      expect(open, `cut at ${cut}`).toMatchObject({ kind: 'ok', lastLsn: expectedLast })
      const boundary = whole.length > 0 ? whole[whole.length - 1].end : HEADER
      if (cut !== boundary) {
        torn++
        expect(open.kind === 'ok' && open.torn, `cut at ${cut}`).toEqual({ file: last.file, offset: boundary })
      }
      expectAgreement(open, verified.problems, `cut at ${cut}`)
      // Reopening again is clean: the cut is durable, nothing more is dropped.
      expect(await openAndRead(dir)).toEqual({ kind: 'ok', lastLsn: expectedLast, torn: undefined })
    }
    printSummary('torn tail', { seed: SEED, cuts: offsets.size, torn, lost: 0 })
  })
})

describe('bit rot', () => {
  it(`a flipped bit in any frame with valid frames after it is corruption at that frame's file and offset (seed ${SEED})`, async () => {
    const rng = new Rng(SEED ^ 0x71)
    let cases = 0
    for (let i = 0; i < 20; i++) {
      // In the last segment, only a frame with valid frames after it is provably corruption;
      // a last segment holding one frame has none to offer, so it is not a candidate.
      const lastSegment = layout.segments[layout.segments.length - 1]
      const eligible = (s: typeof lastSegment) => (s === lastSegment ? s.frames.slice(0, -1) : s.frames)
      const segment = rng.pick(layout.segments.filter((s) => eligible(s).length > 0))
      const frames = eligible(segment)
      const frame = rng.pick(frames)
      const covered = 24 + frame.payload // the checksum covers header and payload, not the padding
      const at = frame.offset + (rng.chance(0.2) ? rng.int(24) : rng.int(covered))
      const dir = await copyOfTemplate()
      const path = join(dir, segment.file)
      const bytes = await readFile(path)
      bytes[at] ^= 1 << rng.int(8)
      await writeFile(path, bytes)
      const verified = await verifyInProcess(dir)
      const open = await openAndRead(dir)
      const where = `flip at ${segment.file}+${at} (frame ${frame.lsn} at ${frame.offset})`
      expect(open, where).toMatchObject({ kind: 'corrupt', file: segment.file, offset: frame.offset })
      expectAgreement(open, verified.problems, where)
      if (i % 6 === 0) expectAgreement(open, (await verifyWithCli(dir)).problems, `${where} (wq verify)`)
      // The explicit repair path cuts there and keeps exactly the records before it.
      const repaired = await Wal.open({ dir, truncateAtCorruption: true })
      expect(repaired.lastLsn, where).toBe(frame.lsn - 1)
      expect(basename(repaired.recovery.cutAtCorruption!.file)).toBe(segment.file)
      expect(repaired.recovery.cutAtCorruption!.offset).toBe(frame.offset)
      await repaired.close()
      cases++
    }
    printSummary('bit rot (frames)', { seed: SEED, cases, reported: cases, missed: 0 })
  })

  const forgeries: [string, (h: Buffer) => void][] = [
    ['bad magic', (h) => h.write('XQWALSEG', 0, 'latin1')],
    ['unknown version', (h) => h.writeUInt32LE(99, 8)],
    ['segment id disagrees with the name', (h) => h.writeUInt32LE(h.readUInt32LE(12) + 1, 12)],
    ['first LSN disagrees with the name', (h) => h.writeUInt32LE(h.readUInt32LE(16) + 1, 16)],
    ['previous last LSN does not precede the first', (h) => h.writeUInt32LE(h.readUInt32LE(24) + 5, 24)],
    ['salt changed (frames no longer validate)', (h) => h.writeUInt32LE((h.readUInt32LE(32) ^ 1) >>> 0, 32)],
  ]
  for (const [what, edit] of forgeries) {
    it(`segment header with a valid checksum but ${what}: open and wq verify agree`, async () => {
      for (const index of [1, layout.segments.length - 1]) {
        const dir = await copyOfTemplate()
        const segment = layout.segments[index]
        await forgeHeader(join(dir, segment.file), edit)
        const verified = await verifyInProcess(dir)
        const open = await openAndRead(dir)
        // A forged salt makes every frame of the segment fail alike; in the last segment
        // nothing valid follows, so that reads as a torn tail (a rotted header would fail its checksum).
        const lastWithNewSalt = what.startsWith('salt') && index === layout.segments.length - 1
        if (!lastWithNewSalt) expect(open.kind, `${what} in ${segment.file}`).toBe('corrupt')
        expectAgreement(open, verified.problems, `${what} in ${segment.file}`)
      }
    })
  }

  it(`a flipped bit in the header checksum area of a segment is reported at offset 0`, async () => {
    const dir = await copyOfTemplate()
    const segment = layout.segments[2]
    const bytes = await readFile(join(dir, segment.file))
    bytes[61] ^= 0x10
    await writeFile(join(dir, segment.file), bytes)
    const open = await openAndRead(dir)
    expect(open).toMatchObject({ kind: 'corrupt', file: segment.file, offset: 0 })
    expectAgreement(open, (await verifyWithCli(dir)).problems, 'header crc flip (wq verify)')
  })

  it(`random damage anywhere in the segments: open and wq verify always agree (seed ${SEED})`, async () => {
    const rng = new Rng(SEED ^ 0x72)
    const counts = { clean: 0, torn: 0, corrupt: 0, cli: 0 }
    for (let i = 0; i < RANDOM_CASES; i++) {
      const dir = await copyOfTemplate()
      const segment = rng.pick(layout.segments)
      const path = join(dir, segment.file)
      const damaged = mutate(rng, await readFile(path))
      await writeFile(path, damaged.bytes)
      const where = `${segment.file}: ${damaged.how}`
      let open: OpenOutcome
      try {
        open = await openAndRead(dir)
      } catch (error) {
        expect(error instanceof WalError, `${where}: ${String(error)}`).toBe(true)
        continue
      }
      // verify reads the damaged state, so run it on a second copy made before open repaired anything.
      const pristine = await copyOfTemplate()
      await writeFile(join(pristine, segment.file), damaged.bytes)
      expectAgreement(open, (await verifyInProcess(pristine)).problems, where)
      if (i % 10 === 0) {
        expectAgreement(open, (await verifyWithCli(pristine)).problems, `${where} (wq verify)`)
        counts.cli++
      }
      counts[open.kind === 'corrupt' ? 'corrupt' : open.torn ? 'torn' : 'clean']++
    }
    printSummary('verify/open agreement', { seed: SEED, cases: RANDOM_CASES, ...counts, disagreements: 0 })
  })
})

describe('snapshot rot', () => {
  it('a corrupt newest snapshot is set aside and the previous one used; verify names it', async () => {
    const rng = new Rng(SEED ^ 0x73)
    const [older, , newest] = [layout.snapshots[0], layout.snapshots[1], layout.snapshots[2]]
    expect(newest).toBeDefined()
    for (let i = 0; i < 10; i++) {
      const dir = await copyOfTemplate()
      const path = join(dir, newest.file)
      const bytes = await readFile(path)
      const at = rng.int(bytes.length)
      bytes[at] ^= 1 << rng.int(8)
      await writeFile(path, bytes)
      const where = `flip at ${newest.file}+${at}`
      const verified = await verifyInProcess(dir)
      expect(verified.problems.some((p) => p.kind === 'snapshot' && basename(p.file) === newest.file), where).toBe(true)
      const readerView = await (await WalReader.open(dir)).latestSnapshot()
      expect(readerView?.lsn, where).toBe(layout.snapshots[1].lsn)
      const wal = await Wal.open({ dir })
      const snap = await wal.latestSnapshot()
      expect(snap?.lsn, where).toBe(layout.snapshots[1].lsn)
      expect(snap!.data.equals(layout.snapshots[1].data)).toBe(true)
      await wal.close()
      const names = await readdir(dir)
      expect(names.some((n) => n.startsWith(newest.file) && n.includes('corrupt')), `${where}: set aside in ${names}`).toBe(true)
      void older
    }
  })

  it('after compact, falling back to the older snapshot still finds every record after it', async () => {
    const dir = await copyOfTemplate()
    const wal = await Wal.open({ dir, keepSnapshots: 1 })
    await wal.compact()
    const kept = await wal.snapshots()
    await wal.close()
    expect(kept.length).toBe(2)
    const [fallback, newest] = kept
    const path = newest.file.startsWith('/') ? newest.file : join(dir, basename(newest.file))
    const bytes = await readFile(path)
    bytes[bytes.length - 1] ^= 0xff
    await writeFile(path, bytes)
    const reopened = await Wal.open({ dir })
    const snap = await reopened.latestSnapshot()
    expect(snap?.lsn).toBe(fallback.lsn)
    const first = await reopened.records(fallback.lsn + 1)[Symbol.asyncIterator]().next()
    expect(first.done ? null : first.value.lsn, 'the record right after the fallback snapshot must still exist').toBe(fallback.lsn + 1)
    await reopened.close()
  })
})
