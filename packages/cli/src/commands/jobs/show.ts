/** `wq jobs <dir> show ID`: one job with its data, history and last errors; read-only. */
import type { JobInfo } from '@wq/engine/inspect'
import { openDataDir } from '../../data-dir.js'
import { c } from '../../output/colour.js'
import { formatAgo, formatTime, jsonReplacer } from '../../output/format.js'
import { printJson, printText } from '../../output/print.js'
import { colourState } from '../../output/queues.js'
import { renderFields } from '../../output/table.js'
import { isVerbose } from '../../report-error.js'
import { findJob } from './find.js'
import type { JobsOptions } from './options.js'

const STACK_LINES = 6

export async function showJob(dir: string, id: string, opts: JobsOptions): Promise<void> {
  const data = await openDataDir(dir)
  const { pipeline, job } = await findJob(data, id, opts.pipeline)
  if (opts.json) printJson({ pipeline, job })
  else printText(renderJob(pipeline, job))
}

function indentBlock(text: string, indent: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? line : indent + line))
    .join('\n')
}

function pretty(value: unknown): string {
  try {
    return JSON.stringify(value, jsonReplacer, 2) ?? String(value)
  } catch {
    return String(value)
  }
}

function renderJob(pipeline: string, job: JobInfo): string {
  const now = Date.now()
  const when = (d: Date | undefined): string => (d ? `${formatTime(d)} ${c.dim(`(${formatAgo(d, now)})`)}` : '-')
  const fields: [string, string][] = [
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['priority', String(job.priority)],
  ]
  if (job.group !== undefined) fields.push(['group', job.group])
  if (job.key !== undefined) fields.push(['key', job.key])
  fields.push(['tags', job.tags.length > 0 ? job.tags.join(', ') : '-'])
  fields.push(['created', when(job.createdAt)])
  if (job.runAt) fields.push(['run at', when(job.runAt)])
  if (job.startedAt) fields.push(['started', when(job.startedAt)])
  if (job.finishedAt) fields.push(['finished', when(job.finishedAt)])
  if (job.progress !== undefined) fields.push(['progress', pretty(job.progress)])
  fields.push(['data', indentBlock(pretty(job.data), '            ')])
  if (job.result !== undefined) fields.push(['result', indentBlock(pretty(job.result), '            ')])

  const lines = [`${c.bold(`Job ${job.id}`)}  ${colourState(job.state)}  ${c.dim(`pipeline ${pipeline}, queue ${job.queue}`)}`, renderFields(fields, '  ')]
  if (job.history.length > 0) {
    lines.push('', c.bold('History'))
    for (const h of job.history) lines.push(`  ${formatTime(h.at)}  ${h.note ? `${colourState(h.state.padEnd(9))}  ${c.dim(h.note)}` : colourState(h.state)}`)
  }
  if (job.errors.length > 0) {
    lines.push('', c.bold(`Last errors (${job.errors.length})`))
    job.errors.forEach((e, i) => {
      lines.push(`  ${formatTime(e.at)}  ${c.red(e.message)}`)
      // The newest error's stack (all of them with --verbose): older ones usually repeat it.
      const showStack = isVerbose() || i === job.errors.length - 1
      if (e.stack && showStack) {
        const stack = e.stack.split('\n').filter((l) => /^\s+at /.test(l))
        const shown = isVerbose() ? stack : stack.slice(0, STACK_LINES)
        for (const l of shown) lines.push(c.dim(`      ${l.trim()}`))
        if (shown.length < stack.length) lines.push(c.dim(`      … ${stack.length - shown.length} more (--verbose)`))
      }
    })
  }
  return lines.join('\n')
}
