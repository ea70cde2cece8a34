// TIFF files: pages, XMP (tag 700), C2PA (tag 0xCD41) and the essence (image data and the tags that shape it).
import type { Hash } from 'node:crypto'
import { MalformedInputError, TooLargeError, utf8, type Limits } from '@tanba/core'
import { u32be, type ParsedImage, type TextField, type XmpPacket } from '../container.js'
import { TAG, TiffReader, type Ifd } from './ifd.js'

export interface TiffFile extends ParsedImage {
  format: 'tiff'
  pages: Ifd[]
  compression: number
  bitsPerSample: number
  samplesPerPixel: number
  photometric: number
  /** All pages have the first page's size (sharp can then process them as one strip). */
  uniformPages: boolean
  /** Why libvips cannot decode the pages for the visible warning (a valid TIFF feature it lacks), or null. */
  undecodable: { feature: string; reason: string } | null
}

/** Compressions sharp's prebuilt libtiff decodes: none, CCITT (2-4), LZW, JPEG, Deflate, PackBits, WebP. */
const DECODABLE_COMPRESSION = new Set([1, 2, 3, 4, 5, 7, 8, 32773, 32946, 50001])
const COMPRESSION_NAMES: Record<number, string> = { 6: 'old-style JPEG (compression 6)', 50000: 'ZSTD (compression 50000)', 34925: 'LZMA (compression 34925)', 34712: 'JPEG 2000 (compression 34712)', 34887: 'LERC (compression 34887)', 34661: 'JBIG (compression 34661)', 32809: 'ThunderScan (compression 32809)', 32908: 'Pixar log (compression 32908)', 34676: 'SGI log (compression 34676)' }

/**
 * Tags that decide how the strip or tile bytes turn into pixels. Orientation, resolution,
 * descriptions and every private or metadata tag are left out, like the APPn segments of a JPEG.
 */
const ESSENCE_TAGS = [256, 257, 258, 259, 262, 266, 277, 278, 284, 317, 320, 322, 323, 338, 339, 347, 529, 530, 531, 532]
/**
 * Tags outside the essence that still change what a reader shows: NewSubfileType (thumbnail or
 * page), Orientation, TransferFunction, WhitePoint, PrimaryChromaticities, InkSet, TransferRange,
 * the old-style JPEG parameters that are values, not offsets (512, 515, 517, 518) and the ICC
 * profile (34675). Bound from tanba.image.data/2 on.
 */
const RENDERING_TAGS = [254, 255, 274, 301, 318, 319, 332, 333, 334, 342, 512, 515, 517, 518, 34675]
const DATA_TAGS: [number, number][] = [
  [TAG.stripOffsets, TAG.stripByteCounts],
  [TAG.tileOffsets, TAG.tileByteCounts],
]

export function parseTiff(bytes: Uint8Array, limits: Limits): TiffFile {
  const r = new TiffReader(bytes)
  if (!r.firstIfd) throw new MalformedInputError('The TIFF header points to no image directory')
  const chain = r.chain(r.firstIfd, limits)
  // Directories without image data are not pages: c2pa-rs, for one, chains its manifest in a directory of its own.
  const pages = chain.filter((ifd) => DATA_TAGS.some(([offTag]) => ifd.entries.has(offTag)))
  const first = pages[0]
  if (!first) throw new MalformedInputError('The TIFF file has no page with strip or tile data')
  const dims = (ifd: Ifd) => ({ width: r.number(ifd.entries.get(TAG.imageWidth)) ?? 0, height: r.number(ifd.entries.get(TAG.imageLength)) ?? 0 })
  const { width, height } = dims(first)
  if (!width || !height) throw new MalformedInputError(`The first TIFF page declares ${width}×${height} pixels`)
  // Check every page's data pointers up front: a bad offset is a clear error, not a decoder crash later.
  let uniformPages = true
  for (const ifd of pages) {
    const d = dims(ifd)
    if (d.width !== width || d.height !== height) uniformPages = false
    let found = false
    for (const [offTag, lenTag] of DATA_TAGS) {
      const offs = ifd.entries.get(offTag)
      const lens = ifd.entries.get(lenTag)
      if (!offs) continue
      found = true
      if (!lens) throw new MalformedInputError(`A TIFF page has tag ${offTag} without its byte counts (${lenTag})`)
      const o = r.numbers(offs, limits.maxChunks)
      const n = r.numbers(lens, limits.maxChunks)
      if (o.length !== n.length) throw new MalformedInputError(`A TIFF page has ${o.length} data offsets but ${n.length} byte counts`)
      o.forEach((at, i) => r.check(at, n[i]!))
    }
    if (!found) throw new MalformedInputError('A TIFF page has no strip or tile data')
  }
  const xmp: XmpPacket[] = []
  const texts: TextField[] = []
  // XMP belongs in IFD 0 (where ExifTool and Tanba write it), even when IFD 0 holds no image data.
  const xmpEntry = chain[0]!.entries.get(TAG.xmp) ?? first.entries.get(TAG.xmp)
  if (xmpEntry) {
    if (xmpEntry.count > limits.maxMetadataBytes) throw new TooLargeError(`The TIFF XMP packet exceeds limits.maxMetadataBytes (${limits.maxMetadataBytes})`)
    xmp.push({ carrier: 'xmp', text: new TextDecoder('utf-8').decode(r.raw(xmpEntry)).replace(/\0+$/, '') })
  }
  const description = r.text(first.entries.get(TAG.imageDescription), limits.maxMetadataBytes)
  if (description) texts.push({ carrier: 'tiff:ImageDescription', keyword: 'ImageDescription', text: description })
  const orientation = r.number(first.entries.get(TAG.orientation)) ?? 1
  // Each tag present as id + type + count + big-endian values: the essence and the rendering hash alike.
  const hashTags = (hash: Hash, ifd: Ifd, tags: readonly number[]) => {
    for (const tag of tags) {
      const e = ifd.entries.get(tag)
      if (!e) continue
      hash.update(u32be(tag))
      hash.update(u32be(e.type))
      hash.update(u32be(e.count))
      hash.update(r.normalised(e))
    }
  }
  let undecodable: TiffFile['undecodable'] = null
  for (const [index, ifd] of pages.entries()) {
    const compression = r.number(ifd.entries.get(TAG.compression)) ?? 1
    const spp = r.number(ifd.entries.get(TAG.samplesPerPixel)) ?? 1
    const bitsEntry = ifd.entries.get(TAG.bitsPerSample)
    const bits = bitsEntry ? r.numbers(bitsEntry, limits.maxChunks) : [1]
    const page = pages.length > 1 ? ` on page ${index + 1}` : ''
    if (!DECODABLE_COMPRESSION.has(compression)) {
      undecodable = { feature: 'compression', reason: `${COMPRESSION_NAMES[compression] ?? `compression ${compression}`}${page}, which sharp's libvips cannot decode` }
    } else if (bits.some((b) => b % 8 !== 0 && !(spp === 1 && (b === 1 || b === 2 || b === 4)))) {
      undecodable = { feature: 'bits-per-sample', reason: `${bits.join('/')}-bit samples (${spp} per pixel)${page}, which libvips decodes only in whole bytes or as 1, 2 or 4-bit single-channel images` }
    }
    if (undecodable) break
  }
  return {
    format: 'tiff',
    bytes,
    width,
    height,
    frames: pages.length,
    animated: false,
    orientation: orientation >= 1 && orientation <= 8 ? orientation : 1,
    xmp,
    texts,
    c2pa: chain.some((ifd) => ifd.entries.has(TAG.c2pa)) ? 'tiff:0xCD41' : null,
    notes: [],
    pages,
    compression: r.number(first.entries.get(TAG.compression)) ?? 1,
    bitsPerSample: r.number(first.entries.get(TAG.bitsPerSample)) ?? 1,
    samplesPerPixel: r.number(first.entries.get(TAG.samplesPerPixel)) ?? 1,
    photometric: r.number(first.entries.get(TAG.photometric)) ?? 1,
    uniformPages,
    undecodable,
    rendering(hash: Hash) {
      // Per page: the colour and orientation tags, as in the essence.
      for (const ifd of pages) {
        hash.update(utf8('page'))
        hashTags(hash, ifd, RENDERING_TAGS)
      }
    },
    essence(hash: Hash) {
      // Per page: each essence tag as id + type + count + big-endian values, then the image data.
      for (const ifd of pages) {
        hash.update(utf8('page'))
        hashTags(hash, ifd, ESSENCE_TAGS)
        for (const [offTag, lenTag] of DATA_TAGS) {
          const offs = ifd.entries.get(offTag)
          const lens = ifd.entries.get(lenTag)
          if (!offs || !lens) continue
          const o = r.numbers(offs, limits.maxChunks)
          const n = r.numbers(lens, limits.maxChunks)
          o.forEach((at, i) => hash.update(bytes.subarray(at, at + n[i]!)))
        }
      }
    },
  }
}

/**
 * Drops a single trailing pad byte that no structure refers to (ExifTool pads TIFF files to an even
 * length). A file that ends where its last structure ends makes any truncation detectable.
 */
export function trimTiffPadding(bytes: Uint8Array, limits: Limits): Uint8Array {
  if (bytes.length < 9 || bytes[bytes.length - 1] !== 0) return bytes
  try {
    const r = new TiffReader(bytes)
    let end = 8
    const seen = new Set<number>()
    const visit = (start: number, depth: number) => {
      for (const ifd of r.chain(start, limits)) {
        if (seen.has(ifd.offset) || depth > 4) continue
        seen.add(ifd.offset)
        end = Math.max(end, ifd.nextPointerOffset + 4)
        for (const e of ifd.entries.values()) {
          const size = r.raw(e).length
          if (e.valueOffset !== e.entryOffset + 8) end = Math.max(end, e.valueOffset + size)
          if ([TAG.exifIfd, 34853, 40965, 330].includes(e.tag as never)) for (const p of r.numbers(e, 64)) if (p) visit(p, depth + 1)
        }
        for (const [offTag, lenTag] of DATA_TAGS) {
          const offs = ifd.entries.get(offTag)
          const lens = ifd.entries.get(lenTag)
          if (!offs || !lens) continue
          const n = r.numbers(lens, limits.maxChunks)
          r.numbers(offs, limits.maxChunks).forEach((at, i) => (end = Math.max(end, at + n[i]!)))
        }
        const jpeg = r.number(ifd.entries.get(TAG.jpegIfOffset))
        const jpegLength = r.number(ifd.entries.get(TAG.jpegIfLength))
        if (jpeg && jpegLength) end = Math.max(end, jpeg + jpegLength)
      }
    }
    visit(r.firstIfd, 0)
    return end === bytes.length - 1 ? bytes.subarray(0, end) : bytes
  } catch {
    return bytes
  }
}
