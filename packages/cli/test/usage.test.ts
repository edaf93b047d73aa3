import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, expectOneLineError, tempDir, wq } from './helpers.js'

const COMMANDS = ['demo', 'inspect', 'dump', 'replay', 'verify', 'repair', 'snapshot', 'compact', 'jobs', 'stats', 'doctor']

describe('wq help and usage errors', () => {
  let dir: string
  beforeAll(async () => {
    dir = await tempDir()
  })
  afterAll(() => cleanup(dir))

  it('--help lists every command, the exit codes and examples', async () => {
    const r = await wq(['--help'])
    expect(r.code).toBe(0)
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'))
    expect(r.stdout).toContain('Exit codes:')
    for (const code of ['0', '1', '2', '3', '4']) expect(r.stdout).toMatch(new RegExp(`^  ${code}  `, 'm'))
    expect(r.stdout).toContain('Examples:')
  })

  it.each(COMMANDS)('wq %s --help shows its options and an example', async (name) => {
    const r = await wq([name, '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Usage: wq ${name}`)
    expect(r.stdout).toMatch(new RegExp(`Examples:\\n  \\$ wq ${name}\\b`))
  })

  it('no arguments prints the help and exits 2', async () => {
    const r = await wq([])
    expect(r.code).toBe(2)
    expect(r.stdout + r.stderr).toContain('Usage: wq')
  })

  it('an unknown command or option exits 2', async () => {
    expect((await wq(['frobnicate'])).code).toBe(2)
    expect((await wq(['inspect', dir, '--bogus'])).code).toBe(2)
    expect((await wq(['inspect'])).code).toBe(2) // missing <dir>
  })

  it('a missing directory is one line and exit 2', async () => {
    const r = await wq(['inspect', join(dir, 'nope')])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toBe(`wq: no such directory: ${join(dir, 'nope')}`)
  })

  it('a directory that is not a wq data directory is one line and exit 2', async () => {
    await mkdir(join(dir, 'plain', 'sub'), { recursive: true })
    await writeFile(join(dir, 'plain', 'notes.txt'), 'hello')
    for (const command of ['inspect', 'dump', 'verify', 'stats', 'snapshot']) {
      const r = await wq([command, join(dir, 'plain')])
      expect(r.code, command).toBe(2)
      expect(expectOneLineError(r)).toContain('not a wq data directory')
    }
  })

  it('a file where a directory is expected is exit 2', async () => {
    await writeFile(join(dir, 'file.txt'), 'x')
    const r = await wq(['verify', join(dir, 'file.txt')])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toContain('not a directory')
  })

  it('malformed values are one line and exit 2', async () => {
    const cases: [string[], string][] = [
      [['dump', dir, '--from', 'yesterday-ish'], '--from: not an LSN or a time'],
      [['replay', dir, '--until', '25:99'], '--until: not an LSN or a time'],
      [['jobs', dir, 'list', '--limit', '0'], '--limit: expected a positive whole number'],
      [['jobs', dir, 'list', '--state', 'sleeping'], '--state: unknown state'],
      [['jobs', dir, 'frob'], 'jobs: unknown action'],
      [['doctor', dir, '--seconds', 'soon'], '--seconds: expected a positive number'],
      [['stats', dir, '--interval', '-1'], '--interval: expected a positive number'],
    ]
    for (const [args, message] of cases) {
      const r = await wq(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(expectOneLineError(r), args.join(' ')).toContain(message)
    }
  })

  it('--verbose adds the stack trace to a user error', async () => {
    const r = await wq(['--verbose', 'inspect', join(dir, 'nope')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('wq: no such directory')
    expect(r.stderr).toMatch(/\n\s+at /)
  })
})
