// The hostile-input sweep: every file of the shared corpus and of fixtures/, and a stamped sample of
// every format, truncated at many points, with random bit flips and with declared sizes larger than
// the file, run through the umbrella's verify (and stamp where cheap) in a watched child process.
// Each case must end within a second with a typed error, an error report or a clean answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { createTestCredentials } from '@tanba/core/testing'
import { close, stamp } from 'tanba/node'
import {
  CasePool,
  count,
  FUZZ_RUNS,
  hardeningRegistry,
  inputFiles,
  LONG,
  OUT,
  problemOf,
  readBytes,
  TEST_TIMEOUT,
  writeCounts,
  type CaseOp,
  type CaseResult,
  type CaseSpec,
  type InputFile,
} from './helpers.js'
import { withoutKnown, writeKnown } from './known-issues.js'
import { describe as describeMutation, flipSets, latin1, sizeMutations, truncationPoints, type Mutation } from './mutate.js'

const registry = hardeningRegistry()
const pool = new CasePool(2)
const outcomes: Record<string, Record<string, number>> = {}
const slowest: Array<{ file: string; mutation: string; op: string; ms: number; cpuMs: number; rssMb: number }> = []

/** Mutation counts per file: short in CI, larger under `pnpm fuzz`. */
const BUDGET = LONG ? { truncations: Math.max(48, FUZZ_RUNS / 100), flips: Math.max(48, FUZZ_RUNS / 100), sizes: 64, stamps: 12 } : { truncations: 9, flips: 4, sizes: 6, stamps: 2 }

/** One stamped sample per format, C2PA included where the format takes it, so mutations reach the label parsers. */
const STAMP_SAMPLES = [
  'image/photo.jpg',
  'image/photo.png',
  'image/photo.webp',
  'image/animated.gif',
  'image/multipage.tif',
  'image/photo.avif',
  'image/drawing.svg',
  'audio/programme.wav',
  'audio/programme.mp3',
  'audio/programme.flac',
  'audio/programme.m4a',
  'audio/programme.ogg',
  'pdf/classic-xref.pdf',
  'text/sample.txt',
  'text/sample.md',
  'text/sample.html',
  'video/h264-aac.mp4',
  'video/h264-aac.mov',
]

function formatOf(bytes: Uint8Array, filename: string): string {
  try {
    return registry.detect(bytes, { filename }).format.id
  } catch {
    return 'unknown'
  }
}

function casesFor(file: InputFile, bytes: Uint8Array, seed: number, stamped: boolean): CaseSpec[] {
  const filename = basename(file.path)
  const formatId = formatOf(bytes, filename)
  const specs: CaseSpec[] = []
  const add = (mutation: Mutation, op: CaseOp) => specs.push({ file: file.path, filename, mutation, op })
  add({ kind: 'none' }, 'verify')
  add({ kind: 'none' }, 'inspect')
  for (const at of truncationPoints(bytes.length, BUDGET.truncations, seed)) add({ kind: 'truncate', at }, 'verify')
  for (const bits of flipSets(bytes.length, BUDGET.flips, seed + 1)) add({ kind: 'flip', bits }, 'verify')
  const sizes = sizeMutations(bytes, formatId, LONG ? 64 : 3)
  for (const m of pick(sizes, BUDGET.sizes, seed + 2)) add(m, 'verify')
  if (stamped) {
    // Flips inside the label itself: signature, JSON, XMP around it.
    for (const bits of labelRegionFlips(bytes, LONG ? 24 : 3, seed + 3)) add({ kind: 'flip', bits }, 'verify-no-c2pa')
  }
  // Stamping hostile input (metadata only: cheap, no decoding), and once with the visible notice on small files.
  const stampable: Mutation[] = [{ kind: 'truncate', at: bytes.length >> 1 }, ...flipSets(bytes.length, BUDGET.stamps, seed + 4).map((bits) => ({ kind: 'flip' as const, bits })), ...pick(sizes, BUDGET.stamps, seed + 5)]
  for (const m of stampable) add(m, 'stamp-metadata')
  if (bytes.length < 400_000) for (const m of stampable.slice(0, LONG ? 6 : 2)) add(m, 'stamp-visible')
  return specs
}

function pick<T>(items: T[], n: number, seed: number): T[] {
  if (items.length <= n) return items
  const out: T[] = []
  const step = items.length / n
  for (let i = 0; i < n; i++) out.push(items[Math.floor((i * step + seed) % items.length)]!)
  return out
}

/** Bit sets that hit the bytes around each copy of the label's signature value. */
function labelRegionFlips(bytes: Uint8Array, n: number, seed: number): number[][] {
  const text = latin1(bytes)
  const anchors: number[] = []
  for (const re of [/"value":"[A-Za-z0-9_-]{40,}"/g, /tanba/gi, /TANBATXT/g]) {
    let m: RegExpExecArray | null
    while ((m = re.exec(text)) && anchors.length < 64) anchors.push(m.index)
  }
  if (!anchors.length) return []
  let s = seed
  const next = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
  return Array.from({ length: n }, () => {
    const at = anchors[Math.floor(next() * anchors.length)]!
    const byte = Math.max(0, Math.min(bytes.length - 1, at + Math.floor((next() - 0.3) * 400)))
    return [byte * 8 + Math.floor(next() * 8)]
  })
}

function record(file: string, spec: CaseSpec, result: CaseResult): void {
  const key = `${spec.op} ${result.outcome.replace(/^untyped:.*/, 'untyped')}`
  outcomes[file] ??= {}
  outcomes[file]![key] = (outcomes[file]![key] ?? 0) + 1
  slowest.push({ file, mutation: describeMutation(spec.mutation), op: spec.op, ms: result.ms, cpuMs: result.cpuMs, rssMb: Math.round(result.rssMb) })
}

async function sweep(file: InputFile, bytes: Uint8Array, seed: number, stamped: boolean): Promise<void> {
  const specs = casesFor(file, bytes, seed, stamped)
  const results = await pool.run(specs, (spec, result) => record(file.name, spec, result))
  count(`sweep cases (${stamped ? 'stamped samples' : 'corpus and fixtures'})`, specs.length)
  const problems = specs.flatMap((spec, i) => {
    const problem = problemOf(results[i]!)
    return problem ? [`${spec.op} on ${file.name} ${describeMutation(spec.mutation)}: ${problem}`] : []
  })
  // A file the adapter accepted must give an output that verifies (never a silently broken file).
  const broken = specs.flatMap((spec, i) => (/^stamped:(?!valid)/.test(results[i]!.outcome) ? [`${spec.op} on ${file.name} ${describeMutation(spec.mutation)} wrote a file that verifies as ${results[i]!.outcome}`] : []))
  expect(withoutKnown([...problems, ...broken])).toEqual([])
}

const files = inputFiles()
const stampedDir = join(OUT, 'stamped')
const stampedFiles: InputFile[] = []

beforeAll(async () => {
  mkdirSync(stampedDir, { recursive: true })
  const creds = await createTestCredentials()
  for (const sample of STAMP_SAMPLES) {
    const source = files.find((f) => f.name.endsWith(`fixtures/${sample}`))
    if (!source) continue
    const input = readBytes(source.path)
    const out = await stamp(input, {
      registry,
      filename: basename(source.path),
      signer: creds.signer,
      system: { name: 'Hardening Generator' },
      owner: { name: 'Tanba Hardening LLP', id: '123456789012' },
      // M4A, Ogg and video take no perceivable notice yet: their samples carry the machine-readable carriers only.
      ...(/\.(m4a|ogg|mp4|mov)$/.test(sample) ? { notice: { visible: false } } : {}),
    })
    const path = join(stampedDir, `stamped-${basename(source.path)}`)
    writeFileSync(path, out.bytes)
    stampedFiles.push({ name: `stamped ${sample}`, path, size: out.bytes.length })
  }
}, TEST_TIMEOUT)

afterAll(async () => {
  await pool.close()
  await close()
  const { closeImageAdapter } = await import('@tanba/image')
  await closeImageAdapter()
  slowest.sort((a, b) => b.cpuMs - a.cpuMs)
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'sweep.json'), JSON.stringify({ mode: LONG ? 'long' : 'short', slowest: slowest.slice(0, 25), outcomes }, null, 2))
  writeCounts('counts-sweep.json')
  writeKnown('known-issues-sweep.json')
}, 60_000)

describe('hostile-input sweep over the corpus and fixtures', () => {
  it('finds the shared corpus and the fixtures', () => {
    expect(files.some((f) => f.name.includes('corpus/adversarial/'))).toBe(true)
    expect(files.some((f) => f.name.includes('fixtures/'))).toBe(true)
  })
  files.forEach((file, index) => {
    it(`${file.name}`, async () => sweep(file, readBytes(file.path), 1000 + index, false), TEST_TIMEOUT)
  })
})

describe('hostile-input sweep over stamped samples (labels, C2PA manifests and carriers mutated)', () => {
  it('stamped a sample of every format', () => {
    expect(stampedFiles.length).toBeGreaterThanOrEqual(STAMP_SAMPLES.length - 1)
  })
  STAMP_SAMPLES.forEach((sample, index) => {
    it(`stamped ${sample}`, async () => {
      const file = stampedFiles.find((f) => f.name === `stamped ${sample}`)
      if (!file) return expect.fail(`${sample} could not be stamped`)
      return sweep(file, readBytes(file.path), 5000 + index, true)
    }, TEST_TIMEOUT)
  })
})
