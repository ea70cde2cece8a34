// The pixels of a file that arrived from elsewhere, decoded out of process. Verify never runs a
// native image decoder in the caller's process (docs/security.md: libvips is kept away from hostile
// input), so the watermark search asks a long-lived child process running sharp for a small
// greyscale copy; a crash, a hang or a runaway allocation there fails that one search.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DependencyError } from '@tanba/core'

/** How long one decode may take before the decoder process is killed (ms). */
export const PIXELS_TIMEOUT_MS = 20_000

export interface GreyPixels {
  data: Uint8Array
  width: number
  height: number
}

interface Pending {
  child: ChildProcess
  resolve: (p: GreyPixels) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout
}

let child: ChildProcess | undefined
let nextId = 1
const pending = new Map<number, Pending>()

/** Fails the searches sent to one decoder process (a new one may already be serving others). */
function failAll(c: ChildProcess, error: Error): void {
  for (const [id, p] of pending) {
    if (p.child !== c) continue
    clearTimeout(p.timer)
    pending.delete(id)
    p.reject(error)
  }
}

function start(): ChildProcess {
  const c = fork(fileURLToPath(new URL('./pixels-worker.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'advanced',
    // Plain Node for the worker: the parent's loaders (tsx, test runners) are not needed there.
    execArgv: [],
  })
  c.on('message', (msg: { id: number; data?: Uint8Array; width?: number; height?: number; error?: string }) => {
    const p = pending.get(msg.id)
    if (!p) return
    clearTimeout(p.timer)
    pending.delete(msg.id)
    if (msg.error !== undefined) p.reject(new Error(msg.error))
    else p.resolve({ data: msg.data!, width: msg.width!, height: msg.height! })
    if (![...pending.values()].some((q) => q.child === c)) idle(c)
  })
  c.on('exit', (code, signal) => {
    if (child === c) child = undefined
    failAll(c, new DependencyError('TANBA_DEPENDENCY_FAILED', `The image decoder process ended (${signal ?? `exit code ${code}`}) while decoding pixels to look for a watermark`))
  })
  c.on('error', (error) => failAll(c, new DependencyError('TANBA_DEPENDENCY_FAILED', `The image decoder process failed: ${error.message}`, { cause: error })))
  return c
}

/** An idle decoder never keeps the caller's process alive. */
function idle(c: ChildProcess): void {
  c.unref()
  ;(c.channel as { unref?: () => void } | undefined)?.unref?.()
}

/** A greyscale copy of the first frame whose shorter side is at most `side` pixels, decoded in the child process. */
export function decodeGreyIsolated(bytes: Uint8Array, options: { maxPixels: number; side: number; timeoutMs?: number }): Promise<GreyPixels> {
  child ??= start()
  const c = child
  c.ref()
  ;(c.channel as { ref?: () => void } | undefined)?.ref?.()
  const id = nextId++
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id)
      reject(new DependencyError('TANBA_DEPENDENCY_FAILED', `Decoding the pixels took longer than ${options.timeoutMs ?? PIXELS_TIMEOUT_MS} ms; the decoder process was stopped`))
      // Other searches in the same process fail with it and are not retried: each is one file's search.
      if (child === c) child = undefined
      c.kill('SIGKILL')
    }, options.timeoutMs ?? PIXELS_TIMEOUT_MS)
    pending.set(id, { child: c, resolve, reject, timer })
    // A view into a larger buffer would send all of it.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
    c.send({ id, bytes: own, maxPixels: options.maxPixels, side: options.side })
  })
}

/** Process id of the running decoder, if one is running (for diagnostics and tests). */
export function pixelDecoderPid(): number | undefined {
  return child?.pid
}

/** Ends the decoder process (it also ends when this process exits). */
export async function closePixelDecoder(): Promise<void> {
  const c = child
  child = undefined
  if (!c || c.exitCode !== null || c.signalCode !== null) return
  await new Promise<void>((resolve) => {
    // Held until the process has gone (an idle decoder is unreferenced and would not be waited for).
    const force = setTimeout(() => c.kill('SIGKILL'), 2000)
    c.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    c.ref()
    c.disconnect()
  })
}
