/** Runs one measurement in a fresh Node process and returns its report. */
import { spawn } from 'node:child_process'
import type { ChildMessage, MeasurementRequest } from './measurement.js'

export interface ChildOptions {
  /** write a V8 CPU profile of the child into this directory */
  cpuProfDir?: string
  /** profile file name (without directory) */
  cpuProfName?: string
  timeoutMs: number
}

export function runChild(childJs: string, request: MeasurementRequest, opts: ChildOptions): Promise<ChildMessage> {
  const nodeArgs = ['--expose-gc']
  if (opts.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, ...(opts.cpuProfName ? [`--cpu-prof-name=${opts.cpuProfName}`] : []))
  const child = spawn(process.execPath, [...nodeArgs, childJs, JSON.stringify(request)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve) => {
    let message: ChildMessage | undefined
    const timer = setTimeout(() => {
      message ??= { ok: false, error: `timed out after ${Math.round(opts.timeoutMs / 1000)} s` }
      // Only this child, by the PID we started.
      if (child.pid) process.kill(child.pid, 'SIGKILL')
    }, opts.timeoutMs)
    child.on('message', (m: ChildMessage) => {
      message ??= m
    })
    child.on('error', (err) => {
      message ??= { ok: false, error: err.message }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve(message ?? { ok: false, error: `child exited with ${signal ?? code} before reporting` })
    })
  })
}
