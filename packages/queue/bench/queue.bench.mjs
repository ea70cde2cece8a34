// Queue overhead per file: the same folder of small files stamped through Redis (enqueue, one
// worker with one thread, wait for the drain) against stampFiles on one thread in this process.
// Starts its own redis-server (Debian's) on a free port with a temporary dir and appendonly yes.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
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

export default async function run({ tmp }) {
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
    return [
      row({
        operation: `stamp ${FILES} small text files through the Redis queue (enqueue + 1 worker, 1 thread)`,
        baseline: 'stampFiles, 1 thread, same files',
        ...t,
        target: { max: 1.3 },
        note: `${((t.ms - t.baselineMs) / FILES).toFixed(2)} ms more per file; worker start and content hashing included`,
      }),
    ]
  } finally {
    server.kill('SIGTERM')
    await close()
  }
}
