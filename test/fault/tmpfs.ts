/**
 * A real, tiny file system for the full-disk tests: a tmpfs mounted on a fresh
 * temp directory. Mounting needs root (CAP_SYS_ADMIN); where that is not
 * permitted the caller gets the reason and skips, saying so.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface Tmpfs {
  dir: string
  /** Change the size limit in place (`mount -o remount,size=`): "space is back". */
  resize(bytes: number): Promise<void>
  /** Unmount and remove the mount point. Safe to call twice. */
  unmount(): Promise<void>
}

export type MountResult = { ok: true; fs: Tmpfs } | { ok: false; reason: string }

export async function mountTmpfs(bytes: number): Promise<MountResult> {
  const dir = await mkdtemp(join(tmpdir(), 'wq-tmpfs-'))
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir])
  } catch (error) {
    await rmdir(dir).catch(() => {})
    const e = error as { stderr?: string; message: string }
    return { ok: false, reason: `cannot mount a tmpfs here: ${(e.stderr || e.message).trim()}` }
  }
  let mounted = true
  return {
    ok: true,
    fs: {
      dir,
      async resize(size: number) {
        await run('mount', ['-o', `remount,size=${size}`, dir])
      },
      async unmount() {
        if (!mounted) return
        mounted = false
        // Lazy unmount: a file handle a failed test left open must not keep the mount around.
        await run('umount', ['-l', dir])
        await rmdir(dir).catch(() => {})
      },
    },
  }
}
