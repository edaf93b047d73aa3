/** `wq dump | head`: the reader goes away early; dump stops quietly with exit 0. */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BIN, cleanup, tempDir } from './helpers.js'
import { writeSegmentedLog } from './fixtures.js'

let root: string
beforeAll(async () => {
  root = await tempDir()
  // ~1,000 events of ~150 bytes: more than a pipe buffer holds, so dump must meet the closed pipe.
  await writeSegmentedLog(root, 1000)
})
afterAll(() => cleanup(root))

it('ends quietly (exit 0, nothing on stderr) when its reader closes the pipe', async () => {
  const child = spawn(process.execPath, [BIN, 'dump', root], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const firstChunk = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())))
  child.stdout.destroy()
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  expect(firstChunk).toMatch(/^#1 /)
  expect(stderr).toBe('')
  expect(code).toBe(0)
})
