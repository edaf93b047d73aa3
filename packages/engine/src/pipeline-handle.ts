/**
 * `engine.pipeline(name)`: an independent unit with its own WAL directory
 * and queues. The handle exists at once; a pipeline that was not open yet
 * opens in the background (`ready`), and queue calls wait for it.
 */
import { EngineError } from './errors.js'
import { checkLimit, checkName, checkQueueOptions, checkRunOptions } from './runtime/check-options.js'
import { Queue, storedConfig } from './queue.js'
import type { EngineEvents } from './runtime/engine-events.js'
import type { Emitter } from './runtime/emitter.js'
import type { Pipeline } from './runtime/pipeline.js'
import type { QueueOptions } from './types.js'

export class PipelineHandle {
  pipeline: Pipeline | null = null
  readonly ready: Promise<Pipeline>
  private readonly queues = new Map<string, Queue>()
  private closeRequested = false

  constructor(readonly name: string, opening: Promise<Pipeline>, private readonly events: Emitter<EngineEvents>) {
    this.ready = opening.then((p) => {
      this.pipeline = p
      // Calls made while it was opening wait for this; once the engine is closing they must find it closing.
      if (this.closeRequested) p.closing = true
      return p
    })
    this.ready.catch(() => {})
  }

  /** @internal engine.close() was called: refuse new work from now on, also if the pipeline is still opening. */
  markClosing(): void {
    this.closeRequested = true
    if (this.pipeline !== null) this.pipeline.closing = true
  }

  /** @internal the open pipeline; throws while it is still opening. */
  get open(): Pipeline {
    if (this.pipeline === null) throw new EngineError('PIPELINE_OPENING', `pipeline "${this.name}" is still opening (await engine.ready("${this.name}"))`)
    return this.pipeline
  }

  /** The queue `name` of this pipeline; options (when given) are applied and the logged part persisted. */
  queue<T = any>(name: string, options?: QueueOptions): Queue<T> {
    checkName('queue name', name)
    // At the call, also for a pipeline still opening (the options are applied once it is open).
    if (options !== undefined) {
      checkQueueOptions(options)
      checkRunOptions(options)
      checkLimit('maxPending', options.maxPending, 0)
    }
    let q = this.queues.get(name)
    if (q === undefined) {
      q = new Queue<T>(this, name, this.events)
      this.queues.set(name, q)
    }
    if (options !== undefined) {
      const configure = (p: Pipeline) => {
        const current = p.state.queuesByName.get(name)?.config()
        p.configureQueue(name, options, storedConfig(options, current))
      }
      if (this.pipeline !== null) configure(this.pipeline)
      // Opening failed, or the engine closed meanwhile: the options have no queue to apply to.
      else this.ready.then(configure).catch(() => {})
    }
    return q as Queue<T>
  }
}
