// Shared helpers for benchmark modules (packages/*/bench/*.bench.mjs).
// A benchmark module exports `default async function run(ctx)` returning BenchRow[]:
//   { operation, baseline, ms, baselineMs, ratio, target, pass, note? }
// where ratio = ms / baselineMs (or as the row's `ratioKind` says) measured in the same run.
import { performance } from 'node:perf_hooks'

/** Median wall time in ms of `fn` over `iterations` runs after `warmup` runs. */
export async function measure(fn, { iterations = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn()
  const times = []
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

/**
 * Median times of an operation and its baseline, measured alternately (op, baseline, op, ...), so
 * that load from other processes, page-cache write-back and CPU frequency changes hit both alike.
 * Returns { ms, baselineMs }.
 */
export async function measurePair(op, baseline, { iterations = 7, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) {
    await baseline()
    await op()
  }
  const a = []
  const b = []
  for (let i = 0; i < iterations; i++) {
    let t0 = performance.now()
    await baseline()
    b.push(performance.now() - t0)
    t0 = performance.now()
    await op()
    a.push(performance.now() - t0)
  }
  const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]
  return { ms: median(a), baselineMs: median(b) }
}

/**
 * A row comparing an operation against a baseline. `target` is { max } (ratio must be <=)
 * or { min } (ratio must be >=); `ratio` defaults to ms / baselineMs.
 */
export function row({ operation, baseline, ms, baselineMs, target, ratio, note }) {
  const r = ratio ?? ms / baselineMs
  const pass = target ? (target.max !== undefined ? r <= target.max : r >= target.min) : null
  const targetText = target ? (target.max !== undefined ? `<= ${target.max}x` : `>= ${target.min}x`) : '-'
  return { operation, baseline, ms, baselineMs, ratio: r, target: targetText, pass, note }
}

export function formatTable(rows) {
  const head = ['operation', 'baseline', 'op ms', 'base ms', 'ratio', 'target', 'ok', 'note']
  const body = rows.map((r) => [
    r.operation,
    r.baseline,
    r.ms === undefined ? '-' : r.ms.toFixed(1),
    r.baselineMs === undefined ? '-' : r.baselineMs.toFixed(1),
    `${r.ratio.toFixed(2)}x`,
    r.target,
    r.pass === null ? '-' : r.pass ? 'yes' : 'NO',
    r.note ?? '',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)))
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |'
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')
}
