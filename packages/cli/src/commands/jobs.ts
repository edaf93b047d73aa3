/**
 * `wq jobs <dir> list|show|retry|remove`: look at and act on single jobs.
 * list/show read the log without a lock (they work while an engine runs);
 * retry/remove open the engine and so need the lock.
 */
import type { Command } from 'commander'
import { usageError } from '../errors.js'
import { withExamples } from '../help.js'
import { listJobs } from './jobs/list.js'
import { removeJob } from './jobs/remove.js'
import { retryJobs } from './jobs/retry.js'
import { showJob } from './jobs/show.js'
import type { JobsOptions } from './jobs/options.js'

const ACTIONS = ['list', 'show', 'retry', 'remove'] as const
type Action = (typeof ACTIONS)[number]

function isAction(value: string | undefined): value is Action {
  return value !== undefined && (ACTIONS as readonly string[]).includes(value)
}

export function registerJobs(program: Command): void {
  const cmd = program
    .command('jobs')
    .description('list, show, retry or remove jobs (list/show work while an engine runs; retry/remove need the lock)')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .argument('<action>', 'list | show ID | retry ID | retry --all-dead | remove ID')
    .argument('[id]', 'job id (show, retry, remove)')
    .option('-p, --pipeline <name>', 'pipeline (default: "default", or the only one; a job id such as billing:42 names its own)')
    .option('--queue <name>', 'list, retry --all-dead: only this queue')
    .option('--state <state>', 'list: only jobs in this state (waiting, delayed, active, completed, dead)')
    .option('--tag <tag>', 'list: only jobs with this tag')
    .option('--limit <n>', 'list: at most this many', '50')
    .option('--after <id>', 'list: the page after this job id')
    .option('--all-dead', 'retry: every dead job (of --queue, or of every queue)')
    .option('--json', 'print as JSON')
    .action(async (dir: string, action: string, id: string | undefined, opts: JobsOptions) => {
      // Accept `wq jobs list ./data` too: the order people type first.
      if (isAction(dir) && !isAction(action)) [dir, action] = [action, dir]
      if (!isAction(action)) throw usageError(`jobs: unknown action "${action}"`, `one of: ${ACTIONS.join(', ')}`)
      switch (action) {
        case 'list':
          if (id !== undefined) throw usageError('jobs list takes no job id (did you mean `jobs show`?)')
          return listJobs(dir, opts)
        case 'show':
          return showJob(dir, requireId(action, id), opts)
        case 'retry':
          if (opts.allDead && id !== undefined) throw usageError('jobs retry: give a job id or --all-dead, not both')
          return retryJobs(dir, opts.allDead ? undefined : requireId(action, id, ' (or --all-dead)'), opts)
        case 'remove':
          return removeJob(dir, requireId(action, id), opts)
      }
    })
  withExamples(cmd, [
    'wq jobs ./data list --queue mail --state dead --limit 20',
    'wq jobs ./data show 42',
    'wq jobs ./data retry billing:17',
    'wq jobs ./data retry --all-dead --queue mail',
    'wq jobs ./data remove 42',
  ])
}

function requireId(action: Action, id: string | undefined, alternative = ''): string {
  if (id === undefined || id.trim() === '') throw usageError(`jobs ${action}: missing job id${alternative}`)
  return id
}
