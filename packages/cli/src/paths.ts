import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { usageError } from './errors.js'

/** Resolves `dir` and checks that it is an existing directory (exit 2 otherwise). */
export async function requireDirectory(dir: string): Promise<string> {
  const abs = resolve(dir)
  let info
  try {
    info = await stat(abs)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw usageError(`no such directory: ${dir}`)
    if (code === 'EACCES') throw usageError(`permission denied: ${dir}`)
    throw err
  }
  if (!info.isDirectory()) throw usageError(`not a directory: ${dir}`)
  return abs
}
