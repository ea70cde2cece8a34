// The watermark search on decoded pixels, shared by the Node adapter (pixels from the out-of-process
// decoder) and the browser adapter (pixels from the page's own decoder). No Node.js imports.
import type { ReportMessage, WatermarkReport } from '@tanba/core'
import { detectWatermark, WATERMARK_METHOD, type PixelImage } from '@tanba/watermark'

/** The shorter side the detector's input is reduced to (it searches at about half of that). */
export const SEARCH_SIDE = 512

/** Formats whose pixels the search reads. */
export const READABLE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'])

/**
 * Decodes an image's first frame for the watermark search: pixels whose shorter side is at most
 * `side` (luma, RGB or RGBA), or null when this decoder cannot read the format.
 */
export type PixelDecoder = (bytes: Uint8Array, mediaType: string, side: number) => Promise<PixelImage | null>

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
  return { rule: 'watermark.unreadable', fatal: false, reason: `The pixels could not be decoded to look for a watermark: ${(cause as Error)?.message ?? String(cause)}` }
}
