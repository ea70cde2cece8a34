import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  AbortedError,
  DependencyError,
  MalformedInputError,
  UnsupportedFormatError,
  isTanbaError,
  type Signer,
  type TanbaError,
} from '@tanba/core'
import { formatName } from './formats.js'

/** How long one addon call may take before the worker is killed (ms). */
export const DEFAULT_C2PA_TIMEOUT_MS = 20_000
/** The npm package that holds the native addon; named in "missing" errors. */
export const C2PA_ADDON_PACKAGE = '@contentauth/c2pa-node'
const STDERR_TAIL_BYTES = 8192

export interface C2paWorkerOptions {
  /** Per-call time limit in ms (default {@link DEFAULT_C2PA_TIMEOUT_MS}); on expiry the worker is killed. */
  timeoutMs?: number
  /** Worker script; defaults to the `worker.mjs` shipped next to this module (src/ or dist/). */
  workerPath?: string
  /** Environment of the worker process (defaults to this process's). */
  env?: NodeJS.ProcessEnv
  /**
   * Calls the worker process works on at once (default 1). The addon runs them in parallel, so one
   * process can serve several threads. When the process dies or hangs with several calls in it, each
   * of them runs again alone, so a hostile file still fails only its own call.
   */
  concurrency?: number
}

/** @internal Per-call settings of one request. */
export interface CallOptions {
  timeoutMs?: number
  signal?: AbortSignal
  signer?: Pick<Signer, 'sign'>
}

export type Op = 'read' | 'sign'

/** @internal What read and sign need from a worker: this process's {@link C2paWorker}, or a host in another thread. */
export interface C2paCaller {
  call(op: Op, mediaType: string, payload: Record<string, unknown>, options?: CallOptions): Promise<unknown>
  close(): Promise<void>
  readonly pid: number | undefined
}

interface Job {
  id: number
  op: Op
  mediaType: string
  payload: Record<string, unknown>
  timeoutMs: number
  signal?: AbortSignal
  signer?: Pick<Signer, 'sign'>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  child?: ChildProcess
  timer?: NodeJS.Timeout
  onAbort?: () => void
  /** The error the Tanba signer threw during a signing callback. */
  signerError?: unknown
  /** The addon's own message when it panicked; the job fails once the worker has gone. */
  panic?: string
  /** Runs alone: it was in a worker that died or hung with other calls in it. */
  isolated?: boolean
}

interface WorkerError {
  kind: string
  /** The addon's error name, which carries the c2pa-rs variant: "C2pa(InvalidAsset(\"…\"))". */
  name?: string
  message: string
}

type WorkerMessage =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WorkerError }
  | { type: 'sign-request'; id: number; signId: number; data: Uint8Array }

/**
 * Runs @contentauth/c2pa-node in one long-lived child process, so a panic, abort or hang in the
 * native code fails that call instead of the caller's process. One call at a time unless
 * `concurrency` says otherwise.
 */
export class C2paWorker implements C2paCaller {
  readonly timeoutMs: number
  readonly concurrency: number
  private readonly workerPath: string
  private readonly env: NodeJS.ProcessEnv | undefined
  private child: ChildProcess | undefined
  private readonly running = new Set<Job>()
  private readonly queue: Job[] = []
  private nextId = 1

  constructor(options: C2paWorkerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_C2PA_TIMEOUT_MS
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1))
    this.workerPath = options.workerPath ?? fileURLToPath(new URL('./worker.mjs', import.meta.url))
    this.env = options.env
  }

  /** Process id of the running worker, if one is running (for diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Queues one addon call and resolves with the worker's answer. */
  call(op: Op, mediaType: string, payload: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new AbortedError(undefined, { cause: options.signal.reason }))
        return
      }
      const job: Job = {
        id: this.nextId++,
        op,
        mediaType,
        payload,
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
        resolve,
        reject,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.signer ? { signer: options.signer } : {}),
      }
      if (job.signal) {
        job.onAbort = () => this.abort(job)
        job.signal.addEventListener('abort', job.onAbort, { once: true })
      }
      this.queue.push(job)
      this.dispatch()
    })
  }

  /** Ends the worker process; queued and running calls fail with AbortedError. */
  async close(): Promise<void> {
    const reason = new AbortedError('The C2PA worker was closed')
    for (const job of [...this.queue.splice(0), ...this.running]) {
      this.finish(job)
      job.reject(reason)
    }
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.ref() // the caller awaits the exit, so let it keep Node alive until then
      if (child.connected) child.disconnect()
      // The worker exits on disconnect; make sure it does even if the addon is stuck.
      setTimeout(() => child.kill('SIGKILL'), 1000).unref()
    })
  }

  private dispatch(): void {
    while (this.queue.length) {
      const next = this.queue[0]!
      if ([...this.running].some((j) => j.isolated)) break
      if (next.isolated ? this.running.size > 0 : this.running.size >= this.concurrency) break
      this.queue.shift()
      let child: ChildProcess
      try {
        child = this.ensureChild()
      } catch (error) {
        this.finish(next)
        next.reject(error)
        continue
      }
      this.start(next, child)
    }
    this.setRef(this.running.size > 0)
  }

  private start(job: Job, child: ChildProcess): void {
    this.running.add(job)
    job.child = child
    job.timer = setTimeout(() => this.timeout(job), job.timeoutMs)
    child.send({ ...job.payload, type: job.op, id: job.id, mediaType: job.payload.mediaType ?? job.mediaType }, (error) => {
      if (error && this.running.has(job) && job.child === child) this.fail(job, this.failed(job, `could not send the request to the worker (${error.message})`, error))
    })
  }

  private ensureChild(): ChildProcess {
    if (this.child && this.child.connected) return this.child
    if (!existsSync(this.workerPath)) {
      throw new DependencyError('TANBA_DEPENDENCY_MISSING', `The C2PA worker script is missing at ${this.workerPath}; reinstall @tanba/c2pa`)
    }
    let stderr = ''
    const child = fork(this.workerPath, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // The worker's own JavaScript is a message loop; a small young generation keeps the process
      // about 10 MB smaller while it passes large assets to and from the addon.
      execArgv: ['--max-semi-space-size=1'],
      env: { ...(this.env ?? process.env), RUST_BACKTRACE: '0' },
    })
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES)
    })
    unrefStream(child.stderr)
    child.on('message', (message) => this.onMessage(child, message as WorkerMessage))
    child.on('error', (error) => {
      const job = this.jobsIn(child)[0]
      if (job) this.fail(job, this.failed(job, `its process could not be run (${error.message})`, error))
    })
    // 'close' comes after the stdio streams end, so a panic message on stderr is complete by then.
    child.on('close', (code, signal) => this.onClose(child, code, signal, stderr))
    this.child = child
    return child
  }

  private jobsIn(child: ChildProcess): Job[] {
    return [...this.running].filter((j) => j.child === child)
  }

  private onMessage(child: ChildProcess, message: WorkerMessage): void {
    const job = this.jobsIn(child).find((j) => j.id === message.id)
    if (!job) return
    if (message.type === 'result') {
      this.settle(job, undefined, message.value)
    } else if (message.type === 'error') {
      if (message.error.kind !== 'missing' && isPanic(`${message.error.name}: ${message.error.message}`)) {
        // The addon survived its panic, but its state is suspect: replace the worker.
        job.panic = message.error.message
        this.retire(child)
        return
      }
      this.settle(job, this.mapError(job, message.error))
    } else if (message.type === 'sign-request') {
      void this.signFor(job, child, message.signId, message.data)
    }
  }

  private async signFor(job: Job, child: ChildProcess, signId: number, data: Uint8Array): Promise<void> {
    let reply: Record<string, unknown>
    try {
      if (!job.signer) throw new Error('no signer was given for this call')
      reply = { type: 'signature', signId, signature: await job.signer.sign(data) }
    } catch (error) {
      job.signerError = error
      reply = { type: 'signature', signId, error: error instanceof Error ? error.message : String(error) }
    }
    if (this.running.has(job) && job.child === child && child.connected) child.send(reply)
  }

  private onClose(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    if (this.child === child) this.child = undefined
    const jobs = this.jobsIn(child)
    if (!jobs.length) return
    const panicked = jobs.filter((j) => j.panic)
    for (const job of panicked) {
      const how = `the native addon panicked${panicLine(stderr) ? ` (${panicLine(stderr)})` : ''}`
      this.settle(job, this.failed(job, how, undefined, { exitCode: code, signal, stderr: stderr.slice(-2000) || undefined }))
    }
    const rest = jobs.filter((j) => !j.panic)
    if (rest.length === 1 && !panicked.length) {
      const job = rest[0]!
      const how = `its process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`
      this.settle(job, this.failed(job, how, undefined, { exitCode: code, signal, stderr: stderr.slice(-2000) || undefined }))
    } else if (rest.length) {
      // It died with several calls in it: which one killed it is unknown, so each runs again alone.
      this.requeue(rest, true)
      this.dispatch()
    }
  }

  private timeout(job: Job): void {
    if (!this.running.has(job)) return
    const others = this.jobsIn(job.child!).filter((j) => j !== job)
    if (job.isolated || !others.length) {
      this.fail(job, this.failed(job, `it did not answer within ${job.timeoutMs} ms`, undefined, { timeoutMs: job.timeoutMs }))
      return
    }
    // A hang with several calls in the worker: any of them may be the cause, so each runs again alone.
    const child = job.child!
    this.requeue([job, ...others], true)
    this.retire(child)
    this.dispatch()
  }

  private abort(job: Job): void {
    const error = new AbortedError(undefined, { cause: job.signal?.reason })
    const queued = this.queue.indexOf(job)
    if (queued >= 0) {
      this.queue.splice(queued, 1)
      this.settle(job, error)
    } else if (this.running.has(job)) {
      this.fail(job, error)
    }
  }

  /** Fails the running job and discards its worker (killed; the next call starts a fresh one). */
  private fail(job: Job, error: unknown): void {
    const child = job.child
    this.finish(job)
    if (child) this.retire(child)
    job.reject(error)
    this.dispatch()
  }

  /** Kills a worker. Calls still running in it (other than one that panicked) go back to the front of the queue. */
  private retire(child: ChildProcess): void {
    if (this.child === child) this.child = undefined
    this.requeue(
      this.jobsIn(child).filter((j) => !j.panic),
      false,
    )
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }

  private requeue(jobs: Job[], isolated: boolean): void {
    for (const job of jobs) {
      if (job.timer) clearTimeout(job.timer)
      job.timer = undefined
      this.running.delete(job)
      job.child = undefined
      job.signerError = undefined
      if (isolated) job.isolated = true
    }
    this.queue.unshift(...jobs)
  }

  /** Takes a job out of the running set and drops its timer and abort listener. */
  private finish(job: Job): void {
    if (job.timer) clearTimeout(job.timer)
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort)
    job.timer = undefined
    job.onAbort = undefined
    this.running.delete(job)
  }

  private settle(job: Job, error: unknown, value?: unknown): void {
    const wasRunning = this.running.has(job)
    this.finish(job)
    if (error !== undefined) job.reject(error)
    else job.resolve(value)
    if (wasRunning) this.dispatch()
  }

  /** Keeps this process alive only while a call is running. */
  private setRef(ref: boolean): void {
    const child = this.child
    if (!child) return
    const channel = child.channel as { ref?: () => void; unref?: () => void } | null | undefined
    if (ref) {
      child.ref()
      channel?.ref?.()
    } else {
      child.unref()
      channel?.unref?.()
    }
  }

  private failed(job: Job, how: string, cause?: unknown, details?: Record<string, unknown>): DependencyError {
    const role = job.op === 'read' ? 'reader' : 'signer'
    return new DependencyError('TANBA_DEPENDENCY_FAILED', `The C2PA ${role} failed on this ${formatName(job.mediaType)} file: ${how}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { dependency: C2PA_ADDON_PACKAGE, mediaType: job.mediaType, ...stripUndefined(details ?? {}) },
    })
  }

  private mapError(job: Job, error: WorkerError): TanbaError {
    const name = formatName(job.mediaType)
    const cause = new Error(error.message)
    if (error.kind === 'missing') {
      return new DependencyError(
        'TANBA_DEPENDENCY_MISSING',
        `C2PA support needs the package ${C2PA_ADDON_PACKAGE} (with its native binary for ${process.platform}-${process.arch}), which could not be loaded: ${error.message}. Install it with: pnpm add ${C2PA_ADDON_PACKAGE}`,
        { cause, details: { dependency: C2PA_ADDON_PACKAGE } },
      )
    }
    if (job.signerError !== undefined) {
      if (isTanbaError(job.signerError)) return job.signerError
      return new DependencyError('TANBA_DEPENDENCY_FAILED', `The signer failed while signing the C2PA manifest for this ${name} file: ${messageOf(job.signerError)}`, {
        cause: job.signerError,
        details: { dependency: 'signer', mediaType: job.mediaType },
      })
    }
    const full = `${error.name ?? ''}: ${error.message}`
    const variant = full.match(/C2pa\((\w+)/)?.[1]
    const details = { dependency: C2PA_ADDON_PACKAGE, mediaType: job.mediaType, ...(variant ? { c2paError: variant } : {}) }
    const remote = full.match(/remote manifests? from url (\S+)/i)?.[1]
    if (remote && job.op === 'read') {
      return new MalformedInputError(`This ${name} file refers to a remote C2PA manifest at ${remote}, which was not fetched (remote fetching is off)`, {
        cause,
        details: { ...details, remoteManifest: remote, rule: 'c2pa.remote-manifest' },
      })
    }
    if (error.kind === 'parent') {
      // The input's (or parent's) own manifest store cannot be read or kept as an ingredient.
      return new MalformedInputError(`The existing C2PA manifest in this ${name} file cannot be read or kept: ${error.message}`, {
        cause,
        details: { ...details, manifestDamaged: true, rule: 'c2pa.parent-unreadable' },
      })
    }
    if (variant === 'UnsupportedType' || /type is unsupported/.test(full)) {
      return new UnsupportedFormatError(`The C2PA ${job.op === 'read' ? 'reader' : 'signer'} does not support ${name} (${job.mediaType})`, { cause, details })
    }
    if (variant === 'InvalidAsset') {
      const reason = full.match(/InvalidAsset\("((?:[^"\\]|\\.)*)"\)/)?.[1] ?? error.message
      return new MalformedInputError(`The C2PA ${job.op === 'read' ? 'reader' : 'signer'} could not parse this ${name} file: ${reason}`, { cause, details })
    }
    if (variant && (job.op === 'read' || /^(Jumbf|Claim|Cbor|Manifest|Assertion|Ingredient)/.test(variant))) {
      return new MalformedInputError(`The C2PA manifest store in this ${name} file is damaged or unreadable: ${error.message}`, {
        cause,
        details: { ...details, manifestDamaged: true },
      })
    }
    return this.failed(job, error.message, cause, variant ? { c2paError: variant } : undefined)
  }
}

function isPanic(message: string): boolean {
  return /Deferred` was dropped|panicked/.test(message)
}

function panicLine(stderr: string): string | undefined {
  const lines = stderr.split('\n')
  const at = lines.findIndex((l) => l.includes('panicked at'))
  if (at < 0) return undefined
  // Rust ≥ 1.73 prints "thread '…' panicked at file:line:col:" and the message on the next line;
  // older versions print "panicked at 'message', file:line:col" on one line.
  const line = lines[at]!.trim()
  const message = line.endsWith(':') ? lines[at + 1]?.trim() : line.slice(line.indexOf('panicked at') + 12)
  return message || line
}

function unrefStream(stream: unknown): void {
  const s = stream as { unref?: () => void } | null | undefined
  s?.unref?.()
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null))
}
