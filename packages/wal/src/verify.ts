/**
 * Full read-only check of a log directory: every segment header, every frame,
 * segment contiguity, and every snapshot. Never changes anything.
 */
import type { FileSystem } from './fs/file-system.js'
import { readFileFrom } from './fs/file-system.js'
import { FrameScanner, isZero } from './frame-scanner.js'
import { loadSegment } from './recovery.js'
import { classifyBadFrame, findLaterFrames } from './tail-classifier.js'
import { groupListing, joinPath } from './segment-name.js'
import type { SegmentState } from './segment-file.js'
import type { SnapshotStore } from './snapshot-store.js'
import type { VerifyProblem, VerifyReport } from './types.js'

export async function verifyLog(
  fs: FileSystem,
  dir: string,
  maxRecordBytes: number,
  snapshots: SnapshotStore,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
): Promise<VerifyReport> {
  const listing = groupListing(await fs.readdir(dir))
  const sizes: number[] = []
  for (const s of listing.segments) sizes.push((await fs.stat(joinPath(dir, s.name))).size)
  const total = sizes.reduce((a, b) => a + b, 0)
  let done = 0
  const problems: VerifyProblem[] = []
  let records = 0
  let prev: SegmentState | null = null
  for (let i = 0; i < listing.segments.length; i++) {
    const isLast = i === listing.segments.length - 1
    const loaded = await loadSegment(fs, dir, listing.segments[i], prev, maxRecordBytes, false)
    const state = loaded.state
    if (loaded.problem) {
      problems.push({ file: state.path, offset: 0, reason: loaded.problem.reason, kind: loaded.problem.kind === 'gap' ? 'gap' : 'header' })
      if (loaded.problem.kind === 'header') {
        done += sizes[i]
        onProgress?.(done, total)
        prev = null
        continue
      }
    }
    const fh = await fs.open(state.path, 'read')
    let result
    try {
      const scanner = new FrameScanner(fh, { salt: state.salt, firstLsn: state.firstLsn, maxRecordBytes })
      const base = done
      while (await scanner.step()) onProgress?.(base + scanner.result().endOffset, total)
      result = scanner.result()
    } finally {
      await fh.close()
    }
    records += result.frames
    state.lastLsn = result.lastLsn
    // The last segment may end in zeros filled ahead of the writer (`preallocate`): the end of the log, not a problem.
    let zeroTail = false
    if (result.stop) {
      let kind: VerifyProblem['kind'] = 'corruption'
      if (isLast) {
        const tail = await readFileFrom(fs, state.path, result.stop.offset)
        zeroTail = result.stop.zero && isZero(tail, 0, tail.length)
        if (!zeroTail) {
          const later = findLaterFrames(tail, state.salt, result.lastLsn, maxRecordBytes)
          kind = classifyBadFrame({ sealed: false, laterSyncedFrame: later.firstSynced >= 0 })
        }
      }
      if (!zeroTail) problems.push({ file: state.path, offset: result.stop.offset, reason: result.stop.reason, kind })
    }
    done += sizes[i]
    onProgress?.(done, total)
    // After a bad frame the rest of this segment is unknown: do not also report the next one as a gap.
    prev = result.stop ? null : state
  }

  const snapInfos = await snapshots.list()
  let newestValid = -1
  for (const info of snapInfos) {
    // Checked piece by piece: `wq verify` on a directory of large snapshots needs no more memory than one piece.
    const snap = await snapshots.check(info.lsn)
    if (typeof snap === 'string') problems.push({ file: info.file, offset: 0, reason: snap, kind: 'snapshot' })
    else newestValid = Math.max(newestValid, snap.lsn)
  }
  const first = listing.segments[0]
  if (first && first.firstLsn > 1 && newestValid < first.firstLsn - 1) {
    problems.push({
      file: joinPath(dir, first.name),
      offset: 0,
      reason: `records 1..${first.firstLsn - 1} are gone and no valid snapshot covers them`,
      kind: 'gap',
    })
  }
  return {
    ok: problems.every((p) => p.kind === 'torn-tail'),
    segments: listing.segments.length,
    records,
    snapshots: snapInfos.length,
    problems,
  }
}
