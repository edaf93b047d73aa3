import { describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Wal, WalLockedError, readLockHolder } from '@wq/wal'
import { tempDir } from './helpers.js'

describe('single-writer lock (in process)', () => {
  it('a second writer gets WalLockedError naming our PID; the lock frees on close', async () => {
    const dir = await tempDir()
    const first = await Wal.open({ dir })
    expect((await readFile(path.join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid))
    const err = await Wal.open({ dir }).catch((e) => e)
    expect(err).toBeInstanceOf(WalLockedError)
    expect(err.code).toBe('WAL_LOCKED')
    expect(err.pid).toBe(process.pid)
    expect(await readLockHolder(dir)).toEqual({ locked: true, pid: process.pid })
    await first.close()
    expect(await readLockHolder(dir)).toEqual({ locked: false, pid: null })
    const second = await Wal.open({ dir })
    await second.close()
  })

  it('racing opens: exactly one wins and every loser names the winner (never no PID)', async () => {
    for (let round = 0; round < 10; round++) {
      const dir = await tempDir()
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => Wal.open({ dir })))
      const winners = results.filter((r) => r.status === 'fulfilled')
      expect(winners.length).toBe(1)
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(WalLockedError)
          expect(r.reason.pid).toBe(process.pid)
        }
      }
      await (winners[0] as PromiseFulfilledResult<Wal>).value.close()
    }
  })

  it('a dead previous holder\'s PID left in LOCK is not reported, and is replaced', async () => {
    const dir = await tempDir()
    const { writeFile } = await import('node:fs/promises')
    await writeFile(path.join(dir, 'LOCK'), '999999999\n') // no such process
    expect(await readLockHolder(dir)).toEqual({ locked: false, pid: null })
    const wal = await Wal.open({ dir })
    expect((await readFile(path.join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid))
    await wal.close()
    expect(await readFile(path.join(dir, 'LOCK'), 'utf8')).toBe('')
  })
})
