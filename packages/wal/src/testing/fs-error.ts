/** Errors shaped like node:fs's (a string `code`, `syscall`, `path`). */
export function fsError(code: string, syscall: string, path: string, note = ''): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${note || 'operation failed'}, ${syscall} '${path}'`) as NodeJS.ErrnoException
  err.code = code
  err.syscall = syscall
  err.path = path
  return err
}
