// The Redis label ledger against a real redis-server (Debian's; .ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signLabel, type Label } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisLedger, type RedisLedger } from '../src/index.js'

const REDIS = spawnSync('redis-server', ['--version']).status === 0
if (!REDIS) console.warn('ledger.test.ts: skipped, redis-server is not installed (apt-get install redis-server; .ci/run installs it)')

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim()

describe.skipIf(!REDIS)('the Redis label ledger', () => {
  let dir: string
  let port: number
  let child: ChildProcess | undefined
  let url: string
  const ledgers: RedisLedger[] = []
  const creds = createTestCredentials()

  async function start(): Promise<void> {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' })
    for (let i = 0; i < 200 && cli(port, 'ping') !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50))
    expect(cli(port, 'ping')).toBe('PONG')
  }
  async function stop(): Promise<void> {
    const c = child
    if (!c || c.exitCode !== null) return
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve())
      c.kill('SIGTERM')
    })
  }
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
    url = `redis://127.0.0.1:${port}`
    await start()
  })
  afterAll(async () => {
    for (const l of ledgers) await l.close?.()
    await stop()
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
    expect(cli(port, 'hlen', 'tanba:ledger:wm:10a245c1c65531e4')).toBe('2')
    expect(cli(port, '--scan', '--pattern', 'tanba:ledger:*').split('\n')).toEqual(['tanba:ledger:wm:10a245c1c65531e4'])
    // Someone wrote into the hash by hand: a forged value, a label filed under another payload.
    cli(port, 'hset', 'tanba:ledger:wm:10a245c1c65531e4', 'forged', '{"tanba":1,"id":"x"}', 'junk', 'not json')
    const other = await label(4, '10ffffffffffffff')
    cli(port, 'hset', 'tanba:ledger:wm:10a245c1c65531e4', 'misfiled', JSON.stringify(other))
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
    await stop()
    const during = await label(7, '30a245c1c65531e4')
    const pending = ledger.append(during)
    await new Promise((r) => setTimeout(r, 300))
    await start()
    await pending
    const ids = (await ledger.findByWatermark('30a245c1c65531e4')).map((l) => l.id).sort()
    expect(ids).toEqual([before.id, during.id])
  })
})
