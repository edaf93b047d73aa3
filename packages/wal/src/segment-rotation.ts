/**
 * The segment hand-over at a rotation: seal the full segment, then publish the
 * next one. The order is what recovery relies on:
 *
 * - the old segment's records are fdatasynced first, so a failure of the
 *   steps after it cannot reject records that are whole on disk;
 * - its zero-filled space is cut off (and the new size fsynced), because a
 *   sealed segment must end at its last frame (zeros there would read as
 *   corruption once a later segment exists);
 * - both happen before the next segment exists, so a power cut never leaves
 *   a later segment beside an earlier one with a hole in it;
 * - its handle is closed only after its last background work (zero-fill,
 *   background fdatasync) has settled.
 */
import type { ActiveSegment } from './active-segment.js'
import type { FileHandle, FileSystem } from './fs/file-system.js'
import { createSegment, SegmentPublishError, type SegmentState } from './segment-file.js'
import type { SegmentHeader } from './segment-header.js'

export interface RotationHooks {
  /** The error that poisoned the log, or null. */
  poisoned(): Error | null
  /** Poison the log: the kernel may have dropped what it was asked to keep. */
  poison(err: unknown): void
  /** fdatasync the active segment (poisons the log on failure). */
  syncActive(): Promise<void>
}

/** Seal `old` and create the segment `header` names. Throws (after poisoning where the log can no longer be trusted) if either fails. */
export async function sealAndCreateNext(
  old: ActiveSegment,
  fs: FileSystem,
  dir: string,
  header: SegmentHeader,
  hooks: RotationHooks,
): Promise<{ fh: FileHandle; state: SegmentState }> {
  await old.settled()
  throwIfPoisoned(hooks)
  // The records first: a cut that fails poisons the log, and records written but not yet fsynced would then be
  // rejected although they are whole on disk and come back on reopen.
  if (!old.allSynced) await hooks.syncActive()
  throwIfPoisoned(hooks)
  if (old.hasZeros) {
    try {
      await old.cutZeros()
    } catch (err) {
      hooks.poison(err)
      throw err
    }
  }
  let created
  try {
    created = await createSegment(fs, dir, header)
  } catch (err) {
    if (err instanceof SegmentPublishError) hooks.poison(err.cause)
    throw err
  }
  await old.idle()
  await old.fh.close().catch(() => {})
  return created
}

function throwIfPoisoned(hooks: RotationHooks): void {
  const err = hooks.poisoned()
  if (err !== null) throw err
}
