/**
 * Fuzz-case generator: turns a valid file (a WAL segment or a snapshot) into a
 * damaged one, or makes garbage from nothing. Each case carries a description
 * so a failing case can be read, and a seed so it can be replayed.
 * Plain JS: the fuzz children (which run outside vitest) use it too.
 */

/** Length values a reader must refuse to believe before allocating. */
const HOSTILE_LENGTHS = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0x04000001, 0x00ffffff]

/** @type {Record<string, (rng: import('../../crash/prng.mjs').Rng, input: Buffer) => {bytes: Buffer, how: string}>} */
const mutations = {
  flipBits(rng, input) {
    const out = Buffer.from(input)
    const count = rng.range(1, 8)
    const at = []
    for (let i = 0; i < count && out.length > 0; i++) {
      const pos = rng.int(out.length)
      out[pos] ^= 1 << rng.int(8)
      at.push(pos)
    }
    return { bytes: out, how: `flip ${at.length} bits at ${at.join(',')}` }
  },
  overwriteRun(rng, input) {
    const out = Buffer.from(input)
    if (out.length === 0) return { bytes: out, how: 'overwrite nothing (empty)' }
    const start = rng.int(out.length)
    const len = Math.min(out.length - start, rng.range(1, 64))
    out.set(rng.bytes(len), start)
    return { bytes: out, how: `overwrite ${len} random bytes at ${start}` }
  },
  zeroSector(rng, input) {
    const out = Buffer.from(input)
    const sectors = Math.max(1, Math.ceil(out.length / 512))
    const start = rng.int(sectors) * 512
    out.fill(0, start, Math.min(out.length, start + 512))
    return { bytes: out, how: `zero sector at ${start}` }
  },
  truncate(rng, input) {
    const at = rng.int(input.length + 1)
    return { bytes: Buffer.from(input.subarray(0, at)), how: `truncate at ${at}` }
  },
  appendGarbage(rng, input) {
    const extra = Buffer.from(rng.bytes(rng.range(1, 300)))
    return { bytes: Buffer.concat([input, extra]), how: `append ${extra.length} random bytes` }
  },
  hostileLength(rng, input) {
    const out = Buffer.from(input)
    // Frames start on 8-byte boundaries with the length at +4; hit one of those (or anywhere, sometimes).
    const slots = Math.max(1, Math.floor(out.length / 8))
    const pos = rng.chance(0.8) ? rng.int(slots) * 8 + 4 : rng.int(Math.max(1, out.length - 4))
    const value = rng.pick(HOSTILE_LENGTHS)
    if (pos + 4 <= out.length) out.writeUInt32LE(value, pos)
    return { bytes: out, how: `u32 ${value.toString(16)} at ${pos}` }
  },
  spliceSelf(rng, input) {
    if (input.length < 16) return { bytes: Buffer.from(input), how: 'splice nothing (short)' }
    const from = rng.int(input.length - 8)
    const len = rng.range(8, Math.min(512, input.length - from))
    const to = rng.int(input.length)
    const out = Buffer.concat([input.subarray(0, to), input.subarray(from, from + len), input.subarray(to)])
    return { bytes: out, how: `copy ${len} bytes from ${from} to ${to}` }
  },
  deleteRange(rng, input) {
    if (input.length < 2) return { bytes: Buffer.from(input), how: 'delete nothing (short)' }
    const start = rng.int(input.length - 1)
    const len = rng.range(1, Math.min(64, input.length - start))
    return {
      bytes: Buffer.concat([input.subarray(0, start), input.subarray(start + len)]),
      how: `delete ${len} bytes at ${start}`,
    }
  },
  randomBytes(rng) {
    const len = rng.pick([0, 1, 7, 8, 63, 64, 65, rng.range(0, 4096)])
    return { bytes: Buffer.from(rng.bytes(len)), how: `${len} random bytes` }
  },
  constantFill(rng, input) {
    const value = rng.pick([0x00, 0xff, 0x01])
    const len = rng.chance(0.5) ? input.length : rng.range(1, 2048)
    return { bytes: Buffer.alloc(len, value), how: `${len} bytes of 0x${value.toString(16)}` }
  },
}

const names = Object.keys(mutations)

/** One damaged variant of `input` (sometimes two mutations stacked). */
export function mutate(rng, input) {
  const first = mutations[rng.pick(names)](rng, input)
  if (!rng.chance(0.25)) return first
  const second = mutations[rng.pick(names)](rng, first.bytes)
  return { bytes: second.bytes, how: `${first.how}; then ${second.how}` }
}
