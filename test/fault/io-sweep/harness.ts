// What the engine sweeps share besides their workload: a hang detector, a clock cron can be driven by, and how the
// injected fault is recognised in an error.
export const HANG_MS = 4000
export class Hang extends Error {}
/** A hang detector: rejects with Hang if `p` has not settled after `ms`. */
export function guard<T>(p: Promise<T>, what: string, ms = HANG_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang(`HANG: ${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([p, hang]).finally(() => clearTimeout(timer))
}

/** Date.now() moves on 1 s per cron tick, so `* * * * * *` schedules fire many times in a case. Never goes back. */
export const clock = {
  warp: 0,
  realNow: Date.now,
  install() { Date.now = () => clock.realNow.call(Date) + clock.warp },
  uninstall() { Date.now = clock.realNow },
}

/**
 * Whether `err` (or its cause chain) is the injected fault: the OS error, or the poisoned log carrying it. Once the
 * engine is closing, `finished()` may also reject because the job will not finish in this process.
 */
const FAULT_CODES = new Set(['EIO', 'ENOSPC', 'WAL_POISONED'])
export function isFaultError(err: unknown, closing = false): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, d = 0; e && d < 6; e = e.cause as typeof e, d++) {
    if (typeof e.code === 'string' && (FAULT_CODES.has(e.code) || (closing && e.code === 'ENGINE_CLOSED'))) return true
  }
  return false
}
export const describeError = (err: unknown) => `${(err as Error)?.constructor?.name} ${(err as { code?: string })?.code ?? ''} ${(err as Error)?.message}`
