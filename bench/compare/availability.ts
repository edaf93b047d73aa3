/**
 * Decides, before measuring, which systems can run here. A peer that cannot
 * is skipped with a reason that is printed and written into RESULTS.md —
 * never left out silently.
 */
import { redisUnavailableReason } from './redis-server.js'
import type { Family } from './systems.js'

async function importable(specifier: string): Promise<string | undefined> {
  try {
    await import(specifier)
    return undefined
  } catch (err) {
    return `cannot load ${specifier}: ${(err as Error).message.split('\n')[0]}`
  }
}

async function sqliteReason(): Promise<string | undefined> {
  const missing = (await importable('better-sqlite3')) ?? (await importable('plainjob'))
  if (missing) return `${missing} (pnpm install in bench/ builds better-sqlite3's native module)`
  try {
    const { default: Database } = await import('better-sqlite3')
    new Database(':memory:').close()
    return undefined
  } catch (err) {
    return `better-sqlite3 is installed but does not load: ${(err as Error).message.split('\n')[0]}`
  }
}

async function wqReason(): Promise<string | undefined> {
  try {
    const engine = (await import('@wq/engine')) as Record<string, unknown>
    return typeof engine.Engine === 'function' ? undefined : '@wq/engine has no Engine export yet (run pnpm build)'
  } catch (err) {
    return `cannot load @wq/engine (run pnpm build first): ${(err as Error).message.split('\n')[0]}`
  }
}

/** Why `family` cannot run on this machine, or undefined when it can. */
export async function unavailableReason(family: Family): Promise<string | undefined> {
  switch (family) {
    case 'wq':
      return wqReason()
    case 'bullmq':
      return (await importable('bullmq')) ?? redisUnavailableReason()
    case 'sqlite':
      return sqliteReason()
    case 'fastq':
      return importable('fastq')
  }
}
