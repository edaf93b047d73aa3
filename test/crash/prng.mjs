// Seeded PRNG shared by the crash/fault tests (TypeScript) and their plain-JS
// child processes, so a printed seed replays the same run on both sides.
// sfc32 seeded through splitmix32: tiny, fast, and good enough for test input.

/** @param {number} seed */
function splitmix32(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export class Rng {
  /** @param {number} seed any integer; only its low 32 bits matter */
  constructor(seed) {
    this.seed = seed >>> 0
    const mix = splitmix32(this.seed)
    this.a = mix()
    this.b = mix()
    this.c = mix()
    this.d = mix()
    // Discard the first outputs: sfc32 starts weakly from correlated state.
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** Next unsigned 32-bit integer. */
  u32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** Float in [0, 1). */
  float() {
    return this.u32() / 4294967296
  }

  /** Integer in [0, n). */
  int(n) {
    return Math.floor(this.float() * n)
  }

  /** Integer in [min, max] (inclusive). */
  range(min, max) {
    return min + this.int(max - min + 1)
  }

  /** True with probability p. */
  chance(p) {
    return this.float() < p
  }

  /** @template T @param {readonly T[]} items @returns {T} */
  pick(items) {
    return items[this.int(items.length)]
  }

  /** n random bytes. */
  bytes(n) {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff
    return out
  }

  /** An independent generator derived from this one (stable for a given seed and call order). */
  fork() {
    return new Rng(this.u32())
  }
}

/** A fresh seed: `WQ_SEED` from the environment when set (to replay a run), random otherwise. */
export function seedFromEnv(env = process.env) {
  const fromEnv = env.WQ_SEED
  if (fromEnv !== undefined && fromEnv !== '') {
    const parsed = Number(fromEnv)
    if (!Number.isInteger(parsed)) throw new Error(`WQ_SEED must be an integer, got ${fromEnv}`)
    return parsed >>> 0
  }
  return (Math.random() * 4294967296) >>> 0
}
