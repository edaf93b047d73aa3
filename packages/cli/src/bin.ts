#!/usr/bin/env node
/** Entry point of the `wq` binary. */
import { main } from './program.js'

const code = await main(process.argv)
process.exitCode = code
// Everything a command opens is closed by now; if some handle still holds the
// event loop (a stray timer in a dependency), do not hang the user's shell.
setTimeout(() => process.exit(code), 2000).unref()
