/** Starting the demo's child engine and following its reports until the parent kills it. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { childArgv, type ChildArgs, type ChildMessage } from './protocol.js'

export interface ChildEngine {
  readonly pid: number
  /** Resolves when the batch is enqueued (and fsynced); rejects if the child dies or reports an error first. */
  enqueued: Promise<{ count: number; ms: number }>
  /** Calls `onProgress` with the processed count until `stop` returns true, then SIGKILLs the child; resolves with the last count. */
  killWhen(stop: (processed: number) => boolean, onProgress: (processed: number) => void): Promise<number>
  /** SIGKILL if still alive (cleanup on any error). */
  dispose(): void
}

const CHILD_SCRIPT = fileURLToPath(new URL('./child.js', import.meta.url))

export function startChildEngine(args: ChildArgs): ChildEngine {
  const child: ChildProcess = fork(CHILD_SCRIPT, childArgv(args), { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  let killed = false
  const died = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      if (!killed) reject(new Error(`the child engine exited on its own (${signal ?? `code ${code}`})${stderr ? `:\n${stderr}` : ''}`))
    })
    child.once('error', reject)
  })
  died.catch(() => {}) // observed through the promises below
  let lastReported = 0
  const listeners = new Set<(m: ChildMessage) => void>()
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'progress') lastReported = m.processed
    for (const l of listeners) l(m)
  })
  const errorReported = new Promise<never>((_, reject) => {
    listeners.add((m) => {
      if (m.type === 'error') reject(new Error(`the child engine failed: ${m.message}`))
    })
  })
  errorReported.catch(() => {})

  const enqueued = Promise.race([
    died,
    errorReported,
    new Promise<{ count: number; ms: number }>((resolve) => {
      listeners.add((m) => {
        if (m.type === 'enqueued') resolve({ count: m.count, ms: m.ms })
      })
    }),
  ])

  const kill = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      killed = true
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })

  return {
    pid: child.pid ?? -1,
    enqueued,
    async killWhen(stop, onProgress) {
      await Promise.race([
        died,
        errorReported,
        new Promise<void>((resolve) => {
          const check = (m: ChildMessage): void => {
            if (m.type !== 'progress') return
            onProgress(m.processed)
            if (stop(m.processed)) {
              listeners.delete(check)
              resolve()
            }
          }
          listeners.add(check)
        }),
      ])
      await kill()
      return lastReported
    },
    dispose() {
      if (child.exitCode === null && child.signalCode === null) {
        killed = true
        child.kill('SIGKILL')
      }
    },
  }
}
