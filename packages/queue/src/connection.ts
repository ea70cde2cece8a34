// Redis connections for BullMQ: one URL, commands that wait through a Redis restart.
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { InvalidOptionError } from 'tanba/node'
import { DEFAULT_QUEUE, type QueueJobData, type QueueJobResult } from './jobs.js'

export interface QueueConnectionOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  redis: string
  /** Queue name (default "tanba"): workers and enqueuers must agree. */
  queue?: string
  /** BullMQ's key prefix (default "bull"). */
  prefix?: string
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
export function openQueue(options: QueueConnectionOptions): { queue: TanbaQueue; connection: Redis } {
  const connection = connect(options.redis)
  const queue: TanbaQueue = new Queue(queueName(options), { connection, ...(options.prefix ? { prefix: options.prefix } : {}) })
  queue.on('error', () => {})
  return { queue, connection }
}

export async function closeQueue(handle: { queue: TanbaQueue; connection: Redis }): Promise<void> {
  await handle.queue.close().catch(() => {})
  handle.connection.disconnect()
}
