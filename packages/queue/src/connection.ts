// Redis connections for BullMQ: one URL, commands that wait through a Redis restart.
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { DependencyError, InvalidOptionError } from 'tanba/node'
import { DEFAULT_QUEUE, type QueueJobData, type QueueJobResult } from './jobs.js'

export interface QueueConnectionOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  redis: string
  /** Queue name (default "tanba"): workers and enqueuers must agree. */
  queue?: string
  /** BullMQ's key prefix (default "bull"). */
  prefix?: string
  /** How long to wait for Redis to answer the first time, in ms (default 10 000); later outages are waited through. */
  connectTimeoutMs?: number
}

export type TanbaQueue = Queue<QueueJobData, QueueJobResult>

/**
 * A Redis client that retries commands until Redis is back (maxRetriesPerRequest: null, as BullMQ
 * workers need): a restarted Redis pauses the run instead of failing jobs.
 */
export function connect(url: string): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new InvalidOptionError(`Expected a Redis URL such as redis://127.0.0.1:6379 but received ${JSON.stringify(url)}`)
  const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000), lazyConnect: false })
  // Connection errors are retried by ioredis; without a listener they would be thrown as unhandled.
  client.on('error', () => {})
  return client
}

export function queueName(options: QueueConnectionOptions): string {
  const name = options.queue ?? DEFAULT_QUEUE
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new InvalidOptionError(`Expected a queue name of letters, digits, ".", "_" or "-" but received ${JSON.stringify(name)}`)
  return name
}

/** Opens the queue; close it (and its connection) with `closeQueue`. */
export async function openQueue(options: QueueConnectionOptions): Promise<{ queue: TanbaQueue; connection: Redis }> {
  const name = queueName(options)
  const connection = connect(options.redis)
  try {
    await ensureReachable(connection, options.redis, options.connectTimeoutMs)
  } catch (error) {
    connection.disconnect()
    throw error
  }
  const queue: TanbaQueue = new Queue(name, { connection, ...(options.prefix ? { prefix: options.prefix } : {}) })
  queue.on('error', () => {})
  return { queue, connection }
}

export async function closeQueue(handle: { queue: TanbaQueue; connection: Redis }): Promise<void> {
  await handle.queue.close().catch(() => {})
  handle.connection.disconnect()
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
}

/** Fails with a clear error when Redis does not answer in time (a wrong URL would otherwise wait for ever). */
export async function ensureReachable(client: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyError('TANBA_DEPENDENCY_FAILED', `Redis at ${redactUrl(url)} did not answer within ${timeoutMs} ms; check --redis and that Redis is running`)), timeoutMs)
  })
  try {
    await Promise.race([client.ping(), timeout])
  } catch (error) {
    if (error instanceof DependencyError) throw error
    throw new DependencyError('TANBA_DEPENDENCY_FAILED', `Redis at ${redactUrl(url)} refused the connection: ${(error as Error).message}`, { cause: error })
  } finally {
    clearTimeout(timer)
  }
}
