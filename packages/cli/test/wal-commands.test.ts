/**
 * verify and repair against real WAL directories written by @wq/wal, damaged
 * the way disks and crashes damage them, and locked by a live writer.
 */
import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Wal } from '@wq/wal'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cleanup, cutTail, expectOneLineError, flipBit, segmentFiles, tempDir, wq } from './helpers.js'

const RECORDS = 300

/** A pipeline `default` under a fresh root, with several small (sealed) segments. */
async function writeLog(root: string): Promise<string> {
  const walDir = join(root, 'default')
  const wal = await Wal.open({ dir: walDir, segmentBytes: 4096, durability: 'os' })
  for (let i = 1; i <= RECORDS; i++) wal.push(Buffer.from(`record ${i} `.repeat(3)))
  await wal.close()
  return walDir
}

describe('wq verify / repair', () => {
  let root: string
  let walDir: string
  beforeEach(async () => {
    root = await tempDir()
    walDir = await writeLog(root)
  })
  afterEach(() => cleanup(root))

  it('verify exits 0 on a clean log and counts its records', async () => {
    const r = await wq(['verify', root])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/✓ default\s+\d+ segments, 300 records, 0 snapshots: clean/)
    const json = JSON.parse((await wq(['verify', root, '--json'])).stdout)
    expect(json.ok).toBe(true)
    expect(json.pipelines[0]).toMatchObject({ pipeline: 'default', ok: true, records: RECORDS, problems: [] })
  })

  it('verify exits 1 naming the file and offset of a flipped bit in a sealed segment', async () => {
    const [, second] = await segmentFiles(walDir)
    await flipBit(second, 2000)
    const r = await wq(['verify', root])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`corruption\\s+${second.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at offset \\d+: `))
    const json = JSON.parse((await wq(['verify', root, '--json'])).stdout)
    expect(json.ok).toBe(false)
    const problem = json.pipelines[0].problems[0]
    expect(problem).toMatchObject({ kind: 'corruption', file: second })
    expect(problem.offset).toBeGreaterThan(0)
    expect(problem.offset).toBeLessThanOrEqual(2000)
  })

  it('verify accepts one pipeline directory directly', async () => {
    const r = await wq(['verify', walDir])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('default')
  })

  it('a torn tail is reported but is not corruption (exit 0)', async () => {
    const files = await segmentFiles(walDir)
    await cutTail(files[files.length - 1], 13)
    const r = await wq(['verify', root])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('torn-tail')
    expect(r.stdout).toContain(`${RECORDS - 1} records`)
  })

  it('repair without --truncate-at-corruption is a usage error', async () => {
    const r = await wq(['repair', root])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('repair needs --truncate-at-corruption')
  })

  it('repair refuses without a terminal unless --yes, and changes nothing', async () => {
    const [, second] = await segmentFiles(walDir)
    await flipBit(second, 2000)
    const before = await readdir(walDir)
    const r = await wq(['repair', root, '--truncate-at-corruption'])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('without confirmation')
    expect(r.stderr).toContain('--yes')
    expect(await readdir(walDir)).toEqual(before)
  })

  it('repair --dry-run says what would be cut and changes nothing', async () => {
    const [, second] = await segmentFiles(walDir)
    await flipBit(second, 2000)
    const before = await readdir(walDir)
    const r = await wq(['repair', root, '--truncate-at-corruption', '--dry-run'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Will cut the log at ${basename(second)} offset`)
    expect(r.stdout).toContain('dry run, nothing changed')
    expect(await readdir(walDir)).toEqual(before)
  })

  it('repair --yes cuts at the corruption, keeps the cut bytes aside, and the log verifies clean', async () => {
    const [, second] = await segmentFiles(walDir)
    await flipBit(second, 2000)
    const r = await wq(['repair', root, '--truncate-at-corruption', '--yes'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/✓ default: repaired; log now ends at LSN \d+ \(\d+ records cut off\)/)
    expect(r.stdout).toContain('kept aside:')
    const names = await readdir(walDir)
    expect(names.some((n) => n.startsWith(basename(second)) && n.includes('.corrupt'))).toBe(true)
    const after = await wq(['verify', root])
    expect(after.code).toBe(0)
    // The log is readable again by a writer, up to the last good record.
    const wal = await Wal.open({ dir: walDir })
    expect(wal.lastLsn).toBeGreaterThan(0)
    expect(wal.lastLsn).toBeLessThan(RECORDS)
    await wal.close()
  })

  it('repair --json reports the cut', async () => {
    const [, second] = await segmentFiles(walDir)
    await flipBit(second, 2000)
    const r = await wq(['repair', root, '--truncate-at-corruption', '--yes', '--json'])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.pipelines[0]).toMatchObject({ pipeline: 'default', action: 'repaired', lastLsnBefore: RECORDS, remaining: [] })
    expect(json.pipelines[0].cutAtCorruption.movedAside.length).toBeGreaterThan(0)
  })

  it('repair of a clean log does nothing', async () => {
    const r = await wq(['repair', root, '--truncate-at-corruption', '--yes'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('default: clean, nothing to repair')
  })

  it('repair of a log locked by a live writer exits 3 naming its PID', async () => {
    // This process holds the flock; the CLI's own open file description sees it taken.
    const wal = await Wal.open({ dir: walDir })
    try {
      const [, second] = await segmentFiles(walDir)
      await flipBit(second, 2000)
      const r = await wq(['repair', root, '--truncate-at-corruption', '--yes'])
      expect(r.code).toBe(3)
      expect(expectOneLineError(r)).toContain(`locked by a running engine (PID ${process.pid})`)
    } finally {
      await wal.close()
    }
  })
})
