// The kill -9 loop's wire protocol: the child writes one JSON line per event to
// fd 3 with a *synchronous* write, so once a line is written it sits in the
// kernel's pipe buffer and survives the SIGKILL that may follow at any moment.
// An acknowledgement is reported only after the engine's promise resolved, so
// every line the parent reads is a promise the engine really made.
import { writeSync } from 'node:fs'

export const REPORT_FD = 3

/** @param {object} message */
export function report(message) {
  const line = Buffer.from(JSON.stringify(message) + '\n')
  let offset = 0
  while (offset < line.length) {
    try {
      offset += writeSync(REPORT_FD, line, offset)
    } catch (error) {
      // A full non-blocking pipe: the parent drains it concurrently, so retry.
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EAGAIN') throw error
    }
  }
}

/**
 * Parent side: split a byte stream into messages. A trailing partial line (a
 * child killed mid-write) is discarded: it was never fully reported.
 * @param {NodeJS.ReadableStream} stream
 * @param {(message: any) => void} onMessage
 * @returns {Promise<void>} resolves when the stream ends
 */
export function readReports(stream, onMessage) {
  return new Promise((resolve, reject) => {
    let pending = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk) => {
      pending += chunk
      let newline
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline)
        pending = pending.slice(newline + 1)
        if (line.length > 0) onMessage(JSON.parse(line))
      }
    })
    stream.on('end', resolve)
    stream.on('close', resolve)
    stream.on('error', reject)
  })
}
