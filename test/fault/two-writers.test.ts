// Two processes race to open one directory for writing: exactly one wins, and
// the loser's lock error names the winner's PID — not nothing, and not the PID
// of an earlier holder that was SIGKILLed and left its number in the LOCK file.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Wal, WalLockedError } from '@wq/wal'
import { printSummary } from '../crash/summary.js'

const CHILD = fileURLToPath(new URL('./lock-child.mjs', import.meta.url))
const DIST = {
  wal: fileURLToPath(new URL('../../packages/wal/dist/index.js', import.meta.url)),
  engine: fileURLToPath(new URL('../../packages/engine/dist/index.js', import.meta.url)),
}
type Kind = keyof typeof DIST

interface Outcome {
  won: boolean
  pid: number
  code?: string
  holder?: number | null
  message?: string
}

interface Racer {
  child: ChildProcess
  pid: number
  outcome: Promise<Outcome>
}

const started: ChildProcess[] = []
const dirs: string[] = []

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/** Start a racer and wait until it has loaded the package and is waiting for "go". */
async function startRacer(kind: Kind, dir: string): Promise<Racer> {
  const child = spawn(process.execPath, [CHILD, kind, dir, DIST[kind]], { stdio: ['pipe', 'pipe', 'inherit'] })
  started.push(child)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const first = await lines.next()
  const ready = JSON.parse(first.value as string) as { pid: number }
  const outcome = lines.next().then((r) => {
    if (r.done) throw new Error(`racer ${ready.pid} exited without an outcome`)
    return JSON.parse(r.value as string) as Outcome
  })
  return { child, pid: ready.pid, outcome }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** One race on `dir`; returns winner and loser after checking the outcome. */
async function race(kind: Kind, dir: string, staleHolder: number | null) {
  const racers = await Promise.all([startRacer(kind, dir), startRacer(kind, dir)])
  for (const r of racers) r.child.stdin!.write('go\n')
  const outcomes = await Promise.all(racers.map((r) => r.outcome))
  const winners = outcomes.filter((o) => o.won)
  expect(winners, JSON.stringify(outcomes)).toHaveLength(1)
  const winner = winners[0]
  const loser = outcomes.find((o) => !o.won)!
  expect(loser.code, loser.message).toBe('WAL_LOCKED')
  expect(loser.holder, `loser's error: ${loser.message}; stale holder was ${staleHolder}`).toBe(winner.pid)
  expect(loser.message).toContain(String(winner.pid))
  return racers.find((r) => r.pid === winner.pid)!
}

const ROUNDS = 4

describe('two writers', () => {
  for (const kind of ['wal', 'engine'] as const) {
    it(`${kind}: exactly one of two racing processes wins, the other names it; again after kill -9`, async () => {
      const dir = await mkdtemp(join(tmpdir(), `wq-lock-${kind}-`))
      dirs.push(dir)
      const target = kind === 'engine' ? dir : join(dir, 'wal')
      let stale: number | null = null
      for (let round = 0; round < ROUNDS; round++) {
        const winner = await race(kind, target, stale)
        // The winner dies holding the lock, leaving its PID in LOCK: the next race must not report it.
        stale = winner.pid
        await killAndWait(winner.child)
      }
      printSummary('two writers', { kind, races: ROUNDS, 'exactly one winner': ROUNDS, 'holder named': ROUNDS })
    })
  }
})

describe('two writers in one process', () => {
  it('racing opens of a fresh directory: one wins, the other names this PID (never none)', async () => {
    const ROUNDS_IN_PROCESS = 40
    for (let round = 0; round < ROUNDS_IN_PROCESS; round++) {
      const dir = await mkdtemp(join(tmpdir(), 'wq-lock-inproc-'))
      dirs.push(dir)
      const results = await Promise.allSettled([Wal.open({ dir }), Wal.open({ dir })])
      const won = results.filter((r): r is PromiseFulfilledResult<Wal> => r.status === 'fulfilled')
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(won, `round ${round}`).toHaveLength(1)
      expect(lost[0].reason).toBeInstanceOf(WalLockedError)
      expect((lost[0].reason as WalLockedError).pid, `round ${round}: ${String(lost[0].reason)}`).toBe(process.pid)
      await won[0].value.close()
    }
    printSummary('two writers (in process)', { races: ROUNDS_IN_PROCESS, 'holder named': ROUNDS_IN_PROCESS })
  })
})
