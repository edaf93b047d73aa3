// `wq verify` must list every problem with its kind, file and offset — including
// a bad segment header, which VerifyProblem models as kind 'header'. Found by
// the crash suite: WalReader.open throws on a bad header (or a gap), so
// verify() never runs and `wq verify --json` prints no report (exit 4, one line).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { Wal, WalReader } from '@wq/wal'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

it('verify() reports a bad segment header as a problem instead of refusing to open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wq-verify-header-'))
  dirs.push(dir)
  const wal = await Wal.open({ dir, segmentBytes: 1024 })
  for (let i = 0; i < 60; i++) await wal.append(Buffer.alloc(100, i))
  const second = wal.segments()[1]
  await wal.close()
  const bytes = await readFile(second.file)
  bytes[0] ^= 0xff // the magic: header checksum fails too
  await writeFile(second.file, bytes)

  const reader = await WalReader.open(dir)
  const report = await reader.verify()
  expect(report.ok).toBe(false)
  expect(report.problems).toContainEqual(
    expect.objectContaining({ kind: 'header', offset: 0, file: expect.stringContaining(basename(second.file)) }),
  )
})
