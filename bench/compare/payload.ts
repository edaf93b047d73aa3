import type { BenchJobData } from './adapters/bench-queue.js'

/** Bytes of `{"t":123456.789,"p":""}`, so the JSON form of the data is about `size` bytes. */
const ENVELOPE_BYTES = 24

/**
 * Makes job data of about `size` bytes serialised. The padding string is built
 * once and shared, so producing a job costs one small object, as it would for
 * a caller handing over data it already has.
 */
export function payloadMaker(size: number): (t: number) => BenchJobData {
  const p = 'x'.repeat(Math.max(0, size - ENVELOPE_BYTES))
  return (t) => ({ t, p })
}
