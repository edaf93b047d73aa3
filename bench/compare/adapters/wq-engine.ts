/** Opening @wq/engine the same way in every wq measurement. */
import { Engine, type EngineOptions, type Logger } from '@wq/engine'
import type { WqDurability } from '../systems.js'

/** Warnings and errors reach stderr; info lines would only interleave with the progress output. */
const quietLogger: Logger = {
  info() {},
  warn: (obj, msg) => console.warn('wq warn:', msg ?? '', obj),
  error: (obj, msg) => console.error('wq error:', msg ?? '', obj),
}

export function openEngine(dir: string, durability: WqDurability, extra: EngineOptions = {}): Promise<Engine> {
  return Engine.open({ dir, durability, logger: quietLogger, ...extra })
}
