// The label ledger on Redis: what the JSON-lines file ledger is for one machine, for many workers.
// Each watermark payload is one Redis hash, field = the label's signature, value = the signed label
// as JSON, so appending a label twice (a job run again after a crash) stores it once, and workers on
// any number of machines append without coordinating. Read back, values that are not schema-valid
// labels are skipped, never trusted: the verifier checks each label's signature anyway.
import { InvalidOptionError, isLabel, TooLargeError, type Label, type LabelLedger } from 'tanba/node'
import type { Redis } from 'ioredis'
import { connect, ensureReachable, redactUrl } from './connection.js'

/** Key prefix of the ledger's hashes (one per watermark payload). */
export const DEFAULT_LEDGER_PREFIX = 'tanba:ledger'
/** Labels read for one payload at most: 64-bit payloads collide rarely, so more means a misuse. */
export const MAX_LEDGER_LABELS_PER_PAYLOAD = 10_000

export interface RedisLedgerOptions {
  /** redis://[user:password@]host:port[/db] (or rediss://), or a connected ioredis client that stays yours. */
  redis: string | Redis
  /** Key prefix (default "tanba:ledger"): the hash of payload P is "<prefix>:wm:<P>". */
  prefix?: string
  /** How long to wait for Redis the first time, in ms (default 10 000); later outages are waited through. */
  connectTimeoutMs?: number
}

export interface RedisLedger extends LabelLedger {
  /** Labels skipped on the last lookup because they were not valid labels. */
  readonly skipped: number
}

const PAYLOAD = /^[0-9a-f]{16}$/

/**
 * A LabelLedger on Redis. Labels without a watermark are not stored (nothing could find them by
 * payload). Commands wait through a Redis restart instead of failing, like the queue's.
 */
export async function createRedisLedger(options: RedisLedgerOptions): Promise<RedisLedger> {
  const prefix = options.prefix ?? DEFAULT_LEDGER_PREFIX
  if (!/^[A-Za-z0-9:._-]{1,100}$/.test(prefix)) {
    throw new InvalidOptionError(`Expected a ledger key prefix of letters, digits, ":", ".", "_" or "-" but received ${JSON.stringify(prefix)}`, { details: { option: 'prefix' } })
  }
  // A URL is connected (and closed) here; a client passed in stays the caller's.
  const url = typeof options.redis === 'string' ? options.redis : undefined
  const client = url === undefined ? (options.redis as Redis) : connect(url)
  const name = `${url === undefined ? 'redis' : redactUrl(url)} (${prefix})`
  if (url !== undefined) {
    try {
      await ensureReachable(client, url, options.connectTimeoutMs)
    } catch (error) {
      client.disconnect()
      throw error
    }
  }
  const key = (payload: string) => `${prefix}:wm:${payload}`
  let skipped = 0
  return {
    name,
    get skipped() {
      return skipped
    },
    async append(label: Label) {
      if (!isLabel(label)) throw new InvalidOptionError('Expected a signed Tanba label to append to the ledger', { details: { option: 'label' } })
      const payload = label.watermark?.payload
      if (!payload) return
      await client.hset(key(payload.toLowerCase()), label.sig.value, JSON.stringify(label))
    },
    async findByWatermark(payload: string) {
      const p = payload.toLowerCase()
      if (!PAYLOAD.test(p)) throw new InvalidOptionError(`Expected a watermark payload of 16 hexadecimal digits but received ${JSON.stringify(payload)}`, { details: { option: 'payload' } })
      const count = await client.hlen(key(p))
      if (count > MAX_LEDGER_LABELS_PER_PAYLOAD) {
        throw new TooLargeError(`The ledger holds ${count} labels for watermark ${p}; at most ${MAX_LEDGER_LABELS_PER_PAYLOAD} are read`, { details: { size: count, limit: MAX_LEDGER_LABELS_PER_PAYLOAD } })
      }
      const labels: Label[] = []
      skipped = 0
      for (const value of await client.hvals(key(p))) {
        let parsed: unknown
        try {
          parsed = JSON.parse(value)
        } catch {
          skipped++
          continue
        }
        if (isLabel(parsed) && parsed.watermark?.payload?.toLowerCase() === p) labels.push(parsed)
        else skipped++
      }
      return labels
    },
    async close() {
      if (url !== undefined) await client.quit().catch(() => client.disconnect())
    },
  }
}
