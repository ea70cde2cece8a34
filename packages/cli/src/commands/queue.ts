// tanba queue add|status|retry-failed|clean and tanba worker: Tanba jobs on a Redis queue (@tanba/queue).
import { type FileStampSettings, type ProfileId } from 'tanba/node'
import { batchFailure } from '../fatal.js'
import { loadQueue, openLedger } from '../ledger.js'
import { colorsFor, duration, forCli, plural, safe, type Io } from '../output.js'
import { settingsFrom, type StampFlags } from './stamp.js'


export interface ConnectionFlags {
  redis: string
  queue?: string
}

function connection(flags: ConnectionFlags) {
  return { redis: flags.redis, ...(flags.queue ? { queue: flags.queue } : {}) }
}

export interface QueueAddFlags extends StampFlags, ConnectionFlags {
  verify?: boolean
  keyId?: string
  requireTrusted?: boolean
}

const NAMED_ICONS = ['basic', 'generated', 'modified', 'auto', 'none']

export async function runQueueAdd(inputs: string[], flags: QueueAddFlags, io: Io): Promise<number> {
  const err = colorsFor(io.stderr, io.env)
  const out = colorsFor(io.stdout, io.env)
  const usage = (message: string) => {
    io.stderr.write(`${err.red('error:')} ${message}\n${err.dim('Run "tanba queue add --help" for usage and examples.')}\n`)
    return 3
  }
  if (!flags.verify && !flags.outDir) return usage('Say where workers write the stamped files: --out-dir <dir>, a folder every worker reaches (or --verify to enqueue verify jobs).')
  if (flags.noticeIcon !== undefined && !NAMED_ICONS.includes(flags.noticeIcon)) {
    return usage(`A queued job carries no file bytes: --notice-icon takes ${NAMED_ICONS.join(', ')} here; put an icon file of your own in the workers' tanba.config.json.`)
  }
  try {
    const q = await loadQueue()
    // Only what the label says and how it is written travels with the job: never keys, config paths or passwords.
    const { cwd: _cwd, config: _config, key: _key, cert: _cert, tsa: _tsa, signer: _signer, ...stamp } = settingsFrom(flags, io)
    const image = {
      ...(flags.noticeIcon !== undefined ? { icon: flags.noticeIcon === 'none' ? false : flags.noticeIcon } : {}),
      ...(flags.watermarkSet ? { watermark: Boolean(flags.watermark) } : {}),
    }
    const adapterOptions: Record<string, unknown> = {
      ...(Object.keys(image).length ? { image } : {}),
      ...(flags.pdfNoticeLayout ? { pdf: { noticeLayout: flags.pdfNoticeLayout } } : {}),
      ...(flags.c2paDropBrokenParent ? { c2pa: { brokenParent: 'drop' } } : {}),
    }
    const stampOptions: FileStampSettings = { ...stamp, ...(Object.keys(adapterOptions).length ? { adapterOptions } : {}) }
    let added = 0
    const summary = await q.enqueueFiles(inputs, {
      ...connection(flags),
      cwd: io.cwd,
      ...(flags.verify
        ? { verify: true, verifyOptions: { ...(flags.profile?.length ? { profiles: flags.profile as ProfileId[] } : {}), ...(flags.requireTrusted ? { requireTrusted: true } : {}) } }
        : { outDir: flags.outDir!, stamp: stampOptions }),
      ...(flags.keyId ? { kid: flags.keyId } : {}),
      ...(flags.overwrite ? { overwrite: true } : {}),
      ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
      onFile: (e) => {
        if (e.status === 'added') added++
        if (e.status === 'error') io.stderr.write(`${err.red('not added')} ${safe(e.file)}: ${safe(forCli(e.error?.message ?? '', e.error?.option))}\n`)
        else if (!flags.quiet && !flags.json && added % 1000 === 0 && e.status === 'added') io.stderr.write(`${err.dim(`added ${added} files…`)}\n`)
      },
    })
    if (flags.json) io.stdout.write(JSON.stringify(summary, null, 2) + '\n')
    else {
      io.stdout.write(
        `${out.bold('Queued:')} ${plural(summary.added, `${flags.verify ? 'verify' : 'stamp'} job`)} added to "${safe(summary.queue)}"` +
          `${summary.alreadyQueued ? `, ${summary.alreadyQueued} already queued (same path and content)` : ''}` +
          `${summary.errors.length ? out.red(`, ${summary.errors.length} not added`) : ''}.\n`,
      )
    }
    return summary.errors.length ? 3 : 0
  } catch (error) {
    return batchFailure(error, io)
  }
}

export interface WorkerFlags extends ConnectionFlags {
  concurrency?: number
  key?: string
  cert?: string
  tsa?: string
  config?: string
  trust?: string[]
  tsaTrust?: string[]
  pdfPasswordFile?: string
  lockDuration?: number
  stalledInterval?: number
  maxStalled?: number
  ledger?: string
  json?: boolean
  quiet?: boolean
}

export async function runWorker(flags: WorkerFlags, io: Io, signal?: AbortSignal): Promise<number> {
  const err = colorsFor(io.stderr, io.env)
  const out = colorsFor(io.stdout, io.env)
  try {
    const q = await loadQueue()
    const { pdfPasswordOptions } = await import('../fatal.js')
    const pdf = await pdfPasswordOptions(flags.pdfPasswordFile, io.cwd)
    const shared = { ...(flags.config ? { config: flags.config } : {}), ...(pdf ? { adapterOptions: pdf } : {}) }
    const ledger = flags.ledger ? await openLedger(flags.ledger, io.cwd) : undefined
    const worker = await q.startQueueWorker({
      ...(ledger ? { ledger } : {}),
      ...connection(flags),
      cwd: io.cwd,
      ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      stamp: { ...shared, ...(flags.key ? { key: flags.key } : {}), ...(flags.cert ? { cert: flags.cert } : {}), ...(flags.tsa ? { tsa: flags.tsa } : {}) },
      verify: { ...shared, ...(flags.trust?.length ? { trust: flags.trust } : {}), ...(flags.tsaTrust?.length ? { tsaTrust: flags.tsaTrust } : {}) },
      ...(flags.lockDuration ? { lockDuration: flags.lockDuration } : {}),
      ...(flags.stalledInterval ? { stalledInterval: flags.stalledInterval } : {}),
      ...(flags.maxStalled !== undefined ? { maxStalledCount: flags.maxStalled } : {}),
      ...(signal ? { signal } : {}),
    })
    let done = 0
    let failed = 0
    const started = performance.now()
    worker.on('event', (e) => {
      if (flags.json) {
        io.stdout.write(JSON.stringify(e) + '\n')
        return
      }
      switch (e.type) {
        case 'ready':
          if (!flags.quiet) for (const w of e.warnings) io.stderr.write(`${err.yellow('warning:')} ${w}\n`)
          io.stderr.write(`${err.bold('worker')} on queue "${safe(e.queue)}", ${plural(e.concurrency, 'job')} at once, key ${safe(e.kid)}${e.developmentKey ? err.yellow(' (development key)') : ''}; Ctrl-C stops after the jobs in progress.\n`)
          return
        case 'active':
          return
        case 'completed':
          done = e.done
          if (!flags.quiet) io.stdout.write(`${out.green(e.result.status.padEnd(8))} ${safe(e.file)} ${out.dim(`(${done} done, ${e.rate.toFixed(1)} files/s)`)}\n`)
          return
        case 'failed':
          failed = e.failed
          io.stdout.write(`${e.final ? out.red('failed  ') : out.yellow('retrying')} ${safe(e.file)}: ${e.code} ${safe(forCli(e.message, e.option))}\n`)
          return
        case 'redis-error':
          if (!flags.quiet) io.stderr.write(`${err.yellow('redis:')} ${safe(e.message)} (retrying)\n`)
          return
      }
    })
    await worker.closed
    await ledger?.close?.()
    if (!flags.json) io.stderr.write(`${err.bold('worker stopped:')} ${done} done, ${failed} failed in ${duration(performance.now() - started)}.\n`)
    return 0
  } catch (error) {
    return batchFailure(error, io)
  }
}

export interface StatusFlags extends ConnectionFlags {
  json?: boolean
  wait?: boolean
  interval?: number
}

export async function runQueueStatus(flags: StatusFlags, io: Io, signal?: AbortSignal): Promise<number> {
  const out = colorsFor(io.stdout, io.env)
  const err = colorsFor(io.stderr, io.env)
  try {
    const q = await loadQueue()
    let status
    if (flags.wait) {
      let last = ''
      status = await q.waitForDrain({
        ...connection(flags),
        ...(flags.interval ? { intervalMs: flags.interval } : {}),
        ...(signal ? { signal } : {}),
        onStatus: (s) => {
          const line = `waiting ${s.counts.waiting + s.counts.delayed}, active ${s.counts.active}, completed ${s.counts.completed}, failed ${s.counts.failed}, ${s.rate.toFixed(1)} files/s`
          if (line !== last) io.stderr.write(`${err.dim(line)}\n`)
          last = line
        },
      })
      if (signal?.aborted && !status.drained) {
        io.stderr.write(`${err.yellow('interrupted:')} the queue is not drained yet\n`)
        return 130
      }
    } else status = await q.queueStatus(connection(flags))
    if (flags.json) io.stdout.write(JSON.stringify(status, null, 2) + '\n')
    else {
      const c = status.counts
      io.stdout.write(
        `${out.bold(`Queue "${safe(status.queue)}":`)} waiting ${c.waiting}, delayed ${c.delayed}, active ${c.active}, completed ${c.completed}, ${c.failed ? out.red(`failed ${c.failed}`) : 'failed 0'}; ${status.rate.toFixed(1)} files/s over the last minute.\n`,
      )
      const results = Object.entries(status.results)
      if (results.length) io.stdout.write(`Completed jobs kept: ${results.map(([k, v]) => `${k} ${v}`).join(', ')}.\n`)
      for (const f of status.failures) io.stdout.write(`  ${out.red('failed')} ${safe(f.file)}: ${f.code} ${safe(forCli(f.message, f.option))} ${out.dim(`(${plural(f.attempts, 'attempt')})`)}\n`)
      if (status.failures.length) io.stdout.write(out.dim('Run "tanba queue retry-failed" to run them again.\n'))
    }
    return status.counts.failed ? 2 : 0
  } catch (error) {
    return batchFailure(error, io)
  }
}

export async function runQueueRetry(flags: ConnectionFlags & { json?: boolean }, io: Io): Promise<number> {
  try {
    const q = await loadQueue()
    const n = await q.retryFailed(connection(flags))
    io.stdout.write(flags.json ? JSON.stringify({ retried: n }) + '\n' : `Moved ${plural(n, 'failed job')} back to waiting.\n`)
    return 0
  } catch (error) {
    return batchFailure(error, io)
  }
}

export async function runQueueClean(flags: ConnectionFlags & { json?: boolean; failed?: boolean; grace?: number }, io: Io): Promise<number> {
  try {
    const q = await loadQueue()
    const removed = await q.cleanQueue({ ...connection(flags), ...(flags.failed ? { failed: true } : {}), ...(flags.grace ? { graceMs: flags.grace * 1000 } : {}) })
    io.stdout.write(flags.json ? JSON.stringify({ removed }) + '\n' : `Removed ${plural(removed.completed, 'completed job')}${flags.failed ? ` and ${plural(removed.failed, 'failed job')}` : ''}.\n`)
    return 0
  } catch (error) {
    return batchFailure(error, io)
  }
}
