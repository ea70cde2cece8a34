// Embedding: the tile's cell values, repeated over the image on a grid of CELLS_SHORT cells across the
// shorter side, weighted by a noise-visibility mask (stronger in texture, weaker in flat areas) and
// added to R, G and B alike (a luma-only change).
import { InvalidOptionError } from '@tanba/core'
import { convEncode } from './code.js'
import { infoBits, payloadHex, type WatermarkPayload } from './payload.js'
import { CELLS_SHORT, TILE, tilePattern, tileValues } from './pattern.js'
import { boxBlur, GRID_SHORT, lumaGrid, type PixelImage } from './raster.js'

export const WATERMARK_METHOD = 'tanba.wm.ss/1'
/** Target RMS of the luma change (8-bit levels): PSNR ≈ 20·log10(255/2.0) ≈ 42 dB before encoding. */
export const DEFAULT_STRENGTH = 2.0
/** The smallest shorter side the mark is embedded into (a cell must cover at least 2 pixels). */
export const MIN_SHORT_SIDE = 256

export interface EmbedOptions {
  /** An organisation key: seeds a private pattern that public detection does not see. */
  key?: string
  /** RMS luma change in 8-bit levels (default 2.0). */
  strength?: number
  /** Frames stacked vertically (animated images): each `pageHeight` rows get their own mark. */
  pageHeight?: number
}

export interface EmbedResult {
  method: typeof WATERMARK_METHOD
  /** The payload as 16 hex digits. */
  payload: string
  /** RMS of the luma change actually written (after clipping). */
  rms: number
  frames: number
}

/** Writes the watermark into `image.data` (in place) and returns what was embedded. */
export function embedWatermark(image: PixelImage, payload: WatermarkPayload, options: EmbedOptions = {}): EmbedResult {
  const strength = options.strength ?? DEFAULT_STRENGTH
  if (!(strength > 0 && strength <= 16)) throw new InvalidOptionError(`Expected a watermark strength between 0 and 16 but received ${JSON.stringify(options.strength)}`)
  const pageHeight = options.pageHeight ?? image.height
  if (!Number.isInteger(pageHeight) || pageHeight <= 0 || image.height % pageHeight !== 0) {
    throw new InvalidOptionError(`Expected a page height that divides the image height ${image.height} but received ${JSON.stringify(options.pageHeight)}`)
  }
  if (Math.min(image.width, pageHeight) < MIN_SHORT_SIDE) {
    throw new InvalidOptionError(`Expected an image at least ${MIN_SHORT_SIDE} pixels on its shorter side for the watermark but received ${image.width}×${pageHeight}`)
  }
  const pattern = tilePattern(options.key)
  const info = infoBits(payload)
  for (let i = 0; i < info.length; i++) info[i]! ^= pattern.whiten[i]!
  const cells = tileValues(pattern, convEncode(info))
  let sq = 0
  const frames = image.height / pageHeight
  for (let f = 0; f < frames; f++) sq += embedFrame(image, f * pageHeight, pageHeight, cells, strength)
  return { method: WATERMARK_METHOD, payload: payloadHex(payload), rms: Math.sqrt(sq / (image.width * image.height)), frames }
}

/** Embeds into rows [y0, y0 + h); returns the sum of squared luma changes. */
function embedFrame(image: PixelImage, y0: number, h: number, cells: Float32Array, strength: number): number {
  const grid = lumaGrid(image, y0, y0 + h)
  const gw = grid.width
  const gh = grid.height
  const mask = visibilityMask(grid.luma, grid.texture, gw, gh)
  // The mark at grid resolution: cell values interpolated at grid-pixel centres (two per cell).
  const mark = new Float32Array(gw * gh)
  const perCell = GRID_SHORT / CELLS_SHORT
  let sq = 0
  for (let gy = 0; gy < gh; gy++) {
    const v = (gy + 0.5) / perCell - 0.5
    const cy = Math.floor(v)
    const fy = v - cy
    const r0 = mod(cy, TILE) * TILE
    const r1 = mod(cy + 1, TILE) * TILE
    for (let gx = 0; gx < gw; gx++) {
      const u = (gx + 0.5) / perCell - 0.5
      const cx = Math.floor(u)
      const fx = u - cx
      const c0 = mod(cx, TILE)
      const c1 = mod(cx + 1, TILE)
      const w = (1 - fy) * ((1 - fx) * cells[r0 + c0]! + fx * cells[r0 + c1]!) + fy * ((1 - fx) * cells[r1 + c0]! + fx * cells[r1 + c1]!)
      const m = w * mask[gy * gw + gx]!
      mark[gy * gw + gx] = m
      sq += m * m
    }
  }
  const gain = strength / Math.sqrt(sq / (gw * gh) || 1)
  for (let k = 0; k < mark.length; k++) mark[k] = mark[k]! * gain
  return addUpsampled(image, y0, h, mark, gw, gh)
}

/**
 * Noise-visibility weights (after Voloshynovskiy et al. 1999, NVF): the change a pixel can hide grows
 * with local activity (fine texture and grid-scale contrast), floored so flat areas still carry some mark.
 */
function visibilityMask(luma: Float32Array, texture: Float32Array, w: number, h: number): Float32Array {
  const blur = boxBlur(luma, w, h, 1)
  const act = new Float32Array(w * h)
  for (let k = 0; k < act.length; k++) act[k] = texture[k]! + Math.abs(luma[k]! - blur[k]!)
  const local = boxBlur(act, w, h, 1)
  const sorted = Float32Array.from(local).sort()
  const median = sorted[sorted.length >> 1]! + 1
  const out = new Float32Array(w * h)
  for (let k = 0; k < out.length; k++) {
    let m = (local[k]! + 1) / median
    m = Math.min(2.5, Math.max(0.3, m))
    // Very dark and very bright areas clip: spend less there.
    const l = luma[k]!
    const edge = Math.min(1, Math.min(l, 255 - l) / 24 + 0.25)
    out[k] = m * edge
  }
  return out
}

/** Adds the grid mark, bilinearly upsampled, to R, G and B of rows [y0, y0 + h); returns Σ change². */
function addUpsampled(image: PixelImage, y0: number, h: number, mark: Float32Array, gw: number, gh: number): number {
  const { data, width, channels: ch } = image
  const sx = gw / width
  const sy = gh / h
  const xa = new Int32Array(width)
  const xf = new Float32Array(width)
  for (let x = 0; x < width; x++) {
    const g = Math.min(gw - 1, Math.max(0, (x + 0.5) * sx - 0.5))
    xa[x] = Math.min(gw - 2, Math.floor(g))
    xf[x] = g - xa[x]!
  }
  if (gw < 2) return 0
  const row = new Float32Array(gw)
  // A clamped view rounds and clips on store.
  const out = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length)
  const channels = ch === 1 ? 1 : 3
  let sq = 0
  for (let y = 0; y < h; y++) {
    const g = Math.min(gh - 1, Math.max(0, (y + 0.5) * sy - 0.5))
    const ya = Math.min(Math.max(0, gh - 2), Math.floor(g))
    const fy = gh < 2 ? 0 : g - ya
    const o0 = ya * gw
    const o1 = Math.min(gh - 1, ya + 1) * gw
    for (let k = 0; k < gw; k++) row[k] = (1 - fy) * mark[o0 + k]! + fy * mark[o1 + k]!
    let p = (y0 + y) * width * ch
    for (let x = 0; x < width; x++, p += ch) {
      const a = xa[x]!
      const d = row[a]! + xf[x]! * (row[a + 1]! - row[a]!)
      const before = out[p]!
      out[p] = before + d
      if (channels === 3) {
        out[p + 1] = out[p + 1]! + d
        out[p + 2] = out[p + 2]! + d
      }
      if ((y & 7) === 0) sq += (out[p]! - before) * (out[p]! - before)
    }
  }
  // Rows were sampled one in eight for the statistic.
  return sq * 8
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n
}

export function checkKey(key: unknown): string | undefined {
  if (key === undefined) return undefined
  if (typeof key !== 'string' || key.length < 8) throw new InvalidOptionError(`Expected a watermark key of at least 8 characters but received ${typeof key === 'string' ? `${key.length} characters` : typeof key}`)
  return key
}
