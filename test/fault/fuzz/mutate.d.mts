import type { Rng } from '../../crash/prng.mjs'

export interface FuzzCase {
  bytes: Buffer
  /** What was done, e.g. "flip 3 bits at 130,131,900". */
  how: string
}

/** One damaged variant of `input` (sometimes two mutations stacked). */
export declare function mutate(rng: Rng, input: Buffer): FuzzCase
