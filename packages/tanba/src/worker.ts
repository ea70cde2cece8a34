// Worker thread of the batch helpers: runs one stamp or verify job at a time.
import { parentPort, workerData } from 'node:worker_threads'
import { useC2paHost } from '@tanba/c2pa'
import { useExiftoolHost } from '@tanba/image'
import type { Signer, TrustStore } from '@tanba/core'
import { runStampJob, runVerifyJob, toFileError, type StampJob, type VerifyJob } from './files.js'
import type { SignerInfo, ToMain, ToWorker, WorkerInit } from './protocol.js'
import { buildTrustStore } from './settings.js'
import { close } from './shutdown.js'

const port = parentPort!
const init = workerData as WorkerInit
// C2PA calls and ExifTool writes go to the pool's one helper process of each, owned by the main thread.
if (init.c2paPort) useC2paHost(init.c2paPort)
if (init.exiftoolPort) useExiftoolHost(init.exiftoolPort)
const pendingSignatures = new Map<number, { resolve: (v: Uint8Array) => void; reject: (e: Error) => void }>()
let nextSignature = 1
/** Controllers of the jobs running now: an abort reaches all of them. */
const controllers = new Set<AbortController>()
let trust: Promise<TrustStore> | undefined

const send = (message: ToMain) => port.postMessage(message)

/** A signer whose key stays in the main thread: each signature is one round trip. */
function proxySigner(info: SignerInfo): Signer {
  return {
    alg: info.alg,
    publicKey: info.publicKey,
    kid: info.kid,
    ...(info.certificates ? { certificates: info.certificates } : {}),
    sign(data: Uint8Array) {
      return new Promise<Uint8Array>((resolve, reject) => {
        const id = nextSignature++
        pendingSignatures.set(id, { resolve, reject })
        send({ type: 'sign', id, data })
      })
    },
  }
}

const signer = init.signer ? proxySigner(init.signer) : undefined

// The pool sends a few jobs ahead; `jobsAtOnce` of them run side by side (one while another
// waits for the disk or the C2PA helper), the rest wait their turn.
const queue: Array<{ id: number; job: unknown }> = []
const jobsAtOnce = Math.max(1, init.jobsAtOnce ?? 1)
let running = 0
let aborted = false

function pump(): void {
  while (queue.length && running < jobsAtOnce) {
    const next = queue.shift()!
    running++
    void runJob(next.id, next.job).finally(() => {
      running--
      pump()
    })
  }
}

async function runJob(id: number, job: unknown): Promise<void> {
  const controller = new AbortController()
  controllers.add(controller)
  if (aborted) controller.abort(new Error('aborted'))
  try {
    let result: unknown
    if (init.op === 'stamp') {
      if (!signer) throw new Error('stamp worker started without a signer')
      result = await runStampJob(job as StampJob, (job as StampJob).settings ?? init.settings, signer, undefined, controller.signal)
    } else {
      trust ??= buildTrustStore(init.settings.trustTexts, [], init.settings.tsaTrustTexts ?? [])
      result = await runVerifyJob(job as VerifyJob, (job as VerifyJob).settings ?? init.settings, await trust, undefined, controller.signal)
    }
    send({ type: 'done', id, result })
  } catch (error) {
    send({ type: 'failed', id, error: toFileError(error) })
  } finally {
    controllers.delete(controller)
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'job':
      queue.push({ id: message.id, job: message.job })
      pump()
      return
    case 'signature': {
      const pending = pendingSignatures.get(message.id)
      if (!pending) return
      pendingSignatures.delete(message.id)
      if (message.value) pending.resolve(message.value)
      else pending.reject(new Error(message.error ?? 'signing failed'))
      return
    }
    case 'abort':
      aborted = true
      for (const controller of controllers) controller.abort(new Error('aborted'))
      return
    case 'close':
      void close().finally(() => port.close())
      return
  }
})

send({ type: 'ready' })
