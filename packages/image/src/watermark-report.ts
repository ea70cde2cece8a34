// The watermark search on decoded pixels, shared by the Node adapter (pixels from the out-of-process
// decoder) and the browser adapter (pixels from the page's own decoder). No Node.js imports.
import type { ReportMessage, WatermarkReport } from '@tanba/core'
import { detectWatermark, WATERMARK_METHOD, type PixelImage } from '@tanba/watermark'
import { CORE_RULES } from '@tanba/core'

/** The shorter side the detector's input is reduced to (it searches at about half of that). */
export const SEARCH_SIDE = 512

/** Formats whose pixels the search reads. */
export const READABLE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'])

/**
 * Decodes an image's first frame for the watermark search: pixels whose shorter side is at most
 * `side` (luma, RGB or RGBA), or null when this decoder cannot read the format.
 */
export type PixelDecoder = (bytes: Uint8Array, mediaType: string, side: number) => Promise<PixelImage | null>

/**
 * Pixels reduced for the search: luma (Rec. 601) averaged over each target pixel's exact source
 * area, so that the shorter side is at most `side`. The same result whatever decoder or browser
 * produced the full-size pixels (a browser's own resampling aliases the mark away).
 */
export function reduceForSearch(pixels: PixelImage, side: number = SEARCH_SIDE): PixelImage {
  const { data, width, height, channels } = pixels
  const scale = Math.min(1, side / Math.min(width, height))
  const W = Math.max(1, Math.round(width * scale))
  const H = Math.max(1, Math.round(height * scale))
  const out = new Uint8Array(W * H)
  const fx = width / W
  const fy = height / H
  for (let y = 0; y < H; y++) {
    const y0 = y * fy
    const y1 = y0 + fy
    for (let x = 0; x < W; x++) {
      const x0 = x * fx
      const x1 = x0 + fx
      let sum = 0
      let area = 0
      for (let sy = Math.floor(y0); sy < Math.min(height, Math.ceil(y1)); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy)
        for (let sx = Math.floor(x0); sx < Math.min(width, Math.ceil(x1)); sx++) {
          const w = (Math.min(x1, sx + 1) - Math.max(x0, sx)) * wy
          const i = (sy * width + sx) * channels
          sum += (channels >= 3 ? 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]! : data[i]!) * w
          area += w
        }
      }
      out[y * W + x] = Math.round(sum / area)
    }
  }
  return { data: out, width: W, height: H, channels: 1 }
}

/** Runs the detector on decoded pixels and words what it found as the report's `watermark`. */
export function searchWatermark(pixels: PixelImage, keys: readonly string[] = []): WatermarkReport {
  const d = detectWatermark(pixels, { keys: [...keys] })
  return {
    found: d.found,
    method: WATERMARK_METHOD,
    codedBits: d.codedBits,
    confidence: d.confidence,
    falsePositiveBound: d.falsePositiveBound,
    syncScore: Math.round(d.syncScore * 100) / 100,
    ...(d.found ? { payload: d.payloadHex!, version: d.payload!.version, origin: d.payload!.origin, id: d.payload!.id, detection: d.pattern!, bitErrors: d.bitErrors! } : {}),
  }
}

/** The message for pixels that could not be decoded (the search is skipped, the rest of verify goes on). */
export function unreadablePixels(cause: unknown): ReportMessage {
  return CORE_RULES.message('watermark.unreadable', `The pixels could not be decoded to look for a watermark: ${(cause as Error)?.message ?? String(cause)}`)
}
