/**
 * Test helpers: run the built `wq` binary as a subprocess, make temporary
 * data directories, and damage WAL files the way disks and crashes do.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BIN = process.env.WQ_TEST_BIN ?? fileURLToPath(new URL('../dist/bin.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node dist/bin.js ...args` without a terminal and without colour. */
export function wq(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...opts.env }
    delete env.FORCE_COLOR
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`wq ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, opts.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** A fresh temporary directory; remove it with `cleanup`. */
export async function tempDir(prefix = 'wq-cli-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function cleanup(...dirs: string[]): Promise<void> {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
}

/** Segment files of a WAL directory, oldest first. */
export async function segmentFiles(walDir: string): Promise<string[]> {
  return (await readdir(walDir)).filter((n) => /^\d{20}-[0-9a-f]{8}\.wal$/.test(n)).sort().map((n) => join(walDir, n))
}

/** Flips one bit at `offset` of `file` (a single-bit error inside a record). */
export async function flipBit(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file)
  bytes[offset] ^= 0x40
  await writeFile(file, bytes)
}

/** Cuts `bytes` off the end of `file` (a torn last write). */
export async function cutTail(file: string, bytes: number): Promise<void> {
  const size = (await readFile(file)).length
  await truncate(file, size - bytes)
}

/** The lines of a stderr/stdout text, without blank ones. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '')
}

/** A user error: exactly one `wq:` line (plus an optional indented hint) and no stack trace. */
export function expectOneLineError(result: CliResult): string {
  const errorLines = lines(result.stderr).filter((l) => !l.startsWith('    '))
  if (errorLines.length !== 1 || !errorLines[0].startsWith('wq: ')) throw new Error(`expected one "wq:" line, got:\n${result.stderr}`)
  if (/\n\s+at /.test(result.stderr)) throw new Error(`stack trace in a user error:\n${result.stderr}`)
  return errorLines[0]
}
