/**
 * The demo's story: a child engine enqueues a batch and works through it,
 * gets SIGKILLed mid-run, this process recovers the directory and finishes
 * the work, and the log is checked for a single lost job.
 */
import type { QueueSummary } from '@wq/engine/inspect'
import { cliLogger } from '../engine-session.js'
import { c } from '../output/colour.js'
import { formatDuration, formatInt } from '../output/format.js'
import { createProgress } from '../output/progress.js'
import { startChildEngine } from './child-process.js'
import { DEMO_ATTEMPTS, DEMO_QUEUE, simulatedWork } from './protocol.js'

export interface DemoSettings {
  root: string
  jobs: number
  concurrency: number
  workMs: number
  /** Fraction of the batch processed when the child is killed. */
  killAt: number
  /** Give up when recovery makes no progress for this long. */
  stallMs: number
}

export interface DemoSummary {
  dir: string
  jobs: number
  enqueueMs: number
  childPid: number
  /** Jobs the child reported processed before it was killed. */
  processedBeforeKill: number
  /** The log at the moment of the kill. */
  atKill: { completed: number; active: number; waiting: number; delayed: number; dead: number }
  recoveryMs: number
  /** Jobs recovery found running and put back ("worker lost"). */
  workerLost: number
  processedAfterRecovery: number
  final: { added: number; completed: number; waiting: number; delayed: number; active: number; dead: number }
  lost: number
  ok: boolean
  totalMs: number
}

type Say = (line: string) => void

async function demoQueue(root: string): Promise<QueueSummary> {
  const { openView } = await import('@wq/engine/inspect')
  const view = await openView(root)
  const queue = view.queues().find((q) => q.name === DEMO_QUEUE)
  if (!queue) throw new Error(`the log has no queue "${DEMO_QUEUE}"`)
  return queue
}

export async function runDemo(s: DemoSettings, say: Say): Promise<DemoSummary> {
  const started = performance.now()
  say(`${c.bold('1.')} A child process opens an engine (durability ${c.cyan('sync')}), enqueues ${formatInt(s.jobs)} jobs and works on them (concurrency ${s.concurrency})`)
  const child = startChildEngine({ root: s.root, jobs: s.jobs, concurrency: s.concurrency, workMs: s.workMs })
  let processedBeforeKill: number
  let enqueueMs: number
  try {
    const enqueued = await child.enqueued
    enqueueMs = enqueued.ms
    say(`   ${c.green('✓')} ${formatInt(enqueued.count)} jobs enqueued and fsynced in ${formatDuration(enqueued.ms)} (child PID ${child.pid})`)
    const bar = createProgress({ label: '   processing', total: s.jobs })
    const killAt = Math.floor(s.jobs * s.killAt)
    processedBeforeKill = await child.killWhen(
      (processed) => processed >= killAt,
      (processed) => bar.update(processed),
    )
    bar.stop()
  } finally {
    child.dispose()
  }
  say(`${c.bold('2.')} ${c.red('kill -9')} the child (PID ${child.pid}) as it reports ${formatInt(processedBeforeKill)} of ${formatInt(s.jobs)} jobs done: no shutdown, no flush`)

  const atKillQueue = await demoQueue(s.root)
  const atKill = {
    completed: atKillQueue.totals.completed,
    active: atKillQueue.counts.active,
    waiting: atKillQueue.counts.waiting,
    delayed: atKillQueue.counts.delayed,
    dead: atKillQueue.counts.dead,
  }
  say(
    `${c.bold('3.')} The log at the kill (read-only, as \`wq inspect\` sees it): ${formatInt(atKill.completed)} completed · ` +
      `${formatInt(atKill.active)} running · ${formatInt(atKill.waiting + atKill.delayed)} waiting · ${formatInt(atKill.dead)} dead`,
  )

  const remaining = atKill.waiting + atKill.delayed + atKill.active
  const { Engine } = await import('@wq/engine')
  const recoveryStarted = performance.now()
  const engine = await Engine.open({ dir: s.root, durability: 'sync', logger: cliLogger({ quiet: true }) as never })
  const recoveryMs = performance.now() - recoveryStarted
  const recovery = engine.recovery.get('default')
  const workerLost = recovery?.workerLost ?? atKill.active
  say(
    `${c.bold('4.')} Reopen the directory here: recovered in ${formatDuration(recoveryMs)} (${formatInt(recovery?.replayed ?? 0)} events replayed); ` +
      `the ${formatInt(workerLost)} running job${workerLost === 1 ? '' : 's'} went back to waiting with the attempt counted ("worker lost")`,
  )
  let processedAfterRecovery = 0
  try {
    const queue = engine.queue(DEMO_QUEUE, { concurrency: s.concurrency, attempts: DEMO_ATTEMPTS })
    const bar = createProgress({ label: '   finishing ', total: remaining })
    let lastProgressAt = Date.now()
    await new Promise<void>((resolve, reject) => {
      if (remaining === 0) return resolve()
      const watchdog = setInterval(() => {
        if (Date.now() - lastProgressAt > s.stallMs) {
          clearInterval(watchdog)
          reject(new Error(`no progress for ${formatDuration(s.stallMs)} after recovery (${processedAfterRecovery} of ${remaining} done)`))
        }
      }, 100)
      queue.process(async () => {
        await simulatedWork(s.workMs)
        processedAfterRecovery++
        lastProgressAt = Date.now()
        bar.update(processedAfterRecovery)
        if (processedAfterRecovery >= remaining) {
          clearInterval(watchdog)
          resolve()
        }
      })
    })
    bar.stop()
  } finally {
    // close() waits for the last handlers and logs their completions before releasing the lock.
    await engine.close()
  }
  say(`   ${c.green('✓')} ${formatInt(processedAfterRecovery)} remaining jobs processed`)

  const finalQueue = await demoQueue(s.root)
  const final = {
    added: finalQueue.totals.added,
    completed: finalQueue.totals.completed,
    waiting: finalQueue.counts.waiting,
    delayed: finalQueue.counts.delayed,
    active: finalQueue.counts.active,
    dead: finalQueue.counts.dead,
  }
  const lost = Math.max(0, s.jobs - final.completed)
  const ok = final.added === s.jobs && final.completed >= s.jobs && final.waiting + final.delayed + final.active + final.dead === 0
  say(`${c.bold('5.')} Check the log`)
  if (ok) {
    say(`   ${c.green('✓')} nothing was lost: ${formatInt(final.added)} added, ${formatInt(final.completed)} completed, 0 waiting, 0 running, 0 dead`)
    say(`   ${c.green('✓')} ${formatInt(workerLost)} job${workerLost === 1 ? ' that was' : 's that were'} running at the kill ran again (at-least-once delivery)`)
  } else {
    say(
      `   ${c.red('✗')} mismatch: ${formatInt(final.added)} added, ${formatInt(final.completed)} completed, ${formatInt(final.waiting)} waiting, ` +
        `${formatInt(final.active)} running, ${formatInt(final.dead)} dead (expected ${formatInt(s.jobs)} completed)`,
    )
  }
  return {
    dir: s.root,
    jobs: s.jobs,
    enqueueMs,
    childPid: child.pid,
    processedBeforeKill,
    atKill,
    recoveryMs,
    workerLost,
    processedAfterRecovery,
    final,
    lost: ok ? 0 : lost,
    ok,
    totalMs: performance.now() - started,
  }
}
