// The statistics every `pnpm bench` row is judged by (scripts/bench-stats.mjs): the median of the
// rounds decides the target, and a spread that crosses the target is "unstable", never "yes".
import { describe, expect, it } from 'vitest'
import { median, meets, roundsFor, spread, verdict } from '../../../scripts/bench-stats.mjs'

describe('bench statistics', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even one, unsorted input left alone', () => {
    const xs = [5, 1, 4, 2, 3]
    expect(median(xs)).toBe(3)
    expect(xs).toEqual([5, 1, 4, 2, 3])
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
    expect(spread([1.2, 0.9, 1.5, 1.1, 1.0])).toEqual({ min: 0.9, median: 1.1, max: 1.5 })
  })

  it('judges a { max } target on the median and calls a spread across it unstable', () => {
    expect(verdict([1.0, 1.05, 1.08, 1.02, 1.09], { max: 1.1 })).toBe('yes')
    expect(verdict([1.2, 1.25, 1.3, 1.21, 1.4], { max: 1.1 })).toBe('no')
    // Median 1.05 meets the target, but one round missed it: not a "yes".
    expect(verdict([1.0, 1.05, 1.2, 1.02, 1.06], { max: 1.1 })).toBe('unstable')
    // Median misses, one round met it: not a "no" either.
    expect(verdict([1.0, 1.3, 1.2, 1.25, 1.4], { max: 1.1 })).toBe('unstable')
    // A round exactly on the target meets it.
    expect(verdict([1.1, 1.05, 1.0], { max: 1.1 })).toBe('yes')
  })

  it('judges a { min } target the other way round', () => {
    expect(verdict([12, 11, 15, 10, 13], { min: 10 })).toBe('yes')
    expect(verdict([12, 9.5, 15, 10.5, 13], { min: 10 })).toBe('unstable')
    expect(verdict([7, 8, 9, 6, 8], { min: 10 })).toBe('no')
    expect(meets(9.99, { min: 10 })).toBe(false)
    expect(meets(1, undefined)).toBeNull()
  })

  it('has no verdict without a target or without rounds', () => {
    expect(verdict([1, 2, 3], undefined)).toBe('-')
    expect(verdict([], { max: 1 })).toBe('-')
  })

  it('uses at least 5 rounds, and 11 when a round is under 50 ms', () => {
    expect(roundsFor(400)).toBe(5)
    expect(roundsFor(400, { rounds: 3 })).toBe(5)
    expect(roundsFor(49)).toBe(11)
    expect(roundsFor(10, { rounds: 15 })).toBe(15)
    expect(roundsFor(200, { rounds: 9 })).toBe(9)
  })
})

// The row shape and the generated table, through the harness itself (plain .mjs, loaded untyped).
type Lib = {
  row: (o: Record<string, unknown>) => Record<string, any>
  measurePair: (op: () => unknown, base: () => unknown, o?: Record<string, unknown>) => Promise<Record<string, any>>
}
type Doc = { writeDoc: (path: string, result: unknown) => string; BEGIN: string; END: string }
const load = async <T>(path: string): Promise<T> => (await import(new URL(path, import.meta.url).href)) as T

describe('bench rows and the generated table', () => {
  it('keeps the old fields, adds every round and the spread, and judges the median', async () => {
    const { row } = await load<Lib>('../../../scripts/bench-lib.mjs')
    const roundTimes = [10, 11, 12, 10.5, 14].map((ms) => ({ ms, baselineMs: 10 }))
    const r = row({ operation: 'op', baseline: 'base', roundTimes, target: { max: 1.2 } })
    expect(r.rounds).toEqual([1, 1.1, 1.2, 1.05, 1.4])
    expect(r.ratio).toBeCloseTo(1.1)
    expect(r.ms).toBe(11)
    expect(r.baselineMs).toBe(10)
    expect(r.pass).toBe(true)
    expect(r.verdict).toBe('unstable')
    expect(r.spread.ratio).toEqual({ min: 1, median: r.ratio, max: 1.4 })
    expect(r.target).toBe('<= 1.2x')
    // "Times faster" rows invert every round, not only the medians.
    const inv = row({ operation: 'op', baseline: 'base', roundTimes: [{ ms: 2, baselineMs: 20 }, { ms: 4, baselineMs: 20 }, { ms: 1, baselineMs: 20 }], invert: true, target: { min: 10 } })
    expect(inv.rounds).toEqual([10, 5, 20])
    expect(inv.ratio).toBe(10)
    expect(inv.verdict).toBe('unstable')
  })

  it('runs operation and baseline interleaved, 11 rounds when a round is short', async () => {
    const { measurePair } = await load<Lib>('../../../scripts/bench-lib.mjs')
    const calls: string[] = []
    const p = await measurePair(() => calls.push('op'), () => calls.push('base'), { warmup: 1 })
    expect(p.roundTimes).toHaveLength(11)
    // Warm-up (base, op), then the order flips every round.
    expect(calls.slice(0, 6)).toEqual(['base', 'op', 'base', 'op', 'op', 'base'])
    // A slow warm-up (a cold start) does not decide the count; measured rounds of 60 ms do.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    let first = true
    const cold = await measurePair(async () => { if (first) await sleep(120); first = false }, () => undefined)
    expect(cold.roundTimes).toHaveLength(11)
    const slow = await measurePair(() => sleep(30), () => sleep(30))
    expect(slow.roundTimes).toHaveLength(5)
  })

  it('rewrites only what lies between the markers, with the date, machine facts and ceiling rows', async () => {
    const { writeDoc, BEGIN, END } = await load<Doc>('../../../scripts/bench-doc.mjs')
    const { row } = await load<Lib>('../../../scripts/bench-lib.mjs')
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const file = join(mkdtempSync(join(tmpdir(), 'bench-doc-')), 'performance.md')
    writeFileSync(file, `# Before\n\n${BEGIN}\nold table\n${END}\n\nAfter.\n`)
    const result = {
      date: '2026-12-02T06:00:00.000Z',
      machine: { nproc: 2, cpu: 'Test CPU', memoryGiB: 8, node: 'v20.0.0', platform: 'linux', loadAverage: { start: [0.1, 0.2, 0.3], end: [0.4, 0.5, 0.6] } },
      rows: [
        row({ operation: 'a | b', baseline: 'copy', roundTimes: [1, 1.2, 2].map((ms) => ({ ms, baselineMs: 1 })), target: { max: 1.5 } }),
        row({ operation: 'machine ceiling: 2 threads vs 1', baseline: '1 thread', ratio: 1.9 }),
      ],
    }
    writeDoc(file, result)
    const text = readFileSync(file, 'utf8')
    expect(text.startsWith(`# Before\n\n${BEGIN}\n`)).toBe(true)
    expect(text.endsWith(`${END}\n\nAfter.\n`)).toBe(true)
    expect(text).not.toContain('old table')
    expect(text).toContain('Run on 2026-12-02T06:00:00.000Z: 2 × Test CPU, 8 GiB, Node v20.0.0, linux; load average (1, 5, 15 min) 0.1 0.2 0.3 at the start, 0.4 0.5 0.6 at the end.')
    expect(text).toContain('Machine ceiling: 2 threads vs 1 1.90x.')
    expect(text).toContain('| a \\| b | copy | 1.2 | 1.0 | 1.20x | [1.00–2.00] ×3 | <= 1.5x | unstable |')
    expect(() => writeDoc(file, { rows: [] })).toThrow(/machine facts/)
    writeFileSync(file, 'no markers\n')
    expect(() => writeDoc(file, result)).toThrow(/markers/)
  })
})
