/**
 * Builds the `wq` command line: global options, one registration per command
 * (each in src/commands/), and the mapping of every failure to an exit code.
 */
import { Command, CommanderError } from 'commander'
import { readFileSync } from 'node:fs'
import { ExitCode } from './errors.js'
import { reportError, setVerbose } from './report-error.js'
import { c, setColour } from './output/colour.js'
import { registerInspect } from './commands/inspect.js'
import { registerDump } from './commands/dump.js'
import { registerReplay } from './commands/replay.js'
import { registerVerify } from './commands/verify.js'
import { registerRepair } from './commands/repair.js'
import { registerSnapshot } from './commands/snapshot.js'
import { registerCompact } from './commands/compact.js'
import { registerJobs } from './commands/jobs.js'
import { registerSchedules } from './commands/schedules.js'
import { registerStats } from './commands/stats.js'
import { registerDoctor } from './commands/doctor.js'
import { registerDemo } from './commands/demo.js'

const EXIT_CODES_HELP = `
Exit codes:
  0  ok (for verify: the log is clean)
  1  problems found (verify), demo check failed, or an unexpected error
  2  bad input: usage, missing or non-wq directory, unknown pipeline/queue/job,
     malformed LSN or time
  3  a write command found the directory locked by a running engine (PID named)
  4  the log is corrupt where the command had to read it (file and offset named)

<dir> is an engine data directory (one sub-directory per pipeline), or one
pipeline's WAL directory inside it. Positions (--from, --to, --until) are an
LSN (1200) or a time: 2026-12-01T14:05:00Z, "2026-12-01 14:05", 14:05 (today,
local time) or "10m ago".

Examples:
  $ wq demo                        see a crash and a lossless recovery
  $ wq inspect ./data              what is in this directory
  $ wq jobs ./data list --state dead
  $ wq replay ./data --until 14:05 what did the queues look like at 14:05?
  $ wq doctor ./data               which durability mode fits this disk
`

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** Creates the commander program (exported for tests of help output). */
export function buildProgram(): Command {
  const program = new Command('wq')
  program
    .description('Inspect, verify, repair and operate wq data directories.')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'show stack traces and extra detail')
    .option('--no-color', 'no colour even on a terminal')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    // Commander's own errors (unknown option, missing argument) look like every other `wq:` error.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, `${c.red('wq:')} `)) })
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', EXIT_CODES_HELP)
    .hook('preAction', (_this, actionCommand) => {
      const opts = actionCommand.optsWithGlobals<{ verbose?: boolean; color?: boolean }>()
      setVerbose(opts.verbose === true)
      if (opts.color === false) setColour(false)
    })

  registerDemo(program)
  registerInspect(program)
  registerDump(program)
  registerReplay(program)
  registerVerify(program)
  registerRepair(program)
  registerSnapshot(program)
  registerCompact(program)
  registerJobs(program)
  registerSchedules(program)
  registerStats(program)
  registerDoctor(program)
  return program
}

/** Runs `wq` with the given argv and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  // --verbose must take effect even when parsing itself fails.
  setVerbose(argv.includes('--verbose'))
  if (argv.includes('--no-color')) setColour(false)
  const program = buildProgram()
  try {
    if (argv.length <= 2) {
      program.outputHelp()
      return ExitCode.usage
    }
    await program.parseAsync(argv)
    return Number(process.exitCode ?? ExitCode.ok)
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help/version).
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage
    }
    return reportError(err)
  }
}
