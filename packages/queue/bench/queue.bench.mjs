// Queue overhead per file: the same folder of small files stamped through Redis (enqueue, one
// worker with one thread, wait for the drain) against stampFiles on one thread in this process.
// The same for a few large files, where the per-file overhead must vanish; and two `tanba worker`
// processes against one on a folder of photographs (beside batch.bench.mjs's machine ceiling).
// Starts its own redis-server (Debian's) on a free port with a temporary dir and appendonly yes.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { close, stampFiles } from 'tanba/node'
import { cleanQueue, enqueueFiles, startQueueWorker, waitForDrain } from '../dist/index.js'
import { measurePair, row } from '../../../scripts/bench-lib.mjs'

const FILES = 200

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

export default async function run({ tmp, root = new URL('../../..', import.meta.url).pathname }) {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    process.stderr.write('queue bench: skipped, redis-server is not installed\n')
    return []
  }
  const dir = join(tmp, 'queue')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'in'), { recursive: true })
  mkdirSync(join(dir, 'redis'))
  for (let i = 0; i < FILES; i++) writeFileSync(join(dir, 'in', `t${i}.txt`), `${i}. The model wrote this paragraph in a few hundred milliseconds. `.repeat(1 + (i % 20)) + '\n')
  const port = await freePort()
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', join(dir, 'redis'), '--appendonly', 'yes', '--save', ''], { stdio: 'ignore' })
  for (let i = 0; i < 200 && spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50))
  const redis = `redis://127.0.0.1:${port}`
  const label = { config: false, owner: { name: 'Bench LLP' }, system: { name: 'Bench' } }
  let round = 0
  try {
    const local = async () => {
      rmSync(join(dir, 'out-local'), { recursive: true, force: true })
      await stampFiles([join(dir, 'in')], { ...label, outDir: join(dir, 'out-local'), concurrency: 1 })
    }
    const queued = async () => {
      const queue = `bench${round++}`
      rmSync(join(dir, 'out-queue'), { recursive: true, force: true })
      const worker = await startQueueWorker({ redis, queue, concurrency: 1, stamp: label })
      await enqueueFiles([join(dir, 'in')], { redis, queue, outDir: join(dir, 'out-queue'), stamp: { owner: label.owner, system: label.system } })
      const status = await waitForDrain({ redis, queue, intervalMs: 20 })
      await worker.close()
      await cleanQueue({ redis, queue, failed: true })
      if (status.counts.failed) throw new Error(`queue bench: ${status.counts.failed} jobs failed`)
    }
    const t = await measurePair(queued, local, { rounds: 3, warmup: 1 })
    const rows = [
      row({
        operation: `stamp ${FILES} small text files through the Redis queue (enqueue + 1 worker, 1 thread)`,
        baseline: 'stampFiles, 1 thread, same files',
        ...t,
        target: { max: 1.3 },
        note: `${((t.ms - t.baselineMs) / FILES).toFixed(2)} ms more per file; worker start and content hashing included`,
      }),
    ]

    // Large files: 8 Markdown files of 8 MB (decoded whole, so each takes a while to stamp).
    const big = join(dir, 'in-large')
    mkdirSync(big, { recursive: true })
    for (let i = 0; i < 8; i++) writeFileSync(join(big, `big${i}.md`), `# Part ${i}\n\n` + `The model wrote paragraph ${i} of a long report; it goes on for a while. `.repeat(110_000) + '\n')
    const localLarge = async () => {
      rmSync(join(dir, 'out-local-large'), { recursive: true, force: true })
      await stampFiles([big], { ...label, outDir: join(dir, 'out-local-large'), concurrency: 1 })
    }
    const queuedLarge = async () => {
      const queue = `bench${round++}`
      rmSync(join(dir, 'out-queue-large'), { recursive: true, force: true })
      const worker = await startQueueWorker({ redis, queue, concurrency: 1, stamp: label })
      await enqueueFiles([big], { redis, queue, outDir: join(dir, 'out-queue-large'), stamp: { owner: label.owner, system: label.system } })
      const status = await waitForDrain({ redis, queue, intervalMs: 20 })
      await worker.close()
      await cleanQueue({ redis, queue, failed: true })
      if (status.counts.failed) throw new Error(`queue bench: ${status.counts.failed} large jobs failed`)
    }
    const tl = await measurePair(queuedLarge, localLarge, { rounds: 3, warmup: 1 })
    rows.push(
      row({
        operation: 'stamp 8 Markdown files of 8 MB through the Redis queue (enqueue + 1 worker, 1 thread)',
        baseline: 'stampFiles, 1 thread, same files',
        ...tl,
        target: { max: 1.1 },
        note: `${((tl.ms - tl.baselineMs) / 8).toFixed(1)} ms more per file (content hashing by the enqueuer included)`,
      }),
    )

    // Two worker processes against one: whole `tanba worker` processes, 1 thread each.
    const cli = join(root, 'packages/cli/dist/bin.js')
    if (existsSync(cli)) {
      try {
        rows.push(await workerProcessesRow({ cli, dir, redis, nextQueue: () => `bench${round++}` }))
      } catch (error) {
        rows.push({ operation: '2 tanba worker processes (1 thread each) vs 1, 48 photographs', baseline: '1 tanba worker process', ratio: NaN, target: '-', pass: null, note: `failed: ${error.message}` })
      }
    }
    return rows
  } finally {
    server.kill('SIGTERM')
    await close()
  }
}

/** 48 photographs stamped by N `tanba worker` processes (1 thread each), enqueue to drain, start-up included. */
async function workerProcessesRow({ cli, dir, redis, nextQueue }) {
  const photos = join(dir, 'in-photos')
  mkdirSync(photos, { recursive: true })
  const source = new URL('../../../fixtures/image/photo.jpg', import.meta.url).pathname
  for (let i = 0; i < 48; i++) copyFileSync(source, join(photos, `p${i}.jpg`))
  const configDir = join(dir, 'config')
  const keys = join(dir, 'keys')
  const env = { ...process.env, TANBA_CONFIG_DIR: configDir, NO_COLOR: '1' }
  if (!existsSync(join(keys, 'signer.key'))) spawnSync(process.execPath, [cli, 'keygen', '--out', keys, '--org', 'Bench LLP'], { env, stdio: 'ignore' })
  const runWith = (n) => async () => {
    const queue = nextQueue()
    const out = join(dir, `out-photos-${n}`)
    rmSync(out, { recursive: true, force: true })
    await enqueueFiles([photos], { redis, queue, outDir: out, stamp: { owner: { name: 'Bench LLP' }, system: { name: 'Bench' } } })
    const workers = Array.from({ length: n }, () =>
      spawn(process.execPath, [cli, 'worker', '--redis', redis, '--queue', queue, '--concurrency', '1', '--key', join(keys, 'signer.key'), '--cert', join(keys, 'signer.pem'), '--quiet'], { env, stdio: 'ignore' }),
    )
    const status = await waitForDrain({ redis, queue, intervalMs: 20 })
    await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.kill('SIGTERM')))))
    await cleanQueue({ redis, queue, failed: true })
    if (status.counts.failed) throw new Error(`queue bench: ${status.counts.failed} photo jobs failed`)
  }
  const t = await measurePair(runWith(2), runWith(1), { rounds: 3, warmup: 1 })
  return row({
    operation: '2 tanba worker processes (1 thread each) vs 1, 48 photographs',
    baseline: '1 tanba worker process, same files',
    ...t,
    invert: true,
    note: `speed-up ${(t.baselineMs / t.ms).toFixed(2)}x, process start included; compare with the machine ceiling rows of the batch bench (2 threads vs 1 on fixed work)`,
  })
}
