import { describe, expect, it } from 'vitest'
import { createTestCredentials } from '@tanba/core/testing'
import { WorkerPool } from '../src/pool.js'

const script = new URL('./fixtures/crashy-worker.mjs', import.meta.url)
const init = { op: 'verify' as const, settings: { c2pa: false, requireTrusted: false, trustTexts: [] } }

describe('worker pool', () => {
  it('runs jobs on every worker, signs in the main thread, and closes', async () => {
    const { signer } = await createTestCredentials()
    const pool = new WorkerPool({ size: 2, init, signer, script })
    expect(pool.capacity).toBe(4)
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.run<{ file: string; signatureLength: number }>({ file: `f${i}`, sign: true, delay: 5 })))
    expect(results.map((r) => r.file)).toEqual(Array.from({ length: 12 }, (_, i) => `f${i}`))
    expect(results.every((r) => r.signatureLength === 64)).toBe(true)
    await pool.close()
  })

  it('fails only the file whose worker died, replaces the worker, and runs the queued jobs', async () => {
    const pool = new WorkerPool({ size: 2, init, script })
    const jobs = [{ file: 'a', delay: 30 }, { file: 'bad-exit', crash: 'exit' }, { file: 'b' }, { file: 'c' }, { file: 'bad-throw', crash: 'throw' }, { file: 'd' }, { file: 'e' }]
    const settled = await Promise.allSettled(jobs.map((j) => pool.run<{ file: string }>(j)))
    const outcome = settled.map((s) => (s.status === 'fulfilled' ? s.value.file : (s.reason as { code: string; message: string })))
    expect(outcome[0]).toBe('a')
    expect(outcome[1]).toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringMatching(/processing bad-exit stopped unexpectedly \(exit code 7\)/) })
    expect(outcome[4]).toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringMatching(/processing bad-throw stopped unexpectedly \(crashed on bad-throw\)/) })
    expect([outcome[2], outcome[3], outcome[5], outcome[6]]).toEqual(['b', 'c', 'd', 'e'])
    await pool.close()
  })

  it('with several jobs per worker: finishes them in any order, and a worker that dies with several jobs in it has each run again alone', async () => {
    const pool = new WorkerPool({ size: 2, init, script, jobsAtOnce: 2 })
    expect(pool.capacity).toBe(6)
    // A slow job next to fast ones: the fast ones come back first.
    const order: string[] = []
    const run = (job: { file: string; delay?: number; crash?: string }) => pool.run<{ file: string }>(job).then((r) => (order.push(r.file), r.file))
    await Promise.all([run({ file: 'slow', delay: 60 }), run({ file: 'quick1' }), run({ file: 'quick2' }), run({ file: 'quick3' })])
    expect(order.indexOf('slow')).toBeGreaterThan(order.indexOf('quick1'))
    // Each worker gets two jobs at once; the one whose job kills it fails that job only.
    const jobs = [{ file: 'a', delay: 30 }, { file: 'bad-exit', crash: 'exit' }, { file: 'b', delay: 20 }, { file: 'c' }, { file: 'bad-throw', crash: 'throw' }, { file: 'd' }, { file: 'e' }, { file: 'f' }]
    const settled = await Promise.allSettled(jobs.map((j) => pool.run<{ file: string }>(j)))
    const outcome = settled.map((s) => (s.status === 'fulfilled' ? s.value.file : (s.reason as { code: string; message: string })))
    expect(outcome[1]).toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringMatching(/processing bad-exit stopped unexpectedly \(exit code 7\)/) })
    expect(outcome[4]).toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringMatching(/processing bad-throw stopped unexpectedly \(crashed on bad-throw\)/) })
    expect([outcome[0], outcome[2], outcome[3], outcome[5], outcome[6], outcome[7]]).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    await pool.close()
  })

  it('reports a pool whose workers cannot start, once, instead of failing every file', async () => {
    const pool = new WorkerPool({ size: 2, init, script: new URL('./fixtures/missing-worker.mjs', import.meta.url) })
    await expect(pool.run({ file: 'x' })).rejects.toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringMatching(/Could not start worker threads/) })
    expect(pool.broken).toBeDefined()
    await pool.close()
  })
})
