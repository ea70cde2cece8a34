// Image-specific stamp options, read from `adapterOptions.image` and checked at the boundary.
import { InvalidOptionError, toBase64, type Origin, type ResolvedNotice } from '@tanba/core'
import { IMAGE_PLACEMENTS, type ImagePlacement, type NoticeIcon, type NoticeStyle } from './notice/layout.js'

export interface ImageStampOptions {
  /** Where the warning goes; overrides the notice placement. One corner or edge, or several. */
  placement?: ImagePlacement | ImagePlacement[]
  /** "dark" (white text on a dark plate, default) or "light". */
  plate?: 'dark' | 'light'
  /**
   * An icon before the text: Tanba's drawings after the EU's optional icons, "basic", "generated"
   * (fully AI-generated) or "modified" (partially AI-modified); "auto" picks generated or modified
   * from the label's origin; true means "basic". Default: none.
   */
  icon?: boolean | 'basic' | 'generated' | 'modified' | 'auto'
  /** An icon file of your own instead (the Commission's official SVG or PNG, say): its bytes, at most 1 MiB. */
  iconImage?: Uint8Array
  /** AVIF encoder effort 0-9 (default 2). */
  avifEffort?: number
  /**
   * Embed C2PA in TIFF too (default false): c2pa-node puts the manifest in an image-less directory
   * that libvips and other readers refuse (c2pa-rs#1894), so the file would not open elsewhere.
   */
  tiffC2pa?: boolean
}

export interface ResolvedImageOptions {
  placements: ImagePlacement[]
  style: NoticeStyle
  avifEffort: number
}

/** Core's placements mapped to the picture: start is the top-left corner, end the bottom-right. */
const FROM_NOTICE: Record<ResolvedNotice['placement'], ImagePlacement[]> = {
  start: ['top-left'],
  end: ['bottom-right'],
  both: ['top-left', 'bottom-right'],
  top: ['top'],
  bottom: ['bottom'],
  'top-left': ['top-left'],
  'top-right': ['top-right'],
  'bottom-left': ['bottom-left'],
  'bottom-right': ['bottom-right'],
}

export function resolveImageOptions(adapterOptions: Record<string, unknown>, notice: ResolvedNotice | null, origin: Origin = 'generated'): ResolvedImageOptions {
  const raw = (adapterOptions.image ?? {}) as ImageStampOptions
  if (typeof raw !== 'object' || raw === null) throw new InvalidOptionError('Expected adapterOptions.image to be an object', { details: { option: 'adapterOptions.image' } })
  let placements: ImagePlacement[]
  if (raw.placement !== undefined) {
    placements = Array.isArray(raw.placement) ? raw.placement : [raw.placement]
    const bad = placements.find((p) => !IMAGE_PLACEMENTS.includes(p))
    if (bad !== undefined || !placements.length) {
      throw new InvalidOptionError(`Expected adapterOptions.image.placement from ${IMAGE_PLACEMENTS.join(', ')} but received ${JSON.stringify(raw.placement)}`, { details: { option: 'adapterOptions.image.placement' } })
    }
  } else placements = FROM_NOTICE[notice?.placement ?? 'start'] ?? ['top-left']
  if (raw.plate !== undefined && raw.plate !== 'dark' && raw.plate !== 'light') {
    throw new InvalidOptionError(`Expected adapterOptions.image.plate "dark" or "light" but received ${JSON.stringify(raw.plate)}`, { details: { option: 'adapterOptions.image.plate' } })
  }
  const avifEffort = raw.avifEffort ?? 2
  if (!Number.isInteger(avifEffort) || avifEffort < 0 || avifEffort > 9) throw new InvalidOptionError(`Expected adapterOptions.image.avifEffort to be an integer 0-9 but received ${JSON.stringify(raw.avifEffort)}`, { details: { option: 'adapterOptions.image.avifEffort' } })
  return { placements: [...new Set(placements)], style: { plate: raw.plate ?? 'dark', icon: resolveIcon(raw, origin) }, avifEffort }
}

const ICONS = ['basic', 'generated', 'modified', 'auto'] as const
/** Largest icon file accepted (it is embedded in every plate). */
export const MAX_ICON_BYTES = 1024 * 1024

function resolveIcon(raw: ImageStampOptions, origin: Origin): NoticeIcon | null {
  if (raw.iconImage !== undefined) {
    const b = raw.iconImage
    if (!(b instanceof Uint8Array) || !b.length) throw new InvalidOptionError('Expected adapterOptions.image.iconImage to be the bytes of a PNG or SVG file', { details: { option: 'adapterOptions.image.iconImage' } })
    if (b.length > MAX_ICON_BYTES) throw new InvalidOptionError(`Expected an icon file of at most ${MAX_ICON_BYTES} bytes but it has ${b.length}`, { details: { option: 'adapterOptions.image.iconImage' } })
    const png = b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47
    const head = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 2048))
    const svg = !png && /<svg[\s>]/.test(head)
    if (!png && !svg) throw new InvalidOptionError('Expected the icon file (adapterOptions.image.iconImage) to be a PNG or an SVG image', { details: { option: 'adapterOptions.image.iconImage' } })
    return { kind: 'image', href: `data:image/${png ? 'png' : 'svg+xml'};base64,${toBase64(b)}` }
  }
  const icon = raw.icon
  if (icon === undefined || icon === false) return null
  if (icon === true) return { kind: 'basic' }
  if (!(ICONS as readonly unknown[]).includes(icon)) throw new InvalidOptionError(`Expected adapterOptions.image.icon from ${ICONS.join(', ')} (or true/false) but received ${JSON.stringify(icon)}`, { details: { option: 'adapterOptions.image.icon' } })
  if (icon === 'auto') return { kind: origin === 'generated' ? 'generated' : 'modified' }
  return { kind: icon }
}
