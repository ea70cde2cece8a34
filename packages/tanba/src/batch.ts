// Batch helpers: stamp or verify every file under folders and globs, on a bounded pool of worker threads.
import { readdir, rm, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { glob, isDynamicPattern } from 'tinyglobby'
import { AbortedError, errorReport, InvalidOptionError, throwIfAborted, type VerificationReport } from '@tanba/core'
import { runStampJob, runVerifyJob, toFileError, type FileError, type StampFileResult, type StampJob, type VerifyFileOutcome, type VerifyJob } from './files.js'
import { errorHint } from './hints.js'
import { WorkerPool, WorkerTaskError } from './pool.js'
import { resolveStampSettings, resolveVerifySettings, type StampSettingsInput, type VerifySettingsInput } from './settings.js'

/** A file found among the inputs. */
export interface FileEntry {
  /** Absolute path. */
  input: string
  /** Path relative to the folder or glob base it was found under (kept under --out-dir). */
  rel: string
  /** How to show it: relative to the working directory when inside it. */
  file: string
  /** Found by walking a folder or expanding a glob (rather than named directly). */
  fromWalk: boolean
  /** Set when a named input does not exist or cannot be read. */
  error?: FileError
}

export interface BatchProgress {
  done: number
  total: number
  /** The file that just finished. */
  file: string
  elapsedMs: number
  /** Files per second so far. */
  rate: number
  /** Estimated time left, in ms (null until the first file is done). */
  etaMs: number | null
}

export interface BatchOptions {
  /** Base for relative paths (default process.cwd()). */
  cwd?: string
  /** Worker threads (default: the number of cores, at most 8; or the config file's defaults.concurrency). */
  concurrency?: number
  signal?: AbortSignal
  onProgress?: (progress: BatchProgress) => void
  /** Glob patterns of files to leave out when walking folders and globs (e.g. "**\/README.md"); files named directly are always taken. */
  exclude?: readonly string[]
  /** Called once the inputs are listed and the settings resolved, before any file is processed. */
  onStart?: (info: BatchStart) => void
}

export interface BatchStart {
  /** Files found. */
  total: number
  concurrency: number
  /** Things the user should know now (development key, missing owner identity, no trust anchors). */
  warnings: string[]
  /** The config file that was loaded (tanba.config.json found in the working folder, or the one named). */
  configPath?: string
}

export interface StampFilesOptions extends StampSettingsInput, BatchOptions {
  /** Folder for the stamped copies; relative paths under the inputs are kept. */
  outDir?: string
  /** Overwrite the inputs instead (explicit opt-in). */
  inPlace?: boolean
  /** Stamp again files whose output already exists from an earlier run (default: skip them, so a rerun finishes only what is missing). */
  overwrite?: boolean
  onResult?: (result: StampFileResult, progress: BatchProgress) => void
}

export interface StampFilesSummary {
  results: StampFileResult[]
  counts: { total: number; stamped: number; alreadyLabelled: number; skipped: number; failed: number }
  warnings: string[]
  /** True when signing with the zero-configuration development key. */
  developmentKey: boolean
  /** Files processed at once. */
  concurrency: number
  /** Worker threads started: 0 when there was nothing to do, or one file, run in the calling thread. */
  workers: number
  elapsedMs: number
  outDir?: string
}

export interface VerifyFilesOptions extends VerifySettingsInput, BatchOptions {
  onResult?: (report: VerificationReport, progress: BatchProgress) => void
  /** Called for files found under folders or globs that are not a format Tanba knows. */
  onSkip?: (skipped: SkippedFile, progress: BatchProgress) => void
}

export interface SkippedFile {
  file: string
  reason: string
}

export interface VerifyFilesSummary {
  results: VerificationReport[]
  skipped: SkippedFile[]
  counts: { total: number; valid: number; invalid: number; unlabelled: number; error: number; skipped: number }
  /** 0 every file valid; 1 some unlabelled and none worse; 2 some invalid; 3 some unreadable. */
  exitCode: 0 | 1 | 2 | 3
  warnings: string[]
  /** Files processed at once. */
  concurrency: number
  /** Worker threads started: 0 when there was nothing to do, or one file, run in the calling thread. */
  workers: number
  elapsedMs: number
}

const TEMP_NAME = /^\..+\.tanba-tmp-(\d+)-[0-9a-f]+$/

/**
 * Files each verifying worker works on at once: while one waits for the disk or the C2PA helper
 * (a C2PA read takes a few milliseconds in the helper process), the other computes. Verifying
 * holds little memory; stamping keeps one file per worker, since it holds decoded media.
 */
const VERIFY_JOBS_PER_WORKER = 2

export function defaultConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), 8))
}

function display(abs: string, cwd: string): string {
  const rel = relative(cwd, abs)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs
}

/** The static part of a glob ("fixtures/img/**\/*.png" → "fixtures/img"). */
export function globBase(pattern: string): string {
  const parts = pattern.split(/[\\/]/)
  const fixed: string[] = []
  for (const part of parts) {
    if (isDynamicPattern(part)) break
    fixed.push(part)
  }
  if (fixed.length === parts.length) fixed.pop()
  return fixed.join('/') || (pattern.startsWith('/') ? '/' : '.')
}

/**
 * Expands files, folders (recursively; hidden files skipped) and globs into files, sorted and
 * without duplicates. A named path that does not exist becomes an entry with an error.
 */
export async function expandInputs(inputs: readonly string[], options: { cwd?: string; exclude?: readonly string[]; ignore?: readonly string[] } = {}): Promise<FileEntry[]> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const ignore = [...(options.ignore ?? [])]
  const exclude = (options.exclude ?? []).map((d) => resolve(cwd, d))
  const isExcluded = (abs: string) => exclude.some((d) => abs === d || abs.startsWith(d + sep))
  const seen = new Map<string, FileEntry>()
  const add = (entry: FileEntry) => {
    if (!seen.has(entry.input)) seen.set(entry.input, entry)
  }
  for (const raw of inputs) {
    const abs = resolve(cwd, raw)
    const info = await stat(abs).catch((error: NodeJS.ErrnoException) => error)
    if (!(info instanceof Error)) {
      if (info.isDirectory()) {
        const found = await glob('**/*', { cwd: abs, onlyFiles: true, dot: false, absolute: true, followSymbolicLinks: false, ignore })
        for (const path of found) {
          const p = resolve(path)
          if (!isExcluded(p)) add({ input: p, rel: relative(abs, p), file: display(p, cwd), fromWalk: true })
        }
      } else {
        add({ input: abs, rel: basename(abs), file: display(abs, cwd), fromWalk: false })
      }
      continue
    }
    if (isDynamicPattern(raw)) {
      const base = resolve(cwd, globBase(raw))
      const found = await glob(raw, { cwd, onlyFiles: true, dot: false, absolute: true, ignore })
      for (const path of found) {
        const p = resolve(path)
        if (!isExcluded(p) && !TEMP_NAME.test(basename(p))) add({ input: p, rel: relative(base, p), file: display(p, cwd), fromWalk: true })
      }
      continue
    }
    const error = toFileError(info)
    add({ input: abs, rel: basename(abs), file: display(abs, cwd), fromWalk: false, error: { ...error, message: `${raw} does not exist or cannot be read (${(info as NodeJS.ErrnoException).code ?? info.message})` } })
  }
  return [...seen.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes temporary files that an interrupted run left behind (a run killed while writing).
 * Only files whose writing process is gone are removed.
 */
export async function sweepTemporaryFiles(dirs: Iterable<string>, recursive: boolean): Promise<number> {
  let removed = 0
  for (const dir of new Set(dirs)) {
    let names: string[]
    try {
      names = recursive ? await glob('**/.*.tanba-tmp-*', { cwd: dir, dot: true, onlyFiles: true, followSymbolicLinks: false }) : (await readdir(dir)).filter((n) => n.includes('.tanba-tmp-'))
    } catch {
      continue
    }
    for (const name of names) {
      const match = TEMP_NAME.exec(basename(name))
      if (!match || isAlive(Number(match[1]))) continue
      await rm(join(dir, name), { force: true }).catch(() => {})
      removed++
    }
  }
  return removed
}

class Progress {
  readonly #started = performance.now()
  done = 0
  constructor(readonly total: number) {}
  tick(file: string): BatchProgress {
    this.done++
    const elapsedMs = performance.now() - this.#started
    const rate = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0
    return { done: this.done, total: this.total, file, elapsedMs, rate, etaMs: rate > 0 ? ((this.total - this.done) / rate) * 1000 : null }
  }
  get elapsedMs(): number {
    return performance.now() - this.#started
  }
}

/** What `runJobs` needs of a runner: the worker pool, or `InlineRunner` for a batch of one file. */
type JobRunner = Pick<WorkerPool, 'run' | 'capacity' | 'broken' | 'abort' | 'close'>

/**
 * Runs a batch of one file in this thread. Starting a worker thread and loading the adapters in it
 * costs 100-200 ms, more than most single files take (measured: `tanba verify` on one 18 KB JPEG,
 * 0.49 s with a worker, 0.31 s without), and a verification script often calls the command once
 * per file. With one file there is nothing for a worker to isolate it from.
 */
class InlineRunner implements JobRunner {
  readonly capacity = 1
  readonly broken: Error | undefined = undefined
  readonly #controller = new AbortController()
  readonly #run: (job: never, signal: AbortSignal) => Promise<unknown>
  constructor(run: (job: never, signal: AbortSignal) => Promise<unknown>) {
    this.#run = run
  }
  run<R>(job: unknown): Promise<R> {
    return this.#run(job as never, this.#controller.signal) as Promise<R>
  }
  abort(): void {
    this.#controller.abort(new AbortedError('aborted'))
  }
  async close(): Promise<void> {}
}

/**
 * Runs the jobs on a runner (the worker pool, or `InlineRunner` for one file) with at most
 * `runner.capacity` in flight, so memory stays bounded, then closes it. Aborting `signal` aborts
 * the running jobs; a job stopped that way is not reported as failed.
 */
async function runJobs<J>(
  jobs: readonly J[],
  runner: JobRunner,
  signal: AbortSignal | undefined,
  done: (job: J, result: unknown) => void,
  failed: (job: J, error: FileError) => void,
): Promise<void> {
  const onAbort = () => runner.abort()
  signal?.addEventListener('abort', onAbort, { once: true })
  let next = 0
  const lane = async () => {
    while (next < jobs.length && !signal?.aborted && !runner.broken) {
      const job = jobs[next++]!
      try {
        done(job, await runner.run(job))
      } catch (error) {
        if (runner.broken) continue
        const fe = failure(error)
        if (!(fe.code === 'TANBA_ABORTED' && signal?.aborted)) failed(job, fe)
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: runner.capacity }, lane))
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await runner.close()
  }
  if (runner.broken) throw runner.broken
}

function failure(error: unknown): FileError {
  if (error instanceof WorkerTaskError) return { code: error.code, message: error.message, ...(error.option ? { option: error.option } : {}), ...(error.hint ? { hint: error.hint } : {}) }
  return toFileError(error)
}

function resolveConcurrency(requested: number | undefined, fromConfig: number | undefined, jobs: number): number {
  const value = requested ?? fromConfig ?? defaultConcurrency()
  if (!Number.isInteger(value) || value < 1 || value > 64) throw new InvalidOptionError(`Expected a concurrency from 1 to 64 but received ${JSON.stringify(requested)}`, { details: { option: 'concurrency' } })
  return Math.max(1, Math.min(value, jobs))
}

/**
 * Stamps every file under the inputs (files, folders, globs) into `outDir`, keeping relative
 * paths, or in place when `inPlace` is set. Outputs are written atomically; a rerun skips
 * outputs that already exist, so an interrupted batch can simply be run again. One bad file
 * is reported in its result and the batch goes on.
 */
export async function stampFiles(inputs: readonly string[], options: StampFilesOptions = {}): Promise<StampFilesSummary> {
  const cwd = resolve(options.cwd ?? process.cwd())
  if (!inputs.length) throw new InvalidOptionError('Give at least one file, folder or glob to stamp')
  if (!options.outDir && !options.inPlace) throw new InvalidOptionError('Say where to write the stamped files: an output folder (--out-dir), or in place (--in-place) to overwrite the inputs')
  if (options.outDir && options.inPlace) throw new InvalidOptionError('Give either an output folder or in-place, not both')
  throwIfAborted(options.signal)
  const resolved = await resolveStampSettings({ ...options, cwd })
  const outDir = options.outDir ? resolve(cwd, options.outDir) : undefined
  if (outDir) {
    for (const raw of inputs) {
      const abs = resolve(cwd, isDynamicPattern(raw) ? globBase(raw) : raw)
      if (abs === outDir || abs.startsWith(outDir + sep)) {
        throw new InvalidOptionError(`The output folder ${display(outDir, cwd) || '.'} holds the input ${raw}: choose an output folder outside the inputs (a folder inside an input folder is fine)`, { details: { option: 'outDir' } })
      }
    }
  }
  const entries = await expandInputs(inputs, { cwd, ...(outDir ? { exclude: [outDir] } : {}), ...(options.exclude ? { ignore: options.exclude } : {}) })
  const results: StampFileResult[] = []
  const progress = new Progress(entries.length)
  const report = (result: StampFileResult) => {
    results.push(result)
    const p = progress.tick(result.file)
    options.onResult?.(result, p)
    options.onProgress?.(p)
  }
  const errorResult = (entry: FileEntry, error: FileError, output?: string): StampFileResult => ({
    file: entry.file,
    input: entry.input,
    ...(output ? { output } : {}),
    status: 'error',
    messages: [],
    error,
    ms: 0,
  })

  const jobs: StampJob[] = []
  const outputs = new Map<string, string>()
  for (const entry of entries) {
    if (entry.error) {
      report(errorResult(entry, entry.error))
      continue
    }
    const output = outDir ? join(outDir, entry.rel) : entry.input
    if (!options.inPlace && output === entry.input) {
      report(errorResult(entry, { code: 'TANBA_INVALID_OPTION', message: `The output for ${entry.file} would overwrite the input`, hint: 'Choose another --out-dir, or pass --in-place to overwrite inputs on purpose.' }))
      continue
    }
    const clash = outputs.get(output)
    if (clash) {
      report(errorResult(entry, { code: 'TANBA_INVALID_OPTION', message: `${entry.file} and ${display(clash, cwd)} would both be written to ${display(output, cwd)}`, hint: 'Stamp them in separate runs or into different --out-dir folders.' }))
      continue
    }
    outputs.set(output, entry.input)
    jobs.push({ input: entry.input, output, file: entry.file, skipExisting: !options.overwrite, fromWalk: entry.fromWalk, inPlace: Boolean(options.inPlace), ...(outDir ? { root: outDir } : {}) })
  }
  // Resuming: outputs finished by an earlier run are skipped here, so a rerun starts no worker for them.
  const pending: StampJob[] = []
  for (const job of jobs) {
    const done = job.skipExisting && !job.inPlace ? await finishedOutput(job) : undefined
    if (done) report({ file: job.file, input: job.input, output: job.output, status: 'skipped', reason: 'output exists (from an earlier run)', messages: [], size: done.size, ms: 0 })
    else pending.push(job)
  }

  await sweepTemporaryFiles(outDir ? [outDir] : jobs.map((j) => dirname(j.output)), Boolean(outDir))
  const concurrency = resolveConcurrency(options.concurrency, resolved.concurrency, pending.length)
  options.onStart?.({ total: entries.length, concurrency, warnings: resolved.warnings, ...(resolved.configPath ? { configPath: resolved.configPath } : {}) })
  const workers = pending.length > 1 ? concurrency : 0
  if (pending.length) {
    const pool: JobRunner =
      workers === 0
        ? new InlineRunner((job: StampJob, signal) => runStampJob(job, resolved.settings, resolved.signer.signer, undefined, signal))
        : new WorkerPool({
            size: concurrency,
            init: { op: 'stamp', settings: resolved.settings },
            signer: resolved.signer.signer,
          })
    await runJobs(
      pending,
      pool,
      options.signal,
      (_, result) => report(result as StampFileResult),
      (job, error) => report({ file: job.file, input: job.input, output: job.output, status: 'error', messages: [], error, ms: 0 }),
    )
  }
  if (options.signal?.aborted) throw new AbortedError(`Stamping was aborted after ${progress.done} of ${entries.length} files; run it again to finish the rest`, { cause: options.signal.reason })
  results.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  const count = (s: StampFileResult['status']) => results.filter((r) => r.status === s).length
  return {
    results,
    counts: { total: results.length, stamped: count('stamped'), alreadyLabelled: count('already-labelled'), skipped: count('skipped'), failed: count('error') },
    warnings: resolved.warnings,
    developmentKey: resolved.signer.development,
    concurrency,
    workers,
    elapsedMs: progress.elapsedMs,
    ...(outDir ? { outDir } : {}),
  }
}

/** The output of a job when an earlier run already wrote it (it exists and is not older than the input). */
async function finishedOutput(job: StampJob): Promise<{ size: number } | undefined> {
  const [input, output] = await Promise.all([stat(job.input).catch(() => undefined), stat(job.output).catch(() => undefined)])
  return input && output?.isFile() && output.mtimeMs >= input.mtimeMs ? { size: output.size } : undefined
}

/** The exit status for a set of reports: 0 all valid, 1 some unlabelled, 2 some invalid, 3 some unreadable. */
export function exitCodeFor(reports: readonly Pick<VerificationReport, 'status'>[]): 0 | 1 | 2 | 3 {
  let code: 0 | 1 | 2 | 3 = 0
  for (const r of reports) {
    const c = r.status === 'error' ? 3 : r.status === 'invalid' ? 2 : r.status === 'unlabelled' ? 1 : 0
    if (c > code) code = c
  }
  return code
}

/**
 * Verifies every file under the inputs (files, folders, globs) on a pool of worker threads.
 * Files that cannot be read get a report with status "error"; files found under folders
 * that are not a format Tanba knows are listed as skipped.
 */
export async function verifyFiles(inputs: readonly string[], options: VerifyFilesOptions = {}): Promise<VerifyFilesSummary> {
  const cwd = resolve(options.cwd ?? process.cwd())
  if (!inputs.length) throw new InvalidOptionError('Give at least one file, folder or glob to verify')
  throwIfAborted(options.signal)
  const resolved = await resolveVerifySettings({ ...options, cwd })
  const entries = await expandInputs(inputs, { cwd, ...(options.exclude ? { ignore: options.exclude } : {}) })
  const results: VerificationReport[] = []
  const skipped: SkippedFile[] = []
  const progress = new Progress(entries.length)
  const addReport = (report: VerificationReport) => {
    results.push(report)
    const p = progress.tick(report.file ?? '')
    options.onResult?.(report, p)
    options.onProgress?.(p)
  }
  const jobs: VerifyJob[] = []
  for (const entry of entries) {
    if (entry.error) {
      const r = errorReport(new Error(entry.error.message), {}, entry.file)
      r.error = { code: entry.error.code, message: entry.error.message }
      addReport(r)
    } else jobs.push({ input: entry.input, file: entry.file, fromWalk: entry.fromWalk })
  }
  const concurrency = resolveConcurrency(options.concurrency, resolved.concurrency, jobs.length)
  options.onStart?.({ total: entries.length, concurrency, warnings: resolved.warnings, ...(resolved.configPath ? { configPath: resolved.configPath } : {}) })
  const workers = jobs.length > 1 ? concurrency : 0
  if (jobs.length) {
    const pool: JobRunner =
      workers === 0
        ? new InlineRunner((job: VerifyJob, signal) => runVerifyJob(job, resolved.settings, resolved.trust, undefined, signal))
        : new WorkerPool({ size: concurrency, init: { op: 'verify', settings: resolved.settings }, jobsAtOnce: VERIFY_JOBS_PER_WORKER })
    await runJobs(
      jobs,
      pool,
      options.signal,
      (_, result) => {
        const outcome = result as VerifyFileOutcome
        if (outcome.status === 'skipped') {
          skipped.push({ file: outcome.file, reason: outcome.reason })
          const p = progress.tick(outcome.file)
          options.onSkip?.({ file: outcome.file, reason: outcome.reason }, p)
          options.onProgress?.(p)
        } else addReport(outcome.report)
      },
      (job, error) => {
        const r = errorReport(new Error(error.message), {}, job.file)
        r.error = { code: error.code, message: error.message, ...(error.option ? { option: error.option } : {}) }
        addReport(r)
      },
    )
  }
  if (options.signal?.aborted) throw new AbortedError(`Verification was aborted after ${progress.done} of ${entries.length} files`, { cause: options.signal.reason })
  results.sort((a, b) => ((a.file ?? '') < (b.file ?? '') ? -1 : (a.file ?? '') > (b.file ?? '') ? 1 : 0))
  const count = (s: VerificationReport['status']) => results.filter((r) => r.status === s).length
  return {
    results,
    skipped,
    counts: { total: results.length, valid: count('valid'), invalid: count('invalid'), unlabelled: count('unlabelled'), error: count('error'), skipped: skipped.length },
    exitCode: exitCodeFor(results),
    warnings: resolved.warnings,
    concurrency,
    workers,
    elapsedMs: progress.elapsedMs,
  }
}

export { errorHint }
