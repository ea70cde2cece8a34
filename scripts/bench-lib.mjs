// Shared helpers for benchmark modules (packages/*/bench/*.bench.mjs).
// A benchmark module exports `default async function run(ctx)` returning BenchRow[]:
//   { operation, baseline, ms, baselineMs, ratio, target, pass, verdict, spread, rounds, roundTimes?, note? }
// ratio is the median over rounds of op time / baseline time (or baseline / op with `invert`),
// each round measuring both, interleaved, in the same run; `pass` and `verdict` judge the median,
// and the verdict is "unstable" when the spread (min..max of the rounds) crosses the target.
import { performance } from 'node:perf_hooks'
import { median, meets, roundsFor, spread, verdict } from './bench-stats.mjs'

export { median, meets, roundsFor, spread, verdict }

/** Median wall time in ms of `fn` over `iterations` runs after `warmup` runs (rows without a baseline). */
export async function measure(fn, { iterations = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn()
  const times = []
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

/**
 * Runs `ops` (name -> async fn) interleaved: `warmup` rounds, then at least 5 measured rounds, or
 * `shortRounds` (11) when the median of those rounds (every op once) is under 50 ms. The order
 * flips every round and the collector runs between ops (when node runs with --expose-gc), so load from other processes,
 * page-cache write-back, CPU frequency changes and garbage left by one op hit all alike.
 * Returns name -> per-round times (ms).
 */
export async function interleaved(ops, { rounds = 5, shortRounds = 11, warmup = 1 } = {}) {
  const names = Object.keys(ops)
  for (let i = 0; i < warmup; i++) for (const n of names) await ops[n]()
  const times = Object.fromEntries(names.map((n) => [n, []]))
  const roundMs = []
  // The count is settled once `rounds` rounds are measured, not on the warm-up (a cold start
  // would make a short round look long).
  let count = Math.max(5, rounds)
  for (let r = 0; r < count; r++) {
    const order = r % 2 ? [...names].reverse() : names
    let sum = 0
    for (const n of order) {
      globalThis.gc?.()
      const t0 = performance.now()
      await ops[n]()
      const ms = performance.now() - t0
      times[n].push(ms)
      sum += ms
    }
    roundMs.push(sum)
    if (r === Math.max(5, rounds) - 1) count = roundsFor(median(roundMs), { rounds, shortRounds })
  }
  return times
}

/**
 * An operation and its baseline, interleaved (see `interleaved`). `iterations` is the older name
 * of `rounds`. Returns { ms, baselineMs } (medians) and `roundTimes`, every round's pair, for `row`.
 */
export async function measurePair(op, baseline, { iterations, rounds = iterations ?? 5, shortRounds = 11, warmup = 1 } = {}) {
  const t = await interleaved({ baseline, op }, { rounds, shortRounds, warmup })
  return { ms: median(t.op), baselineMs: median(t.baseline), roundTimes: t.op.map((ms, i) => ({ ms, baselineMs: t.baseline[i] })) }
}

function targetText(target) {
  return target ? (target.max !== undefined ? `<= ${target.max}x` : `>= ${target.min}x`) : '-'
}

/**
 * A row comparing an operation against a baseline. `target` is { max } (ratio must be <=) or
 * { min } (ratio must be >=). With `roundTimes` (from measurePair) every round gives a ratio,
 * ms / baselineMs, or baselineMs / ms with `invert` ("times faster"); the row's ratio is their
 * median. Without them, `ratio` (or ms / baselineMs) is a single measurement.
 */
export function row({ operation, baseline, ms, baselineMs, target, ratio, roundTimes, invert = false, note }) {
  const rounds = roundTimes ? roundTimes.map((t) => (invert ? t.baselineMs / t.ms : t.ms / t.baselineMs)) : [ratio ?? (invert ? baselineMs / ms : ms / baselineMs)]
  const r = roundTimes ? median(rounds) : rounds[0]
  const s = spread(rounds)
  return {
    operation,
    baseline,
    ms: ms ?? (roundTimes ? median(roundTimes.map((t) => t.ms)) : undefined),
    baselineMs: baselineMs ?? (roundTimes ? median(roundTimes.map((t) => t.baselineMs)) : undefined),
    ratio: r,
    target: targetText(target),
    pass: meets(r, target),
    verdict: verdict(rounds, target),
    spread: { ratio: s },
    rounds,
    ...(roundTimes ? { roundTimes } : {}),
    note,
  }
}

const fixed = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-')

/** The verdict of a row, for rows made before `verdict` existed too. */
export function verdictOf(r) {
  return r.verdict ?? (r.pass === null || r.pass === undefined ? '-' : r.pass ? 'yes' : 'no')
}

/** The cells of a row as printed: median ratio, its [min–max] over the rounds, the verdict. */
export function tableCells(r) {
  const s = r.spread?.ratio
  const range = s && r.rounds?.length > 1 ? `[${fixed(s.min)}–${fixed(s.max)}] ×${r.rounds.length}` : '-'
  return [
    r.operation,
    r.baseline,
    r.ms === undefined ? '-' : fixed(r.ms, 1),
    r.baselineMs === undefined ? '-' : fixed(r.baselineMs, 1),
    `${fixed(r.ratio)}x`,
    range,
    r.target,
    verdictOf(r),
    r.note ?? '',
  ]
}

export const TABLE_HEAD = ['operation', 'baseline', 'op ms', 'base ms', 'ratio (median)', '[min–max] ×rounds', 'target', 'ok', 'note']

export function formatTable(rows) {
  const body = rows.map(tableCells)
  const widths = TABLE_HEAD.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)))
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |'
  return [line(TABLE_HEAD), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')
}

/** The same table as Markdown for docs/performance.md (pipes in cells escaped). */
export function markdownTable(rows) {
  const cell = (c) => String(c).replaceAll('|', '\\|')
  const line = (cells) => '| ' + cells.map(cell).join(' | ') + ' |'
  return [line(TABLE_HEAD), line(TABLE_HEAD.map(() => '---')), ...rows.map((r) => line(tableCells(r)))].join('\n')
}
