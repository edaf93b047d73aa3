/**
 * Exit codes and the user-facing error type. Every failure the user can fix
 * (bad argument, wrong directory, locked or corrupt log) becomes a CliError:
 * one clear line on stderr, no stack trace unless --verbose.
 */

/** Process exit codes of `wq`, documented in README.md and `wq --help`. */
export const ExitCode = {
  /** Success; for `verify`, the log is clean. */
  ok: 0,
  /** Problems found (`verify`), nothing lost check failed (`demo`), or an unexpected error. */
  problems: 1,
  /** Bad input: usage, missing or non-wq directory, unknown pipeline/queue/job, malformed LSN or time. */
  usage: 2,
  /** A write command found the directory locked by a live engine. */
  locked: 3,
  /** The log is corrupt where the command needed to read it. */
  corrupt: 4,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** An error meant for the user: its message is printed as is, with no stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue
  /** Optional second line: what to do about it. */
  readonly hint?: string

  constructor(message: string, exitCode: ExitCodeValue = ExitCode.usage, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'CliError'
    this.exitCode = exitCode
    this.hint = opts.hint
  }
}

/** Shorthand for a bad-input error (exit 2). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, ExitCode.usage, { hint })
}

interface CodedError {
  code?: unknown
  pid?: unknown
  dir?: unknown
  file?: unknown
  offset?: unknown
  reason?: unknown
}

/**
 * Turns the WAL's typed errors and common OS errors into CliErrors, so that a
 * locked or corrupt directory is reported the same way by every command.
 * Anything else is returned unchanged (an unexpected error: exit 1).
 */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError || typeof err !== 'object' || err === null) return err
  const e = err as CodedError & Error
  switch (e.code) {
    case 'WAL_LOCKED':
      return new CliError(
        `${String(e.dir ?? 'directory')} is locked by a running engine${typeof e.pid === 'number' ? ` (PID ${e.pid})` : ''}`,
        ExitCode.locked,
        { hint: 'stop that process first; read-only commands (inspect, dump, jobs list/show, stats) work while it runs', cause: err },
      )
    case 'WAL_CORRUPT':
      return new CliError(
        `corrupt log: ${String(e.file)} at offset ${String(e.offset)}${e.reason ? `: ${String(e.reason)}` : ''}`,
        ExitCode.corrupt,
        { hint: 'run `wq verify <dir>` for every problem, `wq repair <dir> --truncate-at-corruption` to cut the log there', cause: err },
      )
    case 'EVENT_UNREADABLE':
      return new CliError(`corrupt log: ${e.message}`, ExitCode.corrupt, {
        hint: `\`wq dump <dir> --from ${String((err as { lsn?: unknown }).lsn)}\` shows it; \`wq repair <dir> --cut-at-lsn ${String((err as { lsn?: unknown }).lsn)}\` cuts the log before it (the rest is kept aside)`,
        cause: err,
      })
    case 'ENOENT':
      return new CliError(`no such file or directory: ${String((err as { path?: unknown }).path ?? '')}`, ExitCode.usage, { cause: err })
    case 'EACCES':
    case 'EPERM':
      return new CliError(`permission denied: ${String((err as { path?: unknown }).path ?? '')}`, ExitCode.usage, { cause: err })
    default:
      return err
  }
}
