// WebP (RIFF) chunks: dimensions, quality estimate, the essence, and rebuilding with new metadata or image data.
import type { Hash } from 'node:crypto'
import { concatBytes, MalformedInputError, riffChunk, utf8, walkRiff, type Limits, type RiffChunk } from '@tanba/core'
import { hex, u32be, type ParsedImage, type XmpPacket } from '../container.js'
import { readExif, stripExifThumbnail, type ExifSummary } from '../tiff/ifd.js'

export interface WebpFile extends ParsedImage {
  format: 'webp'
  chunks: RiffChunk[]
  canvasWidth: number
  canvasHeight: number
  hasAlpha: boolean
  lossless: boolean
  /** libwebp quality (0-100) estimated from the VP8 quantiser, or null for lossless. */
  quality: number | null
}

const FLAG = { animation: 0x02, xmp: 0x04, exif: 0x08, alpha: 0x10, icc: 0x20 } as const
/** Chunks that carry the image: everything else (VP8X flags, ICCP, EXIF, XMP, unknown) is metadata. */
export const WEBP_ESSENCE = new Set(['VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF'])

export function parseWebp(bytes: Uint8Array, limits: Limits): WebpFile {
  if (bytes.length < 12 || String.fromCharCode(...bytes.subarray(8, 12)) !== 'WEBP' || String.fromCharCode(...bytes.subarray(0, 4)) !== 'RIFF') {
    throw new MalformedInputError(`Expected a WebP file (RIFF....WEBP) but the data starts ${hex(bytes, 12)}`)
  }
  if (bytes.length < 8 + new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true)) {
    throw new MalformedInputError(`The WebP file declares ${new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true) + 8} bytes but has ${bytes.length} (truncated file?)`)
  }
  const form = walkRiff(bytes, { lists: false, maxChunks: limits.maxChunks, maxDepth: limits.maxDepth })
  const chunks = form.chunks
  const data = (c: RiffChunk) => bytes.subarray(c.dataOffset, c.dataOffset + c.size)
  const vp8x = chunks.find((c) => c.id === 'VP8X')
  const first = chunks.find((c) => c.id === 'VP8 ' || c.id === 'VP8L')
  const frames = chunks.filter((c) => c.id === 'ANMF')
  if (!first && !frames.length) throw new MalformedInputError('The WebP file has no image data (VP8, VP8L or ANMF chunk)')
  let width: number
  let height: number
  let hasAlpha = false
  if (vp8x) {
    if (vp8x.size < 10) throw new MalformedInputError('The WebP VP8X chunk is shorter than 10 bytes')
    const d = data(vp8x)
    width = 1 + (d[4]! | (d[5]! << 8) | (d[6]! << 16))
    height = 1 + (d[7]! | (d[8]! << 8) | (d[9]! << 16))
    hasAlpha = (d[0]! & FLAG.alpha) !== 0
  } else {
    // Animation frames (ANMF) need the canvas size that only VP8X gives.
    if (!first) throw new MalformedInputError('The WebP file has animation frames (ANMF) but no VP8X chunk declaring the canvas')
    const dims = bitstreamSize(first.id, data(first))
    width = dims.width
    height = dims.height
    hasAlpha = dims.alpha
  }
  // The first frame's bitstream tells lossy or lossless, and the lossy quantiser.
  let stream = first ? { id: first.id, data: data(first) } : undefined
  if (!stream && frames[0]) {
    const inner = walkRiffPayload(bytes, frames[0].dataOffset + 16, frames[0].dataOffset + frames[0].size)
    const f = inner.find((c) => c.id === 'VP8 ' || c.id === 'VP8L')
    if (f) stream = { id: f.id, data: bytes.subarray(f.dataOffset, f.dataOffset + f.size) }
  }
  const lossless = stream?.id === 'VP8L'
  const quality = stream && !lossless ? vp8Quality(stream.data) : null

  const xmp: XmpPacket[] = []
  let exif: ExifSummary | undefined
  let c2pa: string | null = null
  for (const c of chunks) {
    if (c.id === 'XMP ') xmp.push({ carrier: 'xmp', text: new TextDecoder('utf-8').decode(data(c)).replace(/\0+$/, '') })
    else if (c.id === 'EXIF' && !exif) exif = readExif(skipExifHeader(data(c)), limits)
    else if (c.id === 'C2PA') c2pa = 'webp:C2PA'
  }
  return {
    format: 'webp',
    bytes,
    width,
    height,
    frames: Math.max(1, frames.length),
    animated: frames.length > 1,
    orientation: exif?.orientation ?? 1,
    xmp,
    texts: exif?.userComment ? [{ carrier: 'exif:UserComment', keyword: 'UserComment', text: exif.userComment }] : [],
    ...(exif ? { exif } : {}),
    c2pa,
    notes: form.sizeMismatch ? ['The RIFF size in the WebP header does not match the file length'] : [],
    chunks,
    canvasWidth: width,
    canvasHeight: height,
    hasAlpha,
    lossless,
    quality,
    essence(hash: Hash) {
      // The canvas size, then every image chunk as id + size + payload.
      hash.update(u32be(width))
      hash.update(u32be(height))
      for (const c of chunks) {
        if (!WEBP_ESSENCE.has(c.id)) continue
        hash.update(utf8(c.id))
        hash.update(u32be(c.size))
        hash.update(data(c))
      }
    },
    rendering(hash: Hash) {
      // The ICC profile, and EXIF by its orientation (libvips applies it; other EXIF edits stay valid).
      const orientations: number[] = []
      for (const c of chunks) {
        if (c.id === 'ICCP') {
          hash.update(`ICCP ${c.size}\0`)
          hash.update(data(c))
        } else if (c.id === 'EXIF') {
          const o = readExif(skipExifHeader(data(c)), limits).orientation
          if (o !== undefined) orientations.push(o)
        }
      }
      hash.update(`orientation ${orientations.join(',')}\0`)
    },
  }
}

/** Some writers put "Exif\0\0" before the TIFF header in the EXIF chunk. */
function skipExifHeader(d: Uint8Array): Uint8Array {
  return d[0] === 0x45 && d[1] === 0x78 && d[2] === 0x69 && d[3] === 0x66 && d[4] === 0 && d[5] === 0 ? d.subarray(6) : d
}

function walkRiffPayload(bytes: Uint8Array, start: number, end: number): { id: string; dataOffset: number; size: number }[] {
  const out: { id: string; dataOffset: number; size: number }[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let o = start
  while (o + 8 <= end && out.length < 16) {
    const size = view.getUint32(o + 4, true)
    if (o + 8 + size > end) break
    out.push({ id: String.fromCharCode(...bytes.subarray(o, o + 4)), dataOffset: o + 8, size })
    o += 8 + size + (size & 1)
  }
  return out
}

/** Width, height and alpha from a VP8 or VP8L bitstream header. */
export function bitstreamSize(id: string, d: Uint8Array): { width: number; height: number; alpha: boolean } {
  if (id === 'VP8L') {
    if (d.length < 5 || d[0] !== 0x2f) throw new MalformedInputError('Expected the VP8L signature 0x2F at the start of the lossless bitstream')
    const bits = d[1]! | (d[2]! << 8) | (d[3]! << 16) | (d[4]! << 24)
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff), alpha: ((bits >>> 28) & 1) === 1 }
  }
  if (d.length < 10 || d[3] !== 0x9d || d[4] !== 0x01 || d[5] !== 0x2a) throw new MalformedInputError('Expected a VP8 key frame (start code 9D 01 2A) in the lossy bitstream')
  return { width: (d[6]! | (d[7]! << 8)) & 0x3fff, height: (d[8]! | (d[9]! << 8)) & 0x3fff, alpha: false }
}

/**
 * libwebp's quality setting recovered from the frame's quantiser index: libwebp maps quality c
 * to q = 127·(1 − v) with v = ∛(c < 0.75 ? 2c/3 : 2c − 1); this inverts that mapping.
 */
export function vp8Quality(d: Uint8Array): number | null {
  try {
    if (d.length < 12) return null
    const br = new BoolReader(d, 10)
    br.bits(1) // colour space
    br.bits(1) // clamping
    let qi: number[] | null = null
    if (br.bits(1)) {
      const updateMap = br.bits(1)
      const updateData = br.bits(1)
      if (updateData) {
        const absolute = br.bits(1)
        const q: number[] = []
        for (let i = 0; i < 4; i++) q.push(br.bits(1) ? br.signed(7) : 0)
        for (let i = 0; i < 4; i++) if (br.bits(1)) br.signed(6)
        if (absolute) qi = q
      }
      if (updateMap) for (let i = 0; i < 3; i++) if (br.bits(1)) br.bits(8)
    }
    br.bits(1) // filter type
    br.bits(6) // level
    br.bits(3) // sharpness
    if (br.bits(1) && br.bits(1)) for (let i = 0; i < 8; i++) if (br.bits(1)) br.signed(6)
    br.bits(2) // partitions
    const base = br.bits(7)
    const q = qi ? qi.reduce((a, b) => a + b, 0) / 4 : base
    const v = 1 - Math.min(127, Math.max(0, q)) / 127
    const linear = v ** 3
    const c = linear < 0.5 ? linear * 1.5 : (linear + 1) / 2
    return Math.max(1, Math.min(100, Math.round(c * 100)))
  } catch {
    return null
  }
}

/** The VP8 boolean entropy decoder (RFC 6386, section 7), enough to read the frame header. */
class BoolReader {
  private value: number
  private range = 255
  private count = 0
  private pos: number
  constructor(
    private readonly d: Uint8Array,
    start: number,
  ) {
    this.value = (d[start]! << 8) | d[start + 1]!
    this.pos = start + 2
  }
  bool(prob: number): number {
    const split = 1 + (((this.range - 1) * prob) >> 8)
    const big = split << 8
    let bit: number
    if (this.value >= big) {
      bit = 1
      this.range -= split
      this.value -= big
    } else {
      bit = 0
      this.range = split
    }
    while (this.range < 128) {
      this.value <<= 1
      this.range <<= 1
      if (++this.count === 8) {
        this.count = 0
        this.value |= this.d[this.pos++] ?? 0
      }
    }
    return bit
  }
  bits(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) v = (v << 1) | this.bool(128)
    return v
  }
  signed(n: number): number {
    const v = this.bits(n)
    return this.bits(1) ? -v : v
  }
}

interface WebpParts {
  width: number
  height: number
  alpha: boolean
  icc?: Uint8Array
  /** Image chunks (serialised), in order. */
  image: Uint8Array[]
  animated: boolean
  exif?: Uint8Array
  xmp?: string
  /** Unknown chunks (serialised), kept after the metadata. */
  extra: Uint8Array[]
}

/** Serialises an extended-format WebP: VP8X, ICCP, image chunks, EXIF, XMP, unknown chunks. */
function buildWebp(p: WebpParts): Uint8Array {
  const flags = (p.icc ? FLAG.icc : 0) | (p.alpha ? FLAG.alpha : 0) | (p.exif ? FLAG.exif : 0) | (p.xmp !== undefined ? FLAG.xmp : 0) | (p.animated ? FLAG.animation : 0)
  const vp8x = new Uint8Array(10)
  vp8x[0] = flags
  const w = p.width - 1
  const h = p.height - 1
  vp8x.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 4)
  const body = concatBytes(
    utf8('WEBP'),
    riffChunk('VP8X', vp8x),
    ...(p.icc ? [riffChunk('ICCP', p.icc)] : []),
    ...p.image,
    ...(p.exif ? [riffChunk('EXIF', p.exif)] : []),
    ...(p.xmp !== undefined ? [riffChunk('XMP ', utf8(p.xmp))] : []),
    ...p.extra,
  )
  const header = concatBytes(utf8('RIFF'), new Uint8Array(4))
  new DataView(header.buffer).setUint32(4, body.length, true)
  return concatBytes(header, body)
}

function partsOf(file: WebpFile): WebpParts {
  const { bytes, chunks } = file
  const serialised = (c: RiffChunk) => bytes.subarray(c.offset, Math.min(c.end, c.dataOffset + c.size + (c.size & 1)))
  const data = (c: RiffChunk) => bytes.subarray(c.dataOffset, c.dataOffset + c.size)
  const icc = chunks.find((c) => c.id === 'ICCP')
  const exif = chunks.find((c) => c.id === 'EXIF')
  const xmp = chunks.find((c) => c.id === 'XMP ')
  return {
    width: file.canvasWidth,
    height: file.canvasHeight,
    alpha: file.hasAlpha,
    ...(icc ? { icc: data(icc) } : {}),
    image: chunks.filter((c) => WEBP_ESSENCE.has(c.id)).map(serialised),
    animated: chunks.some((c) => c.id === 'ANIM'),
    ...(exif ? { exif: data(exif) } : {}),
    ...(xmp ? { xmp: new TextDecoder().decode(data(xmp)) } : {}),
    extra: chunks.filter((c) => !WEBP_ESSENCE.has(c.id) && !['VP8X', 'ICCP', 'EXIF', 'XMP '].includes(c.id)).map(serialised),
  }
}

/** Replaces the XMP chunk (adding VP8X when the file was in the simple format). Image chunks are copied byte for byte. */
export function replaceWebpXmp(file: WebpFile, packet: string): Uint8Array {
  return buildWebp({ ...partsOf(file), xmp: packet })
}

/** Metadata of `original` (ICC, EXIF without thumbnail, unknown chunks) around the image chunks of `encoded`. */
export function transplantWebp(original: WebpFile, encoded: WebpFile, options: { keepIcc: boolean; limits: Limits }): Uint8Array {
  const o = partsOf(original)
  const e = partsOf(encoded)
  const { xmp: _drop, ...meta } = o
  void _drop
  return buildWebp({
    ...meta,
    width: e.width,
    height: e.height,
    alpha: e.alpha || encoded.chunks.some((c) => c.id === 'ALPH'),
    image: e.image,
    animated: e.animated,
    ...(o.exif ? { exif: stripWebpExifThumbnail(o.exif, options.limits) } : {}),
    ...(options.keepIcc ? {} : e.icc ? { icc: e.icc } : { icc: undefined }),
  })
}

function stripWebpExifThumbnail(exif: Uint8Array, limits: Limits): Uint8Array {
  const tiff = skipExifHeader(exif)
  return tiff === exif ? stripExifThumbnail(exif, limits) : concatBytes(exif.subarray(0, 6), stripExifThumbnail(tiff, limits))
}
