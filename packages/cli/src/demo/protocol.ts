/** Messages the demo's child engine sends its parent over the IPC channel. */
export type ChildMessage =
  | { type: 'enqueued'; count: number; ms: number }
  | { type: 'progress'; processed: number }
  | { type: 'error'; message: string }

/** Arguments of the child, passed on its command line. */
export interface ChildArgs {
  root: string
  jobs: number
  concurrency: number
  /** Mean simulated work per job; each job sleeps 0..2× this. */
  workMs: number
}

export const DEMO_QUEUE = 'demo'
export const DEMO_ATTEMPTS = 3

export function childArgv(a: ChildArgs): string[] {
  return [a.root, String(a.jobs), String(a.concurrency), String(a.workMs)]
}

export function parseChildArgv(argv: string[]): ChildArgs {
  const [root, jobs, concurrency, workMs] = argv
  return { root, jobs: Number(jobs), concurrency: Number(concurrency), workMs: Number(workMs) }
}

/** Simulated work: a random pause around `workMs`, so the run takes long enough to be killed mid-way. */
export function simulatedWork(workMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * workMs))
}
