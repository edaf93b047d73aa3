/**
 * bench/RESULTS.md is shared by several benchmark runs (wal, engine, compare).
 * Each run owns one section, delimited by HTML comments, and rewrites only it,
 * so re-running one benchmark never erases another's table.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import os from 'node:os'

export const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url))

const HEADER = `# wq benchmark results

Each section below is written by one benchmark script and rewritten only when that script runs again.
Re-run on your machine with the command named in the section. Absolute numbers depend on the disk and CPU;
ratios between rows measured in the same run are what to compare.
`

/** Replace (or append) the section named `name` in bench/RESULTS.md with `markdown`. */
export function writeSection(name: string, markdown: string, file = RESULTS_FILE): void {
  const start = `<!-- section:${name}:start -->`
  const end = `<!-- section:${name}:end -->`
  const body = `${start}\n${markdown.trim()}\n${end}`
  const text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  const next = from >= 0 && to > from
    ? text.slice(0, from) + body + text.slice(to + end.length)
    : `${text.trimEnd()}\n\n${body}\n`
  writeFileSync(file, next)
}

/** One line describing the machine a run was measured on. */
export function machineFacts(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`
}

/** Render a markdown table from a header row and data rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}
