import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Engine, type EngineOptions, type Logger } from '@wq/engine'

export interface LogLine { level: string; obj: object; msg?: string }

/** A logger that records lines instead of printing them. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, obj, msg }) }
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }
}

export function memoryEngine(opts: EngineOptions = {}): Promise<Engine> {
  return Engine.open({ durability: 'memory', logger: recordingLogger(), ...opts })
}

const dirs: string[] = []
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wq-engine-test-'))
  dirs.push(d)
  return d
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** A promise and its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

/**
 * A gate file-system calls can be held at: after `hold()`, every `pass()` waits until `release()`;
 * `reached` resolves once a call is waiting there.
 */
export function gate(): { pass(): Promise<void>; hold(): void; release(): void; readonly reached: Promise<void> } {
  let held = false
  let opened = deferred()
  let reached = deferred()
  return {
    async pass() {
      if (!held) return
      reached.resolve()
      await opened.promise
    },
    hold() { held = true; opened = deferred(); reached = deferred() },
    release() { held = false; opened.resolve() },
    get reached() { return reached.promise },
  }
}

/** Resolves with the arguments of the next `name` event. */
export function nextEvent<A extends unknown[]>(on: (name: any, fn: (...a: any[]) => void) => unknown, name: string, filter: (...a: A) => boolean = () => true): Promise<A> {
  return new Promise((resolve) => {
    let done = false
    on(name, (...a: any[]) => {
      if (!done && filter(...(a as A))) { done = true; resolve(a as A) }
    })
  })
}

/**
 * Simulate a crash of an engine on a real directory: its WAL is closed (what
 * was written stays, nothing else happens: no drain, no snapshot), timers stop.
 */
export async function crash(engine: Engine): Promise<void> {
  const handles = (engine as any).handles as Map<string, any>
  for (const h of handles.values()) {
    const p = h.pipeline
    if (p === null) continue
    p.closing = true
    p.timers.stop()
    for (const run of p.runs.activeRuns()) run.settled = true
    p.runs.flushStarts()
    await p.log.close()
  }
}

/**
 * A handler that yields once per job and records the most jobs it saw running
 * at the same time; `finished` resolves after `total` jobs.
 */
export function concurrencyProbe(total: number): { handler: () => Promise<void>; finished: Promise<void>; max: () => number } {
  let running = 0
  let max = 0
  let done = 0
  const all = deferred()
  const handler = async (): Promise<void> => {
    running++
    max = Math.max(max, running)
    await new Promise((r) => setImmediate(r))
    running--
    if (++done === total) all.resolve()
  }
  return { handler, finished: all.promise, max: () => max }
}
