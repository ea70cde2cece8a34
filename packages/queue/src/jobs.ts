// What a job and its result hold in Redis: paths and non-secret options, never file bytes or keys.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { FileStampSettings, FileVerifySettings } from 'tanba/node'

/** The queue name when none is given. */
export const DEFAULT_QUEUE = 'tanba'

/** Attempts for a job that fails for a reason that may pass (a file system error, a crashed worker thread). */
export const DEFAULT_ATTEMPTS = 3

/** Times a job may lose its worker (a killed process, a lock that expired) before it is failed. */
export const DEFAULT_MAX_STALLED = 2

/** Completed jobs are kept this long (seconds) and at most this many, then removed by BullMQ. */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 } as const

/** Failed jobs are kept this long (seconds) and at most this many, so `status` can list them. */
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 100_000 } as const

export interface StampJobData {
  kind: 'stamp'
  /** Absolute path of the input, on storage every worker reaches. */
  input: string
  /** Path relative to the folder it was found under (kept under outDir). */
  rel: string
  /** Absolute output folder. */
  outDir: string
  /** SHA-256 of the input when it was enqueued (hex). */
  sha256: string
  fromWalk: boolean
  /** The key id the job must be signed with; a worker holding another key fails the job. */
  kid?: string
  /** Stamp again when the output exists. */
  overwrite?: boolean
  options?: FileStampSettings
}

export interface VerifyJobData {
  kind: 'verify'
  input: string
  rel: string
  sha256: string
  fromWalk: boolean
  options?: FileVerifySettings
}

export type QueueJobData = StampJobData | VerifyJobData

/** What a stamp job leaves as its result: what the report needs, not the label. */
export interface StampJobResult {
  kind: 'stamp'
  rel: string
  status: 'stamped' | 'already-labelled' | 'skipped'
  output?: string
  format?: string
  /** The label's id (the full signed label stays in the file and the ledger). */
  labelId?: string
  /** The watermark payload, when one was embedded. */
  watermark?: string
  carriers?: string[]
  reason?: string
  size?: number
  ms: number
}

/** What a verify job leaves: the report without the label, the signature details or the markers' values. */
export interface VerifyJobResult {
  kind: 'verify'
  rel: string
  status: 'valid' | 'invalid' | 'unlabelled' | 'error' | 'skipped'
  format?: string
  aiMarked?: boolean
  labelId?: string
  trusted?: boolean
  markers?: string[]
  messages?: { rule: string; source: string; fatal: boolean; reason: string }[]
  error?: { code: string; message: string; option?: string }
  reason?: string
  ms: number
}

export type QueueJobResult = StampJobResult | VerifyJobResult

/**
 * The job id: a hash of the kind, the output folder, the relative path and the input's content
 * hash. Adding the same files again adds nothing while the job is kept; a changed input gets a new id.
 */
export function jobId(data: Pick<QueueJobData, 'kind' | 'rel' | 'sha256'> & { outDir?: string }): string {
  const h = createHash('sha256').update(JSON.stringify([data.kind, data.outDir ?? '', data.rel, data.sha256])).digest('hex')
  return `${data.kind === 'stamp' ? 's' : 'v'}-${h.slice(0, 40)}`
}

/** SHA-256 of a file, streamed (an archive's files can be large). */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(path)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/**
 * BullMQ keeps only a failure's message: the code goes first, so `status` can list it, then the
 * SDK option the message names (details.option) in brackets: "TANBA_ENCRYPTED_INPUT [adapterOptions.pdf.password]: ...".
 */
export function failureReason(code: string, message: string, option?: string): string {
  return `${code}${option ? ` [${option}]` : ''}: ${message}`
}

export function parseFailure(reason: string | undefined): { code: string; message: string; option?: string } {
  const match = /^([A-Z][A-Z0-9_]+)(?: \[([\w.]+)\])?: ([\s\S]*)$/.exec(reason ?? '')
  if (match) return { code: match[1]!, message: match[3]!, ...(match[2] ? { option: match[2] } : {}) }
  // BullMQ's own reasons: "job stalled more than allowable limit", a lock lost.
  if (/stalled/i.test(reason ?? '')) return { code: 'TANBA_DEPENDENCY_FAILED', message: `The worker processing this file stopped (killed or crashed) more often than --max-stalled allows (${reason})` }
  return { code: 'TANBA_INTERNAL', message: reason ?? 'unknown failure' }
}
