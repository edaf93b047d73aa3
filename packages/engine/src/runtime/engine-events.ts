/** Typed engine events. Listeners get a light job reference; `engine.getJob(ref.id)` gives the rest. */
export interface JobRef {
  id: string
  queue: string
  pipeline: string
  attempts: number
}

export interface EngineEvents {
  added: (job: JobRef) => void
  active: (job: JobRef) => void
  progress: (job: JobRef, value: unknown) => void
  completed: (job: JobRef, result: unknown) => void
  retrying: (job: JobRef, error: Error) => void
  dead: (job: JobRef, error: Error) => void
  /** A queue has nothing waiting or running. */
  drained: (queue: string, pipeline: string) => void
  error: (error: Error) => void
}
