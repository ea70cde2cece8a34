// Image-specific stamp options, read from `adapterOptions.image` and checked at the boundary.
import { InvalidOptionError, type ResolvedNotice } from '@tanba/core'
import { IMAGE_PLACEMENTS, type ImagePlacement, type NoticeStyle } from './notice/layout.js'

export interface ImageStampOptions {
  /** Where the warning goes; overrides the notice placement. One corner or edge, or several. */
  placement?: ImagePlacement | ImagePlacement[]
  /** "dark" (white text on a dark plate, default) or "light". */
  plate?: 'dark' | 'light'
  /** Draw the "AI" badge beside the text. */
  icon?: boolean
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

export function resolveImageOptions(adapterOptions: Record<string, unknown>, notice: ResolvedNotice | null): ResolvedImageOptions {
  const raw = (adapterOptions.image ?? {}) as ImageStampOptions
  if (typeof raw !== 'object' || raw === null) throw new InvalidOptionError('Expected adapterOptions.image to be an object')
  let placements: ImagePlacement[]
  if (raw.placement !== undefined) {
    placements = Array.isArray(raw.placement) ? raw.placement : [raw.placement]
    const bad = placements.find((p) => !IMAGE_PLACEMENTS.includes(p))
    if (bad !== undefined || !placements.length) {
      throw new InvalidOptionError(`Expected adapterOptions.image.placement from ${IMAGE_PLACEMENTS.join(', ')} but received ${JSON.stringify(raw.placement)}`)
    }
  } else placements = FROM_NOTICE[notice?.placement ?? 'start'] ?? ['top-left']
  if (raw.plate !== undefined && raw.plate !== 'dark' && raw.plate !== 'light') {
    throw new InvalidOptionError(`Expected adapterOptions.image.plate "dark" or "light" but received ${JSON.stringify(raw.plate)}`)
  }
  const avifEffort = raw.avifEffort ?? 2
  if (!Number.isInteger(avifEffort) || avifEffort < 0 || avifEffort > 9) throw new InvalidOptionError(`Expected adapterOptions.image.avifEffort to be an integer 0-9 but received ${JSON.stringify(raw.avifEffort)}`)
  return { placements: [...new Set(placements)], style: { plate: raw.plate ?? 'dark', icon: raw.icon === true }, avifEffort }
}
