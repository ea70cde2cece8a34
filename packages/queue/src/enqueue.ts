// Adding files to the queue: folders and globs expanded as `stampFiles` does, one job per file.
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { expandInputs, globBase, InvalidOptionError, type FileError, type FileStampSettings, type FileVerifySettings } from 'tanba/node'
import { closeQueue, openQueue, type QueueConnectionOptions } from './connection.js'
import { DEFAULT_ATTEMPTS, hashFile, jobId, KEEP_COMPLETED, KEEP_FAILED, type QueueJobData } from './jobs.js'

export interface EnqueueOptions extends QueueConnectionOptions {
  /** Base for relative paths (default process.cwd()). Paths are stored absolute: workers must see the same ones. */
  cwd?: string
  /** Output folder of stamp jobs (required unless `verify`). */
  outDir?: string
  /** Enqueue verify jobs instead of stamp jobs. */
  verify?: boolean
  /** Stamp settings carried by each job (no keys: those are the worker's). */
  stamp?: FileStampSettings
  /** Verify settings carried by each job (no trust files: those are the worker's). */
  verifyOptions?: FileVerifySettings
  /** The key id stamp jobs must be signed with (`kid` of the worker's signer). */
  kid?: string
  /** Stamp again outputs that exist. */
  overwrite?: boolean
  /** Glob patterns left out when walking folders. */
  exclude?: readonly string[]
  /** Attempts for a job whose failure may pass (default 3). */
  attempts?: number
  /** Called once per file as it is added or found already queued. */
  onFile?: (event: EnqueueEvent) => void
}

export interface EnqueueEvent {
  file: string
  /** added: a new job; queued: the same job (same path and content) is already in the queue; error: not added. */
  status: 'added' | 'queued' | 'error'
  id?: string
  error?: FileError
}

export interface EnqueueSummary {
  queue: string
  total: number
  added: number
  /** Files whose job (same path, same content) was already in the queue. */
  alreadyQueued: number
  /** Files that could not be read to hash them. */
  errors: EnqueueEvent[]
}

/** Jobs sent to Redis per round trip. */
const BATCH = 500

/**
 * Enqueues one stamp (or verify) job per file under the inputs. The job id comes from the relative
 * path and the content hash, so adding the same files again adds nothing twice and a changed
 * input is stamped again.
 */
export async function enqueueFiles(inputs: readonly string[], options: EnqueueOptions): Promise<EnqueueSummary> {
  const cwd = resolve(options.cwd ?? process.cwd())
  if (!inputs.length) throw new InvalidOptionError('Give at least one file, folder or glob to enqueue')
  if (!options.verify && !options.outDir) throw new InvalidOptionError('Say where workers write the stamped files: --out-dir (a folder every worker reaches)', { details: { option: 'outDir' } })
  const outDir = options.outDir && !options.verify ? resolve(cwd, options.outDir) : undefined
  if (outDir) {
    for (const raw of inputs) {
      const abs = resolve(cwd, globBase(raw) === raw ? raw : globBase(raw))
      if (abs === outDir || abs.startsWith(outDir + sep)) throw new InvalidOptionError(`The output folder ${outDir} holds the input ${raw}: choose an output folder outside the inputs`, { details: { option: 'outDir' } })
    }
  }
  const entries = await expandInputs(inputs, { cwd, ...(outDir ? { exclude: [outDir] } : {}), ...(options.exclude ? { ignore: options.exclude } : {}) })
  const handle = await openQueue(options)
  const summary: EnqueueSummary = { queue: handle.queue.name, total: entries.length, added: 0, alreadyQueued: 0, errors: [] }
  try {
    let batch: { name: string; data: QueueJobData; opts: { jobId: string } }[] = []
    /** Ids already in Redis before this call (same path, same content): addBulk leaves them as they are. */
    const existing = new Set<string>()
    const jobOptions = { attempts: options.attempts ?? DEFAULT_ATTEMPTS, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED }
    const flush = async () => {
      if (!batch.length) return
      // Sent together: one round trip's wait for the whole batch rather than one per file.
      const states = await Promise.all(batch.map((b) => handle.queue.getJobState(b.opts.jobId)))
      for (const [i, state] of states.entries()) if (state !== 'unknown') existing.add(batch[i]!.opts.jobId)
      await handle.queue.addBulk(batch.map((b) => ({ ...b, opts: { ...b.opts, ...jobOptions } })))
      for (const b of batch) {
        const fresh = !existing.has(b.opts.jobId)
        if (fresh) summary.added++
        else summary.alreadyQueued++
        options.onFile?.({ file: b.name, status: fresh ? 'added' : 'queued', id: b.opts.jobId })
      }
      batch = []
    }
    for (const entry of entries) {
      if (entry.error) {
        const event: EnqueueEvent = { file: entry.file, status: 'error', error: entry.error }
        summary.errors.push(event)
        options.onFile?.(event)
        continue
      }
      let sha256: string
      try {
        sha256 = await hashFile(entry.input)
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        const event: EnqueueEvent = { file: entry.file, status: 'error', error: { code: e.code ?? 'TANBA_INTERNAL', message: `${entry.file} could not be read (${e.code ?? e.message})` } }
        summary.errors.push(event)
        options.onFile?.(event)
        continue
      }
      const data: QueueJobData = options.verify
        ? { kind: 'verify', input: entry.input, rel: entry.rel, sha256, fromWalk: entry.fromWalk, ...(options.verifyOptions ? { options: options.verifyOptions } : {}) }
        : {
            kind: 'stamp',
            input: entry.input,
            rel: entry.rel,
            outDir: outDir!,
            sha256,
            fromWalk: entry.fromWalk,
            ...(options.kid ? { kid: options.kid } : {}),
            ...(options.overwrite ? { overwrite: true } : {}),
            ...(options.stamp ? { options: options.stamp } : {}),
          }
      const id = jobId({ ...data, ...(outDir ? { outDir } : {}) })
      batch.push({ name: shown(entry.input, cwd), data, opts: { jobId: id } })
      if (batch.length >= BATCH) await flush()
    }
    await flush()
  } finally {
    await closeQueue(handle)
  }
  return summary
}

function shown(abs: string, cwd: string): string {
  const rel = relative(cwd, abs)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs
}
