import { MalformedInputError, oggCrc32, TooLargeError, UnsupportedFormatError, utf8, type Limits } from '@tanba/core'
import type { AudioCodec, AudioRead, CarrierPayload, EssenceResult, WriteResult } from '../types.js'
import { emptyRead } from '../types.js'
import { checkInputSize, checkMetadataSize, joinBytes } from '../util.js'
import { buildVorbisComments, commentEntry, commentField, commentTags, parseVorbisComments, TANBA_COMMENTS } from '../vorbis-comment.js'
import { AUDIO_RULES } from '../rules.js'

/** v2: adds the granule position of every audio page (decoders trim the start and end by them). */
export const OGG_BINDING = 'tanba.audio.ogg/2'

export interface OggPage {
  offset: number
  length: number
  headerType: number
  granule: bigint
  serial: number
  sequence: number
  /** Segment table (lacing values). */
  lacing: Uint8Array
  /** Offset of the page body. */
  body: number
}

/**
 * Reads every page, checking capture patterns and CRCs. Like ffmpeg, bytes that are not a valid page
 * (junk between pages, a page failing its CRC) are skipped up to the next "OggS" that starts one;
 * their count is in `skipped`. A page cut off by the end of the file is still an error.
 */
export function readPages(b: Uint8Array, limits: Limits, checkCrc = true): OggPage[] & { skipped?: number } {
  const pages: OggPage[] & { skipped?: number } = []
  let o = 0
  let skipped = 0
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  while (o < b.length) {
    if (pages.length >= limits.maxChunks * 10) throw new TooLargeError('The Ogg file has too many pages')
    const page = pageAt(b, v, o, checkCrc)
    if (typeof page === 'string') {
      // The first page must be where the file starts; elsewhere resynchronise as decoders do.
      const next = pages.length ? nextCapture(b, o + 1) : -1
      if (next < 0) {
        if (pages.length && page !== 'cut off') {
          skipped += b.length - o
          break
        }
        throw new MalformedInputError(page === 'cut off' ? `The Ogg page at offset ${o} is cut off by the end of the file` : page.replace('%', String(o)))
      }
      skipped += next - o
      o = next
      continue
    }
    pages.push(page)
    o += page.length
  }
  if (skipped) pages.skipped = skipped
  return pages
}

const hasCapture = (b: Uint8Array, o: number) => b[o] === 0x4f && b[o + 1] === 0x67 && b[o + 2] === 0x67 && b[o + 3] === 0x53

function nextCapture(b: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= b.length; i++) if (b[i] === 0x4f && hasCapture(b, i)) return i
  return -1
}

/** The page at `o`, or why there is none ("%" stands for the offset; "cut off" when it runs past the end). */
function pageAt(b: Uint8Array, v: DataView, o: number, checkCrc: boolean): OggPage | string {
  if (!hasCapture(b, o)) return 'Expected an Ogg page ("OggS") at offset %'
  if (o + 27 > b.length) return 'cut off'
  if (b[o + 4] !== 0) return `Ogg page version ${b[o + 4]} at offset % is unknown`
  const nsegs = b[o + 26]!
  if (o + 27 + nsegs > b.length) return 'cut off'
  const lacing = b.subarray(o + 27, o + 27 + nsegs)
  let bodyLength = 0
  for (const l of lacing) bodyLength += l
  const length = 27 + nsegs + bodyLength
  if (o + length > b.length) return 'cut off'
  if (checkCrc) {
    const stored = v.getUint32(o + 22, true)
    let crc = oggCrc32(b, o, o + 22)
    crc = oggCrc32(new Uint8Array(4), 0, 4, crc)
    crc = oggCrc32(b, o + 26, o + length, crc)
    if (crc !== stored) return 'The Ogg page at offset % fails its CRC check'
  }
  return { offset: o, length, headerType: b[o + 5]!, granule: v.getBigInt64(o + 6, true), serial: v.getUint32(o + 14, true), sequence: v.getUint32(o + 18, true), lacing, body: o + 27 + nsegs }
}

/** A packet as the pieces it spans, with its lacing values, and the page on which it ends. */
interface Packet {
  lacing: number[]
  pieces: Uint8Array[]
  length: number
  /** Index of the page where the packet ends, and whether it is that page's last packet. */
  endPage: number
  endsPage: boolean
}

function* packets(b: Uint8Array, pages: OggPage[], serial: number): Generator<Packet> {
  let current: Packet | null = null
  for (let p = 0; p < pages.length; p++) {
    const page = pages[p]!
    if (page.serial !== serial) continue
    let o = page.body
    let runStart = o
    for (let i = 0; i < page.lacing.length; i++) {
      const l = page.lacing[i]!
      current ??= { lacing: [], pieces: [], length: 0, endPage: p, endsPage: false }
      current.lacing.push(l)
      current.length += l
      o += l
      if (l < 255) {
        current.pieces.push(b.subarray(runStart, o))
        current.endPage = p
        current.endsPage = i === page.lacing.length - 1
        yield current
        current = null
        runStart = o
      }
    }
    if (current && o > runStart) current.pieces.push(b.subarray(runStart, o))
  }
}

type Codec = 'vorbis' | 'opus'

interface ParsedOgg {
  pages: OggPage[]
  serial: number
  codec: Codec
  /** Header packets (identification, comment, [setup]) and the page index after them. */
  headers: Packet[]
  audioPage: number
  /** Bytes between pages that are not a valid page (skipped, as decoders skip them). */
  skipped: number
}

function startsWith(p: Uint8Array, s: string, at = 0): boolean {
  if (p.length < at + s.length) return false
  for (let i = 0; i < s.length; i++) if (p[at + i] !== s.charCodeAt(i)) return false
  return true
}

const whole = (pk: Packet) => (pk.pieces.length === 1 ? pk.pieces[0]! : joinBytes(pk.pieces))

export function parseOgg(b: Uint8Array, limits: Limits, checkCrc = true): ParsedOgg {
  checkInputSize(b, limits)
  const pages = readPages(b, limits, checkCrc)
  const first = pages[0]
  if (!first || !(first.headerType & 2)) throw new MalformedInputError('Expected the Ogg stream to begin with a beginning-of-stream page')
  const serial = first.serial
  if (pages.some((p, i) => i > 0 && (p.headerType & 2 || p.serial !== serial))) throw new UnsupportedFormatError('Ogg files with more than one logical stream (multiplexed or chained, or pages of another stream) are not supported')
  const it = packets(b, pages, serial)
  const idPacket = it.next().value as Packet | undefined
  if (!idPacket) throw new MalformedInputError('The Ogg stream has no identification packet')
  const id = whole(idPacket)
  let codec: Codec
  if (startsWith(id, '\x01vorbis')) codec = 'vorbis'
  else if (startsWith(id, 'OpusHead')) codec = 'opus'
  else if (startsWith(id, '\x7fFLAC')) throw new UnsupportedFormatError('Ogg FLAC is not supported; supported Ogg codecs: Vorbis, Opus')
  else if (startsWith(id, 'Speex   ')) throw new UnsupportedFormatError('Ogg Speex is not supported; supported Ogg codecs: Vorbis, Opus')
  else throw new UnsupportedFormatError('This Ogg stream carries an unknown codec; supported Ogg codecs: Vorbis, Opus')
  const headers = [idPacket]
  const count = codec === 'vorbis' ? 3 : 2
  while (headers.length < count) {
    const next = it.next().value as Packet | undefined
    if (!next) throw new MalformedInputError(`The Ogg ${codec} stream ends before its ${count} header packets`)
    checkMetadataSize(next.length, 'The Ogg header packet', limits)
    headers.push(next)
  }
  const last = headers[headers.length - 1]!
  if (!last.endsPage) throw new MalformedInputError('Audio data shares a page with the last Ogg header packet, which the Ogg mapping does not allow')
  const comment = whole(headers[1]!)
  if (codec === 'vorbis' && !startsWith(comment, '\x03vorbis')) throw new MalformedInputError('Expected the Vorbis comment header as the second packet')
  if (codec === 'opus' && !startsWith(comment, 'OpusTags')) throw new MalformedInputError('Expected the OpusTags header as the second packet')
  return { pages, serial, codec, headers, audioPage: last.endPage + 1, skipped: pages.skipped ?? 0 }
}

function commentsOf(ogg: ParsedOgg, limits: Limits) {
  const packet = whole(ogg.headers[1]!)
  const skip = ogg.codec === 'vorbis' ? 7 : 8
  const parsed = parseVorbisComments(packet.subarray(skip), limits.maxChunks)
  return { packet, skip, parsed }
}

function readOgg(b: Uint8Array, limits: Limits, ogg: ParsedOgg = parseOgg(b, limits)): AudioRead {
  const out = emptyRead()
  const { parsed } = commentsOf(ogg, limits)
  if (ogg.skipped) out.messages.push(AUDIO_RULES.message('ogg.skipped-bytes', `${ogg.skipped} bytes between Ogg pages are not a valid page and were skipped, as decoders skip them`))
  for (const e of parsed.entries) {
    const { name, value } = commentField(e)
    if (name === 'AIGC') out.tc260.push({ carrier: 'ogg:comment:AIGC', text: value })
    else if (name === 'TANBA') out.tanba.push({ carrier: 'ogg:comment:TANBA', text: value })
  }
  const id = whole(ogg.headers[0]!)
  const v = new DataView(id.buffer, id.byteOffset, id.byteLength)
  const fields: Record<string, unknown> = { container: 'Ogg', codec: ogg.codec, vendor: parsed.vendor }
  if (ogg.codec === 'vorbis' && id.length >= 16) ((fields.channels = id[11]), (fields.sampleRate = v.getUint32(12, true)))
  if (ogg.codec === 'opus' && id.length >= 16) ((fields.channels = id[9]), (fields.sampleRate = v.getUint32(12, true)))
  const lastGranule = ogg.pages[ogg.pages.length - 1]!.granule
  if (ogg.codec === 'vorbis' && fields.sampleRate) fields.durationSeconds = Number(lastGranule) / Number(fields.sampleRate)
  if (ogg.codec === 'opus') fields.durationSeconds = (Number(lastGranule) - v.getUint16(10, true)) / 48000
  const tags = commentTags(parsed.entries)
  if (Object.keys(tags).length) fields.tags = tags
  out.fields = fields
  return out
}

/** Essence: the identification (and Vorbis setup) packets and every audio packet, each with its lacing values; the comment header and page layout are excluded. */
function oggEssence(b: Uint8Array, limits: Limits, ogg: ParsedOgg = parseOgg(b, limits)): EssenceResult {
  const parts: Uint8Array[] = [utf8(`${OGG_BINDING};${ogg.codec}\n`)]
  let index = 0
  for (const pk of packets(b, ogg.pages, ogg.serial)) {
    if (index++ !== 1) parts.push(Uint8Array.from(pk.lacing), ...pk.pieces)
  }
  const granules = new DataView(new ArrayBuffer(8 * (ogg.pages.length - ogg.audioPage)))
  for (let i = ogg.audioPage; i < ogg.pages.length; i++) granules.setBigInt64(8 * (i - ogg.audioPage), ogg.pages[i]!.granule, true)
  parts.push(utf8('granules\n'), new Uint8Array(granules.buffer))
  return { method: OGG_BINDING, parts }
}

/** Lays packets out on pages (at most 255 segments each); every packet here ends its last page. */
function paginate(packetsData: Uint8Array[], serial: number, firstSequence: number): Uint8Array[] {
  const pages: Uint8Array[] = []
  let seq = firstSequence
  let lacing: number[] = []
  let data: Uint8Array[] = []
  let continued = false
  const flush = (nextContinued: boolean) => {
    pages.push(buildPage({ headerType: continued ? 1 : 0, granule: 0n, serial, sequence: seq++, lacing: Uint8Array.from(lacing), body: joinBytes(data) }))
    continued = nextContinued
    lacing = []
    data = []
  }
  for (const p of packetsData) {
    let o = 0
    for (;;) {
      const n = Math.min(255, p.length - o)
      if (lacing.length === 255) flush(true)
      lacing.push(n)
      data.push(p.subarray(o, o + n))
      o += n
      if (n < 255) break
    }
    // Header packets end their page, so audio starts on a fresh page.
  }
  if (lacing.length) flush(false)
  return pages
}

export function buildPage(p: { headerType: number; granule: bigint; serial: number; sequence: number; lacing: Uint8Array; body: Uint8Array }): Uint8Array {
  const out = new Uint8Array(27 + p.lacing.length + p.body.length)
  const v = new DataView(out.buffer)
  out.set([0x4f, 0x67, 0x67, 0x53, 0, p.headerType])
  v.setBigInt64(6, p.granule, true)
  v.setUint32(14, p.serial, true)
  v.setUint32(18, p.sequence, true)
  out[26] = p.lacing.length
  out.set(p.lacing, 27)
  out.set(p.body, 27 + p.lacing.length)
  v.setUint32(22, oggCrc32(out), true)
  return out
}

function writeOgg(b: Uint8Array, payload: CarrierPayload, limits: Limits, ogg: ParsedOgg = parseOgg(b, limits)): WriteResult {
  const bytes = rewriteOggComments(
    b,
    (entries) => [...entries.filter((e) => !(TANBA_COMMENTS as readonly string[]).includes(commentField(e).name)), commentEntry('AIGC', payload.tc260), commentEntry('TANBA', payload.label)],
    limits,
    ogg,
  )
  return { parts: [bytes], carriers: ['ogg:comment:AIGC', 'ogg:comment:TANBA'] }
}

/**
 * Rewrites the comment header of an Ogg Vorbis/Opus stream: header packets are laid out on new
 * pages, later pages keep their bytes with sequence numbers moved and CRCs recomputed.
 */
export function rewriteOggComments(b: Uint8Array, edit: (entries: Uint8Array[]) => Uint8Array[], limits: Limits, ogg: ParsedOgg = parseOgg(b, limits)): Uint8Array {
  const { packet, skip, parsed } = commentsOf(ogg, limits)
  const list = buildVorbisComments({ vendor: parsed.vendor, entries: edit(parsed.entries) })
  // Vorbis ends the comment header with a framing bit; Opus may keep binary data after the list.
  const rest = packet.subarray(skip + parsed.end)
  const tail = ogg.codec === 'vorbis' ? new Uint8Array([1]) : rest
  const newComment = joinBytes([packet.subarray(0, skip), list, tail])
  const idPage = ogg.pages[0]!
  const headerPackets = [newComment, ...ogg.headers.slice(2).map(whole)]
  const headerPages = paginate(headerPackets, ogg.serial, idPage.sequence + 1)
  const oldHeaderPages = ogg.audioPage - 1
  const shift = headerPages.length - oldHeaderPages
  const pieces: Uint8Array[] = [b.subarray(idPage.offset, idPage.offset + idPage.length), ...headerPages]
  if (shift === 0) pieces.push(b.subarray(ogg.pages[ogg.audioPage]?.offset ?? b.length))
  else {
    // Later pages keep their bytes; only their sequence numbers move, so their CRCs are recomputed.
    for (let i = ogg.audioPage; i < ogg.pages.length; i++) {
      const page = ogg.pages[i]!
      const copy = b.slice(page.offset, page.offset + page.length)
      const v = new DataView(copy.buffer)
      v.setUint32(18, (page.sequence + shift) >>> 0, true)
      v.setUint32(22, 0, true)
      v.setUint32(22, oggCrc32(copy), true)
      pieces.push(copy)
    }
  }
  return joinBytes(pieces)
}

export const oggCodec: AudioCodec = {
  id: 'ogg',
  bindingMethod: OGG_BINDING,
  parse: parseOgg,
  read: readOgg,
  essence: oggEssence,
  write: writeOgg,
}
