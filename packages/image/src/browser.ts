// @tanba/image/browser: image verification in browsers and edge runtimes. It reads the same
// carriers and computes the same binding as the Node adapter (the format readers are plain
// TypeScript over Uint8Array), but loads neither sharp, ExifTool, fonts nor the C2PA addon: it
// cannot stamp, and it reports a C2PA manifest's presence without reading it (pair it with a
// browser C2PA reader, as examples/verify-web does).
import { throwIfAborted, type Adapter, type AdapterEntry, type Asset, type ExtractOptions, type Extraction, type FormatInfo, type OpenOptions } from '@tanba/core'
import type { ParsedImage } from './container.js'
import { IMAGE_FORMATS } from './formats.js'
import { findMarkers } from './markers.js'
import { imageDigest, parseImage } from './parse.js'
import { READABLE_FORMATS, reduceForSearch, SEARCH_SIDE, searchWatermark, unreadablePixels, type PixelDecoder } from './watermark-report.js'

export const IMAGE_BROWSER_ADAPTER_NAME = 'image'

export interface ImageBrowserAdapterOptions {
  /**
   * Decodes pixels for the invisible-watermark search (the page's own decoder: createImageBitmap and
   * a canvas, say), preferably at full size: the adapter reduces them itself (reduceForSearch).
   * Without it the browser adapter does not look for a watermark.
   */
  decodePixels?: PixelDecoder
}

/** The read-only image adapter: opens, reads and digests as in Node; it has no `stamp` (capabilities.stamp is false). */
export function createImageBrowserAdapter(options: ImageBrowserAdapterOptions = {}): Adapter {
  return {
    name: IMAGE_BROWSER_ADAPTER_NAME,
    kind: 'image',
    formats: IMAGE_FORMATS,
    capabilities: { stamp: false },

    async open(input: Uint8Array, format: FormatInfo, opts: OpenOptions): Promise<Asset> {
      throwIfAborted(opts.signal)
      const image = parseImage(input, format.id, opts.limits)
      return {
        format,
        size: input.length,
        read: (read) => readImage(input, image, format, { ...opts, ...read }, options.decodePixels),
        digest: async (binding) => imageDigest(image, binding, opts.signal),
      }
    },
  }
}

async function readImage(input: Uint8Array, image: ParsedImage, format: FormatInfo, opts: ExtractOptions, decode: PixelDecoder | undefined): Promise<Extraction> {
  throwIfAborted(opts.signal)
  const found: Extraction = findMarkers(image, opts.limits)
  if (image.c2pa) {
    found.markers.push({ standard: 'c2pa', carrier: image.c2pa, aiMarked: false, valid: null, detail: 'A C2PA manifest store is present (not read: this entry has no C2PA reader)' })
  }
  const watermarkOff = (opts.adapterOptions.image as { watermark?: boolean } | undefined)?.watermark === false
  if (decode && opts.content !== false && !watermarkOff && READABLE_FORMATS.has(format.id)) {
    throwIfAborted(opts.signal)
    try {
      const pixels = await decode(input, format.mediaTypes[0] ?? '', SEARCH_SIDE)
      if (pixels) found.watermark = searchWatermark(reduceForSearch(pixels, SEARCH_SIDE))
    } catch (cause) {
      found.messages.push(unreadablePixels(cause))
    }
  }
  return found
}

/** The registry entry for browsers: the same formats as `imageEntry`, the read-only adapter. */
export const imageBrowserEntry: AdapterEntry = imageBrowserEntryWith()

/** The browser entry with options (a pixel decoder for the watermark search). */
export function imageBrowserEntryWith(options: ImageBrowserAdapterOptions = {}): AdapterEntry {
  return { name: 'image', kind: 'image', formats: IMAGE_FORMATS, load: async () => createImageBrowserAdapter(options) }
}

export { IMAGE_FORMATS, imageFormat, sniffImageFormat, type ImageFormatId } from './formats.js'
export { IMAGE_BINDING } from './parse.js'
export { reduceForSearch, SEARCH_SIDE, type PixelDecoder } from './watermark-report.js'
export { IMAGE_RULES } from './rules.js'
