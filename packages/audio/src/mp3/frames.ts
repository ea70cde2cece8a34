import { crc16Arc, MalformedInputError, TooLargeError, type Limits } from '@tanba/core'
import { id3Length, syncsafe } from './id3.js'

/** An MPEG audio frame header (Layer I, II or III; MPEG-1, 2 or 2.5). */
export interface MpegHeader {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  version: 1 | 2 | 2.5
  layer: 1 | 2 | 3
  /** kbit/s; 0 for free format. */
  bitrate: number
  sampleRate: number
  padding: boolean
  protected: boolean
  /** 0 stereo, 1 joint stereo, 2 dual channel, 3 mono. */
  channelMode: number
  channels: 1 | 2
  samplesPerFrame: number
  /** Bytes, header included; 0 for free format. */
  frameLength: number
}

const BITRATES: Record<string, number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
const RATES: Record<string, number[]> = { '1': [44100, 48000, 32000], '2': [22050, 24000, 16000], '2.5': [11025, 12000, 8000] }

/** Parses a frame header at `o`, or returns null when the four bytes are not one. */
export function parseMpegHeader(b: Uint8Array, o: number): MpegHeader | null {
  if (o + 4 > b.length || b[o] !== 0xff || (b[o + 1]! & 0xe0) !== 0xe0) return null
  const v = (b[o + 1]! >> 3) & 3
  const l = (b[o + 1]! >> 1) & 3
  const br = b[o + 2]! >> 4
  const sr = (b[o + 2]! >> 2) & 3
  if (v === 1 || l === 0 || br === 15 || sr === 3) return null
  const version = v === 3 ? 1 : v === 2 ? 2 : 2.5
  const layer = (4 - l) as 1 | 2 | 3
  const bitrate = BITRATES[`${version === 1 ? 1 : 2}-${layer}`]![br]!
  const sampleRate = RATES[String(version)]![sr]!
  const padding = Boolean((b[o + 2]! >> 1) & 1)
  const channelMode = b[o + 3]! >> 6
  const samplesPerFrame = layer === 1 ? 384 : layer === 2 ? 1152 : version === 1 ? 1152 : 576
  let frameLength = 0
  if (bitrate) {
    frameLength = layer === 1 ? (Math.floor((12000 * bitrate) / sampleRate) + (padding ? 1 : 0)) * 4 : Math.floor(((samplesPerFrame / 8) * 1000 * bitrate) / sampleRate) + (padding ? 1 : 0)
  }
  return { version, layer, bitrate, sampleRate, padding, protected: (b[o + 1]! & 1) === 0, channelMode, channels: channelMode === 3 ? 1 : 2, samplesPerFrame, frameLength }
}

/** Where the MPEG audio sits: after leading ID3v2 tags, before trailing ID3v1/APE/Lyrics3/ID3v2 tags. */
export interface Mp3Layout {
  /** Leading ID3v2 tags: [offset, length]. */
  tags: { offset: number; length: number }[]
  /** First byte after the leading tags. */
  tagsEnd: number
  /** First frame header (may be an Info/Xing/VBRI frame). */
  firstFrame: number
  header: MpegHeader
  /** The Xing/Info/VBRI frame, when present. */
  info?: InfoFrame
  /** First frame of audio (after the info frame). */
  audioStart: number
  /** End of the audio region (start of trailing tags). */
  audioEnd: number
  trailing: string[]
}

export interface InfoFrame {
  kind: 'Xing' | 'Info' | 'VBRI'
  offset: number
  length: number
  /** Offset of the "Xing"/"Info" magic. */
  tagOffset: number
}

/** Side-information size for a header: where the Xing/Info magic sits after the 4-byte header. */
function xingOffset(h: MpegHeader): number {
  const side = h.version === 1 ? (h.channels === 1 ? 17 : 32) : h.channels === 1 ? 9 : 17
  return 4 + side
}

function sameStream(a: MpegHeader, b: MpegHeader): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate
}

/** Finds the first frame at or after `from` that is followed by another frame of the same stream (or the end). */
export function findFrame(b: Uint8Array, from: number, end: number, maxScan = 1 << 20): { offset: number; header: MpegHeader } | null {
  const stop = Math.min(end - 4, from + maxScan)
  for (let o = from; o <= stop; o++) {
    if (b[o] !== 0xff) continue
    const h = parseMpegHeader(b, o)
    if (!h || !h.frameLength) continue
    const next = o + h.frameLength
    if (next > end) continue
    // The last frame of a stream may be followed by a little junk that cannot hold another frame.
    if (end - next < h.frameLength) return { offset: o, header: h }
    const h2 = parseMpegHeader(b, next)
    if (h2 && sameStream(h, h2)) return { offset: o, header: h }
  }
  return null
}

const ascii = (b: Uint8Array, o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n))

/** Locates tags, the first frame, the info frame and the audio region. Throws when there is no MPEG audio. */
export function mp3Layout(b: Uint8Array, limits: Limits): Mp3Layout {
  const tags: Mp3Layout['tags'] = []
  let o = 0
  for (let len = id3Length(b, o); len; len = id3Length(b, o)) {
    if (tags.length >= limits.maxChunks) throw new TooLargeError(`More than ${limits.maxChunks} consecutive ID3v2 tags (limits.maxChunks)`, { details: { limit: 'maxChunks', value: limits.maxChunks } })
    if (o + len > b.length) throw new MalformedInputError(`The ID3v2 tag at offset ${o} declares ${len} bytes but only ${b.length - o} remain`)
    tags.push({ offset: o, length: len })
    o += len
  }
  const tagsEnd = o
  // Trailing tags, outermost first.
  let end = b.length
  const trailing: string[] = []
  for (let guard = 0; guard < 8; guard++) {
    if (end - 128 >= tagsEnd && ascii(b, end - 128, 3) === 'TAG') {
      end -= 128
      trailing.push('id3v1')
      continue
    }
    if (end - 32 >= tagsEnd && ascii(b, end - 32, 8) === 'APETAGEX') {
      const v = new DataView(b.buffer, b.byteOffset + end - 32, 32)
      const size = v.getUint32(12, true)
      const hasHeader = (v.getUint32(20, true) & 0x80000000) !== 0
      const total = size + (hasHeader ? 32 : 0)
      if (total >= 32 && end - total >= tagsEnd) {
        end -= total
        trailing.push('ape')
        continue
      }
    }
    if (end - 15 >= tagsEnd && ascii(b, end - 9, 9) === 'LYRICS200') {
      const size = Number(ascii(b, end - 15, 6))
      if (Number.isFinite(size) && end - 15 - size >= tagsEnd && ascii(b, end - 15 - size, 11) === 'LYRICSBEGIN') {
        end -= 15 + size
        trailing.push('lyrics3')
        continue
      }
    }
    if (end - 10 >= tagsEnd && ascii(b, end - 10, 3) === '3DI') {
      const size = syncsafe(b, end - 4) + 20
      if (end - size >= tagsEnd) {
        end -= size
        trailing.push('id3v2-appended')
        continue
      }
    }
    break
  }
  const first = findFrame(b, tagsEnd, end)
  if (!first) throw new MalformedInputError(`Expected MPEG audio frames after ${tagsEnd ? 'the ID3v2 tag' : 'the start of the file'} but found none`)
  const layout: Mp3Layout = { tags, tagsEnd, firstFrame: first.offset, header: first.header, audioStart: first.offset, audioEnd: end, trailing }
  const h = first.header
  const xo = first.offset + xingOffset(h)
  const magic = xo + 4 <= end ? ascii(b, xo, 4) : ''
  if (magic === 'Xing' || magic === 'Info') layout.info = { kind: magic, offset: first.offset, length: h.frameLength, tagOffset: xo }
  else if (first.offset + 40 <= end && ascii(b, first.offset + 36, 4) === 'VBRI') layout.info = { kind: 'VBRI', offset: first.offset, length: h.frameLength, tagOffset: first.offset + 36 }
  if (layout.info) layout.audioStart = Math.min(end, first.offset + h.frameLength)
  return layout
}

/** Offsets of every frame in [start, end): stops at the first byte that is not a frame header of the stream. */
export function scanFrames(b: Uint8Array, start: number, end: number, ref: MpegHeader, limits: Limits): { offsets: number[]; end: number } {
  const offsets: number[] = []
  let o = start
  while (o + 4 <= end) {
    const h = parseMpegHeader(b, o)
    if (!h || !h.frameLength || !sameStream(h, ref) || o + h.frameLength > end) break
    if (offsets.length >= limits.maxChunks * 100) throw new TooLargeError(`More than ${limits.maxChunks * 100} MPEG frames (100 per limits.maxChunks)`, { details: { limit: 'maxChunks', value: limits.maxChunks } })
    offsets.push(o)
    o += h.frameLength
  }
  return { offsets, end: o }
}

/** The parsed fields of a Xing/Info header and its LAME extension. */
export interface XingFields {
  flags: number
  frames?: number
  bytes?: number
  tocOffset?: number
  /** Offset of the LAME extension (36 bytes), when present. */
  lameOffset?: number
  delay?: number
  padding?: number
}

export function readXing(b: Uint8Array, info: InfoFrame): XingFields {
  const v = new DataView(b.buffer, b.byteOffset)
  let o = info.tagOffset + 4
  const flags = v.getUint32(o)
  o += 4
  const out: XingFields = { flags }
  const frameEnd = info.offset + info.length
  if (flags & 1 && o + 4 <= frameEnd) ((out.frames = v.getUint32(o)), (o += 4))
  if (flags & 2 && o + 4 <= frameEnd) ((out.bytes = v.getUint32(o)), (o += 4))
  if (flags & 4 && o + 100 <= frameEnd) ((out.tocOffset = o), (o += 100))
  if (flags & 8) o += 4
  if (o + 36 <= frameEnd && /^[A-Za-z]{4}/.test(ascii(b, o, 4))) {
    out.lameOffset = o
    const d = (b[o + 21]! << 16) | (b[o + 22]! << 8) | b[o + 23]!
    out.delay = d >> 12
    out.padding = d & 0xfff
  }
  return out
}

/**
 * Updates a Xing/Info frame (in `out`, at `info`'s offset) after frames were inserted: frame and
 * byte counts, the seek table, the LAME music CRC (when it matched before) and the LAME tag CRC.
 */
export function updateXing(out: Uint8Array, info: InfoFrame, x: XingFields, change: { frames: number; bytes: number; toc?: Uint8Array; musicCrc?: number }): void {
  const v = new DataView(out.buffer, out.byteOffset)
  let o = info.tagOffset + 8
  if (x.frames !== undefined) ((v.setUint32(o, x.frames + change.frames), (o += 4)))
  if (x.bytes !== undefined) ((v.setUint32(o, x.bytes + change.bytes), (o += 4)))
  if (x.tocOffset !== undefined && change.toc) out.set(change.toc, x.tocOffset)
  if (x.lameOffset !== undefined) {
    const l = x.lameOffset
    // Music length (bytes) grows with the inserted frames.
    v.setUint32(l + 28, v.getUint32(l + 28) + change.bytes)
    if (change.musicCrc !== undefined) v.setUint16(l + 32, change.musicCrc)
    v.setUint16(l + 34, crc16Arc(out, info.offset, l + 34))
  }
}

/** The LAME tag CRC check: CRC-16 of the info frame up to the CRC field. */
export function lameTagCrcOk(b: Uint8Array, info: InfoFrame, x: XingFields): boolean {
  if (x.lameOffset === undefined) return false
  return new DataView(b.buffer, b.byteOffset).getUint16(x.lameOffset + 34) === crc16Arc(b, info.offset, x.lameOffset + 34)
}

/** A 100-entry Xing seek table for frames at `offsets` within a stream of `totalBytes` starting at `base`. */
export function buildToc(offsets: readonly number[], base: number, totalBytes: number): Uint8Array {
  const toc = new Uint8Array(100)
  for (let i = 0; i < 100; i++) {
    const f = offsets[Math.min(offsets.length - 1, Math.floor((i / 100) * offsets.length))] ?? base
    toc[i] = Math.min(255, Math.floor(((f - base) / totalBytes) * 256))
  }
  return toc
}
