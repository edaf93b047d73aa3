/** Refusing write commands early, with the holder's PID, when a live engine holds a pipeline's lock. */
import { CliError, ExitCode } from './errors.js'
import { pipelineDir, type DataDir } from './data-dir.js'

export async function requireUnlocked(data: DataDir, pipelines: string[], command: string): Promise<void> {
  const { readLockHolder } = await import('@wq/wal')
  for (const name of pipelines) {
    const dir = pipelineDir(data, name)
    const lock = await readLockHolder(dir)
    if (lock.locked) {
      throw new CliError(`${dir} is locked by a running engine${lock.pid !== null ? ` (PID ${lock.pid})` : ''}: \`wq ${command}\` needs the lock`, ExitCode.locked, {
        hint: 'stop that engine first (or do this from inside it); read-only commands (inspect, dump, jobs list/show, schedules list, stats) work while it runs',
      })
    }
  }
}
