/** Sizes of what a system left on disk, for the backlog table. */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export function directoryBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size
  }
  return total
}
