// Writing the XMP carrier: byte-level fast paths for JPEG, PNG, WebP, GIF and SVG; ExifTool for TIFF, AVIF, HEIC.
import { utf8, writeXmp, type Limits, type XmpAiFields } from '@tanba/core'
import type { ParsedImage, XmpPacket } from './container.js'
import { exiftoolWriteXmp } from './exiftool.js'
import { replaceGifXmp, type GifFile } from './gif/gif.js'
import { writeJpegXmp } from './jpeg/xmp.js'
import type { JpegFile } from './jpeg/jpeg.js'
import { replacePngXmp, type PngFile } from './png/png.js'
import { replaceSvgXmp, type SvgFile } from './svg/svg.js'
import { replaceWebpXmp, type WebpFile } from './webp/webp.js'
import { trimTiffPadding } from './tiff/tiff.js'

export interface XmpWrite {
  bytes: Uint8Array
  /** "fast" when written in-process without re-encoding, "exiftool" otherwise. */
  via: 'fast' | 'exiftool'
}

/**
 * Merges `fields` into the XMP (keeping every other property) and writes it into the image.
 * `source` is the XMP to merge into: the image's own, or the original's when the image is a new
 * encoding of it (the visible warning), so that none of the original's properties is lost.
 */
export async function writeImageXmp(image: ParsedImage, fields: XmpAiFields, limits: Limits, source: XmpPacket[] = image.xmp): Promise<XmpWrite> {
  if (image.format === 'jpeg') return { bytes: writeJpegXmp(image as JpegFile, fields, limits, source), via: 'fast' }
  const existing = source.find((p) => p.carrier === 'xmp')?.text
  const packet = writeXmp(existing, fields, { maxBytes: limits.maxMetadataBytes, maxDepth: limits.maxDepth })
  switch (image.format) {
    case 'png':
      return { bytes: replacePngXmp(image as PngFile, packet), via: 'fast' }
    case 'webp':
      return { bytes: replaceWebpXmp(image as WebpFile, packet), via: 'fast' }
    case 'gif':
      return { bytes: replaceGifXmp(image as GifFile, packet), via: 'fast' }
    case 'svg':
      return { bytes: utf8(replaceSvgXmp(image as SvgFile, packet)), via: 'fast' }
    case 'tiff':
      return { bytes: trimTiffPadding(await exiftoolWriteXmp(image.bytes, 'tiff', packet), limits), via: 'exiftool' }
    default:
      return { bytes: await exiftoolWriteXmp(image.bytes, image.format, packet), via: 'exiftool' }
  }
}
