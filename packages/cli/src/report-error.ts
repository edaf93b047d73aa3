/**
 * The one place errors reach the user: a single `wq: message` line (plus an
 * optional hint), the stack only with --verbose, and the matching exit code.
 */
import { CliError, ExitCode, toCliError, type ExitCodeValue } from './errors.js'
import { c } from './output/colour.js'
import { OutputClosedError } from './output/print.js'

let verbose = false

/** Set from the global --verbose flag before a command runs. */
export function setVerbose(on: boolean): void {
  verbose = on
}

export function isVerbose(): boolean {
  return verbose
}

/** Prints an error as the user should see it and returns the exit code to use. */
export function reportError(err: unknown): ExitCodeValue {
  if (err instanceof OutputClosedError) return ExitCode.ok // the reader went away (`| head`): not a failure
  const mapped = toCliError(err)
  const stderr = process.stderr
  if (mapped instanceof CliError) {
    stderr.write(`${c.red('wq:')} ${mapped.message}\n`)
    if (mapped.hint) stderr.write(`${c.dim(`    ${mapped.hint}`)}\n`)
    if (verbose) stderr.write(`${stackOf(mapped.cause ?? mapped)}\n`)
    return mapped.exitCode
  }
  const message = err instanceof Error ? err.message : String(err)
  stderr.write(`${c.red('wq:')} unexpected error: ${message}\n`)
  if (verbose) stderr.write(`${stackOf(err)}\n`)
  else stderr.write(`${c.dim('    run again with --verbose for the stack trace')}\n`)
  return ExitCode.problems
}

function stackOf(err: unknown): string {
  if (err instanceof Error) {
    let text = err.stack ?? `${err.name}: ${err.message}`
    if (err.cause !== undefined && err.cause !== err) text += `\nCaused by: ${stackOf(err.cause)}`
    return text
  }
  return String(err)
}
