// One worker process for several callers: concurrent calls in one process (a hostile file still fails
// only its own call), and the host that lets other threads use that process through a MessagePort.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Worker } from 'node:worker_threads'
import { DependencyError, InvalidKeyError, type Signer } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { connectC2paClient, createC2paClient, createC2paHost } from '../src/index.js'
import { corpusCopy, makeTmp } from './helpers.js'

let tmp: string
let creds: TestCredentials
let jpegC: Uint8Array
let jpegCA: Uint8Array
let plain: Uint8Array
let panicMp3: Uint8Array
beforeAll(async () => {
  tmp = await makeTmp('host')
  creds = await createTestCredentials()
  jpegC = await corpusCopy(tmp, 'third-party-labelled/C.jpg')
  jpegCA = await corpusCopy(tmp, 'third-party-labelled/CA.jpg')
  plain = await corpusCopy(tmp, 'media/no_manifest.jpg')
  panicMp3 = await corpusCopy(tmp, 'adversarial/id3v23_compression_underflow.mp3')
})

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups) await c()
})

describe('a worker process with concurrent calls', () => {
  it('answers calls running at once in one process', async () => {
    const client = createC2paClient({ concurrency: 3 })
    cleanups.push(() => client.close())
    const pending = [client.readC2pa(jpegC, 'image/jpeg'), client.readC2pa(jpegCA, 'image/jpeg'), client.readC2pa(plain, 'image/jpeg')]
    const pid = client.workerPid
    const results = await Promise.all(pending)
    expect(results.map((r) => r?.title ?? null)).toEqual(['C.jpg', 'CA.jpg', null])
    expect(client.workerPid).toBe(pid)
  })

  it('fails only the call whose file makes the addon panic; the others in the same process are answered', async () => {
    const client = createC2paClient({ concurrency: 3 })
    cleanups.push(() => client.close())
    const [good, bad, other] = await Promise.allSettled([client.readC2pa(jpegC, 'image/jpeg'), client.readC2pa(panicMp3, 'audio/mpeg'), client.readC2pa(jpegCA, 'image/jpeg')])
    expect(good).toMatchObject({ status: 'fulfilled', value: { title: 'C.jpg' } })
    expect(other).toMatchObject({ status: 'fulfilled', value: { title: 'CA.jpg' } })
    expect(bad.status).toBe('rejected')
    const error = (bad as PromiseRejectedResult).reason as DependencyError
    expect(error).toBeInstanceOf(DependencyError)
    expect(error.message).toMatch(/^The C2PA reader failed on this MP3 file: .*panicked/)
  })

  it('runs each call again alone when the process dies with several in it', async () => {
    const client = createC2paClient({ concurrency: 2 })
    cleanups.push(() => client.close())
    await client.readC2pa(plain, 'image/jpeg') // the process is up
    const pending = Promise.all([client.readC2pa(jpegC, 'image/jpeg'), client.readC2pa(jpegCA, 'image/jpeg')])
    process.kill(client.workerPid!, 'SIGKILL')
    expect((await pending).map((r) => r?.title)).toEqual(['C.jpg', 'CA.jpg'])
  })

  it('times each call out alone when the process hangs with several in it', async () => {
    const client = createC2paClient({ concurrency: 2, timeoutMs: 1 })
    cleanups.push(() => client.close())
    const outcomes = await Promise.allSettled([client.readC2pa(jpegC, 'image/jpeg'), client.readC2pa(jpegCA, 'image/jpeg')])
    for (const o of outcomes) {
      expect(o).toMatchObject({ status: 'rejected', reason: { code: 'TANBA_DEPENDENCY_FAILED', message: 'The C2PA reader failed on this JPEG file: it did not answer within 1 ms' } })
    }
    await expect(client.readC2pa(jpegC, 'image/jpeg', { timeoutMs: 20_000 })).resolves.toMatchObject({ title: 'C.jpg' })
  })

  it('aborts one call without failing the others', async () => {
    const client = createC2paClient({ concurrency: 2 })
    cleanups.push(() => client.close())
    const controller = new AbortController()
    const aborted = client.readC2pa(jpegC, 'image/jpeg', { signal: controller.signal })
    const kept = client.readC2pa(jpegCA, 'image/jpeg')
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'TANBA_ABORTED' })
    await expect(kept).resolves.toMatchObject({ title: 'CA.jpg' })
  })
})

describe('a host serving other threads through a port', () => {
  it('reads and signs in the host process; the signer stays with the caller', async () => {
    const host = createC2paHost({ concurrency: 2 })
    cleanups.push(() => host.close())
    const client = connectC2paClient(host.connect())
    expect(host.workerPid).toBeUndefined()
    const [c, ca] = await Promise.all([client.readC2pa(jpegC, 'image/jpeg'), client.readC2pa(jpegCA, 'image/jpeg')])
    expect([c?.title, ca?.title]).toEqual(['C.jpg', 'CA.jpg'])
    expect(host.workerPid).toBeTypeOf('number')
    expect(client.workerPid).toBeUndefined()
    let signatures = 0
    const signer: Signer = { ...creds.signer, sign: (data) => (signatures++, creds.signer.sign(data)) }
    const signed = await client.signC2pa(plain, 'image/jpeg', { signer, title: 'plain.jpg' })
    expect(signatures).toBeGreaterThan(0)
    expect(await client.readC2pa(signed, 'image/jpeg', { trustAnchors: creds.caPem })).toMatchObject({ title: 'plain.jpg', trusted: true })
    await host.close()
    expect(host.workerPid).toBeUndefined()
  })

  it('gives back the same typed errors as a process of its own: the signer’s own error, a panic, an abort', async () => {
    const host = createC2paHost()
    cleanups.push(() => host.close())
    const client = connectC2paClient(host.connect())
    const refusal = new InvalidKeyError('The KMS refused the key')
    const failing: Signer = { ...creds.signer, sign: async () => Promise.reject(refusal) }
    await expect(client.signC2pa(plain, 'image/jpeg', { signer: failing })).rejects.toBe(refusal)
    const hangUp: Signer = { ...creds.signer, sign: async () => Promise.reject(new Error('socket hang up')) }
    await expect(client.signC2pa(plain, 'image/jpeg', { signer: hangUp })).rejects.toMatchObject({ name: 'DependencyError', code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringContaining('socket hang up') })
    const panic = await client.readC2pa(panicMp3, 'audio/mpeg').catch((e: unknown) => e)
    expect(panic).toBeInstanceOf(DependencyError)
    expect(panic).toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringMatching(/panicked/), details: { dependency: '@contentauth/c2pa-node' } })
    await expect(client.readC2pa(jpegC.subarray(0, 2000), 'image/jpeg')).rejects.toMatchObject({ name: 'MalformedInputError', code: 'TANBA_MALFORMED_INPUT' })
    await expect(client.readC2pa(jpegC, 'image/jpeg', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'TANBA_ABORTED' })
    const controller = new AbortController()
    const pending = client.readC2pa(jpegC, 'image/jpeg', { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'TANBA_ABORTED' })
    await expect(client.readC2pa(jpegC, 'image/jpeg')).resolves.toMatchObject({ title: 'C.jpg' })
  })

  it('serves worker threads: two threads, one worker process', async () => {
    const host = createC2paHost({ concurrency: 2 })
    cleanups.push(() => host.close())
    const tsx = import.meta.resolve('tsx/esm/api')
    const entry = new URL('../src/index.ts', import.meta.url).href
    const script = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) }).then(async (c2pa) => {
      const { workerData, parentPort } = await import('node:worker_threads')
      c2pa.useC2paHost(workerData.port)
      const summary = await c2pa.readC2pa(workerData.bytes, 'image/jpeg')
      parentPort.postMessage(summary?.title ?? null)
    })`
    const run = (bytes: Uint8Array) => {
      const port = host.connect()
      const worker = new Worker(script, { eval: true, workerData: { port, bytes }, transferList: [port], execArgv: ['--conditions=development'] })
      return new Promise((resolve, reject) => {
        worker.once('message', (title) => {
          resolve(title)
          void worker.terminate().then(() => host.disconnect(port))
        })
        worker.once('error', reject)
      })
    }
    const pids = new Set<number>()
    const watch = setInterval(() => host.workerPid && pids.add(host.workerPid), 5)
    expect(await Promise.all([run(jpegC), run(jpegCA), run(plain)])).toEqual(['C.jpg', 'CA.jpg', null])
    clearInterval(watch)
    expect(pids.size).toBe(1)
  }, 60_000)
})
