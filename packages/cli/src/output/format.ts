/** Small formatters shared by the human output of every command. */

/**
 * 1234567 -> "1,234,567". By hand: creating an Intl.NumberFormat initialises
 * ICU, which costs tens of milliseconds at every start of the binary.
 */
export function formatInt(n: number): string {
  const rounded = Math.round(n)
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return rounded < 0 ? `-${digits}` : digits
}

/** Bytes in binary units: "512 B", "3.4 KiB", "12.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

/** Milliseconds as "850 ms", "4.2 s", "3m 05s", "2h 01m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.floor(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** Sub-millisecond latencies: "0.042 ms", "1.30 ms", "12.5 ms". */
export function formatLatency(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`
  if (ms < 10) return `${ms.toFixed(2)} ms`
  return `${ms.toFixed(1)} ms`
}

/** A rate per second, rounded to something readable. */
export function formatRate(perSecond: number, unit = '/s'): string {
  if (perSecond === 0) return `0${unit}`
  if (perSecond >= 100) return `${formatInt(Math.round(perSecond))}${unit}`
  return `${perSecond.toFixed(perSecond >= 10 ? 1 : 2)}${unit}`
}

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

/** Local time "2026-12-01 15:04:05.123" (local, as an operator reads clocks). */
export function formatTime(date: Date | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return '-'
  return (
    `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ` +
    `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`
  )
}

/** "3s ago", "5m ago", or the time when older than a day. */
export function formatAgo(date: Date | undefined, now = Date.now()): string {
  if (!date) return '-'
  const ms = now - date.getTime()
  if (ms < 0) return `in ${formatDuration(-ms)}`
  if (ms < 86_400_000) return `${formatDuration(ms)} ago`
  return formatTime(date)
}

/** A JSON-ish one-line rendering of arbitrary job data, cut to `max` characters. */
export function formatValue(value: unknown, max = 60): string {
  let text: string
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, jsonReplacer) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * JSON.stringify replacer for values msgpack can carry but JSON cannot:
 * BigInt as a string, Map/Set as arrays/objects, binary as base64.
 */
export function jsonReplacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Map) return Object.fromEntries(value)
  if (value instanceof Set) return [...value]
  if (isBufferJson(value)) return { base64: Buffer.from(value.data).toString('base64') }
  if (value instanceof Uint8Array) return { base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  if (value instanceof Error) return { name: value.name, message: value.message }
  return value
}

/** Buffer.prototype.toJSON runs before a replacer sees the value: catch its shape. */
function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)
}
