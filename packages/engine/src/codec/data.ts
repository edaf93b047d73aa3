/**
 * Job data and results are msgpack-encoded once, at `add`, with msgpackr's
 * plain `pack` (no records/structures: a record written today must decode in
 * any later process without shared state). The bytes are kept as-is in the
 * WAL, in memory and in snapshots; they are decoded only when a handler or a
 * lookup asks for the value.
 */
import { Packr, addExtension, REUSE_BUFFER_MODE, RESET_BUFFER_MODE } from 'msgpackr'
import { JobDataError } from '../errors.js'

/**
 * msgpack maps decode to plain objects, so a JS `Map` needs its own tag to
 * come back as a `Map`. msgpackr writes `Map` natively before looking at
 * extensions, hence the wrapper class used only when a Map is present.
 */
class TaggedMap {
  constructor(readonly entries: [unknown, unknown][]) {}
}
const MAP_EXT = 0x4d
addExtension({
  Class: TaggedMap,
  type: MAP_EXT,
  write: (m: TaggedMap) => m.entries,
  read: (entries: [unknown, unknown][]) => new Map(entries),
})

const packr = new Packr({
  useRecords: false,
  moreTypes: true,
  writeFunction: () => {
    throw new JobDataError('job data contains a function, which cannot be stored')
  },
})

const EMPTY = new Uint8Array(0)

/**
 * Checks that `value` holds only what msgpack carries and reports whether a
 * Map is inside (which then needs tagging). Walks only plain containers.
 */
function inspectValue(value: unknown, path: string, depth: number): boolean {
  if (depth > 100) throw new JobDataError(`job data is nested too deeply at ${path}`)
  const t = typeof value
  if (t === 'function') throw new JobDataError(`job data contains a function at ${path}, which cannot be stored`)
  if (t === 'symbol') throw new JobDataError(`job data contains a symbol at ${path}, which cannot be stored`)
  if (t !== 'object' || value === null) return false
  const ctor = (value as object).constructor
  if (ctor === Object || ctor === undefined) {
    let hasMap = false
    for (const k in value as Record<string, unknown>) {
      const v = (value as Record<string, unknown>)[k]
      if (typeof v === 'object' && v !== null) { if (inspectValue(v, `${path}.${k}`, depth + 1)) hasMap = true }
      else if (typeof v === 'function' || typeof v === 'symbol') inspectValue(v, `${path}.${k}`, depth + 1)
    }
    return hasMap
  }
  if (ctor === Array) {
    let hasMap = false
    const a = value as unknown[]
    for (let i = 0; i < a.length; i++) {
      const v = a[i]
      if ((typeof v === 'object' && v !== null) || typeof v === 'function' || typeof v === 'symbol') {
        if (inspectValue(v, `${path}[${i}]`, depth + 1)) hasMap = true
      }
    }
    return hasMap
  }
  if (ctor === Map) {
    for (const [k, v] of value as Map<unknown, unknown>) {
      inspectValue(k, `${path}<key>`, depth + 1)
      inspectValue(v, `${path}.get(${String(k)})`, depth + 1)
    }
    return true
  }
  if (ctor === Set) {
    let hasMap = false
    for (const v of value as Set<unknown>) if (inspectValue(v, `${path}<item>`, depth + 1)) hasMap = true
    return hasMap
  }
  return false // Date, Buffer, typed arrays, BigInt boxes, RegExp, Error: msgpackr carries them
}

function tagMaps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const ctor = (value as object).constructor
  if (ctor === Map) {
    const entries: [unknown, unknown][] = []
    for (const [k, v] of value as Map<unknown, unknown>) entries.push([tagMaps(k), tagMaps(v)])
    return new TaggedMap(entries)
  }
  if (ctor === Array) return (value as unknown[]).map(tagMaps)
  if (ctor === Set) return new Set([...(value as Set<unknown>)].map(tagMaps))
  if (ctor === Object || ctor === undefined) {
    const out: Record<string, unknown> = {}
    for (const k in value as Record<string, unknown>) out[k] = tagMaps((value as Record<string, unknown>)[k])
    return out
  }
  return value
}

/**
 * Encode a value; throws JobDataError when it holds something msgpack cannot
 * carry or when it is larger than `maxBytes`. `undefined` encodes to zero bytes.
 * With `transient`, the returned view is only valid until the next call: copy it at once.
 */
export function encodeValue(value: unknown, maxBytes: number, what = 'job data', transient = false): Uint8Array {
  if (value === undefined) return EMPTY
  let bytes: Uint8Array
  try {
    const hasMap = inspectValue(value, what === 'job data' ? 'data' : 'value', 0)
    if (transient) {
      // Reuse msgpackr's buffer: no new Buffer per call; the caller copies the bytes before the next encode.
      const b = packr.pack(hasMap ? tagMaps(value) : value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as Buffer & { start: number; end: number }
      bytes = new Uint8Array(b.buffer, b.byteOffset + b.start, b.end - b.start)
    } else bytes = packr.pack(hasMap ? tagMaps(value) : value)
  } catch (err) {
    if (err instanceof JobDataError) throw err
    throw new JobDataError(`${what} cannot be encoded: ${(err as Error).message}`)
  }
  if (bytes.length > maxBytes) {
    throw new JobDataError(`${what} is ${bytes.length} bytes encoded, over the limit of ${maxBytes} bytes`)
  }
  return bytes
}

/** Decode bytes produced by `encodeValue`; zero bytes decode to `undefined`. */
export function decodeValue(bytes: Uint8Array | null | undefined): unknown {
  if (bytes == null || bytes.length === 0) return undefined
  return packr.unpack(bytes)
}

/** Reused: msgpackr reads only `start` and `end` from it. */
const range = { start: 0, end: 0 }

/** Decode `buf[start, end)` without a view of it (see DataStore.decode for why). */
export function decodeValueAt(buf: Uint8Array, start: number, end: number): unknown {
  if (end <= start) return undefined
  range.start = start
  range.end = end
  return packr.unpack(buf, range)
}

/** Encode a result or progress value without a size limit check failure being fatal: oversized becomes an error. */
export function encodeResult(value: unknown, maxBytes: number): Uint8Array {
  return encodeValue(value, maxBytes, 'result')
}
