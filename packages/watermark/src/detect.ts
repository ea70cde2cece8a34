// Detection: the residual of the luma grid (image minus its local mean, normalised by local activity) is
// folded onto one tile for each candidate scale; the fold's circular cross-correlation with the sync
// reference gives the scale and the tile offset left by cropping; the bit cells are then read at that
// alignment and decoded with the Viterbi decoder; the CRC-32 and fixed bits decide.
import { convEncode, viterbiDecode } from './code.js'
import { crossCorrelatePair, fft2 } from './fft.js'
import { INFO_BITS, parseInfoBits, payloadHex, type WatermarkPayload } from './payload.js'
import { CELLS_SHORT, CODED_BITS, TILE, tilePattern, type TilePattern } from './pattern.js'
import { boxBlur, GRID_SHORT, lumaGrid, type PixelImage } from './raster.js'
import { WATERMARK_METHOD } from './embed.js'

/** Scale search: period ratios from SCALE_MIN to SCALE_MAX (crop of up to 30% of the shorter side). */
const SCALE_MIN = 0.97
const SCALE_MAX = 1.45
const SCALE_STEP = 1.003
const COARSE_STEP = 1.012
const COARSE_EXTENT = 144
const REFINE_STEPS = 3
/** Coarse scale peaks refined, and alignments decoded per pattern: the strongest sync peaks. */
const COARSE_KEEP = 4
export const CANDIDATES = 4
/** Bits a random word must match to pass: CRC-32 + 4-bit version + 3 reserved bits. */
export const CHECKED_BITS = 39
const SUB = 2 * TILE // subcells per tile side (two per cell)

export interface DetectOptions {
  /** Organisation keys to look for as well as the public pattern. */
  keys?: string[]
  /** Skip the public pattern (only the keyed ones). */
  publicPattern?: boolean
  /** Animated images: frames stacked vertically; each is searched until one holds the mark. */
  pageHeight?: number
  /** Keep every decoded 96-bit word (dewhitened), strongest alignment first: for calibration and bit accuracy. */
  trace?: boolean
}

export interface WatermarkDetection {
  found: boolean
  method: typeof WATERMARK_METHOD
  payload?: WatermarkPayload
  /** The payload as 16 hex digits, when found. */
  payloadHex?: string
  /** Which pattern matched: "public" or "key". */
  pattern?: 'public' | 'key'
  /** Coded bits (of 204) whose hard decision disagrees with the re-encoded payload. */
  bitErrors?: number
  codedBits: number
  /** 1 minus the false-positive bound of this search; 0 when not found. */
  confidence: number
  /** Upper bound on the probability that an unmarked image passes this search (analytic). */
  falsePositiveBound: number
  /** The sync peak over the correlation surface's spread (z-score) at the best alignment. */
  syncScore: number
  /** Size of one watermark cell in this image's pixels, as found by the scale search. */
  cellPixels?: number
  /** Frame that held the mark (animated images). */
  frame?: number
  /** With `trace`: the decoded words, whether or not they passed. */
  words?: Uint8Array[]
}

/** The analytic bound: each decoded alignment passes by chance with probability 2^-39. */
export function falsePositiveBound(patterns: number, frames = 1): number {
  return patterns * frames * CANDIDATES * 2 ** -CHECKED_BITS
}

interface Candidate {
  ratio: number
  dx: number
  dy: number
  z: number
  fold: Float64Array
}

/** Looks for the watermark in an image. Never throws on image content; an unmarked image gives found: false. */
export function detectWatermark(image: PixelImage, options: DetectOptions = {}): WatermarkDetection {
  const patterns: Array<{ kind: 'public' | 'key'; pattern: TilePattern }> = []
  if (options.publicPattern !== false) patterns.push({ kind: 'public', pattern: tilePattern() })
  for (const key of options.keys ?? []) patterns.push({ kind: 'key', pattern: tilePattern(key) })
  const pageHeight = options.pageHeight && image.height % options.pageHeight === 0 ? options.pageHeight : image.height
  const frames = image.height / pageHeight
  const bound = falsePositiveBound(patterns.length, frames)
  let best: WatermarkDetection = { found: false, method: WATERMARK_METHOD, codedBits: CODED_BITS, confidence: 0, falsePositiveBound: bound, syncScore: 0, ...(options.trace ? { words: [] } : {}) }
  if (Math.min(image.width, pageHeight) < 32) return best
  for (let f = 0; f < frames; f++) {
    const residual = residualGrid(image, f * pageHeight, (f + 1) * pageHeight)
    for (const { kind, pattern } of patterns) {
      const result = detectIn(residual, pattern, best.words)
      if (result.syncScore > best.syncScore && !best.found) best = { ...best, syncScore: result.syncScore }
      if (result.payload) {
        return {
          found: true,
          method: WATERMARK_METHOD,
          payload: result.payload,
          payloadHex: payloadHex(result.payload),
          pattern: kind,
          bitErrors: result.bitErrors!,
          codedBits: CODED_BITS,
          confidence: 1 - bound,
          falsePositiveBound: bound,
          syncScore: result.syncScore,
          cellPixels: result.cellPixels!,
          ...(frames > 1 ? { frame: f } : {}),
          ...(best.words ? { words: best.words } : {}),
        }
      }
    }
  }
  return best
}

interface Residual {
  w: number
  h: number
  r: Float32Array
  /** Grid pixels per image pixel (for the scale estimate). */
  gridScale: number
}

function residualGrid(image: PixelImage, y0: number, y1: number): Residual {
  const grid = lumaGrid(image, y0, y1)
  const { width: w, height: h, luma } = grid
  const mean = boxBlur(luma, w, h, 2)
  const r = new Float32Array(w * h)
  for (let k = 0; k < r.length; k++) r[k] = luma[k]! - mean[k]!
  const abs = new Float32Array(w * h)
  for (let k = 0; k < r.length; k++) abs[k] = Math.abs(r[k]!)
  const act = boxBlur(abs, w, h, 3)
  for (let k = 0; k < r.length; k++) r[k] = r[k]! / (act[k]! + 0.5)
  return { w, h, r, gridScale: GRID_SHORT / Math.min(image.width, y1 - y0) }
}

const refCache = new WeakMap<TilePattern, { re: Float64Array; im: Float64Array }>()

/** The sync reference at subcell resolution and its spectrum. */
function reference(pattern: TilePattern): { re: Float64Array; im: Float64Array } {
  const hit = refCache.get(pattern)
  if (hit) return hit
  const re = new Float64Array(SUB * SUB)
  for (let sy = 0; sy < SUB; sy++) {
    for (let sx = 0; sx < SUB; sx++) {
      const c = (sy >> 1) * TILE + (sx >> 1)
      re[sy * SUB + sx] = pattern.bitOf[c]! < 0 ? pattern.sign[c]! : 0
    }
  }
  const im = new Float64Array(SUB * SUB)
  fft2(re, im, SUB, false)
  const out = { re, im }
  refCache.set(pattern, out)
  return out
}

/** Folds the residual onto one tile for a period ratio (subcell = `ratio` grid pixels). */
function fold(res: Residual, ratio: number): Float64Array {
  const out = new Float64Array(SUB * SUB)
  const { w, h, r } = res
  const xb = new Int32Array(w)
  for (let x = 0; x < w; x++) xb[x] = Math.floor((x + 0.5) / ratio) % SUB
  for (let y = 0; y < h; y++) {
    const row = (Math.floor((y + 0.5) / ratio) % SUB) * SUB
    const o = y * w
    for (let x = 0; x < w; x++) out[row + xb[x]!]! += r[o + x]!
  }
  return out
}

/** The sync peak of each fold (two folds per complex FFT pair). */
function peaks(folds: Float64Array[], ref: { re: Float64Array; im: Float64Array }): Array<{ z: number; dx: number; dy: number }> {
  const out: Array<{ z: number; dx: number; dy: number }> = []
  for (let i = 0; i < folds.length; i += 2) {
    const pair = crossCorrelatePair(folds[i]!, folds[i + 1] ?? ZERO, ref.re, ref.im, SUB)
    out.push(peakOf(pair[0]))
    if (i + 1 < folds.length) out.push(peakOf(pair[1]))
  }
  return out
}

const ZERO = new Float64Array(SUB * SUB)

function peakOf(c: Float64Array): { z: number; dx: number; dy: number } {
  let sum = 0
  let sq = 0
  let max = -Infinity
  let at = 0
  for (let k = 0; k < c.length; k++) {
    const v = c[k]!
    sum += v
    sq += v * v
    if (v > max) {
      max = v
      at = k
    }
  }
  const mean = sum / c.length
  const sd = Math.sqrt(Math.max(1e-30, sq / c.length - mean * mean))
  return { z: (max - mean) / sd, dx: at % SUB, dy: Math.floor(at / SUB) }
}

function detectIn(res: Residual, pattern: TilePattern, words?: Uint8Array[]): { payload?: WatermarkPayload; bitErrors?: number; syncScore: number; cellPixels?: number } {
  const ref = reference(pattern)
  // Coarse pass on the centre (a small extent tolerates a coarser scale step), then the strongest
  // coarse peaks refined on the whole residual.
  const centre = centreOf(res, COARSE_EXTENT)
  const ratios: number[] = []
  for (let ratio = SCALE_MIN; ratio <= SCALE_MAX; ratio *= COARSE_STEP) ratios.push(ratio)
  const coarsePeaks = peaks(ratios.map((ratio) => fold(centre, ratio)), ref)
  const coarse = ratios.map((ratio, i) => ({ ratio, z: coarsePeaks[i]!.z }))
  const maxima = coarse.filter((c, i) => c.z >= (coarse[i - 1]?.z ?? -Infinity) && c.z >= (coarse[i + 1]?.z ?? -Infinity))
  maxima.sort((a, b) => b.z - a.z)
  const found: Candidate[] = []
  for (const m of maxima.slice(0, COARSE_KEEP)) {
    let best: Candidate | undefined
    const steps: number[] = []
    for (let k = -REFINE_STEPS; k <= REFINE_STEPS; k++) steps.push(m.ratio * SCALE_STEP ** k)
    const folds = steps.map((ratio) => fold(res, ratio))
    const ps = peaks(folds, ref)
    for (let i = 0; i < steps.length; i++) {
      if (!best || ps[i]!.z > best.z) best = { ratio: steps[i]!, ...ps[i]!, fold: folds[i]! }
    }
    found.push(best!)
  }
  found.sort((a, b) => b.z - a.z)
  const syncScore = found[0]?.z ?? 0
  for (const cand of found.slice(0, CANDIDATES)) {
    const decoded = decodeAt(cand, pattern, words)
    if (decoded) return { ...decoded, syncScore, cellPixels: ((GRID_SHORT / CELLS_SHORT) * cand.ratio) / res.gridScale }
  }
  return { syncScore }
}

/** The central `extent`×`extent` grid pixels of a residual (all of it when smaller). */
function centreOf(res: Residual, extent: number): Residual {
  const w = Math.min(res.w, extent)
  const h = Math.min(res.h, extent)
  const x0 = (res.w - w) >> 1
  const y0 = (res.h - h) >> 1
  const r = new Float32Array(w * h)
  for (let y = 0; y < h; y++) r.set(res.r.subarray((y0 + y) * res.w + x0, (y0 + y) * res.w + x0 + w), y * w)
  return { w, h, r, gridScale: res.gridScale }
}

function decodeAt(c: Candidate, pattern: TilePattern, words?: Uint8Array[]): { payload: WatermarkPayload; bitErrors: number } | null {
  const soft = new Float64Array(CODED_BITS)
  for (let cell = 0; cell < TILE * TILE; cell++) {
    const b = pattern.bitOf[cell]!
    if (b < 0) continue
    const cx = cell % TILE
    const cy = (cell / TILE) | 0
    let s = 0
    for (let a = 0; a < 2; a++) {
      for (let d = 0; d < 2; d++) {
        const sx = (2 * cx + a + c.dx) % SUB
        const sy = (2 * cy + d + c.dy) % SUB
        s += c.fold[sy * SUB + sx]!
      }
    }
    soft[b]! += s * pattern.sign[cell]!
  }
  let energy = 0
  for (const v of soft) energy += v * v
  if (!(energy > 0)) return null
  const bits = viterbiDecode(soft, INFO_BITS)
  const info = bits.slice()
  for (let i = 0; i < INFO_BITS; i++) info[i]! ^= pattern.whiten[i]!
  words?.push(info)
  const payload = parseInfoBits(info)
  if (!payload) return null
  const coded = convEncode(bits)
  let errors = 0
  for (let k = 0; k < CODED_BITS; k++) if ((soft[k]! > 0 ? 1 : 0) !== coded[k]) errors++
  return { payload, bitErrors: errors }
}
