/**
 * Finding the pipelines of an engine data directory. `<dir>` may be the root
 * (one WAL directory per pipeline) or one pipeline's WAL directory, which is
 * taken to mean "that pipeline only".
 */
import { readdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { usageError } from './errors.js'
import { requireDirectory } from './paths.js'

export interface DataDir {
  /** Absolute path of the engine root. */
  root: string
  /** Pipelines present (or the one the user pointed at). */
  pipelines: string[]
  /** As the user typed it, for messages. */
  given: string
}

/** Resolves `dir` to a data directory, or fails with one clear line (exit 2). */
export async function openDataDir(dir: string): Promise<DataDir> {
  const abs = await requireDirectory(dir)
  const { isWalDir } = await import('@wq/wal')
  if (await isWalDir(abs)) return { root: dirname(abs), pipelines: [basename(abs)], given: dir }
  const pipelines = await listPipelineDirs(abs, isWalDir)
  if (pipelines.length === 0) {
    throw usageError(
      `not a wq data directory: ${dir}`,
      'expected one sub-directory per pipeline holding WAL segments (e.g. <dir>/default/)',
    )
  }
  return { root: abs, pipelines, given: dir }
}

/** WAL directory of one pipeline. */
export function pipelineDir(data: DataDir, pipeline: string): string {
  return join(data.root, pipeline)
}

function unknownPipeline(data: DataDir, name: string): Error {
  return usageError(`unknown pipeline "${name}" in ${data.given}`, `pipelines here: ${data.pipelines.join(', ')}`)
}

/** The pipelines a command should cover: the one asked for (checked), else all. */
export function selectPipelines(data: DataDir, requested?: string): string[] {
  if (requested === undefined) return data.pipelines
  if (!data.pipelines.includes(requested)) throw unknownPipeline(data, requested)
  return [requested]
}

/**
 * The single pipeline a command works on: the one asked for, else `default`,
 * else the only one; several and none asked for is a usage error.
 */
export function selectOnePipeline(data: DataDir, requested?: string): string {
  if (requested !== undefined) return selectPipelines(data, requested)[0]
  if (data.pipelines.length === 1) return data.pipelines[0]
  if (data.pipelines.includes('default')) return 'default'
  throw usageError(`${data.given} holds several pipelines: choose one with --pipeline`, `pipelines here: ${data.pipelines.join(', ')}`)
}

/** Sub-directories that are WAL directories, sorted by name (the layout contract: one per pipeline). */
async function listPipelineDirs(root: string, isWalDir: (dir: string) => Promise<boolean>): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true })
  const names: string[] = []
  for (const entry of entries) {
    if (entry.isDirectory() && (await isWalDir(join(root, entry.name)))) names.push(entry.name)
  }
  return names.sort()
}
