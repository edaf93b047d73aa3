// Two-writers race child: waits for "go" on stdin, then opens the directory for
// writing — as a bare WAL or as an engine — and reports the outcome on stdout:
//   {"won":true,"pid":…}                          then holds the lock until killed
//   {"won":false,"pid":…,"code":…,"holder":…,"message":…}
//
//   node lock-child.mjs wal|engine <dir> <absolute path to the package's dist/index.js>
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

const [kind, dir, distPath] = process.argv.slice(2)
const mod = await import(pathToFileURL(distPath).href)
const silent = { level: 'silent', trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} }
silent.child = () => silent

const say = (message) => process.stdout.write(JSON.stringify(message) + '\n')
const lines = createInterface({ input: process.stdin })
say({ ready: true, pid: process.pid })

for await (const line of lines) {
  if (line !== 'go') continue
  try {
    if (kind === 'wal') await mod.Wal.open({ dir, logger: silent })
    else await mod.Engine.open({ dir, logger: silent })
    say({ won: true, pid: process.pid })
  } catch (error) {
    say({ won: false, pid: process.pid, code: error?.code, holder: error?.pid ?? null, message: String(error?.message ?? error) })
    process.exit(0)
  }
}
