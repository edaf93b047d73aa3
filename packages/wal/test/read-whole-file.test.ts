import { expect, it } from 'vitest'
import type { FileSystem } from '@wq/wal'
import { MemoryFs, overrideFs, overrideHandle } from '@wq/wal/testing'
import { readWholeFile } from '../src/fs/file-system.js'

const MiB = 1024 * 1024

/** MemoryFs whose reads return at most `maxRead` bytes, and whose stat may claim more bytes than there are. */
function shortReads(mem: MemoryFs, maxRead: number, extraSize = 0): FileSystem {
  return overrideFs(mem, {
    async open(path, mode) {
      const fh = await mem.open(path, mode)
      return overrideHandle(fh, {
        read: (buf, offset, length, position) => fh.read(buf, offset, Math.min(length, maxRead), position),
        stat: async () => { const s = await fh.stat(); return { ...s, size: s.size + extraSize } },
      })
    },
  })
}

async function fileOf(mem: MemoryFs, path: string, bytes: Uint8Array): Promise<void> {
  await mem.mkdir('/d')
  const fh = await mem.open(path, 'truncate')
  await fh.write(bytes, 0, bytes.length, 0)
  await fh.close()
}

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >>> 11)) & 0xff
  return b
}

it('reads a large file in parallel pieces, byte for byte, also when every read comes back short', async () => {
  const mem = new MemoryFs()
  const bytes = pattern(27 * MiB + 3) // four pieces, the last one partial
  await fileOf(mem, '/d/big', bytes)
  expect(Buffer.compare(await readWholeFile(mem, '/d/big'), bytes)).toBe(0)
  expect(Buffer.compare(await readWholeFile(shortReads(mem, 3 * MiB + 1), '/d/big'), bytes)).toBe(0)
  await fileOf(mem, '/d/empty', new Uint8Array(0))
  expect((await readWholeFile(mem, '/d/empty')).length).toBe(0)
})

it('stops where the file ends when it is shorter than its size said', async () => {
  const mem = new MemoryFs()
  const bytes = pattern(9 * MiB)
  await fileOf(mem, '/d/f', bytes)
  const read = await readWholeFile(shortReads(mem, MiB, 10 * MiB), '/d/f')
  expect(read.length).toBe(bytes.length)
  expect(Buffer.compare(read, bytes)).toBe(0)
})

it('a failed piece fails the read with its error, and the file is closed only after every piece has settled', async () => {
  const mem = new MemoryFs()
  await fileOf(mem, '/d/f', pattern(30 * MiB))
  let reading = 0
  let readingAtClose = -1
  const fs = overrideFs(mem, {
    async open(path, mode) {
      const fh = await mem.open(path, mode)
      return overrideHandle(fh, {
        async read(buf, offset, length, position) {
          reading++
          try {
            await new Promise((r) => setImmediate(r))
            if (position === 8 * MiB) throw Object.assign(new Error('EIO: read failed'), { code: 'EIO' })
            return await fh.read(buf, offset, length, position)
          } finally {
            reading--
          }
        },
        close: () => { readingAtClose = reading; return fh.close() },
      })
    },
  })
  await expect(readWholeFile(fs, '/d/f')).rejects.toMatchObject({ code: 'EIO' })
  expect(readingAtClose).toBe(0)
})
