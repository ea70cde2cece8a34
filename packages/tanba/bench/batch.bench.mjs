// Batch throughput of tanba/node on a generated mixed folder (>= 1,000 files):
// - stamping and verifying with 2 worker threads vs 1 (target >= 1.7x),
// - peak memory (this process, its worker threads and helper processes) under 512 MB,
// - verification throughput vs a bare SHA-256 over the same bytes (target >= 0.5x).
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { availableParallelism, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { ADAPTERS, close, stampFile, stampFiles, verifyFile, verifyFiles } from '../dist/node.js'
import { row } from '../../../scripts/bench-lib.mjs'

const FILES = 1000
const TEXT = [
  'Алматы — Қазақстанның ең үлкен қаласы. Таңертең күн шығып, тау етегіндегі алма бақтары жарқырады. ',
  'Алматы — крупнейший город Казахстана. Утром над предгорьями взошло солнце. ',
  'Toshkent — Oʻzbekistonning poytaxti. ',
  '春天来了，山上的雪开始融化。',
  'The model wrote this paragraph in a few hundred milliseconds. ',
]

/** Sample files of a kind that stamp and then verify as valid with the adapters as they are. */
async function usableSamples(root, tmp) {
  const kinds = new Set(ADAPTERS.map((a) => a.kind))
  const out = []
  for (const kind of ['image', 'pdf', 'audio']) {
    const fx = join(root, 'fixtures', kind)
    if (!kinds.has(kind) || !existsSync(fx)) continue
    for (const f of readdirSync(fx).sort()) {
      const p = join(fx, f)
      // Keep the folder realistic but the run short: sample files up to 2 MB.
      if (f.startsWith('.') || !statSync(p).isFile() || statSync(p).size > 2 * 1024 ** 2) continue
      const probe = join(tmp, 'probe', kind, f)
      try {
        const r = await stampFile(p, { output: probe, config: false, owner: { name: 'Bench LLP' }, system: { name: 'Bench' } })
        const v = await verifyFile(probe, { config: false })
        if (r.status === 'stamped' && v.status === 'valid' && v.format !== 'markdown') out.push(p)
      } catch {
        // refused by its adapter (unsupported, encrypted): not part of the mix
      }
    }
  }
  return out
}

/** The mix: real sample files of every kind that has an adapter (from fixtures/), the rest text. */
function makeFolder(dir, samples) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const kinds = new Set(ADAPTERS.map((a) => a.kind))
  const media = Math.min(samples.length ? Math.round(FILES * 0.25) : 0, FILES)
  let bytes = 0
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `batch${i % 10}`)
    mkdirSync(sub, { recursive: true })
    if (i < media) {
      const src = samples[i % samples.length]
      const name = `m${i}-${src.split('/').pop()}`
      copyFileSync(src, join(sub, name))
      bytes += statSync(src).size
    } else {
      const text = `${i}. ` + Array.from({ length: 5 + (i % 60) }, (_, k) => TEXT[(i + k) % TEXT.length]).join('')
      const name = i % 4 === 0 ? `t${i}.md` : `t${i}.txt`
      writeFileSync(join(sub, name), i % 4 === 0 ? `# Post ${i}\n\n${text}\n` : `${text}\n`)
      bytes += Buffer.byteLength(text)
    }
  }
  return { media, text: FILES - media, bytes, kinds: [...kinds].sort().join('+') }
}

/** Samples the resident memory of this process (threads included) and of its child processes. */
function memorySampler() {
  let peak = { total: 0, own: 0, helpers: 0 }
  const children = () => {
    let sum = 0
    try {
      for (const task of readdirSync('/proc/self/task')) {
        for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
          const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
          if (m) sum += Number(m[1]) * 1024
        }
      }
    } catch {
      // not Linux, or a child just exited
    }
    return sum
  }
  const sample = () => {
    const own = process.memoryUsage.rss()
    const helpers = children()
    if (own + helpers > peak.total) peak = { total: own + helpers, own, helpers }
  }
  const timer = setInterval(sample, 25)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return peak
    },
  }
}

/** CPU seconds of this process (all threads) while `fn` runs: shows whether 2 workers did extra work or only waited for a core. */
async function cpu(fn) {
  const before = process.cpuUsage()
  const result = await fn()
  const used = process.cpuUsage(before)
  return { ...result, cpuS: (used.user + used.system) / 1e6 }
}

async function timeStamp(input, out, concurrency) {
  rmSync(out, { recursive: true, force: true })
  const t0 = performance.now()
  const s = await stampFiles([input], { outDir: out, concurrency, config: false, owner: { name: 'Bench LLP' }, system: { name: 'Bench' } })
  const ms = performance.now() - t0
  if (s.counts.failed) throw new Error(`${s.counts.failed} files failed to stamp: ${s.results.find((r) => r.status === 'error')?.error?.message}`)
  return { ms }
}

async function timeVerify(dir, concurrency, c2pa = true) {
  const t0 = performance.now()
  const v = await verifyFiles([dir], { concurrency, config: false, c2pa })
  const ms = performance.now() - t0
  if (v.counts.valid !== v.counts.total) throw new Error(`${v.counts.total - v.counts.valid} files did not verify as valid`)
  return { ms, count: v.counts.total }
}

async function sha256Folder(dir) {
  const t0 = performance.now()
  let bytes = 0
  for (const f of readdirSync(dir, { recursive: true })) {
    const p = join(dir, f)
    if (!statSync(p).isFile()) continue
    const data = await readFile(p)
    createHash('sha256').update(data).digest()
    bytes += data.length
  }
  return { ms: performance.now() - t0, bytes }
}

export default async function run(ctx) {
  process.env.TANBA_CONFIG_DIR ??= join(ctx.tmp, 'tanba-config')
  const input = join(ctx.tmp, 'batch-in')
  const mix = makeFolder(input, await usableSamples(ctx.root, ctx.tmp))
  const desc = `${FILES} files (${mix.text} text, ${mix.media} media; ${mix.kinds})`
  const mem = memorySampler()
  // Warm-up: creates the development key and loads every adapter once (the file cache is warm from writing the folder).
  await timeStamp(join(input, 'batch0'), join(ctx.tmp, 'batch-warm'), 2)
  const s1 = await cpu(() => timeStamp(input, join(ctx.tmp, 'batch-out1'), 1))
  const s2 = await cpu(() => timeStamp(input, join(ctx.tmp, 'batch-out2'), 2))
  const one = s1.ms
  const two = s2.ms
  const v1 = await cpu(() => timeVerify(join(ctx.tmp, 'batch-out1'), 1))
  const v2 = await cpu(() => timeVerify(join(ctx.tmp, 'batch-out2'), 2))
  const v2plain = await timeVerify(join(ctx.tmp, 'batch-out2'), 2, false)
  const peak = mem.stop()
  const sha = await sha256Folder(join(ctx.tmp, 'batch-out2'))
  await close()
  const mb = peak.total / 1024 ** 2
  const split = `process ${(peak.own / 1024 ** 2).toFixed(0)} MB + helper processes ${(peak.helpers / 1024 ** 2).toFixed(0)} MB`
  const load = `load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`
  return [
    row({ operation: `batch stamp, ${desc}: 2 workers`, baseline: 'same batch, 1 worker', ms: two, baselineMs: one, ratio: one / two, target: { min: 1.7 }, note: `${((FILES * 1000) / two).toFixed(0)} files/s with 2 workers; CPU ${s1.cpuS.toFixed(1)} s (1) vs ${s2.cpuS.toFixed(1)} s (2); ${load}` }),
    row({ operation: `batch verify, ${desc}: 2 workers`, baseline: 'same batch, 1 worker', ms: v2.ms, baselineMs: v1.ms, ratio: v1.ms / v2.ms, target: { min: 1.7 }, note: `${((v2.count * 1000) / v2.ms).toFixed(0)} files/s with 2 workers; CPU ${v1.cpuS.toFixed(1)} s (1) vs ${v2.cpuS.toFixed(1)} s (2); ${load}` }),
    row({ operation: 'batch stamp+verify peak memory (RSS, threads + helper processes)', baseline: '512 MB budget', ratio: mb / 512, target: { max: 1 }, note: `peak ${mb.toFixed(0)} MB: ${split}` }),
    row({ operation: `batch verify throughput (2 workers), ${(sha.bytes / 1024 ** 2).toFixed(1)} MB`, baseline: 'read + SHA-256 of the same files', ms: v2.ms, baselineMs: sha.ms, ratio: sha.ms / v2.ms, target: { min: 0.5 }, note: 'ratio = SHA-256 time / verify time; includes reading every C2PA manifest' }),
    row({ operation: 'batch verify throughput without C2PA reading (--no-c2pa)', baseline: 'read + SHA-256 of the same files', ms: v2plain.ms, baselineMs: sha.ms, ratio: sha.ms / v2plain.ms, note: 'where the time goes: Tanba label, markers and binding only' }),
  ]
}
