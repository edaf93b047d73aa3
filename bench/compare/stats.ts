/** Median of a non-empty list (mean of the middle two for even lengths); NaN for an empty one. */
export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (finite.length === 0) return NaN
  const mid = finite.length >> 1
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2
}

/** Thousands-separated integer, or a dash for a missing value. */
export function int(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en-US')
}

/** Milliseconds with precision that suits the magnitude. */
export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—'
  if (value < 1) return value.toFixed(2)
  if (value < 100) return value.toFixed(1)
  return Math.round(value).toLocaleString('en-US')
}

/** A ratio as `12×`, `3.4×` or `0.52×`. */
export function ratio(value: number): string {
  if (!Number.isFinite(value) || value <= 0) return '—'
  if (value >= 100) return `${Math.round(value).toLocaleString('en-US')}×`
  if (value >= 10) return `${value.toFixed(0)}×`
  if (value >= 1) return `${value.toFixed(1)}×`
  return `${value.toFixed(2)}×`
}
