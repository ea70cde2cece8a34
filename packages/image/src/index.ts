// @tanba/image: the image adapter. Importing it loads no media library: sharp, ExifTool, fontkit and C2PA load on first use.
import type { AdapterEntry } from '@tanba/core'
import { IMAGE_FORMATS } from './formats.js'

export const imageEntry: AdapterEntry = {
  name: 'image',
  kind: 'image',
  formats: IMAGE_FORMATS,
  load: () => import('./adapter.js').then((m) => m.createImageAdapter()),
}

export { createImageAdapter, IMAGE_ADAPTER_NAME, type ImageAdapterOptions } from './adapter.js'
export { IMAGE_FORMATS, imageFormat, sniffImageFormat, type ImageFormatId } from './formats.js'
export { IMAGE_BINDING } from './parse.js'
export type { ImageStampOptions } from './options.js'
export { closeImageAdapter } from './close.js'
export { createExiftoolHost, useExiftoolHost, type ExiftoolHost } from './exiftool-host.js'
export { layoutNotice, plateSvg, IMAGE_PLACEMENTS, type LayoutInput, type NoticeLayout, type NoticeLine, type NoticeStyle, type PlacedPlate, type ImagePlacement } from './notice/layout.js'
export { IMAGE_RULES } from './rules.js'
