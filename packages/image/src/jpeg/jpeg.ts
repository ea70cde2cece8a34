// JPEG marker segments: reading, the essence, and rebuilding a file with new metadata or new image data.
import type { Hash } from 'node:crypto'
import { concatBytes, indexOfByte, MalformedInputError, TooLargeError, type Limits } from '@tanba/core'
import { hex, latin1, type ParsedImage, type TextField, type XmpPacket } from '../container.js'
import { readExif, stripExifThumbnail, type ExifSummary } from '../tiff/ifd.js'

export interface JpegSegment {
  marker: number
  /** Offset of the 0xFF marker byte. */
  offset: number
  /** Offset of the payload (after marker and length), equal to `end` for standalone markers. */
  dataOffset: number
  /** End of the segment, including the entropy-coded data that follows an SOS. */
  end: number
}

export interface JpegFile extends ParsedImage {
  format: 'jpeg'
  segments: JpegSegment[]
  /** Offset just past EOI; bytes after it are a trailer (MPF images, vendor data). */
  eoiEnd: number
  components: number
  progressive: boolean
  /** Luma sampling factors (h, v): 2x2 is 4:2:0. */
  lumaSampling: [number, number]
  /** IJG-style quality estimated from the luminance quantisation table. */
  quality: number
  adobeTransform: number | null
}

export const XMP_ID = 'http://ns.adobe.com/xap/1.0/\0'
export const XMP_EXT_ID = 'http://ns.adobe.com/xmp/extension/\0'
const EXIF_ID = 'Exif\0\0'
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf])
/** Largest APP segment payload: 65535 minus the 2-byte length. */
export const MAX_SEGMENT_PAYLOAD = 65533

export function startsWithAscii(bytes: Uint8Array, offset: number, text: string): boolean {
  if (offset + text.length > bytes.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

/** Walks the marker segments of a JPEG. Throws MalformedInputError for anything that is not a complete JPEG. */
export function parseJpeg(bytes: Uint8Array, limits: Limits): JpegFile {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    throw new MalformedInputError(`Expected a JPEG (starting FF D8 FF) but the data starts ${hex(bytes)}`)
  }
  const segments: JpegSegment[] = [{ marker: 0xd8, offset: 0, dataOffset: 2, end: 2 }]
  let o = 2
  let eoiEnd = -1
  while (o < bytes.length) {
    if (bytes[o] !== 0xff) throw new MalformedInputError(`Expected a JPEG marker (FF) at offset ${o} but found ${bytes[o]!.toString(16).padStart(2, '0')}`)
    while (bytes[o + 1] === 0xff) o++ // fill bytes
    const marker = bytes[o + 1]
    if (marker === undefined) break
    if (segments.length >= limits.maxChunks) throw new TooLargeError(`The JPEG has more than ${limits.maxChunks} segments (limits.maxChunks)`)
    if (marker === 0xd9) {
      segments.push({ marker, offset: o, dataOffset: o + 2, end: o + 2 })
      eoiEnd = o + 2
      break
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      segments.push({ marker, offset: o, dataOffset: o + 2, end: o + 2 })
      o += 2
      continue
    }
    if (o + 4 > bytes.length) break
    const length = (bytes[o + 2]! << 8) | bytes[o + 3]!
    if (length < 2) throw new MalformedInputError(`JPEG segment ${marker.toString(16)} at offset ${o} declares length ${length}`)
    const dataEnd = o + 2 + length
    if (dataEnd > bytes.length) {
      throw new MalformedInputError(`JPEG segment FF${marker.toString(16).toUpperCase()} at offset ${o} declares ${length} bytes but only ${bytes.length - o - 2} remain (truncated file?)`)
    }
    let end = dataEnd
    if (marker === 0xda) end = scanEnd(bytes, dataEnd)
    segments.push({ marker, offset: o, dataOffset: o + 4, end })
    o = end
  }
  if (eoiEnd < 0) throw new MalformedInputError(`The JPEG ends at byte ${bytes.length} without an end-of-image marker (truncated file?)`)
  const sof = segments.find((s) => SOF_MARKERS.has(s.marker))
  if (!sof || sof.end - sof.dataOffset < 6) throw new MalformedInputError('The JPEG has no frame header (SOF segment)')
  if (!segments.some((s) => s.marker === 0xda)) throw new MalformedInputError('The JPEG has no image data (SOS segment)')
  const height = (bytes[sof.dataOffset + 1]! << 8) | bytes[sof.dataOffset + 2]!
  const width = (bytes[sof.dataOffset + 3]! << 8) | bytes[sof.dataOffset + 4]!
  const components = bytes[sof.dataOffset + 5]!
  if (!width || !height) throw new MalformedInputError(`The JPEG frame header declares ${width}×${height} pixels`)
  const sampling = bytes[sof.dataOffset + 7] ?? 0x11

  const xmp: XmpPacket[] = []
  const texts: TextField[] = []
  let exif: ExifSummary | undefined
  let c2pa: string | null = null
  let adobeTransform: number | null = null
  const extended = new Map<string, { total: number; parts: Map<number, Uint8Array> }>()
  for (const s of segments) {
    const { marker, dataOffset, end } = s
    if (marker === 0xe1 && startsWithAscii(bytes, dataOffset, XMP_ID)) {
      xmp.push({ carrier: 'xmp', text: utf8(bytes.subarray(dataOffset + XMP_ID.length, end), limits) })
    } else if (marker === 0xe1 && startsWithAscii(bytes, dataOffset, XMP_EXT_ID)) {
      const p = dataOffset + XMP_EXT_ID.length
      if (end - p < 40) continue
      const guid = latin1(bytes.subarray(p, p + 32))
      const view = new DataView(bytes.buffer, bytes.byteOffset + p + 32, 8)
      const total = view.getUint32(0)
      const at = view.getUint32(4)
      if (total > limits.maxMetadataBytes) throw new TooLargeError(`Extended XMP of ${total} bytes exceeds limits.maxMetadataBytes (${limits.maxMetadataBytes})`)
      const entry = extended.get(guid) ?? { total, parts: new Map() }
      entry.parts.set(at, bytes.subarray(p + 40, end))
      extended.set(guid, entry)
    } else if (marker === 0xe1 && startsWithAscii(bytes, dataOffset, EXIF_ID) && !exif) {
      exif = readExif(bytes.subarray(dataOffset + 6, end), limits)
    } else if (marker === 0xeb && startsWithAscii(bytes, dataOffset, 'JP') && latin1(bytes.subarray(dataOffset, Math.min(end, dataOffset + 64))).includes('c2pa')) {
      c2pa = 'jpeg:APP11'
    } else if (marker === 0xee && startsWithAscii(bytes, dataOffset, 'Adobe') && end - dataOffset >= 12) {
      adobeTransform = bytes[dataOffset + 11]!
    } else if (marker === 0xfe) {
      texts.push({ carrier: 'jpeg:COM', keyword: 'comment', text: utf8(bytes.subarray(dataOffset, end), limits) })
    }
  }
  // Extended XMP: reassemble the packet the main XMP points to (xmpNote:HasExtendedXMP).
  const main = xmp[0]?.text ?? ''
  const guid = /HasExtendedXMP(?:="|>)([0-9A-Fa-f]{32})/.exec(main)?.[1]
  const ext = guid ? extended.get(guid) : undefined
  if (ext) {
    const buf = new Uint8Array(ext.total)
    let filled = 0
    for (const [at, part] of ext.parts) {
      if (at + part.length > ext.total) continue
      buf.set(part, at)
      filled += part.length
    }
    if (filled === ext.total) xmp.push({ carrier: 'xmp:extended', text: utf8(buf, limits) })
  }
  if (exif?.userComment) texts.push({ carrier: 'exif:UserComment', keyword: 'UserComment', text: exif.userComment })
  if (exif?.imageDescription) texts.push({ carrier: 'exif:ImageDescription', keyword: 'ImageDescription', text: exif.imageDescription })

  const notes: string[] = []
  if (eoiEnd < bytes.length) notes.push(`${bytes.length - eoiEnd} bytes follow the end of the JPEG image (MPF images or vendor data); they are not part of the binding`)

  const file: JpegFile = {
    format: 'jpeg',
    bytes,
    width,
    height,
    frames: 1,
    animated: false,
    orientation: exif?.orientation ?? 1,
    xmp,
    texts,
    ...(exif ? { exif } : {}),
    c2pa,
    notes,
    segments,
    eoiEnd,
    components,
    progressive: sof.marker === 0xc2 || sof.marker === 0xc6 || sof.marker === 0xca || sof.marker === 0xce,
    lumaSampling: [sampling >> 4, sampling & 15],
    quality: estimateQuality(bytes, segments),
    adobeTransform,
    essence(hash: Hash) {
      hashJpegEssence(bytes, segments, hash)
    },
    rendering(hash: Hash) {
      hashJpegRendering(file, hash, limits)
    },
  }
  return file
}

/** The end of the entropy-coded data after an SOS header: the next marker that is not a stuffed byte or a restart. */
function scanEnd(bytes: Uint8Array, from: number): number {
  let i = from
  for (;;) {
    i = indexOfByte(bytes, 0xff, i)
    if (i < 0 || i + 1 >= bytes.length) throw new MalformedInputError('The JPEG image data ends without an end-of-image marker (truncated file?)')
    const next = bytes[i + 1]!
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      i += next === 0xff ? 1 : 2
      continue
    }
    return i
  }
}

function utf8(bytes: Uint8Array, limits: Pick<Limits, 'maxMetadataBytes'>): string {
  if (bytes.length > limits.maxMetadataBytes) throw new TooLargeError(`A metadata block of ${bytes.length} bytes exceeds limits.maxMetadataBytes (${limits.maxMetadataBytes})`)
  return new TextDecoder('utf-8').decode(bytes).replace(/\0+$/, '')
}

/** True for segments that carry metadata (APPn, COM) rather than image data. */
export function isMetadataMarker(marker: number): boolean {
  return (marker >= 0xe0 && marker <= 0xef) || marker === 0xfe
}

/**
 * The JPEG essence: every segment from SOI to EOI except APPn and COM, byte for byte, including the
 * entropy-coded scans. Metadata editors (exiftool, Photoshop's "file info") never touch these bytes.
 */
export function hashJpegEssence(bytes: Uint8Array, segments: JpegSegment[], hash: Hash): void {
  for (const s of segments) {
    if (isMetadataMarker(s.marker)) continue
    hash.update(bytes.subarray(s.offset, s.end))
  }
}

/**
 * What a JPEG decoder reads outside the essence: the Adobe APP14 colour transform, whether a JFIF
 * APP0 is present (libjpeg then assumes YCbCr), the ICC profile, the ISO 21496-1 gain-map metadata,
 * the orientation of every EXIF segment and the data after EOI (MPF / Ultra HDR gain-map images).
 * EXIF is bound by its orientation only, so that other EXIF edits stay valid.
 */
export function hashJpegRendering(file: JpegFile, hash: Hash, limits: Limits): void {
  const { bytes, segments } = file
  let jfif = false
  const orientations: number[] = []
  for (const s of segments) {
    const payload = bytes.subarray(s.dataOffset, s.end)
    if (s.marker === 0xee) {
      hash.update(`APP14 ${payload.length}\0`)
      hash.update(payload)
    } else if (s.marker === 0xe0 && startsWithAscii(bytes, s.dataOffset, 'JFIF\0')) jfif = true
    else if (s.marker === 0xe2 && (startsWithAscii(bytes, s.dataOffset, 'ICC_PROFILE\0') || startsWithAscii(bytes, s.dataOffset, 'urn:iso:std:iso:ts:21496:-1'))) {
      hash.update(`APP2 ${payload.length}\0`)
      hash.update(payload)
    } else if (s.marker === 0xe1 && startsWithAscii(bytes, s.dataOffset, EXIF_ID)) {
      const o = readExif(payload.subarray(6), limits).orientation
      if (o !== undefined) orientations.push(o)
    }
  }
  // Orientations as a list: an EXIF block without one (ExifTool adds such a block for an artist) changes nothing.
  hash.update(`orientation ${orientations.join(',')}\0JFIF ${jfif}\0trailer ${bytes.length - file.eoiEnd}\0`)
  hash.update(bytes.subarray(file.eoiEnd))
}

// The IJG standard luminance table (natural order, as quality 50).
const STD_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35,
  55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37,
  44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]

/** Estimates the IJG quality setting from table 0 of the first DQT (the inverse of libjpeg's scaling). */
export function estimateQuality(bytes: Uint8Array, segments: JpegSegment[]): number {
  for (const s of segments) {
    if (s.marker !== 0xdb) continue
    let o = s.dataOffset
    while (o < s.end) {
      const pq = bytes[o]! >> 4
      const tq = bytes[o]! & 15
      const size = pq ? 128 : 64
      if (o + 1 + size > s.end) break
      if (tq === 0) {
        let ratio = 0
        for (let i = 0; i < 64; i++) {
          const v = pq ? (bytes[o + 1 + i * 2]! << 8) | bytes[o + 2 + i * 2]! : bytes[o + 1 + i]!
          ratio += (v * 100) / STD_LUMA[ZIGZAG[i]!]!
        }
        const scale = ratio / 64
        const q = scale <= 100 ? (200 - scale) / 2 : 5000 / scale
        return Math.max(1, Math.min(100, Math.round(q)))
      }
      o += 1 + size
    }
  }
  return 90
}

/** An APPn segment with the given payload. */
export function appSegment(marker: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_SEGMENT_PAYLOAD) throw new RangeError(`APP segment payload of ${payload.length} bytes exceeds ${MAX_SEGMENT_PAYLOAD}`)
  const out = new Uint8Array(4 + payload.length)
  out[0] = 0xff
  out[1] = marker
  out[2] = (payload.length + 2) >> 8
  out[3] = (payload.length + 2) & 0xff
  out.set(payload, 4)
  return out
}

export function isXmpSegment(bytes: Uint8Array, s: JpegSegment): boolean {
  return s.marker === 0xe1 && (startsWithAscii(bytes, s.dataOffset, XMP_ID) || startsWithAscii(bytes, s.dataOffset, XMP_EXT_ID))
}

/**
 * Rebuilds a JPEG: `xmpSegments` replace every XMP segment (standard and extended), inserted where
 * the first one was, or after the leading APP0/APP1 segments. Everything else is copied byte for byte.
 */
export function replaceJpegXmp(file: JpegFile, xmpSegments: Uint8Array[]): Uint8Array {
  const { bytes, segments } = file
  const parts: Uint8Array[] = [bytes.subarray(0, 2)]
  let insertAt = segments.findIndex((s) => isXmpSegment(bytes, s))
  if (insertAt < 0) {
    insertAt = 1
    while (insertAt < segments.length && (segments[insertAt]!.marker === 0xe0 || (segments[insertAt]!.marker === 0xe1 && startsWithAscii(bytes, segments[insertAt]!.dataOffset, EXIF_ID)))) insertAt++
  }
  for (let i = 1; i < segments.length; i++) {
    if (i === insertAt) parts.push(...xmpSegments)
    const s = segments[i]!
    if (isXmpSegment(bytes, s)) continue
    parts.push(bytes.subarray(s.offset, s.end))
  }
  if (file.eoiEnd < bytes.length) parts.push(bytes.subarray(file.eoiEnd))
  return concatBytes(...parts)
}

/**
 * Combines the metadata of `original` with the image data of `encoded` (a fresh encoding of the
 * stamped pixels): APPn and COM segments come from the original (XMP excluded: the caller writes
 * it), the frame, tables and scans from the new encoding. The EXIF thumbnail is blanked, and
 * multi-picture (MPF) data and trailers are dropped because they describe the old image.
 */
export function transplantJpeg(original: JpegFile, encoded: JpegFile, options: { keepIcc: boolean; limits: Limits }): Uint8Array {
  const ob = original.bytes
  const parts: Uint8Array[] = [ob.subarray(0, 2)]
  let hadApp0 = false
  for (const s of original.segments) {
    if (!isMetadataMarker(s.marker) || isXmpSegment(ob, s)) continue
    const payload = ob.subarray(s.dataOffset, s.end)
    if (s.marker === 0xe2 && startsWithAscii(ob, s.dataOffset, 'MPF\0')) continue
    if (s.marker === 0xe2 && startsWithAscii(ob, s.dataOffset, 'ICC_PROFILE\0') && !options.keepIcc) continue
    if (s.marker === 0xee) continue // Adobe colour transform: describes the old encoding
    if (s.marker === 0xe0) hadApp0 = true
    if (s.marker === 0xe1 && startsWithAscii(ob, s.dataOffset, EXIF_ID)) {
      const tiff = stripExifThumbnail(payload.subarray(6), options.limits)
      parts.push(appSegment(0xe1, concatBytes(payload.subarray(0, 6), tiff)))
      continue
    }
    parts.push(ob.subarray(s.offset, s.end))
  }
  const eb = encoded.bytes
  for (const s of encoded.segments) {
    if (s.marker === 0xd8) continue
    if (isMetadataMarker(s.marker)) {
      // Keep the encoder's JFIF only when the original had none, and its Adobe segment always.
      if ((s.marker === 0xe0 && !hadApp0) || s.marker === 0xee) parts.splice(1, 0, eb.subarray(s.offset, s.end))
      else if (s.marker === 0xe2 && startsWithAscii(eb, s.dataOffset, 'ICC_PROFILE\0') && !options.keepIcc) parts.push(eb.subarray(s.offset, s.end))
      continue
    }
    parts.push(eb.subarray(s.offset, s.end))
  }
  return concatBytes(...parts)
}
