// The invisible watermark (@tanba/watermark) inside the image adapter: embedded into the composited
// pixels in the same decode-encode pass as the visible warning (or, opted in, in a re-encode of its
// own), recorded in the label, and searched for on verify even when no metadata is left.
import { CORE_RULES, InvalidOptionError, type LabelWatermark, type Limits, type ReportMessage, type StampContext, type WatermarkReport } from '@tanba/core'
import { embedWatermark, MIN_SHORT_SIDE, watermarkIdFor, type PixelImage } from '@tanba/watermark'
import type { ParsedImage } from './container.js'
import { decodeGreyIsolated } from './pixels.js'
import { READABLE_FORMATS, SEARCH_SIDE, searchWatermark, unreadablePixels } from './watermark-report.js'

/** Watermark options, read from `adapterOptions.image` (stamp and verify). */
export interface ImageWatermarkOptions {
  /**
   * Stamp: undefined (default) embeds the mark whenever the visible warning is drawn; false never;
   * true also without a visible warning (the image is then re-encoded for the mark alone).
   * Verify: false skips the search.
   */
  watermark?: boolean
  /** An organisation key: stamp embeds a private mark that public detection cannot see. */
  watermarkKey?: string
  /** Verify: organisation keys to search for besides the public mark. */
  watermarkKeys?: string[]
}

/** Formats whose pixels go through sharp and back without losing metadata sharp cannot restore. */
const MARKABLE = new Set(['jpeg', 'png', 'webp', 'gif'])

export interface WatermarkPlan {
  /** Embeds into composited pixels (frames stacked, `pageHeight` rows each). */
  pixels(image: PixelImage & { pageHeight: number }): void
  /** What the label records, once `pixels` ran. */
  record(): LabelWatermark | undefined
  /** Embed even when no warning is drawn (re-encoding the image). */
  forced: boolean
  messages: ReportMessage[]
}

/** The watermark to embed while stamping, or null when it is off or cannot apply to this image. */
export function planWatermark(image: ParsedImage, ctx: StampContext): WatermarkPlan | null {
  const opts = readOptions(ctx.adapterOptions)
  if (opts.watermark === false) return null
  const messages: ReportMessage[] = []
  const skip = (reason: string): WatermarkPlan | null => {
    if (opts.watermark === true) throw new InvalidOptionError(`${reason}; stamp without adapterOptions.image.watermark`, { details: { option: 'adapterOptions.image.watermark' } })
    return null
  }
  if (!MARKABLE.has(image.format)) return skip(`The invisible watermark is embedded in JPEG, PNG, WebP and GIF only, not ${image.format.toUpperCase()}`)
  if (Math.min(image.width, image.height) < MIN_SHORT_SIDE) return skip(`The invisible watermark needs at least ${MIN_SHORT_SIDE} pixels on the shorter side; this image is ${image.width}×${image.height}`)
  let done: LabelWatermark | undefined
  const key = opts.watermarkKey
  const payload = { version: 1, origin: ctx.origin, id: watermarkIdFor(ctx.draft.id) }
  if (opts.watermark === true && !ctx.notice) messages.push(CORE_RULES.message('watermark.reencoded', 'The image was re-encoded to embed the invisible watermark (there is no visible warning to draw)'))
  return {
    forced: opts.watermark === true,
    messages,
    pixels(img) {
      if (img.pageHeight < MIN_SHORT_SIDE && img.width >= MIN_SHORT_SIDE) return
      const result = embedWatermark(img, payload, { ...(key ? { key } : {}), pageHeight: img.pageHeight })
      done = { method: result.method, payload: result.payload, detection: key ? 'key' : 'public' }
    },
    record: () => done,
  }
}

/** Searches the pixels for the watermark (first frame), or undefined when the format cannot be read. */
export async function findWatermark(image: ParsedImage, adapterOptions: Record<string, unknown>, limits: Limits): Promise<{ watermark?: WatermarkReport; messages: ReportMessage[] }> {
  const opts = readOptions(adapterOptions)
  if (opts.watermark === false || !READABLE_FORMATS.has(image.format)) return { messages: [] }
  let raw
  try {
    // Out of process: verify never runs libvips on a file from elsewhere in the caller's process.
    // failOn 'error' as the stamp path: a file whose critical chunks fail their CRC is not decoded at
    // its (possibly forged) declared size, which would cost CPU and memory for nothing.
    raw = await decodeGreyIsolated(image.bytes, { maxPixels: limits.maxPixels, side: SEARCH_SIDE })
  } catch (cause) {
    return { messages: [unreadablePixels(cause)] }
  }
  return { watermark: searchWatermark({ data: raw.data, width: raw.width, height: raw.height, channels: 1 }, opts.watermarkKeys ?? []), messages: [] }
}

function readOptions(adapterOptions: Record<string, unknown>): ImageWatermarkOptions {
  const raw = (adapterOptions.image ?? {}) as ImageWatermarkOptions
  if (typeof raw !== 'object' || raw === null) return {}
  if (raw.watermark !== undefined && typeof raw.watermark !== 'boolean') throw new InvalidOptionError(`Expected adapterOptions.image.watermark to be true or false but received ${JSON.stringify(raw.watermark)}`, { details: { option: 'adapterOptions.image.watermark' } })
  for (const k of [raw.watermarkKey, ...(raw.watermarkKeys ?? [])]) {
    if (k !== undefined && (typeof k !== 'string' || k.length < 8)) throw new InvalidOptionError('Expected a watermark key of at least 8 characters (adapterOptions.image.watermarkKey / watermarkKeys)', { details: { option: 'adapterOptions.image.watermarkKey' } })
  }
  return raw
}
