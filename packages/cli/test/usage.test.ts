import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildProgram } from '../src/program.js'
import { BIN, cleanup, expectOneLineError, tempDir, wq } from './helpers.js'

const COMMANDS = ['demo', 'inspect', 'dump', 'replay', 'verify', 'repair', 'snapshot', 'compact', 'jobs', 'schedules', 'stats', 'doctor']

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

  it.each(COMMANDS)('wq %s --help shows its options and an example', (name) => {
    // In-process (the same commander program the binary builds): one subprocess per command would only add startup time.
    const command = buildProgram().commands.find((c) => c.name() === name)
    expect(command).toBeDefined()
    let out = ''
    command!.configureOutput({ writeOut: (text) => (out += text) })
    command!.outputHelp()
    expect(out).toContain(`Usage: wq ${name}`)
    expect(out).toMatch(new RegExp(`Examples:\\n  \\$ wq ${name}\\b`))
    expect(command!.description().length).toBeGreaterThan(20)
  })

  it('the built bin starts with a node shebang (what `bin` linking needs)', async () => {
    const text = await readFile(BIN, 'utf8')
    expect(text.split('\n')[0]).toBe('#!/usr/bin/env node')
  })

  it('no arguments prints the help and exits 2', async () => {
    const r = await wq([])
    expect(r.code).toBe(2)
    expect(r.stdout + r.stderr).toContain('Usage: wq')
  })

  it('an unknown command or option, or a missing argument, exits 2', async () => {
    const results = await Promise.all([wq(['frobnicate']), wq(['inspect', dir, '--bogus']), wq(['inspect'])])
    expect(results.map((r) => r.code)).toEqual([2, 2, 2])
    expect(results[0].stderr).toContain("unknown command 'frobnicate'")
    expect(results[2].stderr).toContain("missing required argument 'dir'")
  })

  it('a missing directory is one line and exit 2', async () => {
    const r = await wq(['inspect', join(dir, 'nope')])
    expect(r.code).toBe(2)
    expect(expectOneLineError(r)).toBe(`wq: no such directory: ${join(dir, 'nope')}`)
  })

  it('a directory that is not a wq data directory is one line and exit 2', async () => {
    await mkdir(join(dir, 'plain', 'sub'), { recursive: true })
    await writeFile(join(dir, 'plain', 'notes.txt'), 'hello')
    const commands = ['inspect', 'verify', 'snapshot']
    const results = await Promise.all(commands.map((command) => wq([command, join(dir, 'plain')])))
    results.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(2)
      expect(expectOneLineError(r)).toContain('not a wq data directory')
    })
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
    const results = await Promise.all(cases.map(([args]) => wq(args)))
    results.forEach((r, i) => {
      const [args, message] = cases[i]
      expect(r.code, args.join(' ')).toBe(2)
      expect(expectOneLineError(r), args.join(' ')).toContain(message)
    })
  })

  it('--verbose adds the stack trace to a user error', async () => {
    const r = await wq(['--verbose', 'inspect', join(dir, 'nope')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('wq: no such directory')
    expect(r.stderr).toMatch(/\n\s+at /)
  })
})
