// A small pool of worker threads. Each worker handles one file at a time; the main thread keeps the
// private key and signs on the workers' behalf, so key material never leaves it.
import { Worker } from 'node:worker_threads'
import { createC2paHost, type C2paHost } from '@tanba/c2pa'
import { createExiftoolHost, type ExiftoolHost } from '@tanba/image'
import { DependencyError, type Signer } from '@tanba/core'
import type { FileError } from './files.js'
import type { WorkerInit, ToMain, ToWorker, SignerInfo } from './protocol.js'

export interface PoolOptions {
  size: number
  init: WorkerInit
  /** The signer the workers sign through (stamp pools only). */
  signer?: Signer
  /** Another worker script speaking the same protocol (tests use one that crashes on demand). */
  script?: URL
  /**
   * Jobs each worker runs at once (default 1). More than one lets a worker compute one file while
   * another waits for the disk or the C2PA helper; a worker that dies with several jobs in it has
   * each of them run again alone, so a file that kills its worker still fails only itself.
   */
  jobsAtOnce?: number
}

interface Task {
  id: number
  job: unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  /** Runs alone on its worker: it was in a worker that died with other jobs running. */
  isolated?: boolean
}

interface Slot {
  worker: Worker
  ready: boolean
  /** Jobs sent to this worker, in the order sent: the first `jobsAtOnce` are running. */
  tasks: Task[]
  exited: boolean
}

/**
 * Jobs handed to a worker beyond those it runs: one waiting, so a worker never sits idle while its
 * next job crosses from the main thread, and memory stays bounded.
 */
const WAITING_PER_WORKER = 1

/**
 * Young-generation limit of each worker's V8 heap. Left alone, V8 grows it to 32 MB and more per
 * thread while a worker churns through buffers; 8 MB costs no measurable CPU in the batch bench
 * and keeps a 2-worker batch about 50 MB smaller.
 */
const WORKER_YOUNG_GENERATION_MB = 8

/** Thrown back from a worker: carries the original code, message and option. */
export class WorkerTaskError extends Error {
  readonly code: string
  readonly option: string | undefined
  readonly hint: string | undefined
  constructor(error: FileError) {
    super(error.message)
    this.name = 'WorkerTaskError'
    this.code = error.code
    this.option = error.option
    this.hint = error.hint
  }
}

function workerScript(): { script: string | URL; eval: boolean; execArgv: string[] } {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return { script: new URL('./worker.js', here), eval: false, execArgv: [] }
  // Inside the workspace (vitest, tsx) this module runs from its TypeScript source: load the
  // worker through tsx, resolving workspace packages to their sources as the parent does.
  const tsx = import.meta.resolve('tsx/esm/api')
  const worker = new URL('./worker.ts', here).href
  const script = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}) })`
  return { script, eval: true, execArgv: ['--conditions=development'] }
}

export class WorkerPool {
  readonly size: number
  readonly jobsAtOnce: number
  readonly #options: PoolOptions
  readonly #slots: Slot[] = []
  readonly #queue: Task[] = []
  #nextId = 1
  #closing = false
  #broken: Error | undefined
  #startFailures = 0
  /**
   * One C2PA helper process for the whole pool (started on the first C2PA call, ~100 MB), serving
   * every worker's calls in parallel, rather than one per worker.
   */
  readonly #c2pa: C2paHost
  /** Likewise one ExifTool process (started on the first TIFF, AVIF or HEIC stamped, ~46 MB). */
  readonly #exiftool: ExiftoolHost

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`Expected a pool size of at least 1 but received ${options.size}`)
    this.size = options.size
    this.jobsAtOnce = Math.max(1, Math.floor(options.jobsAtOnce ?? 1))
    this.#options = options
    this.#c2pa = createC2paHost({ concurrency: options.size * this.jobsAtOnce })
    this.#exiftool = createExiftoolHost()
    for (let i = 0; i < options.size; i++) this.#slots.push(this.#spawn())
  }

  /** Set when the workers could not start at all: the batch cannot go on. */
  get broken(): Error | undefined {
    return this.#broken
  }

  /** Runs a job on the next free worker. */
  run<R>(job: unknown): Promise<R> {
    if (this.#broken) return Promise.reject(this.#broken)
    if (this.#closing) return Promise.reject(new Error('The worker pool is closed'))
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve: resolve as (v: unknown) => void, reject })
      this.#dispatch()
    })
  }

  /** Jobs that can be in flight at once: feed the pool this many to keep every worker busy. */
  get capacity(): number {
    return this.size * this.#depth
  }

  /** Jobs a worker holds at once: those it runs plus those waiting. */
  get #depth(): number {
    return this.jobsAtOnce + WAITING_PER_WORKER
  }

  /** Asks every running job to stop (their AbortSignal fires). */
  abort(): void {
    for (const slot of this.#slots) slot.worker.postMessage({ type: 'abort' } satisfies ToWorker)
  }

  /** Lets the workers finish what they hold, stops them, then ends the helper processes (C2PA, ExifTool). */
  async close(graceMs = 5000): Promise<void> {
    this.#closing = true
    for (const task of this.#queue.splice(0)) task.reject(new Error('The worker pool closed before this job started'))
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (slot.exited) return resolve()
            const timer = setTimeout(() => void slot.worker.terminate().then(() => resolve()), graceMs)
            slot.worker.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            slot.worker.postMessage({ type: 'close' } satisfies ToWorker)
          }),
      ),
    )
    await Promise.all([this.#c2pa.close(), this.#exiftool.close()])
  }

  #spawn(): Slot {
    const { script, eval: isEval, execArgv } = this.#options.script ? { script: this.#options.script, eval: false, execArgv: [] } : workerScript()
    const signerInfo: SignerInfo | undefined = this.#options.signer
      ? {
          alg: this.#options.signer.alg,
          publicKey: this.#options.signer.publicKey,
          kid: this.#options.signer.kid,
          ...(this.#options.signer.certificates ? { certificates: [...this.#options.signer.certificates] } : {}),
        }
      : undefined
    const c2paPort = this.#c2pa.connect()
    const exiftoolPort = this.#exiftool.connect()
    const worker = new Worker(script, {
      eval: isEval,
      workerData: { ...this.#options.init, ...(signerInfo ? { signer: signerInfo } : {}), c2paPort, exiftoolPort, jobsAtOnce: this.jobsAtOnce } satisfies WorkerInit,
      transferList: [c2paPort, exiftoolPort],
      execArgv,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    })
    const slot: Slot = { worker, ready: false, tasks: [], exited: false }
    let lastError: Error | undefined
    worker.on('message', (message: ToMain) => this.#onMessage(slot, message))
    worker.on('error', (error) => {
      lastError = error
    })
    worker.on('exit', (code) => {
      slot.exited = true
      this.#c2pa.disconnect(c2paPort)
      this.#exiftool.disconnect(exiftoolPort)
      const running = slot.tasks.slice(0, this.jobsAtOnce)
      const waiting = slot.tasks.slice(this.jobsAtOnce)
      slot.tasks = []
      const why = lastError?.message ?? `exit code ${code}`
      // Jobs that had not started yet go back to the front of the queue.
      this.#queue.unshift(...waiting)
      if (running.length === 1) {
        const task = running[0]!
        const file = (task.job as { file?: string }).file ?? 'a file'
        task.reject(new DependencyError('TANBA_DEPENDENCY_FAILED', `The worker processing ${file} stopped unexpectedly (${why})`, { cause: lastError }))
      } else if (running.length > 1 && !this.#closing) {
        // Which of them killed it is unknown: each runs again alone, and only the culprit fails.
        for (const task of running) task.isolated = true
        this.#queue.unshift(...running)
      } else {
        for (const task of running) task.reject(new Error('The worker pool closed before this job finished'))
      }
      if (this.#closing) {
        for (const t of this.#queue.splice(0)) t.reject(new Error('The worker pool closed before this job started'))
        return
      }
      if (!slot.ready && ++this.#startFailures >= 3) {
        this.#broken = new DependencyError('TANBA_DEPENDENCY_FAILED', `Could not start worker threads: ${why}`, { cause: lastError })
        for (const t of this.#queue.splice(0)) t.reject(this.#broken)
        return
      }
      // Replace the worker so the batch goes on.
      const index = this.#slots.indexOf(slot)
      if (index >= 0) this.#slots[index] = this.#spawn()
      this.#dispatch()
    })
    return slot
  }

  #onMessage(slot: Slot, message: ToMain): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true
        this.#startFailures = 0
        this.#dispatch()
        return
      case 'done':
      case 'failed': {
        // Jobs running side by side finish in any order.
        const at = slot.tasks.findIndex((t) => t.id === message.id)
        const task = slot.tasks[at]
        if (!task) return
        slot.tasks.splice(at, 1)
        if (message.type === 'done') task.resolve(message.result)
        else task.reject(new WorkerTaskError(message.error))
        this.#dispatch()
        return
      }
      case 'sign': {
        const signer = this.#options.signer
        const reply = (m: ToWorker) => slot.worker.postMessage(m)
        if (!signer) {
          reply({ type: 'signature', id: message.id, error: 'No signer in this pool' })
          return
        }
        signer.sign(message.data).then(
          (value) => reply({ type: 'signature', id: message.id, value }),
          // Only the message crosses over: a signer's error never carries key material by design, but keep it short.
          (error: unknown) => reply({ type: 'signature', id: message.id, error: error instanceof Error ? error.message : 'signing failed' }),
        )
        return
      }
    }
  }

  #dispatch(): void {
    // Fill the least busy workers first, so jobs spread evenly. A job running alone (see the exit
    // handler) goes only to an empty worker, and that worker gets nothing else until it is done.
    for (let depth = 0; depth < this.#depth; depth++) {
      for (const slot of this.#slots) {
        const next = this.#queue[0]
        if (!next) return
        if (!slot.ready || slot.tasks.length > depth || slot.tasks.some((t) => t.isolated)) continue
        if (next.isolated && slot.tasks.length > 0) continue
        this.#queue.shift()
        slot.tasks.push(next)
        slot.worker.postMessage({ type: 'job', id: next.id, job: next.job } satisfies ToWorker)
      }
    }
  }
}
