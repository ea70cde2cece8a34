import { crc16, MalformedInputError, TooLargeError, UnsupportedFormatError, utf8, type Limits } from '@tanba/core'
import { id3Length, readId3Tag } from '../mp3/id3.js'
import type { AudioCodec, AudioRead, CarrierPayload, DecodedExcerpt, EssenceResult, NoticeRequest, NoticeResult, WriteResult } from '../types.js'
import { emptyRead } from '../types.js'
import { checkInputSize, checkMetadataSize, joinBytes, NO_NOTICE_HINT, payloadText } from '../util.js'
import { buildVorbisComments, commentEntry, commentField, commentTags, parseVorbisComments, TANBA_COMMENTS } from '../vorbis-comment.js'
import { buildFrameHeader, decodeFrame, encodeFrame, frameEnd, parseFrameHeader, type EncodeSpec, type FrameHeader, type StreamParams } from './frame.js'
import { AUDIO_RULES } from '../rules.js'

/** v2: the whole STREAMINFO block (total samples, block and frame sizes, MD5 as well) and every audio frame. */
export const FLAC_BINDING = 'tanba.audio.flac/2'
/** The APPLICATION block id Tanba uses for an XMP packet in FLAC (not a registered id: FLAC has no XMP convention). */
export const FLAC_XMP_APP_ID = 'XMP '

export const BLOCK = { STREAMINFO: 0, PADDING: 1, APPLICATION: 2, SEEKTABLE: 3, VORBIS_COMMENT: 4, CUESHEET: 5, PICTURE: 6 } as const

export interface FlacBlock {
  type: number
  /** Offset of the 4-byte block header. */
  offset: number
  /** Payload length. */
  length: number
}

export interface StreamInfo extends StreamParams {
  minBlockSize: number
  maxBlockSize: number
  minFrameSize: number
  maxFrameSize: number
  totalSamples: number
  md5: string
}

export interface ParsedFlac {
  /** Offset of "fLaC" (after a non-standard leading ID3v2 tag, if any). */
  start: number
  blocks: FlacBlock[]
  info: StreamInfo
  framesStart: number
  /** End of the frames (before a trailing ID3v1 tag, if any). */
  framesEnd: number
}

export function parseFlac(b: Uint8Array, limits: Limits): ParsedFlac {
  checkInputSize(b, limits)
  const start = id3Length(b, 0)
  if (start > b.length) throw new MalformedInputError('The ID3v2 tag before the FLAC stream runs past the end of the file')
  if (b.length < start + 4 || String.fromCharCode(...b.subarray(start, start + 4)) !== 'fLaC') throw new MalformedInputError(`Expected "fLaC" at offset ${start} but found something else`)
  const blocks: FlacBlock[] = []
  let o = start + 4
  for (;;) {
    if (o + 4 > b.length) throw new MalformedInputError(`The FLAC metadata block header at offset ${o} is cut off`)
    if (blocks.length >= limits.maxChunks) throw new TooLargeError(`The FLAC file has more than ${limits.maxChunks} metadata blocks (limits.maxChunks)`)
    const last = (b[o]! & 0x80) !== 0
    const type = b[o]! & 0x7f
    const length = (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!
    if (type === 127) throw new MalformedInputError(`FLAC metadata block type 127 at offset ${o} is invalid`)
    if (o + 4 + length > b.length) throw new MalformedInputError(`FLAC metadata block ${type} at offset ${o} declares ${length} bytes but only ${b.length - o - 4} remain`)
    blocks.push({ type, offset: o, length })
    o += 4 + length
    if (last) break
  }
  const si = blocks[0]
  if (!si || si.type !== BLOCK.STREAMINFO || si.length < 34) throw new MalformedInputError('Expected a 34-byte STREAMINFO block first in the FLAC file')
  const p = si.offset + 4
  const v = new DataView(b.buffer, b.byteOffset + p, 34)
  const sampleRate = (v.getUint16(10) << 4) | (b[p + 12]! >> 4)
  const channels = ((b[p + 12]! >> 1) & 7) + 1
  const bitsPerSample = (((b[p + 12]! & 1) << 4) | (b[p + 13]! >> 4)) + 1
  const totalSamples = (b[p + 13]! & 15) * 2 ** 32 + v.getUint32(14)
  const info: StreamInfo = {
    minBlockSize: v.getUint16(0),
    maxBlockSize: v.getUint16(2),
    minFrameSize: (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]!,
    maxFrameSize: (b[p + 7]! << 16) | (b[p + 8]! << 8) | b[p + 9]!,
    sampleRate,
    channels,
    bitsPerSample,
    totalSamples,
    md5: Array.from(b.subarray(p + 18, p + 34), (x) => x.toString(16).padStart(2, '0')).join(''),
  }
  if (sampleRate === 0) throw new MalformedInputError('The FLAC STREAMINFO declares a sample rate of 0')
  let framesEnd = b.length
  if (framesEnd - 128 >= o && String.fromCharCode(...b.subarray(framesEnd - 128, framesEnd - 125)) === 'TAG') framesEnd -= 128
  return { start, blocks, info, framesStart: o, framesEnd }
}

const payload = (b: Uint8Array, blk: FlacBlock) => b.subarray(blk.offset + 4, blk.offset + 4 + blk.length)
const appId = (b: Uint8Array, blk: FlacBlock) => (blk.length >= 4 ? String.fromCharCode(...b.subarray(blk.offset + 4, blk.offset + 8)) : '')

function readFlac(b: Uint8Array, limits: Limits, f: ParsedFlac = parseFlac(b, limits)): AudioRead {
  const out = emptyRead()
  const fields: Record<string, unknown> = {
    container: 'FLAC',
    sampleRate: f.info.sampleRate,
    channels: f.info.channels,
    bitsPerSample: f.info.bitsPerSample,
    totalSamples: f.info.totalSamples,
    md5: f.info.md5,
    ...(f.info.totalSamples ? { durationSeconds: f.info.totalSamples / f.info.sampleRate } : {}),
  }
  let tags: Record<string, string> = {}
  let pictures = 0
  for (const blk of f.blocks) {
    if (blk.type === BLOCK.VORBIS_COMMENT) {
      checkMetadataSize(blk.length, 'The FLAC VORBIS_COMMENT block', limits)
      const vc = parseVorbisComments(payload(b, blk), limits.maxChunks)
      for (const e of vc.entries) {
        const { name, value } = commentField(e)
        if (name === 'AIGC') out.tc260.push({ carrier: 'vorbis:AIGC', text: value })
        else if (name === 'TANBA') out.tanba.push({ carrier: 'vorbis:TANBA', text: value })
      }
      tags = { ...commentTags(vc.entries), ...tags }
      fields.vendor = vc.vendor
    } else if (blk.type === BLOCK.APPLICATION) {
      const id = appId(b, blk)
      if (id === FLAC_XMP_APP_ID) {
        checkMetadataSize(blk.length, 'The FLAC XMP block', limits)
        out.xmp.push({ carrier: 'xmp:flac:APPLICATION', text: payloadText(payload(b, blk).subarray(4)) })
      } else if (/c2pa/i.test(id)) out.c2pa.push({ carrier: `flac:APPLICATION:${id}`, size: blk.length })
    } else if (blk.type === BLOCK.PICTURE) pictures++
    else if (blk.type === BLOCK.CUESHEET) fields.cuesheet = true
  }
  if (f.start) {
    try {
      const tag = readId3Tag(b, 0, limits)
      for (const t of tag.txxx) {
        if (t.description === 'AIGC') out.tc260.push({ carrier: 'id3:TXXX:AIGC', text: t.value })
        if (t.description === 'TANBA') out.tanba.push({ carrier: 'id3:TXXX:TANBA', text: t.value })
      }
      for (const c of tag.c2pa) out.c2pa.push({ carrier: 'id3:GEOB:c2pa', size: c.size })
    } catch (error) {
      out.messages.push(AUDIO_RULES.message('id3.unreadable', `The ID3 tag before the FLAC stream could not be read: ${(error as Error).message}`, { carrier: 'id3' }))
    }
  }
  if (pictures) tags.pictures = String(pictures)
  if (Object.keys(tags).length) fields.tags = tags
  out.fields = fields
  return out
}

/**
 * Essence: the STREAMINFO payload (decoders take the stream's parameters and length from it) and every
 * byte after the metadata blocks up to a final ID3v1 tag; the other metadata blocks are excluded.
 */
function flacEssence(b: Uint8Array, limits: Limits, f: ParsedFlac = parseFlac(b, limits)): EssenceResult {
  return { method: FLAC_BINDING, parts: [utf8(`${FLAC_BINDING}\n`), payload(b, f.blocks[0]!), b.subarray(f.framesStart, f.framesEnd)] }
}

function blockBytes(type: number, body: Uint8Array): Uint8Array {
  if (body.length > 0xffffff) throw new TooLargeError(`A FLAC metadata block holds at most 16 MiB; this one needs ${body.length} bytes`)
  const out = new Uint8Array(4 + body.length)
  out[0] = type
  out[1] = body.length >> 16
  out[2] = (body.length >> 8) & 0xff
  out[3] = body.length & 0xff
  out.set(body, 4)
  return out
}

/** Serialises metadata blocks (type, body) with the last-block flag on the final one. */
function metadataBytes(blocks: { type: number; body: Uint8Array }[]): Uint8Array {
  const parts = blocks.map((blk, i) => {
    const bytes = blockBytes(blk.type, blk.body)
    if (i === blocks.length - 1) bytes[0]! |= 0x80
    return bytes
  })
  return joinBytes([utf8('fLaC'), ...parts])
}

type EditableBlock = { type: number; body: Uint8Array }

function editComments(blocks: EditableBlock[], edit: (entries: Uint8Array[]) => Uint8Array[], limits: Limits): void {
  const vcIndex = blocks.findIndex((blk) => blk.type === BLOCK.VORBIS_COMMENT)
  if (vcIndex >= 0) {
    checkMetadataSize(blocks[vcIndex]!.body.length, 'The FLAC VORBIS_COMMENT block', limits)
    const vc = parseVorbisComments(blocks[vcIndex]!.body, limits.maxChunks)
    blocks[vcIndex] = { type: BLOCK.VORBIS_COMMENT, body: buildVorbisComments({ vendor: vc.vendor, entries: edit(vc.entries) }) }
  } else blocks.splice(1, 0, { type: BLOCK.VORBIS_COMMENT, body: buildVorbisComments({ vendor: 'Tanba', entries: edit([]) }) })
}

/** Rewrites the Vorbis comments of a FLAC file (metadata only; the frames are copied untouched). */
export function rewriteFlacComments(b: Uint8Array, edit: (entries: Uint8Array[]) => Uint8Array[], limits: Limits): Uint8Array {
  const f = parseFlac(b, limits)
  const blocks: EditableBlock[] = f.blocks.map((blk) => ({ type: blk.type, body: payload(b, blk) }))
  editComments(blocks, edit, limits)
  return joinBytes([b.subarray(0, f.start), metadataBytes(blocks), b.subarray(f.framesStart)])
}

function writeFlac(b: Uint8Array, carriers: CarrierPayload, limits: Limits, f: ParsedFlac = parseFlac(b, limits)): WriteResult {
  const blocks: EditableBlock[] = f.blocks.map((blk) => ({ type: blk.type, body: payload(b, blk) }))
  // Vorbis comments: drop old AIGC/TANBA entries, append new ones.
  editComments(blocks, (entries) => [...entries.filter((e) => !(TANBA_COMMENTS as readonly string[]).includes(commentField(e).name)), commentEntry('AIGC', carriers.tc260), commentEntry('TANBA', carriers.label)], limits)
  // XMP in an APPLICATION block, merged with the existing one.
  const xmpIndex = blocks.findIndex((blk) => blk.type === BLOCK.APPLICATION && blk.body.length >= 4 && String.fromCharCode(...blk.body.subarray(0, 4)) === FLAC_XMP_APP_ID)
  const existing = xmpIndex >= 0 ? payloadText(blocks[xmpIndex]!.body.subarray(4)) : undefined
  const xmpBlock = { type: BLOCK.APPLICATION, body: joinBytes([utf8(FLAC_XMP_APP_ID), utf8(carriers.xmp(existing))]) }
  if (xmpIndex >= 0) blocks[xmpIndex] = xmpBlock
  else {
    const pad = blocks.findIndex((blk) => blk.type === BLOCK.PADDING)
    blocks.splice(pad >= 0 ? pad : blocks.length, 0, xmpBlock)
  }
  return { parts: [b.subarray(0, f.start), metadataBytes(blocks), b.subarray(f.framesStart)], carriers: ['vorbis:AIGC', 'vorbis:TANBA', 'xmp:flac:APPLICATION'] }
}

// ---------------------------------------------------------------------------
// Frames and the audible notice

/** Offsets of every frame, found by header + CRC-16 (no decoding). */
export function scanFlacFrames(b: Uint8Array, f: ParsedFlac, limits: Limits): { offsets: number[]; headers: FrameHeader[] } {
  const offsets: number[] = []
  const headers: FrameHeader[] = []
  let o = f.framesStart
  let variable: boolean | undefined
  while (o < f.framesEnd) {
    const h = parseFrameHeader(b, o, f.info)
    if (!h) throw new MalformedInputError(`Expected a FLAC frame header at offset ${o}`)
    variable ??= h.variable
    if (h.variable !== variable) throw new MalformedInputError(`The FLAC frame at offset ${o} changes the blocking strategy mid-stream`)
    if (offsets.length >= limits.maxChunks * 100) throw new TooLargeError('Too many FLAC frames')
    offsets.push(o)
    headers.push(h)
    o = frameEnd(b, o, f.framesEnd, f.info, variable)
  }
  return { offsets, headers }
}

function toInt(v: number, bps: number): number {
  const max = 2 ** (bps - 1)
  return Math.max(-max, Math.min(max - 1, Math.round(v * max)))
}

async function addFlacNotice(b: Uint8Array, request: NoticeRequest, limits: Limits): Promise<NoticeResult> {
  const f = parseFlac(b, limits)
  const { info } = f
  if (info.bitsPerSample > 24) throw new UnsupportedFormatError(`The audible notice supports FLAC streams of up to 24 bits per sample; this one has ${info.bitsPerSample}. ${NO_NOTICE_HINT}`, { details: { bitsPerSample: info.bitsPerSample, option: 'notice.visible' } })
  const scan = scanFlacFrames(b, f, limits)
  if (!scan.offsets.length) throw new MalformedInputError('Expected FLAC audio frames after the metadata but found none')
  const ref = scan.headers[0]!
  const bs = ref.variable ? Math.max(ref.blockSize, 16) : info.minBlockSize || ref.blockSize
  const spec: EncodeSpec = { variable: ref.variable, rateCode: ref.rateCode, rateExtra: ref.rateExtra, sizeCode: ref.sizeCode, bitsPerSample: info.bitsPerSample }
  // Programme loudness from up to 16 frames spread over the stream.
  let sum = 0
  let count = 0
  const picks = Math.min(16, scan.offsets.length)
  for (let i = 0; i < picks; i++) {
    const k = Math.floor((i * (scan.offsets.length - 1)) / Math.max(1, picks - 1))
    const d = decodeFrame(b, scan.offsets[k]!, info)
    const scale = 2 ** (info.bitsPerSample - 1)
    for (const ch of d.channels) for (let j = 0; j < ch.length; j += 2) ((sum += (ch[j]! / scale) ** 2), count++)
  }
  const rms = count ? Math.sqrt(sum / count) : null
  const mono = request.render(info.sampleRate, rms)
  const atStart = request.placement !== 'end'
  const atEnd = request.placement !== 'start'
  const channelsOf = (samples: Float64Array[]) => samples
  const pieces: Uint8Array[] = []
  const newOffsets = new Map<number, number>()
  let outPos = 0
  let minFrame = info.minFrameSize
  let maxFrame = info.maxFrameSize
  const track = (frame: Uint8Array) => {
    minFrame = minFrame ? Math.min(minFrame, frame.length) : 0
    maxFrame = maxFrame ? Math.max(maxFrame, frame.length) : 0
    pieces.push(frame)
    outPos += frame.length
  }
  const encodeRun = (samples: Float64Array[], firstNumber: number, sampleBase: number) => {
    const n = samples[0]!.length
    let written = 0
    for (let s = 0; s < n; s += bs) {
      const part = channelsOf(samples.map((c) => c.subarray(s, Math.min(n, s + bs))))
      const number = ref.variable ? sampleBase + s : firstNumber + written
      track(encodeFrame(part, spec, number))
      written++
    }
    return written
  }
  const noticeInts = (length: number) => {
    const ch = new Float64Array(length)
    for (let i = 0; i < mono.length && i < length; i++) ch[i] = toInt(mono[i]!, info.bitsPerSample)
    return Array.from({ length: info.channels }, () => ch)
  }
  let startAdded = 0
  let framesAdded = 0
  if (atStart) {
    // Fixed-block streams: the notice fills whole blocks so every later frame number stays a block index.
    startAdded = Math.ceil(mono.length / bs) * bs
    framesAdded = encodeRun(noticeInts(startAdded), 0, 0)
  }
  let lastOriginal = scan.offsets.length
  let endTail: Float64Array[] | null = null
  if (atEnd && !ref.variable) {
    const lastHeader = scan.headers[scan.headers.length - 1]!
    if (lastHeader.blockSize !== bs && scan.offsets.length > 1) {
      // A short final frame must stay last: decode it and re-encode it followed by the notice.
      endTail = decodeFrame(b, scan.offsets[scan.offsets.length - 1]!, info).channels
      lastOriginal--
    }
  }
  for (let i = 0; i < lastOriginal; i++) {
    const o = scan.offsets[i]!
    const end = i + 1 < scan.offsets.length ? scan.offsets[i + 1]! : f.framesEnd
    const h = scan.headers[i]!
    newOffsets.set(o - f.framesStart, outPos)
    if (!startAdded) {
      pieces.push(b.subarray(o, end))
      outPos += end - o
      continue
    }
    const header = buildFrameHeader(h, h.variable ? h.number + startAdded : h.number + framesAdded)
    const frame = new Uint8Array(header.length + (end - o - h.length))
    frame.set(header)
    frame.set(b.subarray(o + h.length, end - 2), header.length)
    const crc = crc16Frame(frame)
    frame[frame.length - 2] = crc >> 8
    frame[frame.length - 1] = crc & 0xff
    pieces.push(frame)
    outPos += frame.length
  }
  let endAdded = 0
  if (atEnd) {
    const lastH = scan.headers[lastOriginal - 1]
    const nextNumber = ref.variable ? 0 : (lastH ? lastH.number + (startAdded ? framesAdded : 0) + 1 : framesAdded)
    let samplesSoFar = startAdded
    for (let i = 0; i < lastOriginal; i++) samplesSoFar += scan.headers[i]!.blockSize
    const body = noticeInts(mono.length)
    const run = endTail ? body.map((c, i) => concatF64(endTail![i]!, c)) : body
    endAdded = mono.length
    encodeRun(run, nextNumber, samplesSoFar)
  }
  const added = startAdded + endAdded
  // Metadata: STREAMINFO totals and frame sizes, MD5 cleared (the unencoded audio changed), seek points and cue tracks moved.
  const blocks = f.blocks.map((blk) => ({ type: blk.type, body: payload(b, blk).slice() }))
  const si = blocks[0]!.body
  if (info.totalSamples) {
    const total = info.totalSamples + added
    si[13] = (si[13]! & 0xf0) | Math.floor(total / 2 ** 32)
    new DataView(si.buffer).setUint32(14, total >>> 0)
  }
  si.set([minFrame >> 16, (minFrame >> 8) & 0xff, minFrame & 0xff], 4)
  si.set([maxFrame >> 16, (maxFrame >> 8) & 0xff, maxFrame & 0xff], 7)
  si.fill(0, 18, 34)
  for (const blk of blocks) {
    if (blk.type === BLOCK.SEEKTABLE) patchSeekTable(blk.body, startAdded, newOffsets)
    else if (blk.type === BLOCK.CUESHEET && added) patchCueSheet(blk.body, startAdded, added)
  }
  const out = joinBytes([b.subarray(0, f.start), metadataBytes(blocks), ...pieces, b.subarray(f.framesEnd)])
  return {
    bytes: out,
    added: { start: startAdded, end: endAdded },
    sampleRate: info.sampleRate,
    messages: [AUDIO_RULES.message('flac.md5-cleared', 'The STREAMINFO MD5 of the unencoded audio was set to zero ("not computed"), as the FLAC format allows, because the audible notice changed the audio')],
  }
}

function crc16Frame(frame: Uint8Array): number {
  // CRC-16 of everything but the two footer bytes.
  return crc16Of(frame, frame.length - 2)
}

function crc16Of(b: Uint8Array, end: number): number {
  return crc16(b, 0, end)
}

function concatF64(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Seek points: sample numbers move by the samples inserted at the start; byte offsets follow their frames. */
function patchSeekTable(body: Uint8Array, startAdded: number, offsets: Map<number, number>): void {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength)
  for (let o = 0; o + 18 <= body.length; o += 18) {
    const hi = v.getUint32(o)
    const lo = v.getUint32(o + 4)
    if (hi === 0xffffffff && lo === 0xffffffff) continue // placeholder
    const sample = hi * 2 ** 32 + lo + startAdded
    v.setUint32(o, Math.floor(sample / 2 ** 32))
    v.setUint32(o + 4, sample >>> 0)
    const off = v.getUint32(o + 8) * 2 ** 32 + v.getUint32(o + 12)
    const moved = offsets.get(off)
    if (moved !== undefined) {
      v.setUint32(o + 8, Math.floor(moved / 2 ** 32))
      v.setUint32(o + 12, moved >>> 0)
    }
  }
}

/** Cue sheet tracks move by the samples inserted at the start; the lead-out by everything inserted. */
function patchCueSheet(body: Uint8Array, startAdded: number, added: number): void {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength)
  if (body.length < 396) return
  const tracks = body[395]!
  let o = 396
  for (let t = 0; t < tracks && o + 36 <= body.length; t++) {
    const isLeadOut = t === tracks - 1
    const offset = v.getUint32(o) * 2 ** 32 + v.getUint32(o + 4) + (isLeadOut ? added : startAdded)
    v.setUint32(o, Math.floor(offset / 2 ** 32))
    v.setUint32(o + 4, offset >>> 0)
    const indices = body[o + 35]!
    o += 36 + indices * 12
  }
}

async function flacExcerpt(b: Uint8Array, where: 'start' | 'end', seconds: number, limits: Limits): Promise<DecodedExcerpt | null> {
  const f = parseFlac(b, limits)
  const want = Math.round(seconds * f.info.sampleRate)
  const scale = 2 ** (f.info.bitsPerSample - 1)
  const frames: Float64Array[][] = []
  let got = 0
  if (where === 'start') {
    let o = f.framesStart
    while (got < want && o < f.framesEnd) {
      const d = decodeFrame(b, o, f.info)
      frames.push(d.channels)
      got += d.header.blockSize
      o += d.length
    }
  } else {
    const scan = scanFlacFrames(b, f, limits)
    for (let i = scan.offsets.length - 1; i >= 0 && got < want; i--) {
      const d = decodeFrame(b, scan.offsets[i]!, f.info)
      frames.unshift(d.channels)
      got += d.header.blockSize
    }
  }
  if (!got) return null
  const mono = new Float32Array(got)
  let o = 0
  for (const chans of frames) {
    const n = chans[0]!.length
    for (let i = 0; i < n; i++) {
      let s = 0
      for (const c of chans) s += c[i]!
      mono[o + i] = s / chans.length / scale
    }
    o += n
  }
  return { samples: mono, sampleRate: f.info.sampleRate }
}

export const flacCodec: AudioCodec = {
  id: 'flac',
  bindingMethod: FLAC_BINDING,
  parse: parseFlac,
  read: readFlac,
  essence: flacEssence,
  write: writeFlac,
  addNotice: addFlacNotice,
  excerpt: flacExcerpt,
}

