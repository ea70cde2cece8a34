// One C2PA worker process for a whole pool of threads. The thread that owns the process runs a host;
// every other thread reaches it through a MessagePort, so N worker threads start one helper process
// (about 100 MB) instead of N. The port carries the calls, the answers and the signing callbacks:
// the signer itself stays in the calling thread.
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import {
  AbortedError,
  DependencyError,
  EncryptedInputError,
  InvalidKeyError,
  InvalidLabelError,
  InvalidOptionError,
  MalformedInputError,
  TooLargeError,
  UnrecognisedFormatError,
  UnsupportedFormatError,
  isTanbaError,
} from '@tanba/core'
import { C2paWorker, type C2paCaller, type C2paWorkerOptions, type CallOptions, type Op } from './client.js'

export interface C2paHost {
  /**
   * A port for one thread: pass it to the thread (workerData plus transferList) and call
   * `useC2paHost(port)` there; that thread's readC2pa and signC2pa then run in this host's process.
   */
  connect(): MessagePort
  /** Stops serving a port given out by connect (its thread has gone); its running calls are aborted. */
  disconnect(port: MessagePort): void
  /** Ends the worker process and every connection. */
  close(): Promise<void>
  /** Process id of the worker while one runs. */
  readonly workerPid: number | undefined
}

export type C2paHostOptions = C2paWorkerOptions

type ToHost =
  | { type: 'call'; id: number; op: Op; mediaType: string; payload: Record<string, unknown>; timeoutMs?: number }
  | { type: 'abort'; id: number }
  | { type: 'signature'; id: number; signId: number; signature?: Uint8Array; error?: SerializedError }

type FromHost =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError; fromSigner: boolean }
  | { type: 'sign'; id: number; signId: number; data: Uint8Array }

interface SerializedError {
  name: string
  message: string
  code?: string
  details?: Record<string, unknown>
  cause?: { name: string; message: string }
}

/**
 * Serves C2PA calls from other threads with one worker process (started on the first call).
 * Give it a `concurrency` equal to the number of threads so none of them waits for another.
 */
export function createC2paHost(options: C2paHostOptions = {}): C2paHost {
  const worker = new C2paWorker(options)
  const served = new Map<MessagePort, MessagePort>() // the port handed out → the host's end
  const stops = new Map<MessagePort, () => void>()
  return {
    connect() {
      const { port1, port2 } = new MessageChannel()
      served.set(port2, port1)
      stops.set(port1, serve(port1, worker))
      return port2
    },
    disconnect(port) {
      const own = served.get(port)
      if (!own) return
      served.delete(port)
      stops.get(own)?.()
      stops.delete(own)
      own.close()
    },
    async close() {
      for (const [port, own] of served) {
        stops.get(own)?.()
        own.close()
        served.delete(port)
      }
      stops.clear()
      await worker.close()
    },
    get workerPid() {
      return worker.pid
    },
  }
}

/** Answers one port's calls with `worker`; returns a function that aborts its running calls. */
function serve(port: MessagePort, worker: C2paWorker): () => void {
  const calls = new Map<number, { controller: AbortController; signs: Map<number, { resolve: (v: Uint8Array) => void; reject: (e: unknown) => void }>; signerError?: unknown }>()
  let nextSign = 1
  const post = (message: FromHost) => port.postMessage(message)
  port.on('message', (message: ToHost) => {
    if (message.type === 'call') {
      const call = { controller: new AbortController(), signs: new Map(), signerError: undefined as unknown }
      calls.set(message.id, call)
      const signer: CallOptions['signer'] =
        message.op === 'sign'
          ? {
              sign: (data) =>
                new Promise<Uint8Array>((resolve, reject) => {
                  const signId = nextSign++
                  call.signs.set(signId, { resolve, reject })
                  post({ type: 'sign', id: message.id, signId, data })
                }),
            }
          : undefined
      worker
        .call(message.op, message.mediaType, message.payload, {
          signal: call.controller.signal,
          ...(message.timeoutMs !== undefined ? { timeoutMs: message.timeoutMs } : {}),
          ...(signer ? { signer } : {}),
        })
        .then(
          (value) => post({ type: 'result', id: message.id, value }),
          (error: unknown) => post({ type: 'error', id: message.id, error: serializeError(error), fromSigner: call.signerError !== undefined && error === call.signerError }),
        )
        .finally(() => calls.delete(message.id))
    } else if (message.type === 'abort') {
      calls.get(message.id)?.controller.abort()
    } else if (message.type === 'signature') {
      const call = calls.get(message.id)
      const pending = call?.signs.get(message.signId)
      if (!call || !pending) return
      call.signs.delete(message.signId)
      if (message.signature) {
        pending.resolve(message.signature)
      } else {
        call.signerError = deserializeError(message.error ?? { name: 'Error', message: 'signing failed' })
        pending.reject(call.signerError)
      }
    }
  })
  // An idle host never keeps its process alive; a running call does (the worker process is referenced).
  port.unref()
  return () => {
    for (const call of calls.values()) call.controller.abort()
  }
}

/** The client side of a host, for the thread that received the port. */
export class RemoteC2pa implements C2paCaller {
  readonly pid = undefined
  private readonly port: MessagePort
  private readonly jobs = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; signer?: CallOptions['signer']; signerError?: unknown; cleanup: () => void }>()
  private nextId = 1

  constructor(port: MessagePort) {
    this.port = port
    port.on('message', (message: FromHost) => this.onMessage(message))
    port.unref()
  }

  call(op: Op, mediaType: string, payload: Record<string, unknown>, options: CallOptions = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const signal = options.signal
      if (signal?.aborted) {
        reject(new AbortedError(undefined, { cause: signal.reason }))
        return
      }
      const id = this.nextId++
      const onAbort = () => {
        if (!this.jobs.has(id)) return
        this.done(id)
        this.port.postMessage({ type: 'abort', id } satisfies ToHost)
        reject(new AbortedError(undefined, { cause: signal?.reason }))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.jobs.set(id, { resolve, reject, ...(options.signer ? { signer: options.signer } : {}), cleanup: () => signal?.removeEventListener('abort', onAbort) })
      this.port.ref()
      this.port.postMessage({ type: 'call', id, op, mediaType, payload, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) } satisfies ToHost)
    })
  }

  /** Fails the calls this thread is waiting for; the host's process belongs to the host. */
  async close(): Promise<void> {
    const reason = new AbortedError('The C2PA worker was closed')
    for (const [id, job] of [...this.jobs]) {
      this.done(id)
      this.port.postMessage({ type: 'abort', id } satisfies ToHost)
      job.reject(reason)
    }
  }

  private done(id: number): void {
    this.jobs.get(id)?.cleanup()
    this.jobs.delete(id)
    if (!this.jobs.size) this.port.unref()
  }

  private onMessage(message: FromHost): void {
    const job = this.jobs.get(message.id)
    if (!job) return
    if (message.type === 'sign') {
      void this.signFor(message.id, message.signId, message.data)
      return
    }
    this.done(message.id)
    if (message.type === 'result') job.resolve(message.value)
    // The signer's own TanbaError comes back as itself, as it does without a host.
    else job.reject(message.fromSigner && isTanbaError(job.signerError) ? job.signerError : deserializeError(message.error))
  }

  private async signFor(id: number, signId: number, data: Uint8Array): Promise<void> {
    const job = this.jobs.get(id)
    if (!job) return
    let reply: ToHost
    try {
      if (!job.signer) throw new Error('no signer was given for this call')
      reply = { type: 'signature', id, signId, signature: await job.signer.sign(data) }
    } catch (error) {
      job.signerError = error
      reply = { type: 'signature', id, signId, error: serializeError(error) }
    }
    if (this.jobs.has(id)) this.port.postMessage(reply)
  }
}

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined
  return {
    name: error.name,
    message: error.message,
    ...(isTanbaError(error) ? { code: error.code, ...(error.details ? { details: error.details } : {}) } : {}),
    ...(cause ? { cause } : {}),
  }
}

/** The same error class, code, message and details as on the other side (the cause keeps its message). */
function deserializeError(e: SerializedError): Error {
  const options = {
    ...(e.cause ? { cause: Object.assign(new Error(e.cause.message), { name: e.cause.name }) } : {}),
    ...(e.details ? { details: e.details } : {}),
  }
  switch (e.code) {
    case 'TANBA_DEPENDENCY_MISSING':
    case 'TANBA_DEPENDENCY_FAILED':
      return new DependencyError(e.code, e.message, options)
    case 'TANBA_UNSUPPORTED_FORMAT':
      return new UnsupportedFormatError(e.message, options)
    case 'TANBA_UNRECOGNISED_FORMAT':
      return new UnrecognisedFormatError(e.message, options)
    case 'TANBA_MALFORMED_INPUT':
      return new MalformedInputError(e.message, options)
    case 'TANBA_ENCRYPTED_INPUT':
      return new EncryptedInputError(e.message, options)
    case 'TANBA_TOO_LARGE':
      return new TooLargeError(e.message, options)
    case 'TANBA_INVALID_KEY':
      return new InvalidKeyError(e.message, options)
    case 'TANBA_INVALID_LABEL':
      return new InvalidLabelError(e.message, options)
    case 'TANBA_INVALID_OPTION':
      return new InvalidOptionError(e.message, options)
    case 'TANBA_ABORTED':
      return new AbortedError(e.message, options)
    default:
      return Object.assign(new Error(e.message, options.cause ? { cause: options.cause } : undefined), { name: e.name })
  }
}
