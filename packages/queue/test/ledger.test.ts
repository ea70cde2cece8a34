// The Redis label ledger against a real redis-server (Debian's; .ci/run installs it).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signLabel, type Label } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisLedger, type RedisLedger } from '../src/index.js'
import { freePort, HAS_REDIS, RedisServer, redisCli } from './redis-server.js'

if (!HAS_REDIS) console.warn('ledger.test.ts: skipped, redis-server is not installed (apt-get install redis-server; .ci/run installs it)')

describe.skipIf(!HAS_REDIS)('the Redis label ledger', () => {
  let dir: string
  let port: number
  let redis: RedisServer
  let url: string
  const ledgers: RedisLedger[] = []
  const creds = createTestCredentials()

  async function open(prefix?: string): Promise<RedisLedger> {
    const l = await createRedisLedger({ redis: url, ...(prefix ? { prefix } : {}) })
    ledgers.push(l)
    return l
  }
  async function label(n: number, payload?: string): Promise<Label> {
    return signLabel(
      {
        tanba: 1,
        id: `0190a5b0-0000-7000-8000-00000000000${n}`,
        created: '2026-12-02T06:00:00Z',
        origin: 'generated',
        system: { name: 'Acme' },
        owner: { name: 'Acme Ltd' },
        profiles: ['eu'],
        ...(payload ? { watermark: { method: 'tanba.wm.ss/1', payload, detection: 'public' as const } } : {}),
        binding: { method: 'tanba.image.pixels/1', alg: 'sha-256', digest: 'A'.repeat(43) },
      },
      (await creds).signer,
    )
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tanba-redis-ledger-'))
    port = await freePort()
    redis = new RedisServer(port, dir)
    url = redis.url
    await redis.start()
  })
  afterAll(async () => {
    for (const l of ledgers) await l.close?.()
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('finds labels by watermark payload, stores a label appended twice once, and skips values that are not labels', async () => {
    const ledger = await open()
    expect(ledger.name).toBe(`${url} (tanba:ledger)`)
    expect(await ledger.findByWatermark('10a245c1c65531e4')).toEqual([])
    const a = await label(1, '10a245c1c65531e4')
    const b = await label(2, '10a245c1c65531e4') // a payload collision: both are returned
    const none = await label(3)
    await ledger.append(a)
    await ledger.append(a)
    await ledger.append(b)
    await ledger.append(none) // no watermark: nothing to find it by, nothing stored
    expect(redisCli(port, 'hlen', 'tanba:ledger:wm:10a245c1c65531e4')).toBe('2')
    expect(redisCli(port, '--scan', '--pattern', 'tanba:ledger:*').split('\n')).toEqual(['tanba:ledger:wm:10a245c1c65531e4'])
    // Someone wrote into the hash by hand: a forged value, a label filed under another payload.
    redisCli(port, 'hset', 'tanba:ledger:wm:10a245c1c65531e4', 'forged', '{"tanba":1,"id":"x"}', 'junk', 'not json')
    const other = await label(4, '10ffffffffffffff')
    redisCli(port, 'hset', 'tanba:ledger:wm:10a245c1c65531e4', 'misfiled', JSON.stringify(other))
    const found = await ledger.findByWatermark('10A245C1C65531E4')
    expect(found.map((l) => l.id).sort()).toEqual([a.id, b.id])
    expect(found.find((l) => l.id === a.id)).toEqual(a)
    expect(ledger.skipped).toBe(3)
    // Another ledger object (another worker) sees the same labels.
    expect((await (await open()).findByWatermark('10a245c1c65531e4')).length).toBe(2)
  })

  it('keeps ledgers with different prefixes apart and refuses bad input with typed errors', async () => {
    const x = await open('archive-x:ledger')
    const y = await open('archive-y:ledger')
    await x.append(await label(5, '20a245c1c65531e4'))
    expect(await y.findByWatermark('20a245c1c65531e4')).toEqual([])
    expect((await x.findByWatermark('20a245c1c65531e4')).length).toBe(1)
    await expect(x.findByWatermark('not-a-payload')).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION', details: { option: 'payload' } })
    await expect(x.append({ tanba: 1 } as unknown as Label)).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
    await expect(createRedisLedger({ redis: url, prefix: 'bad prefix*' })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION', details: { option: 'prefix' } })
    await expect(createRedisLedger({ redis: 'http://127.0.0.1:1' })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
    await expect(createRedisLedger({ redis: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 1000 })).rejects.toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED' })
  })

  it('waits through a Redis restart: an append made while Redis is down lands, and nothing appended is lost', async () => {
    const ledger = await open('restart:ledger')
    const before = await label(6, '30a245c1c65531e4')
    await ledger.append(before)
    await redis.stop()
    const during = await label(7, '30a245c1c65531e4')
    const pending = ledger.append(during)
    await new Promise((r) => setTimeout(r, 300))
    await redis.start()
    await pending
    const ids = (await ledger.findByWatermark('30a245c1c65531e4')).map((l) => l.id).sort()
    expect(ids).toEqual([before.id, during.id])
  })
})
