import { expect, it } from 'vitest'
import { RecordTooLargeError, Wal } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'

it('push with a tail logs one record whose payload is the payload followed by the tail', async () => {
  const fs = new MemoryFs()
  const wal = await Wal.open({ dir: '/w', fs, durability: 'os', maxRecordBytes: 64 })
  const head = Buffer.from('head:')
  const tail = Buffer.from('the tail bytes')
  const lsn = wal.push(head, 7, tail)
  tail.fill(0) // copied at push: changing the caller's buffer afterwards changes nothing
  wal.push(Buffer.from('plain'), 3)
  expect(() => wal.push(Buffer.alloc(40), 1, Buffer.alloc(30))).toThrow(RecordTooLargeError) // the limit counts both parts
  await wal.close()
  const again = await Wal.open({ dir: '/w', fs, durability: 'os' })
  const seen: [number, number, string][] = []
  await again.replay(0, (r) => seen.push([r.lsn, r.type, Buffer.from(r.payload).toString()]))
  expect(seen).toEqual([[lsn, 7, 'head:the tail bytes'], [lsn + 1, 3, 'plain']])
  await again.close()
})
