import { crc16Arc, MalformedInputError, UnsupportedFormatError, utf8, type Limits, type ReportMessage } from '@tanba/core'
import type { AudioCodec, AudioRead, CarrierPayload, DecodedExcerpt, EssenceResult, NoticeRequest, NoticeResult, WriteResult } from '../types.js'
import { emptyRead } from '../types.js'
import { checkInputSize, joinBytes, NO_NOTICE_HINT } from '../util.js'
import { rmsOf } from '../wav/pcm.js'
import { buildToc, lameTagCrcOk, mp3Layout, parseMpegHeader, readXing, scanFrames, updateXing, type Mp3Layout, type MpegHeader } from './frames.js'
import { buildTag, isTanbaFrame, privFrame, readId3Tag, txxxFrame, type Id3Tag } from './id3.js'
import { AUDIO_RULES } from '../rules.js'

export const MP3_BINDING = 'tanba.audio.mp3/2'
/** Samples between encoder input and decoder output with LAME/lamejs: 576 encoder delay + 529 decoder delay. */
export const LAME_TOTAL_DELAY = 1105

interface ParsedMp3 {
  layout: Mp3Layout
  tags: Id3Tag[]
}

function parse(bytes: Uint8Array, limits: Limits): ParsedMp3 {
  checkInputSize(bytes, limits)
  const layout = mp3Layout(bytes, limits)
  const tags = layout.tags.map((t) => readId3Tag(bytes, t.offset, limits))
  return { layout, tags }
}

function readMp3(bytes: Uint8Array, limits: Limits, parsed: ParsedMp3 = parse(bytes, limits)): AudioRead {
  const { layout, tags } = parsed
  const out = emptyRead()
  const tagFields: Record<string, unknown> = {}
  for (const tag of tags) {
    for (const t of tag.txxx) {
      if (t.description === 'AIGC') out.tc260.push({ carrier: 'id3:TXXX:AIGC', text: t.value })
      else if (t.description === 'TANBA') out.tanba.push({ carrier: 'id3:TXXX:TANBA', text: t.value })
    }
    if (tag.xmp !== undefined) out.xmp.push({ carrier: 'xmp:id3:PRIV', text: tag.xmp })
    for (const c of tag.c2pa) out.c2pa.push({ carrier: 'id3:GEOB:c2pa', size: c.size })
    for (const p of tag.problems) out.messages.push(AUDIO_RULES.message('id3.frame-unreadable', `ID3v2.${tag.version} tag: ${p}`, { carrier: 'id3' }))
    for (const [k, v] of Object.entries(tag.fields)) if (tagFields[k] === undefined) tagFields[k] = v
  }
  const h = layout.header
  const fields: Record<string, unknown> = {
    container: 'MPEG audio',
    mpeg: `MPEG-${h.version} Layer ${'I'.repeat(h.layer)}`,
    sampleRate: h.sampleRate,
    channels: h.channels,
    bitrate: h.bitrate,
  }
  if (tags.length) fields.id3 = tags.map((t) => `ID3v2.${t.version}`).join(', ')
  if (layout.trailing.length) fields.trailingTags = layout.trailing
  if (layout.info) {
    fields.infoFrame = layout.info.kind
    if (layout.info.kind !== 'VBRI') {
      const x = readXing(bytes, layout.info)
      if (x.frames !== undefined) fields.durationSeconds = (x.frames * h.samplesPerFrame - (x.delay ?? 0) - (x.padding ?? 0)) / h.sampleRate
      if (x.delay !== undefined) fields.encoderDelay = x.delay
      if (x.padding !== undefined) fields.encoderPadding = x.padding
    }
  }
  if (fields.durationSeconds === undefined && h.bitrate) fields.durationSeconds = (layout.audioEnd - layout.audioStart) / (h.bitrate * 125)
  if (Object.keys(tagFields).length) fields.tags = tagFields
  out.fields = fields
  return out
}

/**
 * Essence (v2): every byte after the leading ID3v2 tags up to a final ID3v1 tag. That holds the
 * Xing/Info/LAME frame (encoder delay and padding trim what is heard), any bytes before the first
 * frame, and the APE, Lyrics3 and appended ID3v2 tags: ffmpeg does not skip those, it decodes any
 * frames hidden in them. Only the leading ID3v2 tags and ID3v1 (both skipped by every decoder) are out.
 */
function mp3Essence(bytes: Uint8Array, limits: Limits, parsed?: ParsedMp3): EssenceResult {
  if (!parsed) checkInputSize(bytes, limits)
  const layout = parsed?.layout ?? mp3Layout(bytes, limits)
  const end = layout.trailing[0] === 'id3v1' ? bytes.length - 128 : bytes.length
  return { method: MP3_BINDING, parts: [utf8(`${MP3_BINDING}\n`), bytes.subarray(layout.tagsEnd, end)] }
}

function writeMp3(bytes: Uint8Array, payload: CarrierPayload, limits: Limits, parsed: ParsedMp3 = parse(bytes, limits)): WriteResult {
  const { layout, tags } = parsed
  const version = tags[0]?.version ?? 3
  const existingXmp = tags.find((t) => t.xmp !== undefined)?.xmp
  const carriers = ['id3:TXXX:AIGC', 'id3:TXXX:TANBA']
  const pieces: Uint8Array[] = []
  tags.forEach((tag, i) => {
    const keep = tag.frames.filter((f) => !isTanbaFrame(tag, f) && !(f.body === null && tag.problems.some((p) => p.startsWith(`frame ${f.id} declares`))))
    const extra: Uint8Array[] = []
    if (i === 0) {
      extra.push(txxxFrame(version, 'AIGC', payload.tc260))
      if (version >= 3) {
        extra.push(privFrame(version, 'XMP', utf8(payload.xmp(existingXmp))))
        carriers.push('xmp:id3:PRIV')
      }
      extra.push(txxxFrame(version, 'TANBA', payload.label))
    }
    const changed = i === 0 || keep.length !== tag.frames.length
    pieces.push(changed ? buildTag(tag.version, [...keep.map((f) => f.raw), ...extra], i === 0 ? 256 : 0) : bytes.subarray(tag.offset, tag.offset + tag.length))
  })
  if (!tags.length) {
    pieces.push(buildTag(3, [txxxFrame(3, 'AIGC', payload.tc260), privFrame(3, 'XMP', utf8(payload.xmp(undefined))), txxxFrame(3, 'TANBA', payload.label)], 256))
    carriers.push('xmp:id3:PRIV')
  }
  pieces.push(bytes.subarray(layout.tagsEnd))
  return { parts: pieces, carriers }
}

// ---------------------------------------------------------------------------
// Audible notice: encoded with lamejs as Layer III frames of the stream's own sample rate,
// channel count and bitrate, inserted between whole frames.

type Lame = typeof import('@breezystack/lamejs')
let lamePromise: Promise<Lame> | undefined
async function loadLame(): Promise<Lame> {
  lamePromise ??= import('@breezystack/lamejs')
  return lamePromise
}

type Mpg123 = typeof import('mpg123-decoder')
let mpgPromise: Promise<Mpg123> | undefined
async function loadMpg123(): Promise<Mpg123> {
  mpgPromise ??= import('mpg123-decoder')
  return mpgPromise
}

/** Decodes MPEG frames to mono float with the mpg123 WebAssembly decoder. */
async function decodeFrames(frames: Uint8Array[], gapless = false): Promise<{ channels: Float32Array[]; sampleRate: number; errors: number }> {
  const { MPEGDecoder } = await loadMpg123()
  const decoder = new MPEGDecoder({ enableGapless: gapless })
  await decoder.ready
  try {
    const r = decoder.decodeFrames(frames)
    return { channels: r.channelData, sampleRate: r.sampleRate, errors: r.errors.length }
  } finally {
    decoder.free()
  }
}

/** Programme loudness from ~24 short runs of frames spread over the file (decoded, not the whole file). */
async function estimateMp3Rms(bytes: Uint8Array, offsets: number[], ref: MpegHeader): Promise<number | null> {
  if (offsets.length < 4) return null
  const runs = Math.min(24, Math.floor(offsets.length / 12) || 1)
  let sum = 0
  let count = 0
  for (let r = 0; r < runs; r++) {
    const first = Math.floor((r * (offsets.length - 12)) / Math.max(1, runs - 1))
    const frames: Uint8Array[] = []
    for (let i = Math.max(0, first); i < Math.min(offsets.length, first + 12); i++) frames.push(bytes.subarray(offsets[i]!, offsets[i]! + parseMpegHeader(bytes, offsets[i]!)!.frameLength))
    const { channels } = await decodeFrames(frames)
    // Skip the first frames: they may reference bit-reservoir data from frames not decoded here.
    const skip = ref.samplesPerFrame * 3
    const tail = channels.map((c) => c.subarray(Math.min(skip, c.length)))
    const rms = rmsOf(tail, 4)
    if (rms !== null) {
      const n = tail.reduce((a, c) => a + Math.ceil(c.length / 4), 0)
      sum += rms * rms * n
      count += n
    }
  }
  return count ? Math.sqrt(sum / count) : null
}

/** Layer III bit rates (kbit/s) a stream of this MPEG version may use, ascending. */
function layer3Bitrates(version: MpegHeader['version']): number[] {
  return version === 1 ? [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] : [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
}

/** Output sample rate lamejs picks for (channels, rate, bit rate): it resamples low bit rates down and cannot be told not to. */
const lameRates = new Map<string, number | null>()
async function lameOutputRate(channels: 1 | 2, sampleRate: number, bitrate: number): Promise<number | null> {
  const key = `${channels}/${sampleRate}/${bitrate}`
  if (lameRates.has(key)) return lameRates.get(key)!
  const { Mp3Encoder } = await loadLame()
  let rate: number | null = null
  try {
    const encoder = new Mp3Encoder(channels, sampleRate, bitrate)
    const pcm = new Int16Array(1152 * 4)
    const out = joinBytes([new Uint8Array(channels === 2 ? encoder.encodeBuffer(pcm, pcm) : encoder.encodeBuffer(pcm)), new Uint8Array(encoder.flush())])
    rate = parseMpegHeader(out, 0)?.sampleRate ?? null
  } catch {
    rate = null
  }
  lameRates.set(key, rate)
  return rate
}

/**
 * The bit rate for the notice frames: the stream's own (its mean for VBR) when lamejs keeps the
 * stream's sample rate there, else the nearest higher rate that keeps it (lamejs picks its output
 * rate from the bit rate; MPEG audio allows the bit rate to change from frame to frame, the sample
 * rate not). Null when no bit rate keeps it.
 */
async function noticeBitrate(ref: MpegHeader, meanKbps: number): Promise<number | null> {
  const table = layer3Bitrates(ref.version)
  const start = table.findIndex((b) => b >= meanKbps)
  const from = start < 0 ? table.length - 1 : start
  const order = [...table.slice(from), ...table.slice(0, from).reverse()]
  for (const kbps of order) if ((await lameOutputRate(ref.channels, ref.sampleRate, kbps)) === ref.sampleRate) return kbps
  return null
}

/** Encodes `mono` (padded) with lamejs at `kbps` and returns exactly `frameCount` whole frames. */
async function encodeNoticeFrames(mono: Float32Array, ref: MpegHeader, kbps: number, frameCount: number): Promise<Uint8Array[]> {
  const { Mp3Encoder } = await loadLame()
  const spf = ref.samplesPerFrame
  const total = (frameCount + 3) * spf
  const pcm = new Int16Array(total)
  for (let i = 0; i < mono.length && i < total; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(mono[i]! * 32767)))
  let encoder: InstanceType<Lame['Mp3Encoder']>
  try {
    encoder = new Mp3Encoder(ref.channels, ref.sampleRate, kbps)
  } catch (cause) {
    throw new UnsupportedFormatError(`lamejs cannot encode ${ref.channels} channel(s) at ${ref.sampleRate} Hz and ${kbps} kbit/s`, { cause })
  }
  const chunks: Uint8Array[] = []
  const block = 1152 * 8
  for (let i = 0; i < total; i += block) {
    const part = pcm.subarray(i, Math.min(total, i + block))
    const out = ref.channels === 2 ? encoder.encodeBuffer(part, part) : encoder.encodeBuffer(part)
    if (out.length) chunks.push(new Uint8Array(out))
  }
  chunks.push(new Uint8Array(encoder.flush()))
  const stream = joinBytes(chunks)
  const frames: Uint8Array[] = []
  let o = 0
  while (frames.length < frameCount) {
    const h = parseMpegHeader(stream, o)
    if (!h || !h.frameLength || o + h.frameLength > stream.length) throw new MalformedInputError(`lamejs produced ${frames.length} whole frames where ${frameCount} were needed`)
    if (h.sampleRate !== ref.sampleRate || h.version !== ref.version || h.layer !== 3) {
      throw new UnsupportedFormatError(`lamejs encoded MPEG-${h.version} at ${h.sampleRate} Hz, which does not match the stream (MPEG-${ref.version} at ${ref.sampleRate} Hz)`)
    }
    frames.push(stream.subarray(o, o + h.frameLength))
    o += h.frameLength
  }
  return frames
}

/** Mean bit rate (kbit/s) of the frames at `offsets`, as a VBR stream's notice should match it. */
function meanBitrate(bytes: Uint8Array, offsets: number[]): number {
  let sum = 0
  for (const o of offsets) sum += parseMpegHeader(bytes, o)!.bitrate
  return offsets.length ? sum / offsets.length : 0
}

async function addMp3Notice(bytes: Uint8Array, request: NoticeRequest, limits: Limits): Promise<NoticeResult> {
  const { layout } = parse(bytes, limits)
  const scan = scanFrames(bytes, layout.audioStart, layout.audioEnd, layout.header, limits)
  if (!scan.offsets.length) throw new MalformedInputError('Expected MPEG audio frames after the info frame but found none')
  const ref = parseMpegHeader(bytes, scan.offsets[0]!)!
  if (ref.layer !== 3) throw new UnsupportedFormatError(`The audible notice can be added to MPEG Layer III (MP3) only; this stream is MPEG-${ref.version} Layer ${'I'.repeat(ref.layer)}. ${NO_NOTICE_HINT}`, { details: { layer: ref.layer, option: 'notice.visible' } })
  if (!ref.bitrate) throw new UnsupportedFormatError(`The audible notice cannot be added to free-format MP3 streams (no bit rate in the frame headers). ${NO_NOTICE_HINT}`, { details: { option: 'notice.visible' } })
  const messages: ReportMessage[] = []
  const xing = layout.info && layout.info.kind !== 'VBRI' ? readXing(bytes, layout.info) : undefined
  const endPadding = xing?.padding ?? 0
  const rms = await estimateMp3Rms(bytes, scan.offsets, ref)
  const natural = request.render(ref.sampleRate, rms)
  const spf = ref.samplesPerFrame
  const atStart = request.placement !== 'end'
  const atEnd = request.placement !== 'start'
  // The decoded notice starts LAME_TOTAL_DELAY samples late; at the end, gapless players also cut `endPadding` samples.
  const frameCount = Math.ceil((natural.length + LAME_TOTAL_DELAY + (atEnd ? endPadding : 0)) / spf)
  const kbps = await noticeBitrate(ref, meanBitrate(bytes, scan.offsets))
  if (kbps === null) throw new UnsupportedFormatError(`lamejs cannot encode ${ref.channels} channel(s) at ${ref.sampleRate} Hz at any Layer III bit rate. ${NO_NOTICE_HINT}`, { details: { sampleRate: ref.sampleRate, channels: ref.channels, option: 'notice.visible' } })
  const frames = await encodeNoticeFrames(natural, ref, kbps, frameCount)
  const notice = joinBytes(frames)
  const insertAt = scan.end
  const out = joinBytes([
    bytes.subarray(0, layout.audioStart),
    atStart ? notice : new Uint8Array(0),
    bytes.subarray(layout.audioStart, insertAt),
    atEnd ? notice : new Uint8Array(0),
    bytes.subarray(insertAt),
  ])
  const addedFrames = frameCount * (Number(atStart) + Number(atEnd))
  const addedBytes = notice.length * (Number(atStart) + Number(atEnd))
  if (layout.info && xing) {
    const newEnd = insertAt + addedBytes
    const newScan = scanFrames(out, layout.audioStart, newEnd, ref, limits)
    const toc = xing.tocOffset !== undefined ? buildToc([layout.info.offset, ...newScan.offsets], layout.info.offset, newEnd - layout.info.offset) : undefined
    let musicCrc: number | undefined
    if (xing.lameOffset !== undefined && lameTagCrcOk(bytes, layout.info, xing)) {
      const before = new DataView(bytes.buffer, bytes.byteOffset).getUint16(xing.lameOffset + 32)
      if (before === crc16Arc(bytes, layout.audioStart, scan.end)) musicCrc = crc16Arc(out, layout.audioStart, newEnd)
    }
    updateXing(out, layout.info, xing, { frames: addedFrames, bytes: addedBytes, ...(toc ? { toc } : {}), ...(musicCrc !== undefined ? { musicCrc } : {}) })
  } else if (layout.info?.kind === 'VBRI') {
    messages.push(AUDIO_RULES.message('notice.vbri-not-updated', 'The VBRI header was not updated; players that trust it may show the old duration'))
  }
  const added = frameCount * spf
  return { bytes: out, added: { start: atStart ? added : 0, end: atEnd ? added : 0 }, sampleRate: ref.sampleRate, messages }
}

async function mp3Excerpt(bytes: Uint8Array, where: 'start' | 'end', seconds: number, limits: Limits): Promise<DecodedExcerpt | null> {
  const layout = mp3Layout(bytes, limits)
  const scan = scanFrames(bytes, layout.audioStart, layout.audioEnd, layout.header, limits)
  const ref = layout.header
  const want = Math.ceil((seconds * ref.sampleRate) / ref.samplesPerFrame)
  const frameAt = (o: number) => bytes.subarray(o, o + parseMpegHeader(bytes, o)!.frameLength)
  let list: number[]
  if (where === 'start') list = [...(layout.info ? [layout.info.offset] : []), ...scan.offsets.slice(0, want)]
  else list = scan.offsets.slice(Math.max(0, scan.offsets.length - want - 4))
  if (!list.length) return null
  const { channels, sampleRate } = await decodeFrames(list.map(frameAt), where === 'start')
  if (!channels.length || !channels[0]!.length) return null
  const n = channels[0]!.length
  const mono = new Float32Array(n)
  for (const c of channels) for (let i = 0; i < n; i++) mono[i]! += c[i]! / channels.length
  return { samples: mono, sampleRate: sampleRate || ref.sampleRate }
}

export const mp3Codec: AudioCodec = {
  id: 'mp3',
  bindingMethod: MP3_BINDING,
  parse,
  read: readMp3,
  essence: mp3Essence,
  write: writeMp3,
  addNotice: addMp3Notice,
  excerpt: mp3Excerpt,
}
