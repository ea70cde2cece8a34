// GIF blocks: frames, comments, XMP application extension, the essence, and rewriting the XMP.
import type { Hash } from 'node:crypto'
import { concatBytes, MalformedInputError, TooLargeError, utf8, type Limits } from '@tanba/core'
import { hex, latin1, type ParsedImage, type TextField, type XmpPacket } from '../container.js'

export interface GifBlock {
  kind: 'image' | 'extension'
  /** Extension label (0xF9 graphic control, 0xFE comment, 0xFF application, 0x01 plain text). */
  label?: number
  /** For application extensions: the 11-byte identifier and authentication code. */
  app?: string
  offset: number
  end: number
}

export interface GifFile extends ParsedImage {
  format: 'gif'
  /** End of the header, logical screen descriptor and global colour table. */
  headerEnd: number
  blocks: GifBlock[]
  /** Offset of the trailer byte (0x3B). */
  trailer: number
}

const XMP_APP = 'XMP DataXMP'
/** Application extensions a GIF player reads: bound from tanba.image.data/2 on. */
export const GIF_RENDERING_APPS = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0', 'ICCRGBG1012'])
/** The 258-byte "magic trailer" after an XMP packet, so GIF readers skip it as sub-blocks. */
export const XMP_MAGIC_TRAILER = (() => {
  const t = new Uint8Array(258)
  t[0] = 1
  for (let i = 0; i < 256; i++) t[1 + i] = 255 - i
  t[257] = 0
  return t
})()

export function parseGif(bytes: Uint8Array, limits: Limits): GifFile {
  const sig = latin1(bytes.subarray(0, 6))
  if (sig !== 'GIF87a' && sig !== 'GIF89a') throw new MalformedInputError(`Expected a GIF (GIF87a or GIF89a) but the data starts ${hex(bytes)}`)
  if (bytes.length < 13) throw new MalformedInputError('The GIF ends inside its logical screen descriptor')
  const width = bytes[6]! | (bytes[7]! << 8)
  const height = bytes[8]! | (bytes[9]! << 8)
  if (!width || !height) throw new MalformedInputError(`The GIF declares a ${width}×${height} screen`)
  const flags = bytes[10]!
  let o = 13 + (flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0)
  const headerEnd = o
  if (o > bytes.length) throw new MalformedInputError('The GIF ends inside its global colour table')
  const blocks: GifBlock[] = []
  const texts: TextField[] = []
  const xmp: XmpPacket[] = []
  let c2pa: string | null = null
  let trailer = -1
  const subBlocks = (from: number): number => {
    let p = from
    for (;;) {
      const n = bytes[p]
      if (n === undefined) throw new MalformedInputError(`The GIF ends inside a data block at offset ${p} (truncated file?)`)
      p += 1 + n
      if (n === 0) return p
    }
  }
  while (o < bytes.length) {
    if (blocks.length >= limits.maxChunks) throw new TooLargeError(`The GIF has more than ${limits.maxChunks} blocks (limits.maxChunks)`)
    const intro = bytes[o]!
    if (intro === 0x3b) {
      trailer = o
      break
    }
    if (intro === 0x2c) {
      if (o + 10 > bytes.length) throw new MalformedInputError(`The GIF ends inside an image descriptor at offset ${o}`)
      const f = bytes[o + 9]!
      const lct = f & 0x80 ? 3 * (1 << ((f & 7) + 1)) : 0
      const end = subBlocks(o + 10 + lct + 1)
      blocks.push({ kind: 'image', offset: o, end })
      o = end
      continue
    }
    if (intro === 0x21) {
      const label = bytes[o + 1]
      if (label === undefined) throw new MalformedInputError('The GIF ends inside an extension')
      let app: string | undefined
      if (label === 0xff && bytes[o + 2] === 11) app = latin1(bytes.subarray(o + 3, o + 14))
      const end = subBlocks(o + 2)
      blocks.push({ kind: 'extension', label, ...(app ? { app } : {}), offset: o, end })
      if (app === XMP_APP) {
        const start = o + 14
        const stop = end - XMP_MAGIC_TRAILER.length
        if (stop - start > limits.maxMetadataBytes) throw new TooLargeError(`The GIF XMP packet exceeds limits.maxMetadataBytes (${limits.maxMetadataBytes})`)
        if (stop > start) xmp.push({ carrier: 'xmp', text: new TextDecoder('utf-8').decode(bytes.subarray(start, stop)) })
      } else if (app?.startsWith('C2PA')) c2pa = 'gif:C2PA'
      else if (label === 0xfe) texts.push({ carrier: 'gif:comment', keyword: 'comment', text: latin1(joinSubBlocks(bytes, o + 2, limits)) })
      o = end
      continue
    }
    throw new MalformedInputError(`Expected a GIF block (0x21, 0x2C or 0x3B) at offset ${o} but found 0x${intro.toString(16).padStart(2, '0')}`)
  }
  if (trailer < 0) throw new MalformedInputError('The GIF ends without its trailer byte (truncated file?)')
  const frames = blocks.filter((b) => b.kind === 'image').length
  if (!frames) throw new MalformedInputError('The GIF has no image')
  return {
    format: 'gif',
    bytes,
    width,
    height,
    frames,
    animated: frames > 1,
    orientation: 1,
    xmp,
    texts,
    c2pa,
    notes: [],
    headerEnd,
    blocks,
    trailer,
    essence(hash: Hash) {
      // Screen descriptor and palette, then each frame's control block and image block. Comments and
      // application extensions (loop count, XMP, C2PA) are metadata.
      hash.update(bytes.subarray(6, headerEnd))
      for (const b of blocks) {
        if (b.kind === 'image' || b.label === 0xf9 || b.label === 0x01) hash.update(bytes.subarray(b.offset, b.end))
      }
    },
    rendering(hash: Hash) {
      // Application extensions that players use: loop count (NETSCAPE2.0, ANIMEXTS1.0) and the ICC profile (ICCRGBG1012).
      for (const b of blocks) {
        if (b.app && GIF_RENDERING_APPS.has(b.app)) {
          hash.update(`${b.app}\0`)
          hash.update(bytes.subarray(b.offset, b.end))
        }
      }
    },
  }
}

function joinSubBlocks(bytes: Uint8Array, from: number, limits: Limits): Uint8Array {
  const parts: Uint8Array[] = []
  let p = from
  let total = 0
  for (;;) {
    const n = bytes[p]!
    if (!n) break
    parts.push(bytes.subarray(p + 1, p + 1 + n))
    total += n
    if (total > limits.maxMetadataBytes) throw new TooLargeError('A GIF comment exceeds limits.maxMetadataBytes')
    p += 1 + n
  }
  return concatBytes(...parts)
}

/** Replaces the XMP application extension, placed after the leading application extensions (loop count). */
export function replaceGifXmp(file: GifFile, packet: string): Uint8Array {
  const { bytes, blocks } = file
  const body = utf8(packet)
  // A raw packet must not hold a 0x00 byte, or GIF readers would end the block early.
  if (body.includes(0)) throw new MalformedInputError('The XMP packet contains a NUL byte and cannot be stored in a GIF')
  const xmpBlock = concatBytes(Uint8Array.of(0x21, 0xff, 11), utf8(XMP_APP), body, XMP_MAGIC_TRAILER)
  // Extensions need GIF89a; the 87a and 89a headers differ only in the version bytes.
  const head = bytes.slice(0, file.headerEnd)
  head.set(utf8('89a'), 3)
  const parts: Uint8Array[] = [head]
  let written = false
  for (const b of blocks) {
    if (b.app === XMP_APP) continue
    if (!written && !(b.kind === 'extension' && b.label === 0xff)) {
      parts.push(xmpBlock)
      written = true
    }
    parts.push(bytes.subarray(b.offset, b.end))
  }
  if (!written) parts.push(xmpBlock)
  parts.push(bytes.subarray(file.trailer))
  return concatBytes(...parts)
}

/** Every block of `original` that is not image data (application extensions, comments) around the frames of `encoded`. */
export function transplantGif(original: GifFile, encoded: GifFile): Uint8Array {
  const ob = original.bytes
  const eb = encoded.bytes
  const leading = original.blocks.filter((b) => b.kind === 'extension' && (b.label === 0xff || b.label === 0xfe) && b.app !== XMP_APP)
  const parts: Uint8Array[] = [eb.subarray(0, encoded.headerEnd)]
  // The encoder's loop extension is replaced by the original's application extensions (which include it).
  const hasLoop = leading.some((b) => b.app?.startsWith('NETSCAPE') || b.app?.startsWith('ANIMEXTS'))
  for (const b of encoded.blocks) if (b.kind === 'extension' && b.label === 0xff && !hasLoop) parts.push(eb.subarray(b.offset, b.end))
  for (const b of leading) parts.push(ob.subarray(b.offset, b.end))
  for (const b of encoded.blocks) if (!(b.kind === 'extension' && b.label === 0xff)) parts.push(eb.subarray(b.offset, b.end))
  parts.push(eb.subarray(encoded.trailer))
  return concatBytes(...parts)
}
