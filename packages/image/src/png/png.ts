// PNG chunks: reading text and XMP, the essence, and rebuilding with new metadata or new image data.
import type { Hash } from 'node:crypto'
import { concatBytes, crc32, inflateZlib, MalformedInputError, TooLargeError, utf8, type Limits } from '@tanba/core'
import { hex, latin1, u32be, type ParsedImage, type TextField, type XmpPacket } from '../container.js'
import { readExif, stripExifThumbnail, type ExifSummary } from '../tiff/ifd.js'

export interface PngChunk {
  type: string
  offset: number
  dataOffset: number
  length: number
  /** Offset past the CRC. */
  end: number
}

export interface PngFile extends ParsedImage {
  format: 'png'
  chunks: PngChunk[]
  bitDepth: number
  colourType: number
  interlaced: boolean
}

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)
export const XMP_KEYWORD = 'XML:com.adobe.xmp'
/** Chunks that define the pixels (and APNG frames); everything else is metadata. */
export const PNG_ESSENCE = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'acTL', 'fcTL', 'fdAT'])
/** Chunks that change how the pixels are shown (colour space, gamma, HDR tone mapping): bound from tanba.image.data/2 on. */
export const PNG_RENDERING = new Set(['gAMA', 'cHRM', 'sRGB', 'iCCP', 'cICP', 'mDCV', 'cLLI', 'mDCv', 'cLLi'])
/** Chunks whose meaning depends on the encoding (colour type, bit depth, palette): never copied across encodings. */
const ENCODING_BOUND = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND', 'acTL', 'fcTL', 'fdAT', 'sBIT', 'bKGD', 'hIST', 'sPLT'])

export function parsePng(bytes: Uint8Array, limits: Limits): PngFile {
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== PNG_SIGNATURE[i]) throw new MalformedInputError(`Expected the PNG signature 89 50 4E 47 0D 0A 1A 0A but the data starts ${hex(bytes)}`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const chunks: PngChunk[] = []
  let o = 8
  let ended = false
  while (o < bytes.length) {
    if (o + 12 > bytes.length) throw new MalformedInputError(`A PNG chunk header at offset ${o} is cut off (truncated file?)`)
    if (chunks.length >= limits.maxChunks) throw new TooLargeError(`The PNG has more than ${limits.maxChunks} chunks (limits.maxChunks)`)
    const length = view.getUint32(o)
    const type = latin1(bytes.subarray(o + 4, o + 8))
    if (!/^[A-Za-z]{4}$/.test(type)) throw new MalformedInputError(`Expected a PNG chunk type at offset ${o + 4} but found bytes ${hex(bytes.subarray(o + 4), 4)}`)
    if (length > 0x7fffffff || o + 12 + length > bytes.length) {
      throw new MalformedInputError(`PNG chunk ${type} at offset ${o} declares ${length} bytes but only ${Math.max(0, bytes.length - o - 12)} remain (truncated file?)`)
    }
    chunks.push({ type, offset: o, dataOffset: o + 8, length, end: o + 12 + length })
    o += 12 + length
    if (type === 'IEND') {
      ended = true
      break
    }
  }
  if (!ended) throw new MalformedInputError('The PNG ends without an IEND chunk (truncated file?)')
  const ihdr = chunks[0]
  if (!ihdr || ihdr.type !== 'IHDR' || ihdr.length < 13) throw new MalformedInputError('Expected the PNG to start with an IHDR chunk')
  if (!chunks.some((c) => c.type === 'IDAT')) throw new MalformedInputError('The PNG has no image data (IDAT chunk)')
  const width = view.getUint32(ihdr.dataOffset)
  const height = view.getUint32(ihdr.dataOffset + 4)
  if (!width || !height) throw new MalformedInputError(`The PNG header declares ${width}×${height} pixels`)
  const actl = chunks.find((c) => c.type === 'acTL')
  const frames = actl && actl.length >= 8 ? Math.max(1, view.getUint32(actl.dataOffset)) : 1

  const xmp: XmpPacket[] = []
  const texts: TextField[] = []
  let exif: ExifSummary | undefined
  let c2pa: string | null = null
  for (const c of chunks) {
    const data = bytes.subarray(c.dataOffset, c.dataOffset + c.length)
    if (c.type === 'tEXt' || c.type === 'zTXt' || c.type === 'iTXt') {
      const field = readTextChunk(c.type, data, limits)
      if (!field) continue
      if (field.keyword === XMP_KEYWORD) xmp.push({ carrier: 'xmp', text: field.text })
      else texts.push({ carrier: `png:${c.type}:${field.keyword}`, keyword: field.keyword, text: field.text })
    } else if (c.type === 'eXIf' && !exif) exif = readExif(data, limits)
    else if (c.type === 'caBX') c2pa = 'png:caBX'
  }
  if (exif?.userComment) texts.push({ carrier: 'exif:UserComment', keyword: 'UserComment', text: exif.userComment })
  return {
    format: 'png',
    bytes,
    width,
    height,
    frames,
    animated: frames > 1,
    orientation: exif?.orientation ?? 1,
    xmp,
    texts,
    ...(exif ? { exif } : {}),
    c2pa,
    notes: [],
    chunks,
    bitDepth: bytes[ihdr.dataOffset + 8]!,
    colourType: bytes[ihdr.dataOffset + 9]!,
    interlaced: bytes[ihdr.dataOffset + 12] === 1,
    essence(hash: Hash) {
      hashPngEssence(bytes, chunks, hash)
    },
    rendering(hash: Hash) {
      // Colour chunks whole, in order (decoders take the first of each); eXIf by its orientation.
      const orientations: number[] = []
      for (const c of chunks) {
        if (PNG_RENDERING.has(c.type)) {
          hash.update(`${c.type} ${c.length}\0`)
          hash.update(bytes.subarray(c.dataOffset, c.dataOffset + c.length))
        } else if (c.type === 'eXIf') {
          const o = readExif(bytes.subarray(c.dataOffset, c.dataOffset + c.length), limits).orientation
          if (o !== undefined) orientations.push(o)
        }
      }
      hash.update(`orientation ${orientations.join(',')}\0`)
    },
  }
}

/** Keyword and text of a tEXt, zTXt or iTXt chunk; null when damaged (reported as absent, never fatal). */
export function readTextChunk(type: string, data: Uint8Array, limits: Pick<Limits, 'maxMetadataBytes'>): { keyword: string; text: string } | null {
  const nul = data.indexOf(0)
  if (nul < 1 || nul > 79) return null
  const keyword = latin1(data.subarray(0, nul))
  const inflate = (d: Uint8Array) => {
    try {
      return inflateZlib(d, limits.maxMetadataBytes)
    } catch (cause) {
      if (cause instanceof TooLargeError) throw new TooLargeError(`PNG text chunk "${keyword}" inflates beyond limits.maxMetadataBytes (${limits.maxMetadataBytes})`, { cause })
      return null
    }
  }
  if (type === 'tEXt') return { keyword, text: latin1(data.subarray(nul + 1)) }
  if (type === 'zTXt') {
    const raw = inflate(data.subarray(nul + 2))
    return raw ? { keyword, text: latin1(raw) } : null
  }
  const compressed = data[nul + 1] === 1
  const langEnd = data.indexOf(0, nul + 3)
  if (langEnd < 0) return null
  const transEnd = data.indexOf(0, langEnd + 1)
  if (transEnd < 0) return null
  let body: Uint8Array | null = data.subarray(transEnd + 1)
  if (compressed) body = inflate(body)
  return body ? { keyword, text: new TextDecoder('utf-8').decode(body) } : null
}

/** An uncompressed iTXt chunk. */
export function iTXtChunk(keyword: string, text: string): Uint8Array {
  return pngChunk('iTXt', concatBytes(utf8(keyword), Uint8Array.of(0, 0, 0, 0, 0), utf8(text)))
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = utf8(type)
  const body = concatBytes(typeBytes, data)
  return concatBytes(u32be(data.length), body, u32be(crc32(body)))
}

/**
 * The PNG essence: IHDR, PLTE, tRNS and the APNG frame chunks as type + length + data, and the
 * IDAT stream as one run (so re-chunking IDAT does not matter). Colour chunks, text and EXIF are metadata.
 */
export function hashPngEssence(bytes: Uint8Array, chunks: PngChunk[], hash: Hash): void {
  let i = 0
  while (i < chunks.length) {
    const c = chunks[i]!
    if (!PNG_ESSENCE.has(c.type)) {
      i++
      continue
    }
    if (c.type === 'IDAT') {
      let j = i
      let total = 0
      while (j < chunks.length && chunks[j]!.type === 'IDAT') total += chunks[j++]!.length
      hash.update(utf8('IDAT'))
      hash.update(u32be(Math.floor(total / 2 ** 32)))
      hash.update(u32be(total))
      for (let k = i; k < j; k++) hash.update(bytes.subarray(chunks[k]!.dataOffset, chunks[k]!.dataOffset + chunks[k]!.length))
      i = j
      continue
    }
    hash.update(utf8(c.type))
    hash.update(u32be(c.length))
    hash.update(bytes.subarray(c.dataOffset, c.dataOffset + c.length))
    i++
  }
}

/** Replaces every XMP chunk with `packet` (uncompressed iTXt, placed before the first IDAT). */
export function replacePngXmp(file: PngFile, packet: string): Uint8Array {
  const { bytes, chunks } = file
  const parts: Uint8Array[] = [bytes.subarray(0, 8)]
  const xmpChunk = iTXtChunk(XMP_KEYWORD, packet)
  let written = false
  for (const c of chunks) {
    if (isXmpChunk(bytes, c)) continue
    if (!written && (c.type === 'IDAT' || c.type === 'IEND')) {
      parts.push(xmpChunk)
      written = true
    }
    parts.push(bytes.subarray(c.offset, c.end))
  }
  return concatBytes(...parts)
}

function isXmpChunk(bytes: Uint8Array, c: PngChunk): boolean {
  if (c.type !== 'iTXt' && c.type !== 'tEXt' && c.type !== 'zTXt') return false
  const k = XMP_KEYWORD.length
  if (c.length <= k) return false
  return latin1(bytes.subarray(c.dataOffset, c.dataOffset + k)) === XMP_KEYWORD && bytes[c.dataOffset + k] === 0
}

/**
 * Combines the metadata chunks of `original` (text, EXIF, colour, physical size, C2PA...) with the
 * image chunks of `encoded`. XMP is left out: the caller writes it. The EXIF thumbnail is blanked.
 */
export function transplantPng(original: PngFile, encoded: PngFile, options: { keepColour: boolean; limits: Limits }): Uint8Array {
  const ob = original.bytes
  const eb = encoded.bytes
  const before: Uint8Array[] = []
  const after: Uint8Array[] = []
  const colour = new Set(['iCCP', 'sRGB', 'gAMA', 'cHRM', 'cICP', 'mDCV', 'cLLI'])
  let seenIdat = false
  for (const c of original.chunks) {
    if (c.type === 'IDAT') seenIdat = true
    if (ENCODING_BOUND.has(c.type) || isXmpChunk(ob, c)) continue
    if (colour.has(c.type) && !options.keepColour) continue
    let chunk = ob.subarray(c.offset, c.end)
    if (c.type === 'eXIf') chunk = pngChunk('eXIf', stripExifThumbnail(ob.subarray(c.dataOffset, c.dataOffset + c.length), options.limits))
    ;(seenIdat ? after : before).push(chunk)
  }
  const parts: Uint8Array[] = [eb.subarray(0, 8)]
  const ihdr = encoded.chunks[0]!
  parts.push(eb.subarray(ihdr.offset, ihdr.end), ...before)
  for (const c of encoded.chunks.slice(1)) {
    if (c.type === 'IEND') break
    // The encoder's own colour chunks are used only when the original's no longer apply.
    if (ENCODING_BOUND.has(c.type) || (colour.has(c.type) && !options.keepColour)) parts.push(eb.subarray(c.offset, c.end))
  }
  parts.push(...after)
  const iend = encoded.chunks[encoded.chunks.length - 1]!
  parts.push(eb.subarray(iend.offset, iend.end))
  return concatBytes(...parts)
}
