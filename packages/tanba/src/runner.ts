// Long-lived runners: the batch helpers' worker pool, fed one file at a time by a caller that finds
// its work elsewhere (a job queue). The signer and trust store are resolved once, from the caller's
// own options and config file; each file may bring its own non-secret settings.
import { resolve } from 'node:path'
import { errorReport } from '@tanba/core'
import { defaultConcurrency } from './batch.js'
import { toFileError, type FileError, type StampFileResult, type StampJob, type VerifyFileOutcome, type VerifyJob } from './files.js'
import { WorkerPool, WorkerTaskError } from './pool.js'
import { resolveStampSettings, resolveVerifySettings, type SignerSource, type StampSettings, type StampSettingsInput, type VerifySettings, type VerifySettingsInput } from './settings.js'

/** Stamp settings a file may bring along: everything but where keys and config come from. */
export type FileStampSettings = Omit<StampSettingsInput, keyof SignerSource | 'config' | 'cwd' | 'tsa'>

/** Verify settings a file may bring along: everything but the trust files and config. */
export type FileVerifySettings = Omit<VerifySettingsInput, 'trust' | 'tsaTrust' | 'config' | 'cwd'>

export interface RunnerOptions {
  /** Worker threads (default: the number of cores, at most 8; or the config file's defaults.concurrency). */
  concurrency?: number
}

export interface StampRunnerFile {
  /** Input path (relative to the runner's cwd). */
  input: string
  /** Output path. */
  output: string
  /** The output folder: no folder between it and the output may be a symbolic link. */
  root?: string
  /** How to show the file (default: the input). */
  file?: string
  /** Stamp again when the output exists (default: skip an output newer than its input, so a rerun only finishes). */
  overwrite?: boolean
  /** Found by walking a folder: an unknown format is skipped, not an error. */
  fromWalk?: boolean
}

export interface StampRunner {
  /** Files that can be in flight at once: feed the runner this many to keep every thread busy. */
  readonly capacity: number
  /** The key id of the signer (never the key). */
  readonly kid: string
  readonly developmentKey: boolean
  readonly warnings: string[]
  /** Stamps one file; a file that cannot be stamped gives a result with status "error". */
  stamp(file: StampRunnerFile, settings?: FileStampSettings): Promise<StampFileResult>
  close(): Promise<void>
}

export interface VerifyRunner {
  readonly capacity: number
  readonly warnings: string[]
  verify(file: { input: string; file?: string; fromWalk?: boolean }, settings?: FileVerifySettings): Promise<VerifyFileOutcome>
  close(): Promise<void>
}

/** Files in flight on the worker threads per thread (one running, one waiting), as the batch helpers feed them. */
const IN_FLIGHT_PER_THREAD = 2

function failure(error: unknown): FileError {
  if (error instanceof WorkerTaskError) return { code: error.code, message: error.message, ...(error.option ? { option: error.option } : {}), ...(error.hint ? { hint: error.hint } : {}) }
  return toFileError(error)
}

/** The runner's adapter options (a PDF password, say) with a file's on top, one adapter at a time. */
function mergeAdapterOptions(own: Record<string, unknown> | undefined, file: Record<string, unknown> | undefined): { adapterOptions?: Record<string, unknown> } {
  if (!own && !file) return {}
  const out: Record<string, unknown> = { ...own }
  for (const [name, value] of Object.entries(file ?? {})) {
    const mine = out[name]
    out[name] = mine && typeof mine === 'object' && value && typeof value === 'object' ? { ...mine, ...value } : value
  }
  return { adapterOptions: out }
}

/** Settings resolved once per distinct set a file brings (a queue usually carries one or two). */
class SettingsCache<I, S> {
  readonly #map = new Map<string, Promise<S>>()
  constructor(readonly resolveSettings: (input: I) => Promise<S>) {}
  get(input: I | undefined, fallback: S): Promise<S> {
    if (!input || !Object.keys(input).length) return Promise.resolve(fallback)
    const key = JSON.stringify(input)
    let hit = this.#map.get(key)
    if (!hit) {
      hit = this.resolveSettings(input)
      hit.catch(() => this.#map.delete(key))
      if (this.#map.size >= 64) this.#map.delete(this.#map.keys().next().value!)
      this.#map.set(key, hit)
    }
    return hit
  }
}

/**
 * Opens a stamp runner: resolves the signer and the settings once (options, then the config file),
 * starts the worker threads and stamps files as they are handed in. Outputs are written atomically.
 */
export async function createStampRunner(options: StampSettingsInput & RunnerOptions = {}): Promise<StampRunner> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const base = await resolveStampSettings({ ...options, cwd })
  const size = options.concurrency ?? base.concurrency ?? defaultConcurrency()
  const pool = new WorkerPool({ size, init: { op: 'stamp', settings: base.settings }, signer: base.signer.signer })
  const { concurrency: _c, ...shared } = options
  const cache = new SettingsCache<FileStampSettings, StampSettings>(async (input) => (await resolveStampSettings({ ...shared, ...input, ...mergeAdapterOptions(shared.adapterOptions, input.adapterOptions), cwd, signer: base.signer.signer })).settings)
  return {
    capacity: pool.capacity,
    kid: base.signer.signer.kid,
    developmentKey: base.signer.development,
    warnings: base.warnings,
    async stamp(file, settings) {
      const input = resolve(cwd, file.input)
      const job: StampJob = {
        input,
        output: resolve(cwd, file.output),
        file: file.file ?? file.input,
        skipExisting: !file.overwrite,
        fromWalk: Boolean(file.fromWalk),
        inPlace: false,
        ...(file.root ? { root: resolve(cwd, file.root) } : {}),
      }
      try {
        const resolved = await cache.get(settings, base.settings)
        return await pool.run<StampFileResult>(resolved === base.settings ? job : { ...job, settings: resolved })
      } catch (error) {
        if (pool.broken) throw pool.broken
        return { file: job.file, input, output: job.output, status: 'error', messages: [], error: failure(error), ms: 0 }
      }
    },
    close: () => pool.close(),
  }
}

/** Opens a verify runner: the trust store comes from the options and the config file, once. */
export async function createVerifyRunner(options: VerifySettingsInput & RunnerOptions = {}): Promise<VerifyRunner> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const base = await resolveVerifySettings({ ...options, cwd })
  const size = options.concurrency ?? base.concurrency ?? defaultConcurrency()
  const pool = new WorkerPool({ size, init: { op: 'verify', settings: base.settings }, jobsAtOnce: IN_FLIGHT_PER_THREAD })
  const { concurrency: _c, ...shared } = options
  const cache = new SettingsCache<FileVerifySettings, VerifySettings>(async (input) => ({ ...(await resolveVerifySettings({ ...shared, ...input, ...mergeAdapterOptions(shared.adapterOptions, input.adapterOptions), cwd })).settings, trustTexts: base.settings.trustTexts }))
  return {
    capacity: pool.capacity,
    warnings: base.warnings,
    async verify(file, settings) {
      const input = resolve(cwd, file.input)
      const job: VerifyJob = { input, file: file.file ?? file.input, fromWalk: Boolean(file.fromWalk) }
      try {
        const resolved = await cache.get(settings, base.settings)
        return await pool.run<VerifyFileOutcome>(resolved === base.settings ? job : { ...job, settings: resolved })
      } catch (error) {
        if (pool.broken) throw pool.broken
        const fe = failure(error)
        const report = errorReport(new Error(fe.message), {}, job.file)
        report.error = { code: fe.code, message: fe.message, ...(fe.option ? { option: fe.option } : {}) }
        return { status: 'verified', report, ms: 0 }
      }
    },
    close: () => pool.close(),
  }
}
