/**
 * Writing to stdout: whole documents as JSON, human text, and streamed lines
 * that respect back-pressure (so `wq dump` of a huge log never buffers it all
 * in memory) and end quietly when the reader goes away (`wq dump | head`).
 */
import { jsonReplacer } from './format.js'

/** Serialises data for --json output (Dates as ISO strings, BigInt as strings). */
export function toJson(value: unknown, pretty = true): string {
  return JSON.stringify(value, jsonReplacer, pretty ? 2 : undefined)
}

/** Prints a whole JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`)
}

/** Prints human text on stdout. */
export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

/** Raised when stdout's reader has gone away; the command ends quietly. */
export class OutputClosedError extends Error {
  constructor() {
    super('stdout closed')
    this.name = 'OutputClosedError'
  }
}

let closed = false
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') closed = true
  else throw err
})

/**
 * Streams lines to stdout, waiting for 'drain' when the pipe is full.
 * Lines are batched into one write per ~64 KiB to keep syscalls few.
 */
export class LineWriter {
  private chunk: string[] = []
  private size = 0

  async write(line: string): Promise<void> {
    if (closed) throw new OutputClosedError()
    this.chunk.push(line)
    this.size += line.length + 1
    if (this.size >= 65536) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.chunk.length === 0) return
    if (closed) throw new OutputClosedError()
    const text = `${this.chunk.join('\n')}\n`
    this.chunk = []
    this.size = 0
    if (!process.stdout.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.stdout.off('drain', done)
          process.stdout.off('close', done)
          process.stdout.off('error', done)
          resolve()
        }
        process.stdout.once('drain', done)
        process.stdout.once('close', done)
        process.stdout.once('error', done)
      })
    }
    if (closed) throw new OutputClosedError()
  }
}
