// Shared helpers of the hardening suite: inputs (shared corpus, fixtures), the fuzz budget, the
// registry every format goes through, and a pool of child processes that runs hostile cases under a
// watchdog, so a hang, a native crash or runaway memory is seen as such instead of stopping vitest.
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isTanbaError, type AdapterRegistry, type TanbaErrorCode } from '@tanba/core'
import { imageEntry } from '@tanba/image'
import { ADAPTERS, createRegistry } from 'tanba'
import type { Mutation } from './mutate.js'

const here = fileURLToPath(new URL('.', import.meta.url))
export const ROOT = join(here, '../../../..')
export const CORPUS = process.env.TANBA_CORPUS ?? join(ROOT, '../shared/corpus')
export const OUT = join(ROOT, 'out/hardening')

/**
 * The fuzz budget. CI runs the short one; `pnpm fuzz` sets TANBA_FUZZ_RUNS (fast-check runs per
 * property) and the sweep scales its mutation counts with it.
 */
export const FUZZ_RUNS = Number(process.env.TANBA_FUZZ_RUNS) > 0 ? Number(process.env.TANBA_FUZZ_RUNS) : 0
export const LONG = FUZZ_RUNS > 0
export const runs = (short: number): number => (LONG ? FUZZ_RUNS : short)
/** Per-test timeout: generous in long mode, where one property may run for minutes. */
export const TEST_TIMEOUT = LONG ? 6 * 60 * 60_000 : 120_000

/**
 * The CPU time a hostile case may use in its runner process (the bound on hostile input, not a
 * speed target). CPU time, unlike wall time, does not grow when other work shares the cores, so
 * the bound holds on a busy machine; native helpers (C2PA, ExifTool) run in other processes and
 * are bounded by the hang guard below instead.
 */
export const CASE_CPU_BUDGET_MS = 2000
/** A case that has not answered after this long is a hang: its process is killed (a guard, not a speed bound). */
export const HANG_MS = 60_000
/** Resident memory a case may leave the runner process at (MB), and its V8 heap cap. */
export const RSS_LIMIT_MB = 1536
export const HEAP_LIMIT_MB = 768

/** Every TanbaError code: anything else reaching a caller is an untyped failure. */
export const TANBA_CODES: readonly TanbaErrorCode[] = [
  'TANBA_UNRECOGNISED_FORMAT',
  'TANBA_UNSUPPORTED_FORMAT',
  'TANBA_MALFORMED_INPUT',
  'TANBA_ENCRYPTED_INPUT',
  'TANBA_TOO_LARGE',
  'TANBA_INVALID_KEY',
  'TANBA_INVALID_LABEL',
  'TANBA_INVALID_OPTION',
  'TANBA_DEPENDENCY_MISSING',
  'TANBA_DEPENDENCY_FAILED',
  'TANBA_ABORTED',
]

/** Tanba's registry with every adapter; the image adapter is added when the umbrella does not list it yet. */
export function hardeningRegistry(): AdapterRegistry {
  return ADAPTERS.some((a) => a.kind === 'image') ? createRegistry() : createRegistry({ extraAdapters: [imageEntry] })
}

export interface InputFile {
  /** Path relative to the repository's parent (e.g. "shared/corpus/media/basic.pdf", "main/fixtures/..."). */
  name: string
  path: string
  size: number
}

/** Every file of the shared corpus and of fixtures/ (READMEs and SOURCES excepted). */
export function inputFiles(): InputFile[] {
  const out: InputFile[] = []
  const walk = (dir: string) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry)
      const st = statSync(path)
      if (st.isDirectory()) walk(path)
      else if (!/^(README|SOURCES)\b/i.test(entry) && !entry.startsWith('.')) out.push({ name: relative(join(ROOT, '..'), path), path, size: st.size })
    }
  }
  walk(CORPUS)
  walk(join(ROOT, 'fixtures'))
  return out
}

export const readBytes = (path: string): Uint8Array => new Uint8Array(readFileSync(path))

/** Calls `fn`; returns normally when it returns or throws a TanbaError, rethrows anything else. */
export async function typedOrValue<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn()
  } catch (error) {
    if (isTanbaError(error) && TANBA_CODES.includes(error.code)) return undefined
    throw error
  }
}

export function typedOrValueSync<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (error) {
    if (isTanbaError(error) && TANBA_CODES.includes(error.code)) return undefined
    throw error
  }
}

/** Counts of cases per property, written to out/hardening/ so `pnpm fuzz` can report them. */
const counts: Record<string, number> = {}
export function count(name: string, n: number): void {
  counts[name] = (counts[name] ?? 0) + n
}
export function writeCounts(file: string): void {
  mkdirSync(OUT, { recursive: true })
  const path = join(OUT, file)
  const before = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { counts: Record<string, number> }).counts : {}
  writeFileSync(path, JSON.stringify({ mode: LONG ? `long (TANBA_FUZZ_RUNS=${FUZZ_RUNS})` : 'short', date: new Date().toISOString(), counts: { ...before, ...counts } }, null, 2))
}

// ---------------------------------------------------------------------------------------------
// The case runner: child processes that run one hostile case at a time under a watchdog.

export type CaseOp = 'verify' | 'verify-no-c2pa' | 'inspect' | 'stamp-metadata' | 'stamp-visible'

export interface CaseSpec {
  /** Where the bytes come from: a file (read once by the runner), or bytes given inline. */
  file?: string
  bytes?: Uint8Array
  /** File name given to detection (the real one, so detection sees the extension). */
  filename: string
  mutation: Mutation
  op: CaseOp
  /** Limits overrides for this case. */
  limits?: Record<string, number>
}

export interface CaseResult {
  /** "report:<status>[:<error code>]", "stamped", "already-labelled", "error:<code>", or "untyped:<name>: <message>". */
  outcome: string
  /** Wall time of the case (reported, never judged) and the CPU time the runner process used for it. */
  ms: number
  cpuMs: number
  rssMb: number
  /** The runner process died (native crash, out of memory) or was killed as hung. */
  crashed?: string
}

interface Pending {
  spec: CaseSpec
  resolve: (r: CaseResult) => void
  timer: NodeJS.Timeout
}

/** One runner process; restarted after a crash or a hang. */
class Runner {
  #child: ChildProcess | undefined
  #pending: Pending | undefined
  #seq = 0

  #spawn(): ChildProcess {
    const tsx = import.meta.resolve('tsx/esm/api')
    const script = new URL('./runner.ts', import.meta.url).href
    const child = fork(fileURLToPath(new URL('./runner-boot.mjs', import.meta.url)), [tsx, script], {
      execArgv: ['--conditions=development', `--max-old-space-size=${HEAP_LIMIT_MB}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, TANBA_CONFIG_DIR: join(OUT, 'config') },
    })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
    child.on('message', (message: { seq: number; result: CaseResult }) => {
      const p = this.#pending
      if (!p || message.seq !== this.#seq) return
      clearTimeout(p.timer)
      this.#pending = undefined
      // Resident memory is a high-water mark: a process left above the limit would pin the blame on
      // every later case, so the case that raised it is reported and the runner starts afresh.
      if (message.result.rssMb > RSS_LIMIT_MB) {
        if (this.#child === child) this.#child = undefined
        child.kill('SIGKILL')
      }
      p.resolve(message.result)
    })
    child.on('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined
      const p = this.#pending
      if (!p) return
      clearTimeout(p.timer)
      this.#pending = undefined
      p.resolve({ outcome: 'crashed', ms: Number.NaN, cpuMs: Number.NaN, rssMb: Number.NaN, crashed: `runner exited (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}` })
    })
    return child
  }

  run(spec: CaseSpec): Promise<CaseResult> {
    this.#child ??= this.#spawn()
    const child = this.#child
    const seq = ++this.#seq
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = undefined
        child.kill('SIGKILL')
        resolve({ outcome: 'hung', ms: HANG_MS, cpuMs: Number.NaN, rssMb: Number.NaN, crashed: `no answer after ${HANG_MS} ms: killed` })
      }, HANG_MS)
      this.#pending = { spec, resolve, timer }
      child.send({ seq, spec })
    })
  }

  async close(): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (!child || child.exitCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.send({ seq: -1, close: true })
      setTimeout(() => child.kill('SIGKILL'), 5000).unref()
    })
  }
}

/** A fixed set of runner processes shared by the tests of one file. */
export class CasePool {
  readonly #runners: Runner[]
  constructor(size = 1) {
    this.#runners = Array.from({ length: Math.max(1, size) }, () => new Runner())
  }

  /** Runs the cases, spread over the runners; results come back in input order. */
  async run(specs: CaseSpec[], onResult?: (spec: CaseSpec, result: CaseResult) => void): Promise<CaseResult[]> {
    const results: CaseResult[] = new Array(specs.length)
    let next = 0
    await Promise.all(
      this.#runners.map(async (runner) => {
        while (next < specs.length) {
          const i = next++
          results[i] = await runner.run(specs[i]!)
          onResult?.(specs[i]!, results[i]!)
        }
      }),
    )
    return results
  }

  close(): Promise<void> {
    return Promise.all(this.#runners.map((r) => r.close())).then(() => undefined)
  }
}

/** Why a case result is not acceptable, or null when it is (typed error or clean answer, in time, no crash). */
export function problemOf(result: CaseResult): string | null {
  if (result.crashed) return result.crashed
  if (result.outcome.startsWith('untyped:')) return `untyped failure: ${result.outcome.slice(8)}`
  if (result.outcome.includes('TANBA_INTERNAL')) return `an untyped error surfaced in the report (${result.outcome})`
  if (result.cpuMs > CASE_CPU_BUDGET_MS) return `used ${result.cpuMs.toFixed(0)} ms of CPU (budget ${CASE_CPU_BUDGET_MS} ms; wall ${result.ms.toFixed(0)} ms)`
  if (result.rssMb > RSS_LIMIT_MB) return `left the process at ${result.rssMb.toFixed(0)} MB resident (limit ${RSS_LIMIT_MB} MB)`
  return null
}
