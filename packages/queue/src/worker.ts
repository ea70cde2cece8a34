// A stateless queue worker: takes jobs from Redis and runs them on the batch helpers' worker pool.
// Keys, certificates and trust stores come from this worker's own options and config file.
import { EventEmitter } from 'node:events'
import { join, resolve } from 'node:path'
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq'
import { createStampRunner, createVerifyRunner, InvalidOptionError, type LabelLedger, type StampRunner, type StampSettingsInput, type VerifyRunner, type VerifySettingsInput } from 'tanba/node'
import { connect, ensureReachable, queueName, type QueueConnectionOptions } from './connection.js'
import { DEFAULT_MAX_STALLED, failureReason, parseFailure, type QueueJobData, type QueueJobResult, type StampJobData, type StampJobResult, type VerifyJobData, type VerifyJobResult } from './jobs.js'

export interface QueueWorkerOptions extends QueueConnectionOptions {
  /** Base for the worker's relative paths (keys, config, trust files). */
  cwd?: string
  /** Worker threads (default: the number of cores, at most 8). */
  concurrency?: number
  /** This worker's signing setup: key, cert, config file, TSA (the same as `stampFiles` takes). */
  stamp?: StampSettingsInput
  /** This worker's verifying setup: trust files, config file. */
  verify?: VerifySettingsInput
  /**
   * How long a job's lock lasts without renewal, in ms (default 60 000). A worker that dies holds
   * its jobs this long before another worker takes them; the lock is renewed at half of it.
   */
  lockDuration?: number
  /** How often the worker looks for jobs whose worker died, in ms (default 30 000). */
  stalledInterval?: number
  /** Times a job may lose its worker before it is failed (default 2): a file that kills its worker does not loop for ever. */
  maxStalledCount?: number
  /**
   * Where each signed label goes once its file is stamped (a Redis ledger from
   * `createRedisLedger`, or any LabelLedger), so `verify --ledger` can find a label again from the
   * watermark alone. The job completes only after the append: a Redis outage delays it, a crash
   * before it runs the job again (and a label appended twice is stored once).
   */
  ledger?: LabelLedger
  signal?: AbortSignal
}

export type QueueWorkerEvent =
  | { type: 'ready'; queue: string; concurrency: number; kid: string; developmentKey: boolean; warnings: string[] }
  | { type: 'active'; file: string; id: string; attempt: number }
  | { type: 'completed'; file: string; id: string; result: QueueJobResult; done: number; failed: number; rate: number }
  | { type: 'failed'; file: string; id: string; code: string; message: string; option?: string; final: boolean; done: number; failed: number; rate: number }
  | { type: 'redis-error'; message: string }

export interface QueueWorker extends EventEmitter<{ event: [QueueWorkerEvent] }> {
  /** The signer's key id this worker stamps with. */
  readonly kid: string
  readonly concurrency: number
  /** Resolves once the worker stopped (after `close`, or when the signal aborted). */
  readonly closed: Promise<void>
  /** Lets the jobs in progress finish, then stops. */
  close(): Promise<void>
}

/** Errors that another attempt would meet again: the job fails at once. */
const FINAL_CODES = new Set([
  'TANBA_UNRECOGNISED_FORMAT',
  'TANBA_UNSUPPORTED_FORMAT',
  'TANBA_MALFORMED_INPUT',
  'TANBA_ENCRYPTED_INPUT',
  'TANBA_TOO_LARGE',
  'TANBA_INVALID_KEY',
  'TANBA_INVALID_LABEL',
  'TANBA_INVALID_OPTION',
  'EISDIR',
  'EINVAL',
])

/** Jobs taken from Redis per job the worker pool holds. */
const JOBS_PER_POOL_SLOT = 2

/** How long a job that arrived while another ran alone waits before it is offered again. */
const SOLO_PUT_BACK_MS = 1000

function fail(code: string, message: string, option?: string): Error {
  const reason = failureReason(code, message, option)
  return FINAL_CODES.has(code) ? new UnrecoverableError(reason) : new Error(reason)
}

/**
 * Starts a worker on the queue. It resolves its signer (and fails now on a bad key), then runs jobs
 * on its worker threads until closed. Events: `worker.on('event', e => ...)`.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const name = queueName(options)
  const lockDuration = options.lockDuration ?? 60_000
  if (!Number.isInteger(lockDuration) || lockDuration < 1000) throw new InvalidOptionError(`Expected a lock duration of at least 1000 ms but received ${options.lockDuration}`, { details: { option: 'lockDuration' } })
  const stamp: StampRunner = await createStampRunner({ ...options.stamp, cwd, ...(options.concurrency ? { concurrency: options.concurrency } : {}) })
  let verify: Promise<VerifyRunner> | undefined
  const verifier = () => (verify ??= createVerifyRunner({ ...options.verify, cwd, ...(options.concurrency ? { concurrency: options.concurrency } : {}) }))
  const events = new EventEmitter<{ event: [QueueWorkerEvent] }>()
  const emit = (e: QueueWorkerEvent) => events.emit('event', e)
  let done = 0
  let failed = 0
  const started = performance.now()
  const rate = () => ((done + failed) * 1000) / Math.max(1, performance.now() - started)

  const execute = async (job: Job<QueueJobData, QueueJobResult>): Promise<QueueJobResult> => {
    emit({ type: 'active', file: job.name, id: job.id!, attempt: job.attemptsMade + 1 })
    const data = job.data
    if (data.kind === 'stamp') return runStamp(stamp, data, job.name, options.ledger, verifier)
    if (data.kind === 'verify') return runVerify(await verifier(), data, job.name)
    throw fail('TANBA_INVALID_OPTION', `Unknown job kind ${JSON.stringify((data as { kind: unknown }).kind)}`)
  }

  // A job that lost its worker before may be what killed it: it runs alone in this process (as the
  // worker pool runs alone a job whose thread died), so another crash takes no other job with it.
  // Jobs that arrive meanwhile go back to the queue for a second, without using up an attempt.
  let inProgress = 0
  let moving = 0
  let solo = false
  const putBack = async (job: Job<QueueJobData, QueueJobResult>, token: string | undefined): Promise<never> => {
    moving++
    try {
      await job.moveToDelayed(Date.now() + SOLO_PUT_BACK_MS, token)
    } finally {
      moving--
    }
    throw new DelayedError()
  }
  const settle = async () => {
    for (let quiet = 0; quiet < 3; quiet = inProgress === 0 && moving === 0 ? quiet + 1 : 0) await new Promise((r) => setTimeout(r, 50))
  }
  const processor = async (job: Job<QueueJobData, QueueJobResult>, token?: string): Promise<QueueJobResult> => {
    if (solo) return putBack(job, token)
    if (job.stalledCounter > 0) {
      solo = true
      try {
        await worker.pause(true)
        await settle()
        inProgress++
        try {
          return await execute(job)
        } finally {
          inProgress--
        }
      } finally {
        solo = false
        worker.resume()
      }
    }
    inProgress++
    try {
      return await execute(job)
    } finally {
      inProgress--
    }
  }

  const connection = connect(options.redis)
  try {
    await ensureReachable(connection, options.redis, options.connectTimeoutMs)
  } catch (error) {
    connection.disconnect()
    await stamp.close()
    throw error
  }
  const worker = new Worker<QueueJobData, QueueJobResult>(name, processor, {
    connection,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    // Twice what the pool holds (each thread one running, one waiting): the next jobs are already
    // fetched while Redis records the last one, so no thread waits for a round trip between files.
    concurrency: stamp.capacity * JOBS_PER_POOL_SLOT,
    lockDuration,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? DEFAULT_MAX_STALLED,
    autorun: false,
  })
  worker.on('error', (error) => emit({ type: 'redis-error', message: error.message }))
  worker.on('completed', (job, result) => {
    done++
    emit({ type: 'completed', file: job.name, id: job.id!, result, done, failed, rate: rate() })
  })
  worker.on('failed', (job, error) => {
    if (!job) return
    const final = job.finishedOn !== undefined || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
    if (final) failed++
    const { code, message, option } = parseFailure(error.message)
    emit({ type: 'failed', file: job.name, id: job.id!, code, message, ...(option ? { option } : {}), final, done, failed, rate: rate() })
  })

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      await worker.close().catch(() => {})
      await stamp.close()
      if (verify) await (await verify).close()
      connection.disconnect()
    })())
  options.signal?.addEventListener('abort', () => void close(), { once: true })
  const running = worker.run().catch((error: unknown) => emit({ type: 'redis-error', message: (error as Error).message }))
  emit({ type: 'ready', queue: name, concurrency: stamp.capacity * JOBS_PER_POOL_SLOT, kid: stamp.kid, developmentKey: stamp.developmentKey, warnings: stamp.warnings })
  const closed = running.then(() => close())
  return Object.assign(events, { kid: stamp.kid, concurrency: stamp.capacity * JOBS_PER_POOL_SLOT, closed, close })
}

async function runStamp(runner: StampRunner, data: StampJobData, file: string, ledger: LabelLedger | undefined, verifier: () => Promise<VerifyRunner>): Promise<StampJobResult> {
  if (data.kid && data.kid !== runner.kid) {
    throw fail('TANBA_INVALID_KEY', `The job asks to be signed with key ${data.kid}, but this worker holds key ${runner.kid}; start a worker configured with that key (--key/--cert or its tanba.config.json)`)
  }
  const r = await runner.stamp({ input: data.input, output: join(data.outDir, data.rel), root: data.outDir, file, fromWalk: data.fromWalk, ...(data.overwrite ? { overwrite: true } : {}) }, data.options)
  if (r.status === 'error') throw fail(r.error?.code ?? 'TANBA_INTERNAL', r.error?.message ?? 'stamping failed', r.error?.option)
  if (ledger) {
    if (r.status === 'stamped' && r.label) await ledger.append(r.label)
    else if (r.status === 'skipped' && r.output) {
      // The output exists from an earlier run of this job, which may have died between writing it
      // and the append: take the label from the output (signature checked) and append it again.
      const outcome = await (await verifier()).verify({ input: r.output, file, fromWalk: false }, {})
      if (outcome.status !== 'skipped' && outcome.report.status === 'valid' && outcome.report.label?.watermark) await ledger.append(outcome.report.label)
    }
  }
  const payload = r.label?.watermark?.payload
  return {
    kind: 'stamp',
    rel: data.rel,
    status: r.status,
    ...(r.output ? { output: r.output } : {}),
    ...(r.format ? { format: r.format } : {}),
    ...(r.label?.id ? { labelId: r.label.id } : {}),
    ...(payload ? { watermark: payload } : {}),
    ...(r.carriers ? { carriers: r.carriers } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.size !== undefined ? { size: r.size } : {}),
    ms: Math.round(r.ms),
  }
}

async function runVerify(runner: VerifyRunner, data: VerifyJobData, file: string): Promise<VerifyJobResult> {
  const outcome = await runner.verify({ input: data.input, file, fromWalk: data.fromWalk }, data.options)
  if (outcome.status === 'skipped') return { kind: 'verify', rel: data.rel, status: 'skipped', reason: outcome.reason, ms: Math.round(outcome.ms) }
  const r = outcome.report
  // A read error may pass (storage); a verdict is a result, whatever it says.
  if (r.status === 'error' && r.error && !FINAL_CODES.has(r.error.code)) throw fail(r.error.code, r.error.message, r.error.option)
  return {
    kind: 'verify',
    rel: data.rel,
    status: r.status,
    format: r.format,
    aiMarked: r.aiMarked,
    ...(r.label?.id ? { labelId: r.label.id } : {}),
    ...(r.signature ? { trusted: r.signature.trusted } : {}),
    markers: r.markers.map((m) => `${m.standard}:${m.carrier}`),
    messages: r.messages.map((m) => ({ rule: m.rule, source: m.source, fatal: m.fatal, reason: m.reason })),
    ...(r.error ? { error: r.error } : {}),
    ms: Math.round(outcome.ms),
  }
}
