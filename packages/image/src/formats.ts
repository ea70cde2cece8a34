// Static format data and magic-byte sniffers. Imports nothing heavy: detection never loads sharp.
import { startsWith, type FormatInfo } from '@tanba/core'

export type ImageFormatId = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heic' | 'svg' | 'bmp' | 'jxl' | 'jp2' | 'psd'

/** The ISO BMFF major and compatible brands in an `ftyp` box at the start, or null. */
export function ftypBrands(head: Uint8Array): string[] | null {
  if (head.length < 16 || !startsWith(head, 'ftyp', 4)) return null
  const size = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0
  if (size < 16) return null
  const end = Math.min(size, head.length)
  const brands = [String.fromCharCode(...head.subarray(8, 12))]
  for (let o = 16; o + 4 <= end; o += 4) brands.push(String.fromCharCode(...head.subarray(o, o + 4)))
  return brands
}

const AVIF_BRANDS = ['avif', 'avis']
const HEIF_BRANDS = ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1', 'heif']

function isAvif(head: Uint8Array): boolean {
  const brands = ftypBrands(head)
  return Boolean(brands?.some((b) => AVIF_BRANDS.includes(b)))
}

function isHeif(head: Uint8Array): boolean {
  const brands = ftypBrands(head)
  return Boolean(brands && !brands.some((b) => AVIF_BRANDS.includes(b)) && brands.some((b) => HEIF_BRANDS.includes(b)))
}

/** An SVG document: optional BOM, XML declaration, comments and DOCTYPE, then an `<svg` root. */
export function isSvg(head: Uint8Array): boolean {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 4096))
  } catch {
    return false
  }
  text = text.replace(/^\uFEFF/, '')
  // Skip the prolog: declaration, processing instructions, comments, DOCTYPE, whitespace.
  const prolog = /^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^[>]*(?:\[[\s\S]*?\])?\s*>)*/i.exec(text)
  const rest = text.slice(prolog?.[0].length ?? 0)
  return /^<(?:[A-Za-z_][\w.-]*:)?svg[\s>/]/.test(rest)
}

export const JPEG_FORMAT: FormatInfo = {
  id: 'jpeg',
  kind: 'image',
  mediaTypes: ['image/jpeg', 'image/jpg', 'image/pjpeg'],
  extensions: ['jpg', 'jpeg', 'jpe', 'jfif'],
  sniff: (h) => startsWith(h, [0xff, 0xd8, 0xff]),
  supported: true,
}

export const PNG_FORMAT: FormatInfo = {
  id: 'png',
  kind: 'image',
  mediaTypes: ['image/png', 'image/apng'],
  extensions: ['png', 'apng'],
  sniff: (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  supported: true,
  note: 'Animated PNG (APNG): metadata-only stamps; the visible warning needs a still PNG (sharp decodes only the first APNG frame).',
}

export const WEBP_FORMAT: FormatInfo = {
  id: 'webp',
  kind: 'image',
  mediaTypes: ['image/webp'],
  extensions: ['webp'],
  sniff: (h) => startsWith(h, 'RIFF') && startsWith(h, 'WEBP', 8),
  supported: true,
}

export const GIF_FORMAT: FormatInfo = {
  id: 'gif',
  kind: 'image',
  mediaTypes: ['image/gif'],
  extensions: ['gif'],
  sniff: (h) => startsWith(h, 'GIF87a') || startsWith(h, 'GIF89a'),
  supported: true,
}

export const TIFF_FORMAT: FormatInfo = {
  id: 'tiff',
  kind: 'image',
  mediaTypes: ['image/tiff', 'image/tiff-fx'],
  extensions: ['tif', 'tiff'],
  // BigTIFF (magic 43) is recognised as TIFF so that it is reported as unsupported, not as damaged.
  sniff: (h) => startsWith(h, [0x49, 0x49, 0x2a, 0x00]) || startsWith(h, [0x4d, 0x4d, 0x00, 0x2a]) || startsWith(h, [0x49, 0x49, 0x2b, 0x00]) || startsWith(h, [0x4d, 0x4d, 0x00, 0x2b]),
  supported: true,
  note: 'Classic TIFF. BigTIFF is not supported. The visible warning needs pages of one size and samples libvips decodes (1, 2 or 4-bit single-channel, or whole bytes) in a compression it has (none, LZW, Deflate, JPEG, PackBits, CCITT, WebP); other valid TIFFs (ZSTD, old-style JPEG, 12-bit RGB, …) stamp with --no-visible.',
  c2pa: { read: true, sign: false, note: 'read; signed only with adapterOptions.image.tiffC2pa, because c2pa-node puts the manifest in an image-less directory that libvips and other readers refuse (c2pa-rs#1894)' },
}

export const AVIF_FORMAT: FormatInfo = {
  id: 'avif',
  kind: 'image',
  mediaTypes: ['image/avif'],
  extensions: ['avif'],
  sniff: isAvif,
  supported: true,
  note: 'Still AVIF images; AVIF image sequences (animations) are not supported.',
}

export const HEIC_FORMAT: FormatInfo = {
  id: 'heic',
  kind: 'image',
  mediaTypes: ['image/heic', 'image/heif'],
  extensions: ['heic', 'heif', 'hif'],
  sniff: isHeif,
  supported: true,
  note: 'Still HEIF/HEIC images: metadata-only stamps (XMP, the label, C2PA) and verification.',
  noNotice: "sharp's prebuilt libvips has no HEVC encoder; stamp with --no-visible (the label, XMP and C2PA are written)",
}

export const SVG_FORMAT: FormatInfo = {
  id: 'svg',
  kind: 'image',
  mediaTypes: ['image/svg+xml'],
  extensions: ['svg'],
  sniff: isSvg,
  supported: true,
  note: 'The warning is inserted as vector paths; gzip-compressed SVGZ is not supported.',
}

const unsupported = (id: ImageFormatId, mediaTypes: string[], extensions: string[], sniff: (h: Uint8Array) => boolean, note: string): FormatInfo => ({
  id,
  kind: 'image',
  mediaTypes,
  extensions,
  sniff,
  supported: false,
  note,
})

export const BMP_FORMAT = unsupported('bmp', ['image/bmp', 'image/x-ms-bmp'], ['bmp', 'dib'], (h) => startsWith(h, 'BM') && h.length >= 26 && h[14]! >= 12 && h[15] === 0 && h[16] === 0 && h[17] === 0, 'BMP has no standard place for XMP or C2PA; convert to PNG first')
export const JXL_FORMAT = unsupported('jxl', ['image/jxl'], ['jxl'], (h) => startsWith(h, [0xff, 0x0a]) || startsWith(h, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]), 'JPEG XL cannot be decoded or encoded by sharp\'s prebuilt libvips')
export const JP2_FORMAT = unsupported('jp2', ['image/jp2', 'image/jpx'], ['jp2', 'jpx', 'j2k'], (h) => startsWith(h, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]), 'JPEG 2000 cannot be decoded or encoded by sharp\'s prebuilt libvips')
export const PSD_FORMAT = unsupported('psd', ['image/vnd.adobe.photoshop'], ['psd'], (h) => startsWith(h, '8BPS'), 'Photoshop documents are editing files; export to PNG, JPEG or TIFF first')

/** Every format the image adapter recognises, supported ones first. */
export const IMAGE_FORMATS: readonly FormatInfo[] = Object.freeze([
  JPEG_FORMAT,
  PNG_FORMAT,
  WEBP_FORMAT,
  GIF_FORMAT,
  TIFF_FORMAT,
  AVIF_FORMAT,
  HEIC_FORMAT,
  SVG_FORMAT,
  BMP_FORMAT,
  JXL_FORMAT,
  JP2_FORMAT,
  PSD_FORMAT,
])

export function imageFormat(id: string): FormatInfo | undefined {
  return IMAGE_FORMATS.find((f) => f.id === id)
}

/** The format whose magic bytes match, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): FormatInfo | undefined {
  const head = bytes.subarray(0, 4096)
  return IMAGE_FORMATS.find((f) => {
    try {
      return f.sniff?.(head) ?? false
    } catch {
      return false
    }
  })
}
