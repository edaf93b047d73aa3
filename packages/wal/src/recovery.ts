/**
 * Recovery on open (writer side): list the directory, drop temp files, check
 * every segment's header and frames, cut a torn tail, and either fail on
 * corruption or (truncateAtCorruption) cut the log there, moving the rest aside.
 */
import type { FileHandle, FileSystem } from './fs/file-system.js'
import { readFileFrom, writeFully } from './fs/file-system.js'
import { FrameScanner, isZero, type ScanStop } from './frame-scanner.js'
import { WalCorruptionError } from './errors.js'
import { classifyBadFrame, findLaterFrames } from './tail-classifier.js'
import { readSegmentHeader, type SegmentState } from './segment-file.js'
import { groupListing, joinPath, type DirListing } from './segment-name.js'
import type { RecoveryReport, WalLogger } from './types.js'

export interface LoadedSegment {
  state: SegmentState
  /** First failed check, if any (offset 0 for header/gap problems). */
  problem?: { offset: number; reason: string; kind: 'header' | 'gap' | 'frame'; stop?: ScanStop }
}

/**
 * Read one segment's header and check it against its name and predecessor;
 * with `scan`, also validate every frame.
 */
export async function loadSegment(
  fs: FileSystem,
  dir: string,
  entry: DirListing['segments'][number],
  prev: SegmentState | null,
  maxRecordBytes: number,
  scan: boolean,
  stopAtLsn?: number,
): Promise<LoadedSegment> {
  const path = joinPath(dir, entry.name)
  const fh = await fs.open(path, 'read')
  try {
    const size = (await fh.stat()).size
    const state: SegmentState = {
      name: entry.name,
      path,
      segmentId: entry.segmentId,
      firstLsn: entry.firstLsn,
      lastLsn: entry.firstLsn - 1,
      bytes: size,
      salt: 0,
      prevLastLsn: entry.firstLsn - 1,
    }
    const header = await readSegmentHeader(fh)
    if (typeof header === 'string') return { state, problem: { offset: 0, reason: header, kind: 'header' } }
    state.salt = header.salt
    state.prevLastLsn = header.prevLastLsn
    if (header.segmentId !== entry.segmentId || header.firstLsn !== entry.firstLsn) {
      return { state, problem: { offset: 0, reason: `header says segment ${header.segmentId} at LSN ${header.firstLsn}, name disagrees`, kind: 'header' } }
    }
    if (header.prevLastLsn !== header.firstLsn - 1) {
      return { state, problem: { offset: 0, reason: `header's previous last LSN ${header.prevLastLsn} does not precede first LSN ${header.firstLsn}`, kind: 'header' } }
    }
    if (prev && entry.firstLsn !== prev.lastLsn + 1) {
      return { state, problem: { offset: 0, reason: `gap: previous segment ends at LSN ${prev.lastLsn}, this one starts at ${entry.firstLsn}`, kind: 'gap' } }
    }
    if (!scan) return { state }
    const result = await new FrameScanner(fh, { salt: header.salt, firstLsn: header.firstLsn, maxRecordBytes, stopAtLsn }).run()
    state.lastLsn = result.lastLsn
    state.bytes = result.endOffset
    if (result.stop) return { state, problem: { offset: result.stop.offset, reason: result.stop.reason, kind: 'frame', stop: result.stop } }
    return { state }
  } finally {
    await fh.close()
  }
}

export interface RecoverOptions {
  maxRecordBytes: number
  truncateAtCorruption: boolean
  /** Cut the log before this LSN (moving the rest aside) as if the record there were corrupt: `wq repair --cut-at-lsn`. */
  cutAtLsn?: number
  logger?: WalLogger
}

export interface Recovered {
  segments: SegmentState[]
  listing: DirListing
  report: RecoveryReport
}

/** Run recovery on `dir` (which the caller has locked). Throws WalCorruptionError on corruption unless told to cut. */
export async function recover(fs: FileSystem, dir: string, opts: RecoverOptions): Promise<Recovered> {
  const listing = groupListing(await fs.readdir(dir))
  const report: RecoveryReport = { segments: 0, records: 0, lastLsn: 0, removedTempFiles: [], unknownFiles: listing.unknown.slice() }
  for (const name of listing.temps) {
    await fs.unlink(joinPath(dir, name))
    report.removedTempFiles.push(name)
  }
  if (listing.temps.length > 0) await fs.fsyncDir(dir)
  if (listing.unknown.length > 0) opts.logger?.warn({ dir, files: listing.unknown }, 'unknown files in WAL directory')

  const segments: SegmentState[] = []
  for (let i = 0; i < listing.segments.length; i++) {
    const isLast = i === listing.segments.length - 1
    const loaded = await loadSegment(fs, dir, listing.segments[i], segments[segments.length - 1] ?? null, opts.maxRecordBytes, true, opts.cutAtLsn)
    const problem = loaded.problem
    if (!problem) {
      segments.push(loaded.state)
      continue
    }
    if (problem.stop?.requested === true) {
      report.cutAtCorruption = await cutAtCorruption(fs, dir, listing, i, loaded, segments, opts.logger)
      break
    }
    if (problem.kind === 'frame' && isLast) {
      const state = loaded.state
      const tail = await readFileFrom(fs, state.path, problem.offset)
      if (problem.stop?.zero && isZero(tail, 0, tail.length)) {
        // Space zero-filled ahead of the writer (or a size the crash kept without the data): no record was
        // ever there, nothing to keep aside. Cut it, so every segment ends at its last frame again.
        await truncateDurably(fs, state.path, problem.offset)
        state.bytes = problem.offset
        report.droppedZeros = { file: state.path, offset: problem.offset, bytes: tail.length }
        opts.logger?.info({ file: state.path, offset: problem.offset, bytes: tail.length, lastLsn: state.lastLsn }, 'WAL zero-filled space after the last record cut off')
        segments.push(state)
        continue
      }
      const later = findLaterFrames(tail, state.salt, state.lastLsn, opts.maxRecordBytes)
      if (classifyBadFrame({ sealed: false, laterSyncedFrame: later.firstSynced >= 0 }) === 'torn-tail') {
        report.truncatedTail = await cutTornTail(fs, dir, state, problem.offset, tail, problem.reason, opts.logger)
        segments.push(state)
        continue
      }
    }
    if (!opts.truncateAtCorruption) throw new WalCorruptionError(loaded.state.path, problem.offset, problem.reason)
    report.cutAtCorruption = await cutAtCorruption(fs, dir, listing, i, loaded, segments, opts.logger)
    break
  }
  report.segments = segments.length
  for (const s of segments) report.records += s.lastLsn - s.firstLsn + 1
  report.lastLsn = segments.length > 0 ? segments[segments.length - 1].lastLsn : 0
  return { segments, listing, report }
}

/** Copy `bytes` aside as `<name>.<tag>-<offset>`, fsynced; returns the new name. */
async function saveAside(fs: FileSystem, dir: string, name: string, tag: string, offset: number, bytes: Uint8Array): Promise<string> {
  const asideName = `${name}.${tag}-${offset}`
  const fh: FileHandle = await fs.open(joinPath(dir, asideName), 'truncate')
  try {
    await writeFully(fh, bytes, 0, bytes.length, 0)
    await fh.sync()
  } finally {
    await fh.close()
  }
  return asideName
}

async function truncateDurably(fs: FileSystem, path: string, length: number): Promise<void> {
  const fh = await fs.open(path, 'readwrite')
  try {
    await fh.truncate(length)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

async function cutTornTail(
  fs: FileSystem,
  dir: string,
  state: SegmentState,
  offset: number,
  tail: Buffer,
  reason: string,
  logger?: WalLogger,
): Promise<NonNullable<RecoveryReport['truncatedTail']>> {
  const savedAs = await saveAside(fs, dir, state.name, 'broken', offset, tail)
  await truncateDurably(fs, state.path, offset)
  await fs.fsyncDir(dir)
  state.bytes = offset
  logger?.warn({ file: state.path, offset, droppedBytes: tail.length, savedAs, reason, lastLsn: state.lastLsn }, 'WAL torn tail cut off')
  return { file: state.path, offset, droppedBytes: tail.length, savedAs }
}

async function cutAtCorruption(
  fs: FileSystem,
  dir: string,
  listing: DirListing,
  index: number,
  loaded: LoadedSegment,
  segments: SegmentState[],
  logger?: WalLogger,
): Promise<NonNullable<RecoveryReport['cutAtCorruption']>> {
  const problem = loaded.problem!
  const state = loaded.state
  const movedAside: string[] = []
  for (const later of listing.segments.slice(index + 1)) {
    await fs.rename(joinPath(dir, later.name), joinPath(dir, `${later.name}.corrupt`))
    movedAside.push(`${later.name}.corrupt`)
  }
  if (problem.kind === 'frame') {
    const tail = await readFileFrom(fs, state.path, problem.offset)
    movedAside.unshift(await saveAside(fs, dir, state.name, 'corrupt', problem.offset, tail))
    await truncateDurably(fs, state.path, problem.offset)
    state.bytes = problem.offset
    segments.push(state)
  } else {
    await fs.rename(state.path, `${state.path}.corrupt`)
    movedAside.unshift(`${state.name}.corrupt`)
  }
  // A snapshot past the cut would make new records reuse LSNs it already covers.
  const lastLsn = segments.length > 0 ? segments[segments.length - 1].lastLsn : state.firstLsn - 1
  for (const snap of listing.snapshots) {
    if (snap.lsn > lastLsn) {
      await fs.rename(joinPath(dir, snap.name), joinPath(dir, `${snap.name}.corrupt`))
      movedAside.push(`${snap.name}.corrupt`)
    }
  }
  listing.snapshots = listing.snapshots.filter((s) => s.lsn <= lastLsn)
  await fs.fsyncDir(dir)
  logger?.error({ file: state.path, offset: problem.offset, reason: problem.reason, movedAside, lastLsn }, 'WAL cut at corruption')
  return { file: state.path, offset: problem.offset, reason: problem.reason, movedAside }
}
