// Draws the laid-out plates into the pixels with sharp: upright as displayed, on every frame or page,
// encoded again in the original format with settings estimated from the original (quality, subsampling,
// palette, bit depth, compression), then the original metadata is put back around the new image data.
import { DependencyError, MalformedInputError, TooLargeError, UnsupportedFormatError, type Limits } from '@tanba/core'
import type { Metadata, Sharp, SharpOptions } from 'sharp'
import type { ParsedImage } from '../container.js'
import { parseGif, transplantGif, type GifFile } from '../gif/gif.js'
import { parseJpeg, transplantJpeg, type JpegFile } from '../jpeg/jpeg.js'
import { parsePng, transplantPng, type PngFile } from '../png/png.js'
import { trimTiffPadding, type TiffFile } from '../tiff/tiff.js'
import { exiftoolCopyTags } from '../exiftool.js'
import { parseWebp, transplantWebp, type WebpFile } from '../webp/webp.js'
import { plateSvg, type NoticeLayout, type PlacedPlate } from './layout.js'

type SharpFactory = typeof import('sharp').default

let sharpModule: Promise<SharpFactory> | undefined

/** sharp, loaded on first use; a clear error names it when it is missing. */
export function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then(
    (m) => m.default,
    (cause) => {
      sharpModule = undefined
      throw new DependencyError('TANBA_DEPENDENCY_MISSING', 'The dependency "sharp" is needed to draw the visible warning into images; install it', { cause })
    },
  )
  return sharpModule
}

export interface EncodeOptions {
  /** AVIF encoder effort 0-9 (default 2: libaom is slow). */
  avifEffort?: number
  /** Changes the composited 8-bit pixels before encoding (the invisible watermark). */
  pixels?: (image: { data: Uint8Array; width: number; height: number; channels: 1 | 3 | 4; pageHeight: number }) => void
}

/** A sharp failure on hostile or damaged data, as a typed error. */
export function sharpError(cause: unknown, what: string): Error {
  const message = (cause as Error)?.message ?? String(cause)
  if (/pixel limit|exceeds.*limit|too large/i.test(message)) return new TooLargeError(`${what}: ${message}`, { cause })
  if (/unsupported|not built|no decoder|compression format/i.test(message)) return new UnsupportedFormatError(`${what}: ${message}`, { cause })
  return new MalformedInputError(`${what}: ${message}`, { cause })
}

/**
 * The inverse of EXIF orientation as sharp operations: applied to a plate drawn upright, they give
 * the plate as stored, so that viewers who apply the orientation show it upright again.
 */
const INVERSE: Record<number, { rotate: number; flop: boolean; flip: boolean }> = {
  1: { rotate: 0, flop: false, flip: false },
  2: { rotate: 0, flop: true, flip: false },
  3: { rotate: 180, flop: false, flip: false },
  4: { rotate: 0, flop: false, flip: true },
  5: { rotate: 90, flop: true, flip: false },
  6: { rotate: 270, flop: false, flip: false },
  7: { rotate: 270, flop: true, flip: false },
  8: { rotate: 90, flop: false, flip: false },
}

/** Maps a rectangle in displayed coordinates (W×H) to stored coordinates for an EXIF orientation. */
export function storedRect(o: number, W: number, H: number, r: { x: number; y: number; width: number; height: number }): { x: number; y: number; width: number; height: number } {
  const map = (x: number, y: number): [number, number] => {
    switch (o) {
      case 2:
        return [W - x, y]
      case 3:
        return [W - x, H - y]
      case 4:
        return [x, H - y]
      case 5:
        return [y, x]
      case 6:
        return [y, W - x]
      case 7:
        return [H - y, W - x]
      case 8:
        return [H - y, x]
      default:
        return [x, y]
    }
  }
  const a = map(r.x, r.y)
  const b = map(r.x + r.width, r.y + r.height)
  const x = Math.min(a[0], b[0])
  const y = Math.min(a[1], b[1])
  return { x, y, width: Math.abs(a[0] - b[0]), height: Math.abs(a[1] - b[1]) }
}

interface Raster {
  data: Buffer
  width: number
  height: number
}

// Rendered plates, by markup and orientation: a batch of same-sized pictures renders its plate once.
const plateCache = new Map<string, Promise<Raster>>()
const PLATE_CACHE_BYTES = 64 * 1024 * 1024
let plateCacheBytes = 0

function rasterPlate(sharp: SharpFactory, plate: PlacedPlate, orientation: number): Promise<Raster> {
  const key = `${orientation}:${plate.width}x${plate.height}:${plate.content}`
  const hit = plateCache.get(key)
  if (hit) {
    plateCache.delete(key)
    plateCache.set(key, hit)
    return hit
  }
  const inv = INVERSE[orientation] ?? INVERSE[1]!
  let p = sharp(Buffer.from(plateSvg(plate)), { density: 72 })
  if (inv.rotate) p = p.rotate(inv.rotate)
  if (inv.flop) p = p.flop()
  if (inv.flip) p = p.flip()
  const pending = p
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => ({ data, width: info.width, height: info.height }))
  const size = plate.width * plate.height * 4
  if (size <= PLATE_CACHE_BYTES / 4) {
    plateCache.set(key, pending)
    plateCacheBytes += size
    pending.catch(() => plateCache.delete(key))
    for (const [k] of plateCache) {
      if (plateCacheBytes <= PLATE_CACHE_BYTES) break
      const [, dims] = /^\d+:(\d+x\d+):/.exec(k) ?? []
      const [w, h] = (dims ?? '0x0').split('x').map(Number)
      plateCacheBytes -= w! * h! * 4
      plateCache.delete(k)
    }
  }
  return pending
}

/** Draws the plates into every frame and returns the image re-encoded in its own format, original metadata restored (except XMP). */
export async function drawNotice(image: ParsedImage, layout: Pick<NoticeLayout, 'plates'>, limits: Limits, options: EncodeOptions = {}): Promise<Uint8Array> {
  const sharp = await loadSharp()
  const multi = image.frames > 1
  if (image.format === 'tiff') {
    const tiff = image as TiffFile
    // Valid TIFFs libvips cannot decode are unsupported for the warning, not damaged; the metadata-only stamp needs no decoding.
    const problem = multi && !tiff.uniformPages ? { feature: 'page-sizes', reason: 'pages of different sizes' } : tiff.undecodable
    if (problem) {
      throw new UnsupportedFormatError(`The visible warning cannot be drawn into this TIFF: it has ${problem.reason}. Stamp it with notice: { visible: false } to write the metadata only`, {
        details: { format: 'tiff', feature: problem.feature, option: 'notice.visible' },
      })
    }
  }
  const input: SharpOptions = {
    limitInputPixels: limits.maxPixels,
    failOn: 'error',
    ...(multi ? (image.format === 'tiff' ? { pages: -1 } : { animated: true }) : {}),
  }
  const make = () => sharp(image.bytes, input)
  // Read the header and render the plates at the same time.
  const rasters = Promise.all(layout.plates.map((plate) => rasterPlate(sharp, plate, image.orientation)))
  rasters.catch(() => {})
  let meta
  try {
    meta = await make().metadata()
  } catch (cause) {
    throw sharpError(cause, `sharp could not read the ${image.format.toUpperCase()} header`)
  }
  const pageHeight = multi ? (meta.pageHeight ?? image.height) : image.height
  const pages = multi ? (meta.pages ?? image.frames) : 1
  const { width: W, height: H } = image.orientation >= 5 ? { width: image.height, height: image.width } : { width: image.width, height: image.height }
  const composites: { input: Buffer; raw: { width: number; height: number; channels: 4 }; left: number; top: number }[] = []
  const rendered = await rasters
  for (const [index, plate] of layout.plates.entries()) {
    const raster = rendered[index]!
    const at = storedRect(image.orientation, W, H, plate)
    for (let f = 0; f < pages; f++) {
      composites.push({ input: raster.data, raw: { width: raster.width, height: raster.height, channels: 4 }, left: Math.round(at.x), top: Math.round(at.y) + f * pageHeight })
    }
  }
  let pipeline = make().composite(composites)
  if (options.pixels && meta.depth === 'uchar' && meta.space !== 'cmyk') pipeline = await throughPixels(sharp, pipeline.keepIccProfile(), options.pixels, pageHeight, limits, image.format, meta)
  // The plate brings an alpha channel; drop it again where the original had none (JPEG and GIF drop it anyway).
  if (!meta.hasAlpha && image.format !== 'jpeg' && image.format !== 'gif') pipeline = pipeline.removeAlpha()
  pipeline = encoder(pipeline, image, meta, options)
  let encoded: Uint8Array
  try {
    encoded = new Uint8Array(await pipeline.toBuffer())
  } catch (cause) {
    throw sharpError(cause, `sharp could not draw the warning into the ${image.format.toUpperCase()}`)
  }
  // sharp keeps only part of a TIFF's tags (no EXIF IFD, GPS, IPTC, artist, ICC profile): ExifTool copies them all back.
  if (image.format === 'tiff') return trimTiffPadding(await exiftoolCopyTags(encoded, 'tif', image.bytes), limits)
  return restoreMetadata(image, encoded, limits, meta.space === 'cmyk')
}

/** Runs the pipeline to raw pixels, lets `change` edit them, and starts a new pipeline from them. */
async function throughPixels(sharp: SharpFactory, p: Sharp, change: NonNullable<EncodeOptions['pixels']>, pageHeight: number, limits: Limits, format: string, meta: Metadata): Promise<Sharp> {
  let raw
  try {
    // The plates' composite added an alpha channel: drop it here when the original had none, so the
    // watermark pass and the re-encode handle three channels, not four (a quarter less work).
    raw = await (meta.hasAlpha ? p : p.removeAlpha()).raw().toBuffer({ resolveWithObject: true })
  } catch (cause) {
    throw sharpError(cause, 'sharp could not decode the image to embed the watermark')
  }
  const { width, height, channels } = raw.info
  change({ data: raw.data, width, height, channels: channels as 1 | 3 | 4, pageHeight: height % pageHeight === 0 ? pageHeight : height })
  const next = sharp(raw.data, { raw: { width, height, channels, ...(height > pageHeight ? { pageHeight } : {}) }, limitInputPixels: limits.maxPixels })
  // Raw pixels carry no frame timing: give the animation its delays and loop count back.
  const timing = { ...(meta.delay ? { delay: meta.delay } : {}), ...(meta.loop !== undefined ? { loop: meta.loop } : {}) }
  if (height > pageHeight && format === 'gif') return next.gif(timing)
  if (height > pageHeight && format === 'webp') return next.webp(timing)
  return next
}

function encoder(p: Sharp, image: ParsedImage, meta: Metadata, options: EncodeOptions): Sharp {
  const grey = meta.space === 'b-w' || meta.space === 'grey16'
  switch (image.format) {
    case 'jpeg': {
      const j = image as JpegFile
      const cmyk = meta.space === 'cmyk'
      // CMYK JPEGs become sRGB (sharp converts them); every other profile is kept as is.
      p = cmyk ? p.toColourspace('srgb') : p.keepIccProfile()
      if (j.components === 1) p = p.toColourspace('b-w')
      return p.jpeg({ quality: j.quality, chromaSubsampling: j.lumaSampling[0] === 2 && j.lumaSampling[1] === 2 ? '4:2:0' : '4:4:4', progressive: j.progressive, optimiseCoding: true })
    }
    case 'png': {
      const png = image as PngFile
      p = p.keepIccProfile()
      if (png.colourType === 3) return p.png({ palette: true, colours: 256, effort: 7, dither: 0.5, progressive: png.interlaced })
      if (png.bitDepth === 16) p = p.toColourspace(grey ? 'grey16' : 'rgb16')
      else if (grey) p = p.toColourspace('b-w')
      const big = image.width * image.height > 4_000_000
      return p.png({ adaptiveFiltering: true, compressionLevel: big ? 6 : 9, progressive: png.interlaced })
    }
    case 'webp': {
      const w = image as WebpFile
      p = p.keepIccProfile()
      return w.lossless ? p.webp({ lossless: true, effort: 4 }) : p.webp({ quality: w.quality ?? 82, alphaQuality: 100, effort: 4 })
    }
    case 'gif':
      // libvips merges identical consecutive frames unless told not to (issue 14: 14 frames became 10).
      return p.gif({ effort: 7, keepDuplicateFrames: true })
    case 'tiff': {
      const t = image as TiffFile
      p = p.keepMetadata()
      const bilevel = t.bitsPerSample === 1 && t.samplesPerPixel === 1
      if (bilevel || grey) p = p.toColourspace('b-w')
      const compression = TIFF_COMPRESSION[t.compression] ?? 'lzw'
      return p.tiff({
        compression: bilevel ? (compression === 'none' ? 'none' : 'ccittfax4') : compression === 'ccittfax4' ? 'lzw' : compression,
        ...(bilevel ? { bitdepth: 1 } : {}),
        ...(compression === 'lzw' || compression === 'deflate' ? { predictor: 'horizontal' } : {}),
        ...(compression === 'jpeg' ? { quality: 90 } : {}),
      })
    }
    case 'avif':
      return p.keepMetadata().avif({ quality: 60, effort: options.avifEffort ?? 2, ...(meta.depth === 'ushort' ? { bitdepth: 10 } : {}) })
    default:
      throw new UnsupportedFormatError(`The visible warning cannot be drawn into ${image.format.toUpperCase()}`)
  }
}

const TIFF_COMPRESSION: Record<number, 'none' | 'lzw' | 'deflate' | 'jpeg' | 'ccittfax4' | 'packbits'> = {
  1: 'none',
  2: 'ccittfax4',
  3: 'ccittfax4',
  4: 'ccittfax4',
  5: 'lzw',
  6: 'jpeg',
  7: 'jpeg',
  8: 'deflate',
  32946: 'deflate',
  32773: 'packbits',
}

/** Puts the original's metadata back around the new image data (JPEG, PNG, WebP, GIF); sharp kept it for TIFF and AVIF. */
function restoreMetadata(image: ParsedImage, encoded: Uint8Array, limits: Limits, converted: boolean): Uint8Array {
  // The new encoding is our own output: parse it with the same limits to be safe.
  switch (image.format) {
    case 'jpeg':
      return transplantJpeg(image as JpegFile, parseJpeg(encoded, limits), { keepIcc: !converted, limits })
    case 'png':
      return transplantPng(image as PngFile, parsePng(encoded, limits), { keepColour: true, limits })
    case 'webp':
      return transplantWebp(image as WebpFile, parseWebp(encoded, limits), { keepIcc: true, limits })
    case 'gif':
      return transplantGif(image as GifFile, parseGif(encoded, limits))
    default:
      return encoded
  }
}
