import { describe, expect, it } from 'vitest'
import { MemoryFs, FaultyFs } from '@wq/wal/testing'
import { Wal } from '@wq/wal'

async function writeFile(fs: MemoryFs, p: string, text: string, sync: boolean): Promise<void> {
  const fh = await fs.open(p, 'truncate')
  await fh.write(Buffer.from(text), 0, text.length, 0)
  if (sync) await fh.sync()
  await fh.close()
}

describe('MemoryFs', () => {
  it('a crash keeps only fsynced data under names made durable by a directory fsync', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    await writeFile(fs, '/d/a', 'synced', true)
    await writeFile(fs, '/d/b', 'unsynced', false)
    await fs.fsyncDir('/d')
    await writeFile(fs, '/d/c', 'created after the dir fsync', true)
    const fh = await fs.open('/d/a', 'readwrite')
    await fh.write(Buffer.from('XX'), 0, 2, 0)
    await fh.close()

    const dropped = fs.crash({ unsynced: 'drop' })
    expect(await dropped.readdir('/d')).toEqual(['a', 'b'])
    expect(dropped.bytes('/d/a').toString()).toBe('synced')
    expect(dropped.bytes('/d/b').toString()).toBe('')

    const kept = fs.crash({ unsynced: 'keep' })
    expect(kept.bytes('/d/a').toString()).toBe('XXnced')
    expect(kept.bytes('/d/b').toString()).toBe('unsynced')

    const garbled = fs.crash({ unsynced: 'garble', seed: 7 })
    expect(garbled.bytes('/d/b').length).toBe(8)
    expect(garbled.bytes('/d/b').toString()).not.toBe('unsynced')
  })

  it('a rename not followed by a directory fsync is undone by a crash', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    await writeFile(fs, '/d/x.tmp', 'data', true)
    await fs.fsyncDir('/d')
    await fs.rename('/d/x.tmp', '/d/x')
    expect(await fs.crash({ unsynced: 'keep' }).readdir('/d')).toEqual(['x.tmp'])
    await fs.fsyncDir('/d')
    expect(await fs.crash({ unsynced: 'keep' }).readdir('/d')).toEqual(['x'])
  })

  it('locks like flock: per handle, released on close', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    const a = await fs.open('/d/LOCK', 'create')
    const b = await fs.open('/d/LOCK', 'create')
    expect(await a.tryLock()).toBe(true)
    expect(await b.tryLock()).toBe(false)
    await a.close()
    expect(await b.tryLock()).toBe(true)
  })
})

describe('FaultyFs', () => {
  it('fails the nth operation once (transient) or from then on (persistent), and logs every op', async () => {
    const fs = new FaultyFs(new MemoryFs())
    await fs.mkdir('/d')
    fs.inject({ op: 'write', nth: 2, code: 'EIO' })
    fs.inject({ op: 'rename', nth: 1, code: 'ENOSPC', persistent: true })
    const fh = await fs.open('/d/f', 'truncate')
    await fh.write(Buffer.from('a'), 0, 1, 0)
    await expect(fh.write(Buffer.from('b'), 0, 1, 1)).rejects.toMatchObject({ code: 'EIO' })
    await fh.write(Buffer.from('c'), 0, 1, 1)
    await expect(fs.rename('/d/f', '/d/g')).rejects.toMatchObject({ code: 'ENOSPC' })
    await expect(fs.rename('/d/f', '/d/g')).rejects.toMatchObject({ code: 'ENOSPC' })
    expect(fs.count('write')).toBe(3)
    expect(fs.ops.filter((o) => o.injected).map((o) => `${o.op}:${o.injected}`)).toEqual(['write:EIO', 'rename:ENOSPC', 'rename:ENOSPC'])
  })

  it('runs a Wal end to end over MemoryFs', async () => {
    const mem = new MemoryFs()
    const fs = new FaultyFs(mem)
    const wal = await Wal.open({ dir: '/log', fs, durability: 'sync' })
    await Promise.all([1, 2, 3].map((i) => wal.append(Buffer.from([i]))))
    await wal.close()
    const again = await Wal.open({ dir: '/log', fs: mem.crash({ unsynced: 'drop' }) })
    expect(again.lastLsn).toBe(3)
    await again.close()
  })
})
