/**
 * Torn tail or corruption? The decision table recovery applies to the first
 * bad frame it meets (tested exhaustively in tail-classifier.test.ts).
 *
 * | bad frame is in…  | a later valid frame (higher LSN) carries FLAG_SYNCED_BEFORE | verdict     |
 * |-------------------|-------------------------------------------------------------|-------------|
 * | a sealed segment  | (any)                                                       | corruption  |
 * | the last segment  | yes                                                         | corruption  |
 * | the last segment  | no                                                          | torn tail   |
 *
 * Why: every sealed segment was fdatasynced before the next was created, so a
 * bad byte there was durable once. In the last segment, FLAG_SYNCED_BEFORE on a
 * later frame proves the bad frame's bytes had been fdatasynced before that
 * frame was written, so they were durable and then damaged. Without that proof
 * the bad frame may be part of writes a power cut caught before their fsync,
 * and such writes can persist out of order (a later page kept, an earlier one
 * lost), so later valid-looking frames are not evidence of corruption.
 */
import { FLAG_SYNCED_BEFORE, FRAME_HEADER_BYTES, frameChecksumOk, frameLength, frameLsn } from './frame.js'

export type TailVerdict = 'corruption' | 'torn-tail'

export interface TailEvidence {
  /** The bad frame is in a segment followed by another one. */
  sealed: boolean
  /** Some frame after the bad one validates, has a higher LSN and carries FLAG_SYNCED_BEFORE. */
  laterSyncedFrame: boolean
}

export function classifyBadFrame(e: TailEvidence): TailVerdict {
  if (e.sealed) return 'corruption'
  if (e.laterSyncedFrame) return 'corruption'
  return 'torn-tail'
}

export interface LaterFrames {
  /** Offset (relative to `tail`) of the first later valid frame, or -1. */
  firstValid: number
  /** Offset (relative to `tail`) of the first later valid frame carrying FLAG_SYNCED_BEFORE, or -1. */
  firstSynced: number
}

/**
 * Scan `tail` (the bytes from the bad frame to the end of the file; offset 0 of
 * `tail` is 8-aligned in the file) on 8-byte boundaries, after the first 8
 * bytes, for frames that validate with an LSN above `lastGoodLsn`.
 */
export function findLaterFrames(tail: Uint8Array, salt: number, lastGoodLsn: number, maxRecordBytes: number): LaterFrames {
  const out: LaterFrames = { firstValid: -1, firstSynced: -1 }
  for (let p = 8; p + FRAME_HEADER_BYTES <= tail.length; p += 8) {
    if (tail[p + 8] === 0) continue
    const len = frameLength(tail, p)
    if (len > maxRecordBytes || p + ((FRAME_HEADER_BYTES + len + 7) & ~7) > tail.length) continue
    const lsn = frameLsn(tail, p)
    if (lsn <= lastGoodLsn) continue
    if (!frameChecksumOk(tail, p, len, salt)) continue
    if (out.firstValid < 0) out.firstValid = p
    if (tail[p + 9] & FLAG_SYNCED_BEFORE) {
      out.firstSynced = p
      break
    }
  }
  return out
}
