// Messages between the batch runner and its worker threads (plain, structured-cloneable data).
import type { MessagePort } from 'node:worker_threads'
import type { SignatureAlgorithm } from '@tanba/core'
import type { FileError } from './files.js'
import type { StampSettings, VerifySettings } from './settings.js'

export interface SignerInfo {
  alg: SignatureAlgorithm
  publicKey: Uint8Array
  kid: string
  certificates?: Uint8Array[]
}

export type WorkerInit = ({ op: 'stamp'; settings: StampSettings; signer?: SignerInfo } | { op: 'verify'; settings: VerifySettings; signer?: SignerInfo }) & {
  /** The pool's C2PA host (one helper process for every worker), set by the pool. */
  c2paPort?: MessagePort
  /** The pool's ExifTool host (likewise). */
  exiftoolPort?: MessagePort
  /** Jobs to run at once (default 1); further jobs wait their turn. */
  jobsAtOnce?: number
}

export type ToWorker =
  | { type: 'job'; id: number; job: unknown }
  | { type: 'signature'; id: number; value?: Uint8Array; error?: string }
  | { type: 'abort' }
  | { type: 'close' }

export type ToMain =
  | { type: 'ready' }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: FileError }
  | { type: 'sign'; id: number; data: Uint8Array }
