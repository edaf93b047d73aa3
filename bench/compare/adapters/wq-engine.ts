/**
 * The part of @wq/engine's public API the benchmark uses, loaded at run time.
 * TODO(bench): import { Engine } from '@wq/engine' directly once the engine exports it.
 */
export interface WqQueueLike {
  add(data: unknown): Promise<unknown>
  addBulk(jobs: { data: unknown }[]): Promise<unknown>
  process(handler: (job: { id: string; data: unknown }) => Promise<void>, opts: { concurrency: number }): () => void
  on(event: 'completed', listener: (job: { id: string }) => void): unknown
}
export interface WqEngineLike {
  queue(name: string): WqQueueLike
  stats(): unknown
  close(): Promise<void>
}
interface EngineModule {
  Engine: { open(opts: Record<string, unknown>): Promise<WqEngineLike> }
}

/** Warnings and errors reach stderr; the engine's info lines would only interleave with the progress output. */
const quietLogger = {
  info() {},
  debug() {},
  warn: (obj: object, msg?: string) => console.warn('wq warn:', msg ?? '', obj),
  error: (obj: object, msg?: string) => console.error('wq error:', msg ?? '', obj),
}

export async function openEngine(dir: string, durability: string, extra: Record<string, unknown> = {}): Promise<WqEngineLike> {
  const specifier = '@wq/engine'
  const { Engine } = (await import(specifier)) as EngineModule
  return Engine.open({ dir, durability, logger: quietLogger, ...extra })
}
