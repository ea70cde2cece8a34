// Benchmarks for @tanba/text (run `pnpm build` in packages/text first, then `node scripts/bench.mjs packages/text/`).
// Every row runs its operation and its baseline interleaved over several rounds (the order flips
// each round, so load from other processes hits both alike) and is judged on the median round:
// - plain text, Markdown and HTML stamp and verify, against SHA-256 over the same bytes
//   (target: at least 100 MB/s each, on the median);
// - the streaming stamper against an identity TransformStream carrying the same tokens (target <= 1.10x),
//   with tokens per second.
// A row whose spread (min..max over the rounds) crosses its target has the verdict "unstable".
// The rounds, the median and the verdict come from scripts/bench-lib.mjs, as in every package.
// Profiles: node --cpu-prof packages/text/bench/profile.mjs <stamp|verify> <text|markdown|html> [MB].
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createPemSigner, generateSigningCredentials, stampWith, verifyWith } from '@tanba/core'
import { TextStampStream, createTextAdapter, htmlFormat, markdownFormat, plainTextFormat } from '../dist/index.js'
import { interleaved, median, row, spread, verdict } from '../../../scripts/bench-lib.mjs'
import { largeText, pageOf } from './corpus.mjs'

const MB = 1e6

const mbps = (bytes, ms) => bytes / MB / (ms / 1000)

/** A throughput row: ratio = time / SHA-256 time of the same round; target on the median MB/s. */
function throughputRow(operation, bytes, opTimes, shaTimes, minMBps) {
  const ratios = opTimes.map((ms, i) => ms / shaTimes[i])
  const speeds = opTimes.map((ms) => mbps(bytes, ms))
  const s = spread(speeds)
  const r = row({ operation, baseline: 'SHA-256 (node:crypto), same bytes', roundTimes: opTimes.map((ms, i) => ({ ms, baselineMs: shaTimes[i] })) })
  const target = minMBps === undefined ? undefined : { min: minMBps }
  const unstable = verdict(speeds, target) === 'unstable'
  return {
    ...r,
    target: minMBps === undefined ? '-' : `>= ${minMBps} MB/s`,
    pass: minMBps === undefined ? null : s.median >= minMBps,
    verdict: verdict(speeds, target),
    spread: { ratio: r.spread.ratio, mbps: s },
    note: `${s.median.toFixed(0)} MB/s (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}) on ${(bytes / MB).toFixed(0)} MB; ratio ${spread(ratios).min.toFixed(2)}-${spread(ratios).max.toFixed(2)}x; SHA-256 ${mbps(bytes, median(shaTimes)).toFixed(0)} MB/s${unstable ? '; unstable: the spread crosses the target' : ''}`,
  }
}

/** Wall time (ms) and peak RSS (bytes) of a child process, through GNU time. */
function timed(cmd, args) {
  const t0 = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', 'PEAK_KB=%M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 16 << 20 })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`bench: ${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr.slice(-500)}`)
  const out = r.stderr
  return { ms, peak: Number(/PEAK_KB=(\d+)/.exec(out)?.[1] ?? NaN) * 1024 }
}

/**
 * Large text through the CLI (the SDK's file path: read, stamp or verify, atomic write), against
 * `sha256sum` reading the same file in a child process; peak memory must stay within 3x the input.
 */
export function cliRows(root, tmp) {
  const cli = join(root, 'packages/cli/dist/bin.js')
  if (!existsSync(cli) || !existsSync('/usr/bin/time') || !existsSync('/usr/bin/sha256sum')) {
    return [{ operation: 'text: CLI stamp / verify, 100 MB', baseline: 'sha256sum, same file', ratio: NaN, target: '-', pass: null, note: 'skipped: needs pnpm build (packages/cli/dist), /usr/bin/time and sha256sum' }]
  }
  const dir = join(tmp, 'text-cli')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const input = join(dir, 'large.txt')
  const output = join(dir, 'large.stamped.txt')
  const bytes = new TextEncoder().encode(largeText(100 * MB))
  writeFileSync(input, bytes)
  const runs = { sha: [], stamp: [], verify: [] }
  for (let r = 0; r < 5; r++) {
    runs.sha.push(timed('/usr/bin/sha256sum', [input]))
    rmSync(output, { force: true })
    runs.stamp.push(timed(process.execPath, [cli, 'stamp', input, '--output', output]))
    runs.verify.push(timed(process.execPath, [cli, 'verify', output]))
  }
  rmSync(dir, { recursive: true, force: true })
  const shaTimes = runs.sha.map((x) => x.ms)
  return ['stamp', 'verify'].map((op) => {
    const r = throughputRow(`text: CLI ${op}, 100 MB file`, bytes.length, runs[op].map((x) => x.ms), shaTimes, 100)
    const peak = Math.max(...runs[op].map((x) => x.peak)) / bytes.length
    return { ...r, baseline: 'sha256sum (child process), same file', pass: r.pass && peak <= 3, verdict: peak > 3 ? 'no' : r.verdict, peakMemoryRatio: peak, note: `${r.note}; peak RSS ${peak.toFixed(2)}x the input (target <= 3x); process start included` }
  })
}

export default async function run(ctx = {}) {
  const creds = await generateSigningCredentials({ commonName: 'Tanba bench' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const options = { signer, system: { name: 'Bench Chat', model: 'bench-1' }, owner: { name: 'Bench LLP', id: '123456789012', country: 'KZ' }, profiles: ['kz'] }
  const adapter = createTextAdapter()
  const rows = []

  for (const [format, size] of [
    [plainTextFormat, 64 * MB],
    [markdownFormat, 32 * MB],
    [htmlFormat, 32 * MB],
  ]) {
    const input = new TextEncoder().encode(pageOf(format.id, largeText(size)))
    const first = await stampWith(adapter, input, format, options)
    // The file as written: the parts joined once, outside the measurement.
    const stamped = first.bytes
    const times = await interleaved({
      sha: () => createHash('sha256').update(input).digest(),
      stamp: async () => {
        await stampWith(adapter, input, format, options)
      },
      verify: async () => {
        const report = await verifyWith(adapter, stamped, format)
        if (report.status !== 'valid') throw new Error(`bench: expected a valid ${format.id} label, got ${report.status}`)
      },
    })
    const name = format.id === 'text' ? 'plain text' : format.id === 'html' ? 'HTML' : 'Markdown'
    rows.push(throughputRow(`text: stamp ${name}`, input.length, times.stamp, times.sha, 100))
    rows.push(throughputRow(`text: verify ${name}`, stamped.length, times.verify, times.sha, 100))
  }

  // Streaming: LLM-sized tokens (a few characters each) through the stamper vs an identity TransformStream.
  const tokens = []
  const source = largeText(2 * MB)
  for (let i = 0, n = 0; i < source.length; n++) {
    const size = 2 + (n % 5)
    tokens.push(source.slice(i, i + size))
    i += size
  }
  const pump = async (transform) => {
    let next = 0
    const readable = new ReadableStream({
      pull(controller) {
        if (next < tokens.length) controller.enqueue(tokens[next++])
        else controller.close()
      },
    })
    await readable.pipeThrough(transform).pipeTo(new WritableStream({ write() {} }))
  }
  const t = await interleaved({ identity: () => pump(new TransformStream()), stamper: () => pump(new TextStampStream(options)) }, { rounds: 11 })
  const ratios = t.stamper.map((ms, i) => ms / t.identity[i])
  const rs = spread(ratios)
  const stMs = median(t.stamper)
  const tokensPerSecond = (ms) => (tokens.length / ms) * 1000
  rows.push({
    ...row({
      operation: `text: TextStampStream, ${tokens.length} tokens`,
      baseline: 'identity TransformStream, same tokens',
      roundTimes: t.stamper.map((ms, i) => ({ ms, baselineMs: t.identity[i] })),
      target: { max: 1.1 },
      note: `${(tokensPerSecond(stMs) / 1e6).toFixed(2)} M tokens/s (identity ${(tokensPerSecond(median(t.identity)) / 1e6).toFixed(2)} M); ratio min ${rs.min.toFixed(2)}, max ${rs.max.toFixed(2)} over ${ratios.length} rounds`,
    }),
    tokensPerSecond: tokensPerSecond(stMs),
  })
  const root = ctx.root ?? new URL('../../..', import.meta.url).pathname
  rows.push(...cliRows(root, ctx.tmp ?? join(root, 'out', 'bench')))
  return rows
}
