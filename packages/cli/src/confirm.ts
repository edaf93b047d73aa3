/** Asking a person before a destructive step; never asks a script. */
import { createInterface } from 'node:readline/promises'
import { usageError } from './errors.js'

/**
 * Returns true when the user agreed. With `yes` it agrees at once; without a
 * terminal to ask on it refuses with a usage error naming --yes, so a script
 * never hangs waiting for an answer nobody will type.
 */
export async function confirm(question: string, opts: { yes: boolean }): Promise<boolean> {
  if (opts.yes) return true
  if (!process.stdin.isTTY) throw usageError('refusing to change the log without confirmation: no terminal to ask on', 'pass --yes to confirm from a script')
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}
