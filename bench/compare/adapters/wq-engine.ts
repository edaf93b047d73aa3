/**
 * The part of @wq/engine's public API the benchmark uses, loaded at run time.
 * TODO(bench): import { Engine } from '@wq/engine' directly once the engine is built in this tree.
 */
export interface WqJobLike {
  data: unknown
}
export interface WqQueueLike {
  add(data: unknown): Promise<unknown>
  addBulk(jobs: { data: unknown }[]): Promise<unknown>
  process(handler: (job: WqJobLike) => Promise<void>, opts: { concurrency: number }): void
  on(event: 'completed', listener: (job: WqJobLike) => void): unknown
}
export interface WqEngineLike {
  queue(name: string): WqQueueLike
  stats(): unknown
  close(): Promise<void>
}
interface EngineModule {
  Engine: { open(opts: { dir: string; durability: string }): Promise<WqEngineLike> }
}

export async function openEngine(dir: string, durability: string): Promise<WqEngineLike> {
  const specifier = '@wq/engine'
  const { Engine } = (await import(specifier)) as EngineModule
  return Engine.open({ dir, durability })
}
