/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (in
 * pipes and CI logs it stays silent). Redraws at most every 80 ms so that
 * calling update() per record costs next to nothing.
 */
import { c } from './colour.js'
import { formatBytes, formatDuration, formatInt } from './format.js'

export interface Progress {
  /** Sets how much is done (same unit as total). */
  update(done: number, total?: number): void
  /** Replaces the label shown before the bar. */
  label(text: string): void
  /** Clears the bar from the terminal (call before printing anything else). */
  stop(): void
}

const REDRAW_MS = 80
/** Work shorter than this never shows a bar (no flicker for small logs). */
const SHOW_AFTER_MS = 250
const BAR_WIDTH = 28

export interface ProgressOptions {
  label: string
  total: number
  /** Render numbers as bytes instead of counts. */
  unit?: 'count' | 'bytes'
  stream?: NodeJS.WriteStream
  /** Draw even when the stream is not a TTY (tests). */
  force?: boolean
}

/** A progress bar that draws nothing. */
export const silentProgress: Progress = { update() {}, label() {}, stop() {} }

/** Whether a progress bar would be drawn on stderr. */
export function progressVisible(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true && process.env.TERM !== 'dumb'
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr
  if (!opts.force && !progressVisible(stream)) return silentProgress
  const started = Date.now()
  let total = opts.total
  let done = 0
  let label = opts.label
  let lastDraw = 0
  let drawn = false

  const formatAmount = (n: number): string => (opts.unit === 'bytes' ? formatBytes(n) : formatInt(n))

  const draw = (): void => {
    const ratio = total > 0 ? Math.min(1, done / total) : 0
    const filled = Math.round(ratio * BAR_WIDTH)
    const bar = c.cyan('█'.repeat(filled)) + c.dim('░'.repeat(BAR_WIDTH - filled))
    const pct = `${Math.floor(ratio * 100)}%`.padStart(4)
    const text = `${label} ${bar} ${pct}  ${formatAmount(done)}/${formatAmount(total)}  ${c.dim(formatDuration(Date.now() - started))}`
    stream.write(`\r\u001b[2K${text}`)
    drawn = true
  }

  return {
    update(value, newTotal) {
      done = value
      if (newTotal !== undefined) total = newTotal
      const now = Date.now()
      if (now - started < SHOW_AFTER_MS) return
      if (now - lastDraw < REDRAW_MS && done < total) return
      lastDraw = now
      draw()
    },
    label(text) {
      label = text
      if (Date.now() - started >= SHOW_AFTER_MS) draw()
    },
    stop() {
      if (drawn) stream.write('\r\u001b[2K')
      drawn = false
    },
  }
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/**
 * For work whose size is unknown (opening the engine, compacting): a spinner
 * with the elapsed time on stderr, on a terminal only, after SHOW_AFTER_MS.
 * Runs `fn` and clears the line when it settles.
 */
export async function withSpinner<T>(label: string, fn: () => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  if (!progressVisible(stream)) return fn()
  const started = Date.now()
  let frame = 0
  let drawn = false
  const timer = setInterval(() => {
    const elapsed = Date.now() - started
    if (elapsed < SHOW_AFTER_MS) return
    stream.write(`\r\u001b[2K${c.cyan(SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length])} ${label} ${c.dim(formatDuration(elapsed))}`)
    drawn = true
  }, 100)
  try {
    return await fn()
  } finally {
    clearInterval(timer)
    if (drawn) stream.write('\r\u001b[2K')
  }
}
