#!/usr/bin/env node
import { main } from './main.js'

const controller = new AbortController()
let interrupts = 0
const onSignal = (signal: NodeJS.Signals) => {
  // First Ctrl-C: finish the files in progress (outputs stay complete), then stop. Second: stop now.
  if (++interrupts > 1) process.exit(130)
  process.stderr.write(`\nReceived ${signal}: finishing the files in progress; press Ctrl-C again to stop at once.\n`)
  controller.abort(new Error(signal))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }
const status = await main(process.argv.slice(2), io, controller.signal)
process.exitCode = status
// Let stdout drain; if something still holds the event loop (a helper process), exit anyway.
setTimeout(() => process.exit(status), 2000).unref()
