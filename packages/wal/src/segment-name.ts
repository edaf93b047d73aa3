/**
 * File names inside a WAL directory:
 * - segments  `<firstLsn, 20 digits>-<segmentId, 8 hex>.wal` (sort by name = sort by LSN;
 *   the id keeps a tail-truncated segment from being confused with a new one at the same LSN),
 * - snapshots `snapshot-<lsn, 20 digits>.snap`,
 * - `LOCK`, temp files `*.tmp` (removed on open), and files set aside by recovery
 *   (`*.broken-*` torn tails, `*.corrupt*`), which are kept for forensics and otherwise ignored.
 */
import path from 'node:path'

export const LOCK_FILE = 'LOCK'
const SEGMENT_RE = /^(\d{20})-([0-9a-f]{8})\.wal$/
const SNAPSHOT_RE = /^snapshot-(\d{20})\.snap$/
const ASIDE_RE = /\.(broken|corrupt)(-[\w.-]*)?$/

export function segmentFileName(firstLsn: number, segmentId: number): string {
  return `${String(firstLsn).padStart(20, '0')}-${segmentId.toString(16).padStart(8, '0')}.wal`
}

export function snapshotFileName(lsn: number): string {
  return `snapshot-${String(lsn).padStart(20, '0')}.snap`
}

export type DirEntry =
  | { kind: 'segment'; name: string; firstLsn: number; segmentId: number }
  | { kind: 'snapshot'; name: string; lsn: number }
  | { kind: 'lock' | 'temp' | 'aside' | 'unknown'; name: string }

export function classifyName(name: string): DirEntry {
  const seg = SEGMENT_RE.exec(name)
  if (seg) return { kind: 'segment', name, firstLsn: Number(seg[1]), segmentId: parseInt(seg[2], 16) }
  const snap = SNAPSHOT_RE.exec(name)
  if (snap) return { kind: 'snapshot', name, lsn: Number(snap[1]) }
  if (name === LOCK_FILE) return { kind: 'lock', name }
  if (name.endsWith('.tmp')) return { kind: 'temp', name }
  if (ASIDE_RE.test(name)) return { kind: 'aside', name }
  return { kind: 'unknown', name }
}

/** Entries of a directory listing grouped by kind, segments and snapshots sorted by LSN. */
export interface DirListing {
  segments: { name: string; firstLsn: number; segmentId: number }[]
  snapshots: { name: string; lsn: number }[]
  temps: string[]
  unknown: string[]
  hasLock: boolean
}

export function groupListing(names: string[]): DirListing {
  const out: DirListing = { segments: [], snapshots: [], temps: [], unknown: [], hasLock: false }
  for (const name of names) {
    const e = classifyName(name)
    if (e.kind === 'segment') out.segments.push(e)
    else if (e.kind === 'snapshot') out.snapshots.push(e)
    else if (e.kind === 'temp') out.temps.push(name)
    else if (e.kind === 'unknown') out.unknown.push(name)
    else if (e.kind === 'lock') out.hasLock = true
  }
  out.segments.sort((a, b) => a.firstLsn - b.firstLsn || a.segmentId - b.segmentId)
  out.snapshots.sort((a, b) => a.lsn - b.lsn)
  return out
}

export function joinPath(dir: string, name: string): string {
  return path.join(dir, name)
}
