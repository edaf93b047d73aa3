/**
 * Helpers to treat a WAL directory on a `FileSystem` (usually `MemoryFs`) as a
 * set of byte strings: read it out, write a (damaged) copy back, and watch how
 * large a read the code under test asks for.
 */
import type { FileSystem } from '@wq/wal'

export async function readFileFrom(fs: FileSystem, path: string): Promise<Buffer> {
  const fh = await fs.open(path, 'read')
  try {
    const size = (await fh.stat()).size
    const buf = Buffer.alloc(size)
    let done = 0
    while (done < size) {
      const n = await fh.read(buf, done, size - done, done)
      if (n === 0) break
      done += n
    }
    return buf.subarray(0, done)
  } finally {
    await fh.close()
  }
}

export async function writeFileTo(fs: FileSystem, path: string, bytes: Uint8Array): Promise<void> {
  const fh = await fs.open(path, 'truncate')
  try {
    let done = 0
    while (done < bytes.length) done += await fh.write(bytes, done, bytes.length - done, done)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Every file of `dir` (LOCK excluded), by name. */
export async function filesOf(fs: FileSystem, dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  for (const name of (await fs.readdir(dir)).sort()) {
    if (name === 'LOCK') continue
    files.set(name, await readFileFrom(fs, `${dir}/${name}`))
  }
  return files
}

/** Write `files` into `dir` on `fs`, durably. */
export async function writeFiles(fs: FileSystem, dir: string, files: Map<string, Uint8Array>): Promise<void> {
  await fs.mkdir(dir)
  for (const [name, bytes] of files) await writeFileTo(fs, `${dir}/${name}`, bytes)
  await fs.fsyncDir(dir)
}

/** Resolve with the promise's outcome, or fail loudly if it takes longer than `ms` (a hang). */
export async function settleWithin<T>(ms: number, what: string, promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return { value: await Promise.race([promise, hang]) }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HANG:')) throw error
    return { error }
  } finally {
    clearTimeout(timer)
  }
}
