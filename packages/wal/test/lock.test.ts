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
})
