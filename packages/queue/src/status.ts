// What the queue holds: counts, throughput, the failed files; retrying and cleaning up.
import { closeQueue, openQueue, type QueueConnectionOptions, type TanbaQueue } from './connection.js'
import { parseFailure, type QueueJobResult } from './jobs.js'

export interface QueueFailure {
  file: string
  id: string
  code: string
  message: string
  /** The SDK option the message names (the error's details.option). */
  option?: string
  attempts: number
  failedAt?: number
}

export interface QueueStatus {
  queue: string
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number }
  /** Files finished per second across every worker, over the last minute of completed jobs kept in Redis. */
  rate: number
  /** True when nothing waits, runs or is delayed. */
  drained: boolean
  failures: QueueFailure[]
  /** Completed jobs still kept, by result status (stamped, skipped, valid, invalid, ...). */
  results: Record<string, number>
}

export interface StatusOptions extends QueueConnectionOptions {
  /** Failed jobs to list (default 1000). */
  maxFailures?: number
}

/** Window over which the rate is measured. */
const RATE_WINDOW_MS = 60_000

export async function queueStatus(options: StatusOptions): Promise<QueueStatus> {
  const handle = await openQueue(options)
  try {
    return await readStatus(handle.queue, options.maxFailures ?? 1000)
  } finally {
    await closeQueue(handle)
  }
}

async function readStatus(queue: TanbaQueue, maxFailures: number): Promise<QueueStatus> {
  const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')
  const counts = {
    waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
    active: c.active ?? 0,
    delayed: c.delayed ?? 0,
    completed: c.completed ?? 0,
    failed: c.failed ?? 0,
  }
  const failedJobs = counts.failed ? await queue.getFailed(0, maxFailures - 1) : []
  const failures = failedJobs
    .filter((j) => j)
    .map((j) => ({ file: j.name, id: j.id!, ...parseFailure(j.failedReason), attempts: j.attemptsMade, ...(j.finishedOn ? { failedAt: j.finishedOn } : {}) }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  const recent = counts.completed ? await queue.getCompleted(0, 9999) : []
  const results: Record<string, number> = {}
  const now = Date.now()
  let inWindow = 0
  let first = now
  for (const j of recent) {
    if (!j) continue
    const status = (j.returnvalue as QueueJobResult | undefined)?.status ?? 'unknown'
    results[status] = (results[status] ?? 0) + 1
    if (j.finishedOn && now - j.finishedOn <= RATE_WINDOW_MS) {
      inWindow++
      first = Math.min(first, j.processedOn ?? j.finishedOn)
    }
  }
  const rate = inWindow ? (inWindow * 1000) / Math.max(1000, now - first) : 0
  return { queue: queue.name, counts, rate, drained: counts.waiting + counts.active + counts.delayed === 0, failures, results }
}

export interface WaitOptions extends StatusOptions {
  /** How often to look, in ms (default 1000). */
  intervalMs?: number
  signal?: AbortSignal
  onStatus?: (status: QueueStatus) => void
}

/** Waits until nothing waits, runs or is delayed, reporting the status on each look; Redis restarts are waited through. */
export async function waitForDrain(options: WaitOptions): Promise<QueueStatus> {
  const handle = await openQueue(options)
  try {
    for (;;) {
      const status = await readStatus(handle.queue, options.maxFailures ?? 1000)
      options.onStatus?.(status)
      if (status.drained) return status
      if (options.signal?.aborted) return status
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000))
    }
  } finally {
    await closeQueue(handle)
  }
}

/** Moves every failed job back to waiting (its attempts start again). Returns how many. */
export async function retryFailed(options: QueueConnectionOptions): Promise<number> {
  const handle = await openQueue(options)
  try {
    const n = await handle.queue.getFailedCount()
    if (n) await handle.queue.retryJobs({ state: 'failed', count: 1000 })
    return n
  } finally {
    await closeQueue(handle)
  }
}

export interface CleanOptions extends QueueConnectionOptions {
  /** Also remove failed jobs (default: only completed ones). */
  failed?: boolean
  /** Keep jobs finished less than this long ago, in ms (default 0: remove all). */
  graceMs?: number
}

/** Removes finished jobs and their results from Redis. Returns how many were removed. */
export async function cleanQueue(options: CleanOptions): Promise<{ completed: number; failed: number }> {
  const handle = await openQueue(options)
  try {
    const grace = options.graceMs ?? 0
    let completed = 0
    let failed = 0
    for (;;) {
      const removed = await handle.queue.clean(grace, 1000, 'completed')
      completed += removed.length
      if (removed.length < 1000) break
    }
    if (options.failed) {
      for (;;) {
        const removed = await handle.queue.clean(grace, 1000, 'failed')
        failed += removed.length
        if (removed.length < 1000) break
      }
    }
    return { completed, failed }
  } finally {
    await closeQueue(handle)
  }
}
