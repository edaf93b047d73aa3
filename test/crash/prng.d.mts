/** Seeded PRNG (sfc32) shared by the crash/fault tests and their plain-JS children. */
export declare class Rng {
  constructor(seed: number)
  readonly seed: number
  /** Next unsigned 32-bit integer. */
  u32(): number
  /** Float in [0, 1). */
  float(): number
  /** Integer in [0, n). */
  int(n: number): number
  /** Integer in [min, max] (inclusive). */
  range(min: number, max: number): number
  /** True with probability p. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  /** n random bytes. */
  bytes(n: number): Uint8Array
  /** An independent generator derived from this one. */
  fork(): Rng
}
/** `WQ_SEED` from the environment when set (to replay a run), random otherwise. */
export declare function seedFromEnv(env?: NodeJS.ProcessEnv): number
