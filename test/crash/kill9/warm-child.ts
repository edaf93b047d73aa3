/**
 * A kill -9 child started ahead of time: it has imported the engine and waits
 * for its config on stdin, so a cycle does not pay Node's start-up and the
 * engine's import (most of a child's start-up) while the clock runs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readReports, type ChildReport } from './protocol.mjs'

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'child.mjs')
export const ENGINE_DIST = fileURLToPath(new URL('../../../packages/engine/dist/index.js', import.meta.url))

/** What the child is told to do (one JSON line on its stdin). */
export interface ChildConfig {
  dir: string
  durability: string
  seed: number
  /** Next sequence number per group, so group order continues across children. */
  groupNext: Record<string, number>
  noDelays: boolean
}

export class WarmChild {
  private readonly child: ChildProcess
  private stderr = ''
  private onReport: ((r: ChildReport) => void) | null = null
  private readonly early: ChildReport[] = []
  /** Resolves with the exit code (null when killed by a signal) once the reports are all read. */
  readonly done: Promise<number | null>
  killedByUs = false

  constructor() {
    this.child = spawn(process.execPath, [CHILD, ENGINE_DIST], { stdio: ['pipe', 'ignore', 'pipe', 'pipe'] })
    // A child that died early (and is reported as such) must not crash the parent with EPIPE.
    this.child.stdin!.on('error', () => {})
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-4000)))
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)))
    const reading = readReports(this.child.stdio[3] as NodeJS.ReadableStream, (r) => {
      if (this.onReport) this.onReport(r)
      else this.early.push(r)
    })
    this.done = Promise.all([exited, reading]).then(([code]) => code)
    this.done.catch(() => {})
  }

  /** Hand the child its work; reports go to `onReport` from now on. */
  start(config: ChildConfig, onReport: (r: ChildReport) => void): void {
    this.onReport = onReport
    for (const r of this.early.splice(0)) onReport(r)
    this.child.stdin!.write(JSON.stringify(config) + '\n')
  }

  kill(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.killedByUs = true
    this.child.kill('SIGKILL')
  }

  /** Not needed after all: let it exit (closing stdin) and wait for it. */
  async dismiss(): Promise<void> {
    this.child.stdin!.end()
    await this.done
  }

  get lastStderr(): string {
    return this.stderr.trim().slice(-1500)
  }
}
