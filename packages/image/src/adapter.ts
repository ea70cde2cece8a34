// The image adapter: visible warning, binding, XMP and C2PA carriers, extraction and digest.
import { c2paStale, CORE_RULES, labelToXmpFields, NOTICE_TEXTS, noticeLanguageKey, SHORT_NOTICE_TEXTS, throwIfAborted, UnsupportedFormatError, utf8, type Adapter, type Asset, type Extraction, type ExtractOptions, type FormatInfo, type LabelBinding, type LabelNotice, type OpenOptions, type ReportMessage, type StampContext, type StampResult } from '@tanba/core'
import { readImageC2pa, remoteManifestReference, signImageC2pa } from './c2pa.js'
import { writeImageXmp } from './carriers.js'
import { displaySize, type ParsedImage } from './container.js'
import { IMAGE_FORMATS } from './formats.js'
import { normaliseIlocForC2pa } from './heif/heif.js'
import { findMarkers, readImageXmp } from './markers.js'
import { drawNotice } from './notice/draw.js'
import { GlyphDefs } from './notice/fonts.js'
import { layoutNotice, type NoticeLayout, type NoticeLine } from './notice/layout.js'
import { resolveImageOptions } from './options.js'
import { bindingFor, essenceDigest, imageDigest, parseImage } from './parse.js'
import { insertIntoSvg, type SvgFile } from './svg/svg.js'
import { MIN_SHORT_SIDE } from '@tanba/watermark'
import { findWatermark, planWatermark, type WatermarkPlan } from './watermark.js'
import { IMAGE_RULES } from './rules.js'

export const IMAGE_ADAPTER_NAME = 'image'

export interface ImageAdapterOptions {
  /** Read and write C2PA through @tanba/c2pa when the caller asks for it (default true). */
  c2pa?: boolean
}

export function createImageAdapter(options: ImageAdapterOptions = {}): Adapter {
  const useC2pa = options.c2pa ?? true
  return {
    name: IMAGE_ADAPTER_NAME,
    kind: 'image',
    formats: IMAGE_FORMATS,
    capabilities: { stamp: true },

    async open(input: Uint8Array, format: FormatInfo, opts: OpenOptions): Promise<Asset> {
      throwIfAborted(opts.signal)
      const image = parseImage(input, format.id, opts.limits)
      return {
        format,
        size: input.length,
        read: (read) => readImage(input, image, format, { ...opts, ...read }, useC2pa),
        digest: async (binding) => imageDigest(image, binding, opts.signal),
        stamp: (ctx) => stampImage(input, image, ctx, useC2pa),
      }
    },
  }
}

async function stampImage(input: Uint8Array, image: ParsedImage, ctx: StampContext, useC2pa: boolean): Promise<StampResult> {
  throwIfAborted(ctx.signal)
  const messages: ReportMessage[] = []
  let base = input
  let notice: LabelNotice | undefined
  const mark = planWatermark(image, ctx)
  if (ctx.notice) {
    const kept = keptNotice(image, ctx)
    if (kept) {
      notice = kept
      messages.push(CORE_RULES.message('notice.kept', 'The image already shows a Tanba warning that covers these languages; it was not drawn again'))
    } else {
      const drawn = await applyNotice(image, ctx, mark)
      base = drawn.bytes
      notice = drawn.notice
      messages.push(...drawn.messages)
    }
  }
  if (mark?.forced && base === input) base = await drawNotice(image, { plates: [] }, ctx.limits, { pixels: mark.pixels })
  messages.push(...(mark?.record() ? mark.messages : []))
  throwIfAborted(ctx.signal)
  // The new encoding (warning or mark drawn) is a new file: it is parsed once more, the input is not.
  const stamped = base === input ? image : parseImage(base, ctx.format.id, ctx.limits)
  const watermark = mark?.record()
  if (!watermark && ctx.profiles.includes('eu')) messages.push(euWatermarkWarning(image, ctx, base !== input))
  const label = await ctx.sign(bindingFor(stamped), notice, watermark ? { watermark } : undefined)
  const carriers = ['xmp']
  // Merged into the input's XMP: a new encoding (the warning) holds none of it.
  let bytes = (await writeImageXmp(stamped, labelToXmpFields(label), ctx.limits, image.xmp)).bytes
  if (ctx.c2pa && useC2pa) {
    if (stamped.format === 'avif' || stamped.format === 'heic') bytes = normaliseIlocForC2pa(bytes, ctx.limits)
    const signed = await signImageC2pa(bytes, ctx.format, label, ctx, image.c2pa ? input : null)
    messages.push(...signed.messages)
    if (signed.bytes) {
      bytes = signed.bytes
      carriers.push('c2pa')
    }
  } else if (image.c2pa) {
    messages.push(c2paStale(image.c2pa))
  }
  return { bytes, label, carriers, messages }
}

async function readImage(input: Uint8Array, image: ParsedImage, format: FormatInfo, opts: ExtractOptions, useC2pa: boolean): Promise<Extraction> {
  throwIfAborted(opts.signal)
  const found: Extraction = findMarkers(image, opts.limits)
  if (opts.content !== false) {
    const mark = await findWatermark(image, opts.adapterOptions, opts.limits)
    found.messages.push(...mark.messages)
    if (mark.watermark) found.watermark = mark.watermark
  }
  const c2paCarrier = image.c2pa ?? (remoteManifestReference(image.xmp) ? 'xmp:dcterms:provenance' : null)
  if (c2paCarrier) {
    if (opts.c2pa && useC2pa) {
      const c2pa = await readImageC2pa(input, format, c2paCarrier, opts)
      found.markers.push(...c2pa.markers)
      found.labels.push(...c2pa.labels)
      found.messages.push(...c2pa.messages)
      Object.assign(found.fields, c2pa.fields)
    } else {
      found.markers.push({ standard: 'c2pa', carrier: c2paCarrier, aiMarked: false, valid: null, detail: 'A C2PA manifest store is present (not read: C2PA reading is off)' })
    }
  }
  return found
}

/**
 * An earlier Tanba warning that still stands: the image carries a label whose binding still
 * matches (so its plate is intact) and whose notice covers the languages and height asked for.
 */
function keptNotice(image: ParsedImage, ctx: StampContext): LabelNotice | undefined {
  const { fields } = readImageXmp(image, ctx.limits)
  if (!fields.tanbaLabel || !ctx.notice) return undefined
  try {
    const old = JSON.parse(fields.tanbaLabel) as { notice?: LabelNotice; binding?: LabelBinding }
    const n = old.notice
    if (!n || n.method !== 'overlay' || !old.binding || old.binding.digest !== essenceDigest(image, old.binding.method)) return undefined
    const have = new Set(n.langs.map(noticeLanguageKey))
    if (!ctx.notice.lines.every((l) => have.has(noticeLanguageKey(l.lang)))) return undefined
    if ((n.height ?? 0) + 1e-9 < ctx.notice.minTextHeight) return undefined
    return n
  } catch {
    return undefined
  }
}

async function applyNotice(image: ParsedImage, ctx: StampContext, mark: WatermarkPlan | null): Promise<{ bytes: Uint8Array; notice: LabelNotice; messages: ReportMessage[] }> {
  const notice = ctx.notice!
  if (image.format === 'heic') {
    throw new UnsupportedFormatError('The visible warning cannot be drawn into HEIC: sharp\'s prebuilt libvips has no HEVC codec. Stamp with notice: { visible: false } (metadata and C2PA only), or convert the image to AVIF or JPEG first', { details: { format: 'heic', option: 'notice.visible' } })
  }
  if (image.format === 'png' && image.animated) {
    throw new UnsupportedFormatError('The visible warning cannot be drawn into an animated PNG (sharp decodes only its first frame). Stamp with notice: { visible: false }, or convert it to animated WebP or GIF', { details: { format: 'apng', option: 'notice.visible' } })
  }
  const opts = resolveImageOptions(ctx.adapterOptions, notice, ctx.origin)
  const lines: NoticeLine[] = notice.lines.map((l) => {
    const key = noticeLanguageKey(l.lang)
    const builtin = NOTICE_TEXTS[key]?.[ctx.origin] === l.text
    const short = builtin ? SHORT_NOTICE_TEXTS[key]?.[ctx.origin] : undefined
    return { lang: l.lang, text: l.text, ...(short ? { short } : {}) }
  })
  const { width, height } = displaySize(image)
  const layout = layoutNotice({ width, height, lines, minTextHeight: notice.minTextHeight, placements: opts.placements, style: opts.style })
  const bytes = image.format === 'svg' ? utf8(svgWithNotice(image as SvgFile, layout, `tanba-${ctx.draft.id.slice(0, 8)}-`)) : await drawNotice(image, layout, ctx.limits, { avifEffort: opts.avifEffort, ...(mark ? { pixels: mark.pixels } : {}) })
  const messages: ReportMessage[] = []
  if (layout.belowMinimum) {
    messages.push(CORE_RULES.message('notice.below-minimum', `The picture is too small for text ${(notice.minTextHeight * 100).toFixed(1)}% of its shortest side; the warning was drawn at ${(layout.height * 100).toFixed(1)}%`))
  }
  const customText = lines.some((l) => NOTICE_TEXTS[noticeLanguageKey(l.lang)]?.[ctx.origin] !== l.text)
  const shownText = layout.shortened ? lines.map((l) => l.short ?? l.text).join(' / ') : customText ? notice.text : undefined
  return {
    bytes,
    messages,
    notice: {
      method: 'overlay',
      langs: notice.lines.map((l) => l.lang),
      placement: layout.plates.map((p) => p.placement).join('+'),
      height: layout.height,
      ...(shownText ? { text: shownText } : {}),
    },
  }
}

/** The warning as vector paths in an SVG: a group in the root's user space, last so it paints on top. */
function svgWithNotice(svg: SvgFile, layout: NoticeLayout, idPrefix: string): string {
  const kx = svg.box.width / svg.width
  const ky = svg.box.height / svg.height
  const defs = new GlyphDefs(idPrefix)
  const plates = layout.plates.map((p) => `<g transform="translate(${p.x} ${p.y})">${p.vector(defs)}</g>`).join('')
  const label = layout.rows.join(' ').replace(/[<&"]/g, ' ')
  const group = `<g id="${idPrefix}notice" role="img" aria-label="${label}" transform="translate(${svg.box.x} ${svg.box.y}) scale(${kx} ${ky})">${defs.defs()}${plates}</g>\n`
  return insertIntoSvg(svg, group)
}

/**
 * Stamping for the eu profile without the watermark layer its rules ask of images (Code of Practice
 * Measure 1.1.2): said now, with the reason, rather than first on verify.
 */
function euWatermarkWarning(image: ParsedImage, ctx: StampContext, reencoded: boolean): ReportMessage {
  const opts = ((ctx.adapterOptions.image ?? {}) as { watermark?: boolean })
  const why =
    opts.watermark === false
      ? 'the watermark was turned off (--no-watermark, adapterOptions.image.watermark false)'
      : Math.min(image.width, image.height) < MIN_SHORT_SIDE
        ? `the image is ${image.width}×${image.height}, smaller than the ${MIN_SHORT_SIDE} pixels on the shorter side the watermark needs`
        : !reencoded
          ? 'no visible warning was drawn (none asked for, or the image already showed one), and the image was not re-encoded for the mark alone (--watermark forces it)'
          : `Tanba embeds it in JPEG, PNG, WebP and GIF only, not ${image.format.toUpperCase()}`
  return IMAGE_RULES.message('profile.eu.watermark', `No invisible watermark was embedded: ${why}. The eu profile asks for one (EU Code of Practice, Measure 1.1.2), so verify will report that rule as failed`)
}
