/**
 * Opening the real engine for a write command (retry, remove, snapshot,
 * compact). The engine takes each pipeline's WAL lock, so a running engine
 * makes this fail with WalLockedError, which the CLI reports as exit 3 with
 * the holder's PID.
 */
import type { Engine } from '@wq/engine'
import { c } from './output/colour.js'
import { withSpinner } from './output/progress.js'
import { isVerbose } from './report-error.js'

type LogFn = (obj: object | string, msg?: string) => void

/**
 * A pino-shaped logger: warnings and errors reach stderr (recovery notes are
 * worth seeing when operating on a directory), the rest only with --verbose.
 */
export function cliLogger(opts: { quiet?: boolean } = {}): Record<string, unknown> {
  const loud = (): boolean => !opts.quiet || isVerbose()
  const write = (level: string, show: () => boolean): LogFn => (obj, msg) => {
    if (!show()) return
    const text = typeof obj === 'string' ? obj : msg ?? ''
    const detail = typeof obj === 'object' && isVerbose() ? ` ${safeJson(obj)}` : ''
    process.stderr.write(c.dim(`wq engine ${level}: ${text}${detail}\n`))
  }
  const logger: Record<string, unknown> = {
    level: isVerbose() ? 'debug' : 'warn',
    trace: () => {},
    debug: write('debug', isVerbose),
    info: write('info', isVerbose),
    warn: write('warn', loud),
    error: write('error', loud),
    fatal: write('fatal', loud),
    silent: () => {},
    isLevelEnabled: () => true,
  }
  logger.child = () => logger
  return logger
}

function safeJson(obj: object): string {
  try {
    return JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? { message: v.message } : typeof v === 'bigint' ? String(v) : v))
  } catch {
    return ''
  }
}

/**
 * Opens the engine on `root`, runs `fn`, and always closes it (releasing the
 * locks), with a spinner on a terminal: recovery, snapshots and compaction of
 * a large log take a while and report no progress of their own.
 */
export async function withEngine<T>(root: string, label: string, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const { Engine } = await import('@wq/engine')
  return withSpinner(label, async () => {
    const engine = await Engine.open({ dir: root, durability: 'sync', logger: cliLogger() as never })
    try {
      return await fn(engine)
    } finally {
      await engine.close()
    }
  })
}
