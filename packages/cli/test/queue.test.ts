// tanba queue and tanba worker against a real redis-server (Debian's): several worker processes,
// one SIGKILLed mid-job, Redis restarted once, then every output must verify and no input change.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, HAS_REDIS, RedisServer, redisCli } from '../../queue/test/redis-server.js'
import { BIN, ensureBuilt, hashTree, listFiles, ROOT, tanba, tempDir } from './helpers.js'

if (!HAS_REDIS) console.warn('queue.test.ts: skipped, redis-server is not installed (apt-get install redis-server; .ci/run installs it)')

/** Real fixtures of every kind: images, audio, PDF, text, and one truncated PNG that must fail. */
const FIXTURES = [
  'image/photo.jpg',
  'image/photo.png',
  'image/palette.png',
  'image/grey.jpg',
  'image/photo.webp',
  'audio/programme.mp3',
  'audio/programme.wav',
  'pdf/classic-xref.pdf',
  'pdf/rotated.pdf',
  'text/sample.md',
  'text/sample.txt',
  'text/sample.html',
]

interface WorkerProcess {
  child: ChildProcess
  events: Record<string, unknown>[]
  closed: Promise<void>
  stderr: () => string
}

describe.skipIf(!HAS_REDIS)('tanba queue and tanba worker on a real Redis', () => {
  let dir: string
  let configDir: string
  let redis: RedisServer
  const workers: WorkerProcess[] = []
  const env = () => ({ TANBA_CONFIG_DIR: configDir, NO_COLOR: '1' })

  function startWorker(name: string): WorkerProcess {
    // Short locks so a killed worker's jobs are taken over within seconds, deterministically.
    const args = ['worker', '--redis', redis.url, '--queue', 'archive', '--concurrency', '1', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem', '--trust', 'keys/ca.pem', '--lock-duration', '2000', '--stalled-interval', '1000', '--ledger', redis.url, '--json']
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] })
    const events: Record<string, unknown>[] = []
    let buffer = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffer += d
      let at: number
      while ((at = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, at)
        buffer = buffer.slice(at + 1)
        if (line.trim()) events.push({ ...(JSON.parse(line) as Record<string, unknown>), worker: name })
      }
    })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
    const w = { child, events, closed, stderr: () => stderr }
    workers.push(w)
    return w
  }

  async function until(what: string, test: () => boolean, timeoutMs = 90_000): Promise<void> {
    const end = Date.now() + timeoutMs
    while (!test()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; worker stderr:\n${workers.map((w) => w.stderr()).join('\n---\n')}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  const run = (args: string[]) => tanba(args, { cwd: dir, configDir, env: env(), timeoutMs: 120_000 })

  beforeAll(async () => {
    ensureBuilt()
    dir = tempDir('tanba-queue-')
    configDir = join(dir, 'config')
    mkdirSync(join(dir, 'in', 'nested'), { recursive: true })
    for (const f of FIXTURES) copyFileSync(join(ROOT, 'fixtures', f), join(dir, 'in', f.startsWith('text/') ? `nested/${basename(f)}` : basename(f)))
    writeFileSync(join(dir, 'in', 'broken.png'), readFileSync(join(ROOT, 'fixtures/image/photo.png')).subarray(0, 3000))
    // The fixtures are under the watermark's 256 px minimum: one photograph large enough to carry it.
    expect(spawnSync('convert', [join(ROOT, 'fixtures/image/photo.jpg'), '-resize', '800x600', join(dir, 'in', 'large.jpg')]).status).toBe(0)
    redis = new RedisServer(await freePort(), join(dir, 'redis'))
    mkdirSync(redis.dir)
    await redis.start()
    const keygen = await run(['keygen', '--out', 'keys'])
    expect(keygen.code, keygen.stderr).toBe(0)
  })

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.closed))
    await redis?.stop()
  })

  it('survives a SIGKILLed worker and a Redis restart: every output verifies, no input changes, nothing is stamped twice', async () => {
    const inputsBefore = hashTree(join(dir, 'in'))
    const total = FIXTURES.length + 2 // and broken.png, large.jpg
    const add = await run(['queue', 'add', 'in', '--out-dir', 'out', '--redis', redis.url, '--queue', 'archive', '--owner', 'Acme LLP', '--generator', 'Acme Gen', '--json'])
    expect(add.code, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({ queue: 'archive', total, added: total, alreadyQueued: 0 })

    // What Redis holds for a job: paths and options, never file bytes or key material.
    const keys = redisCli(redis.port, '--scan', '--pattern', 'bull:archive:s-*').split('\n')
    const dump = redisCli(redis.port, 'hget', keys[0]!, 'data')
    expect(dump).toContain('"kind":"stamp"')
    expect(dump).not.toMatch(/PRIVATE KEY|signer\.key|BEGIN/)

    const a = startWorker('a')
    const b = startWorker('b')
    // Worker a dies in the middle of a job: its jobs stay active in Redis until their lock expires.
    await until('worker a to take a job', () => a.events.some((e) => e.type === 'active'))
    a.child.kill('SIGKILL')
    await a.closed
    const killedJobs = new Set(a.events.filter((e) => e.type === 'active').map((e) => e.id))
    const aCompleted = new Set(a.events.filter((e) => e.type === 'completed').map((e) => e.id))
    const c = startWorker('c')

    // Redis restarts once, while the run goes on.
    const completed = () => workers.flatMap((w) => w.events).filter((e) => e.type === 'completed').length
    await until('a few jobs to complete', () => completed() >= 3)
    await redis.stop()
    await redis.start()

    const status = await run(['queue', 'status', '--redis', redis.url, '--queue', 'archive', '--wait', '--interval', '250', '--json'])
    // 2: drained, and some file failed (the truncated PNG).
    expect(status.code, status.stderr).toBe(2)
    const s = JSON.parse(status.stdout) as { counts: Record<string, number>; failures: { file: string; code: string }[]; results: Record<string, number>; drained: boolean }
    expect(s.drained).toBe(true)
    if (s.counts.failed !== 1) console.log(JSON.stringify(s.failures, null, 2), workers.map((w) => w.events.map((e) => `${String(e.worker)} ${String(e.type)} ${String(e.file)} ${String(e.code ?? "")} ${String(e.message ?? "")}`).join("\n")).join("\n--\n"))
    expect(s.counts).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: total - 1, failed: 1 })
    expect(s.failures).toEqual([expect.objectContaining({ file: 'in/broken.png', code: 'TANBA_MALFORMED_INPUT' })])
    // A job whose lock lapsed during the restart may run twice: the second run finds the output and skips it.
    expect((s.results.stamped ?? 0) + (s.results.skipped ?? 0)).toBe(total - 1)

    // The jobs worker a held were finished by another worker.
    const finishedBy = new Map<unknown, unknown>()
    for (const w of workers) for (const e of w.events) if (e.type === 'completed' || (e.type === 'failed' && e.final)) finishedBy.set(e.id, e.worker)
    for (const id of killedJobs) if (!aCompleted.has(id)) expect(['b', 'c']).toContain(finishedBy.get(id))

    // Every output is complete (verifies valid and trusted); a killed write left at most a hidden temporary file.
    const outputs = listFiles(join(dir, 'out'))
    const visible = outputs.filter((f) => !basename(f).startsWith('.'))
    expect(outputs.filter((f) => basename(f).startsWith('.')).every((f) => /\.tanba-tmp-/.test(f))).toBe(true)
    expect(visible).toHaveLength(total - 1)
    const verify = await run(['verify', 'out', '--trust', 'keys/ca.pem', '--json'])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    const reports = (JSON.parse(verify.stdout) as { results: { file: string; status: string }[] }).results
    expect(reports).toHaveLength(total - 1)
    for (const r of reports) expect(r.status, r.file).toBe('valid')
    expect(hashTree(join(dir, 'in'))).toEqual(inputsBefore)

    // The workers appended each watermarked label to the Redis ledger they share (each once, also
    // for jobs that ran twice); a copy of an output stripped of every metadata carrier by
    // ImageMagick is traced back to its signed label through it.
    const ledgerKeys = redisCli(redis.port, '--scan', '--pattern', 'tanba:ledger:wm:*').split('\n').filter(Boolean)
    const watermarked = (JSON.parse(verify.stdout) as { results: { file: string; label?: { id: string; watermark?: { payload: string } } }[] }).results.filter((r) => r.label?.watermark)
    expect(watermarked.length).toBeGreaterThan(0)
    expect(ledgerKeys.sort()).toEqual([...new Set(watermarked.map((r) => `tanba:ledger:wm:${r.label!.watermark!.payload}`))].sort())
    for (const key of ledgerKeys) expect(redisCli(redis.port, 'hlen', key)).toBe('1')
    const photo = watermarked.find((r) => r.file.endsWith('large.jpg'))!
    expect(spawnSync('convert', [join(dir, 'out', 'large.jpg'), '-strip', join(dir, 'stripped.png')]).status).toBe(0)
    const traced = await run(['verify', 'stripped.png', '--trust', 'keys/ca.pem', '--ledger', redis.url, '--json'])
    const tracedReport = (JSON.parse(traced.stdout) as { results: { status: string; ledger?: { found: boolean; label?: { id: string }; signature?: { trusted: boolean } } }[] }).results[0]!
    expect(tracedReport.status).toBe('unlabelled')
    expect(tracedReport.ledger).toMatchObject({ found: true, label: { id: photo.label!.id }, signature: { trusted: true } })

    // Adding the same folder again adds nothing; the outputs stay as they are.
    const outputsBefore = hashTree(join(dir, 'out'))
    const again = await run(['queue', 'add', 'in', '--out-dir', 'out', '--redis', redis.url, '--queue', 'archive', '--owner', 'Acme LLP', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, alreadyQueued: total })

    // A changed input is a new job, stamped again; nothing else is.
    appendFileSync(join(dir, 'in/nested/sample.txt'), '\nOne more line.\n')
    const changed = await run(['queue', 'add', 'in', '--out-dir', 'out', '--redis', redis.url, '--queue', 'archive', '--owner', 'Acme LLP', '--json'])
    expect(JSON.parse(changed.stdout)).toMatchObject({ added: 1, alreadyQueued: total - 1 })
    const drained = await run(['queue', 'status', '--redis', redis.url, '--queue', 'archive', '--wait', '--interval', '250', '--json'])
    expect(JSON.parse(drained.stdout).counts).toMatchObject({ completed: total, failed: 1 })
    const outputsAfter = hashTree(join(dir, 'out'))
    const differ = Object.keys(outputsAfter).filter((f) => outputsAfter[f] !== outputsBefore[f] && !basename(f).startsWith('.'))
    expect(differ).toEqual(['nested/sample.txt'])
    expect(readFileSync(join(dir, 'out/nested/sample.txt'), 'utf8')).toContain('One more line.')

    // retry-failed sends the broken file round again (it fails again, once); clean removes the finished jobs.
    const retry = await run(['queue', 'retry-failed', '--redis', redis.url, '--queue', 'archive', '--json'])
    expect(JSON.parse(retry.stdout)).toEqual({ retried: 1 })
    const afterRetry = await run(['queue', 'status', '--redis', redis.url, '--queue', 'archive', '--wait', '--interval', '250', '--json'])
    expect(afterRetry.code).toBe(2)
    expect(JSON.parse(afterRetry.stdout).failures).toEqual([expect.objectContaining({ file: 'in/broken.png', code: 'TANBA_MALFORMED_INPUT' })])
    const clean = await run(['queue', 'clean', '--redis', redis.url, '--queue', 'archive', '--failed', '--json'])
    expect(JSON.parse(clean.stdout)).toEqual({ removed: { completed: total, failed: 1 } })
    const empty = await run(['queue', 'status', '--redis', redis.url, '--queue', 'archive', '--json'])
    expect(empty.code).toBe(0)
    expect(JSON.parse(empty.stdout).counts).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 })

    // A worker that died between writing an output and appending its label leaves a job that runs
    // again and finds the output: the rerun reads the label from it and appends it. Played here by
    // emptying the ledger and enqueuing the finished folder again (its jobs were cleaned).
    for (const key of ledgerKeys) redisCli(redis.port, 'del', key)
    const rerun = await run(['queue', 'add', 'in', '--out-dir', 'out', '--redis', redis.url, '--queue', 'archive', '--owner', 'Acme LLP', '--json'])
    expect(JSON.parse(rerun.stdout)).toMatchObject({ added: total })
    const rerunDone = await run(['queue', 'status', '--redis', redis.url, '--queue', 'archive', '--wait', '--interval', '250', '--json'])
    expect(JSON.parse(rerunDone.stdout).results).toMatchObject({ skipped: total - 1 })
    const refilled = redisCli(redis.port, '--scan', '--pattern', 'tanba:ledger:wm:*').split('\n').filter(Boolean)
    expect(refilled.sort()).toEqual(ledgerKeys.sort())

    // A worker stops cleanly on SIGTERM once its jobs are done.
    for (const w of [b, c]) w.child.kill('SIGTERM')
    await Promise.all([b.closed, c.closed])
    expect([b.child.exitCode, c.child.exitCode]).toEqual([0, 0])
  }, 240_000)

  it('fails a file that kills every worker taking it after a bounded number of tries, and finishes the others', async () => {
    mkdirSync(join(dir, 'poison-in'), { recursive: true })
    for (const name of ['a', 'b', 'c', 'd', 'poison']) writeFileSync(join(dir, 'poison-in', `${name}.md`), `# ${name}\n\nA paragraph written by a model.\n`)
    const inputsBefore = hashTree(join(dir, 'poison-in'))
    const add = await run(['queue', 'add', 'poison-in', '--out-dir', 'poison-out', '--redis', redis.url, '--queue', 'poison', '--json'])
    expect(add.code, add.stderr).toBe(0)
    const hook = new URL('./crash-hook.mjs', import.meta.url).href
    let deaths = 0
    let stop = false
    const supervise = async () => {
      // Like a Deployment restarting its pods: a worker that dies is started again.
      while (!stop) {
        const args = ['worker', '--redis', redis.url, '--queue', 'poison', '--concurrency', '1', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem', '--lock-duration', '2000', '--stalled-interval', '1000', '--json']
        const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env(), NODE_OPTIONS: `--import=${hook}`, TANBA_TEST_CRASH_ON: 'poison.md' }, stdio: 'ignore' })
        const w = { child, events: [], closed: new Promise<void>((r) => child.once('close', () => r())), stderr: () => '' }
        workers.push(w)
        await w.closed
        if (child.signalCode === 'SIGKILL') deaths++
        else break
      }
    }
    const supervisors = [supervise(), supervise()]
    const status = await run(['queue', 'status', '--redis', redis.url, '--queue', 'poison', '--wait', '--interval', '250', '--json'])
    stop = true
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM')
    await Promise.all(supervisors)
    expect(status.code, status.stderr).toBe(2)
    const s = JSON.parse(status.stdout) as { counts: Record<string, number>; failures: { file: string; code: string; message: string }[] }
    expect(s.counts).toMatchObject({ completed: 4, failed: 1, waiting: 0, active: 0 })
    expect(s.failures).toEqual([expect.objectContaining({ file: 'poison-in/poison.md', code: 'TANBA_DEPENDENCY_FAILED' })])
    expect(s.failures[0]!.message).toMatch(/stalled/)
    // The default --max-stalled 2: the file was tried three times, each time killing its worker.
    expect(deaths).toBe(3)
    expect(listFiles(join(dir, 'poison-out')).filter((f) => !basename(f).startsWith('.'))).toEqual(['a.md', 'b.md', 'c.md', 'd.md'])
    const verify = await run(['verify', 'poison-out', '--trust', 'keys/ca.pem', '--json'])
    expect(verify.code, verify.stdout).toBe(0)
    expect(hashTree(join(dir, 'poison-in'))).toEqual(inputsBefore)
  }, 180_000)

  it('fails a job that names a key the worker lacks, with TANBA_INVALID_KEY, and says so for a Redis that is not there', async () => {
    mkdirSync(join(dir, 'other'), { recursive: true })
    copyFileSync(join(ROOT, 'fixtures/text/sample.md'), join(dir, 'other/sample.md'))
    const add = await run(['queue', 'add', 'other', '--out-dir', 'out-other', '--redis', redis.url, '--queue', 'keys', '--key-id', 'some-other-key', '--json'])
    expect(add.code, add.stderr).toBe(0)
    const args = ['worker', '--redis', redis.url, '--queue', 'keys', '--concurrency', '1', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem', '--json']
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env() }, stdio: 'ignore' })
    const status = await run(['queue', 'status', '--redis', redis.url, '--queue', 'keys', '--wait', '--interval', '250', '--json'])
    child.kill('SIGTERM')
    await new Promise((r) => child.once('close', r))
    expect(status.code).toBe(2)
    const failure = (JSON.parse(status.stdout) as { failures: { code: string; message: string; attempts: number }[] }).failures[0]!
    expect(failure.code).toBe('TANBA_INVALID_KEY')
    expect(failure.message).toContain('some-other-key')
    expect(failure.attempts).toBe(1)
    expect(listFiles(join(dir, 'out-other'))).toEqual([])

    for (const args of [['queue', '--help'], ['worker', '--help']]) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toContain('$ tanba')
    }
    const noOut = await run(['queue', 'add', 'other', '--redis', redis.url])
    expect(noOut.code).toBe(3)
    expect(noOut.stderr).toMatch(/--out-dir/)

    const nowhere = await tanba(['queue', 'status', '--redis', `redis://127.0.0.1:${await freePort()}`], { cwd: dir, configDir, env: { ...env() }, timeoutMs: 60_000 })
    expect(nowhere.code).toBe(3)
    expect(nowhere.stderr).toMatch(/did not answer|refused/)
  }, 120_000)
})
