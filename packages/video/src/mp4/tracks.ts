import { MalformedInputError, TooLargeError, type Limits } from '@tanba/core'
import { child, children, need, path, payload, unsupported, view, type Box } from './boxes.js'

/** Most samples one track may declare: ten hours at 240 frames per second. Bounds the work a forged table can ask for. */
export const MAX_SAMPLES_PER_TRACK = 10 * 3600 * 240

/** The sample tables of one track, as views into the moov bytes: nothing is expanded per sample. */
export interface SampleTables {
  count: number
  /** stsz: a fixed size for every sample, or 0 with one entry per sample in `sizes`. */
  fixedSize: number
  sizes: DataView | null
  chunkCount: number
  chunkOffset: (chunk: number) => number
  /** stsc entries: first chunk (1-based), samples per chunk. */
  stsc: DataView
  stscCount: number
  /** stts entries: count, delta. */
  stts: DataView
  sttsCount: number
  /** ctts entries: count, offset (signed in version 1), or null. */
  ctts: DataView | null
  cttsCount: number
  cttsSigned: boolean
  /** stss: sample numbers (1-based) of sync samples, or null when every sample is a sync sample. */
  stss: DataView | null
  stssCount: number
}

export interface Track {
  /** Position among the file's trak boxes. */
  index: number
  id: number
  /** Handler type: "vide", "soun", "text", "tmcd", "meta", ... */
  handler: string
  timescale: number
  /** The first sample entry's four-character code: "avc1", "hvc1", "av01", "mp4a", "Opus", ... */
  codec: string
  width?: number
  height?: number
  channels?: number
  sampleRate?: number
  /** Display rotation from the track header matrix, in degrees clockwise (0, 90, 180, 270). */
  rotation: number
  /** The decoder configuration the binding covers: the configuration record(s) of every sample entry. */
  config: Uint8Array[]
  /** Sample entries in stsd; the chunks (stsc) or fragments (tfhd, trex) say which one each sample uses. */
  entries: number
  tables: SampleTables
}

/** Decoder configuration boxes inside a sample entry that change how the samples decode. */
export const CONFIG_BOXES: ReadonlySet<string> = new Set(['avcC', 'hvcC', 'av1C', 'vpcC', 'dOps', 'dac3', 'dec3', 'dac4', 'dfLa', 'alac', 'mhaC', 'vvcC', 'lhvC', 'dvcC', 'dvvC', 'jpgC', 'glbl'])

export const fourcc = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!)

/**
 * Where a sample entry's child boxes start: after the visual fields (86 bytes) or the sound fields
 * (36, or 52 and 72 for QuickTime sound descriptions v1 and v2); -1 for other handlers and for an
 * entry too short to hold its fields.
 */
export function entryBoxesAt(entry: Uint8Array, handler: string): number {
  if (handler === 'vide') return entry.length >= 86 ? 86 : -1
  if (handler !== 'soun' || entry.length < 36) return -1
  const version = view(entry).getUint16(16)
  return version === 1 ? 52 : version === 2 ? 72 : 36
}

export function readTracks(moov: Uint8Array, tree: Box, limits: Limits): Track[] {
  return children(tree, 'trak').map((trak, index) => readTrack(moov, trak, index, limits))
}

function readTrack(b: Uint8Array, trak: Box, index: number, limits: Limits): Track {
  const mdia = child(trak, 'mdia')
  const tkhd = child(trak, 'tkhd')
  const mdhd = child(mdia, 'mdhd')
  const hdlr = child(mdia, 'hdlr')
  const stbl = path(mdia, 'minf', 'stbl')
  if (!tkhd || !mdhd || !hdlr || !stbl) throw new MalformedInputError(`MP4 track ${index + 1} lacks one of tkhd, mdhd, hdlr or minf/stbl`, { details: { track: index + 1 } })
  const th = payload(b, tkhd)
  need(th, 4, 'tkhd')
  const thv = view(th)
  const v1 = th[0] === 1
  need(th, v1 ? 92 : 80, 'tkhd')
  const id = thv.getUint32(v1 ? 20 : 12)
  const matrixAt = v1 ? 52 : 40
  const rotation = rotationOf(thv.getInt32(matrixAt), thv.getInt32(matrixAt + 4))
  const md = payload(b, mdhd)
  need(md, 4, 'mdhd')
  need(md, md[0] === 1 ? 24 : 16, 'mdhd')
  const timescale = view(md).getUint32(md[0] === 1 ? 20 : 12)
  if (!timescale) throw new MalformedInputError(`MP4 track ${index + 1} has a time scale of 0`, { details: { track: index + 1 } })
  const hp = payload(b, hdlr)
  need(hp, 12, 'hdlr')
  const handler = fourcc(hp, 8)
  const entry = sampleEntry(b, child(stbl, 'stsd'), handler, index)
  return { index, id, handler, timescale, rotation, ...entry, tables: sampleTables(b, stbl, index, limits) }
}

function rotationOf(a: number, b: number): number {
  // The matrix's first row (a, b) in 16.16 fixed point: (1,0) 0°, (0,1) 90°, (-1,0) 180°, (0,-1) 270°.
  if (a === 0 && b > 0) return 90
  if (a < 0 && b === 0) return 180
  if (a === 0 && b < 0) return 270
  return 0
}

/** The first sample entry of stsd: codec, picture or sound facts, and the configuration boxes. */
function sampleEntry(b: Uint8Array, stsd: Box | undefined, handler: string, index: number): Pick<Track, 'codec' | 'config' | 'entries' | 'width' | 'height' | 'channels' | 'sampleRate'> {
  if (!stsd) throw new MalformedInputError(`MP4 track ${index + 1} has no sample description (stsd)`, { details: { track: index + 1 } })
  const p = payload(b, stsd)
  need(p, 16, 'stsd')
  const v = view(p)
  if (v.getUint32(4) === 0) throw new MalformedInputError(`MP4 track ${index + 1} has an empty sample description`)
  const size = v.getUint32(8)
  if (size < 16 || 8 + size > p.length) throw new MalformedInputError(`MP4 track ${index + 1}: the sample entry declares ${size} bytes but the stsd box holds ${p.length - 8}`)
  const e = p.subarray(8, 8 + size)
  const ev = view(e)
  const codec = fourcc(e, 4)
  const out: Pick<Track, 'codec' | 'config' | 'width' | 'height' | 'channels' | 'sampleRate'> = { codec, config: [] }
  const boxesAt = entryBoxesAt(e, handler)
  if (handler === 'vide' && boxesAt > 0) {
    out.width = ev.getUint16(32)
    out.height = ev.getUint16(34)
  } else if (handler === 'soun' && boxesAt > 0) {
    out.channels = ev.getUint16(24)
    out.sampleRate = ev.getUint32(32) >>> 16
    if (boxesAt === 72 && e.length >= 48) out.sampleRate = Math.round(ev.getFloat64(40))
  }
  if (boxesAt > 0 && boxesAt <= e.length) out.config = configBoxes(e, boxesAt, 0)
  // Subtitle, caption and other sample entries (tx3g's text box, font and colours, wvtt's config...):
  // the whole entry after its size decides how the samples show.
  else if (handler !== 'vide' && handler !== 'soun') out.config = [otherEntry(e)]
  // Further entries: a chunk may point at any of them, so each one's code and configuration is bound.
  const count = v.getUint32(4)
  let o = 8 + size
  let entries = 1
  for (; entries < count && o + 8 <= p.length; entries++) {
    const next = v.getUint32(o)
    if (next < 16 || o + next > p.length) throw new MalformedInputError(`MP4 track ${index + 1}: sample entry ${entries + 1} declares ${next} bytes but the stsd box holds ${p.length - o}`)
    const entry = p.subarray(o, o + next)
    const at = entryBoxesAt(entry, handler)
    if (handler !== 'vide' && handler !== 'soun') out.config.push(otherEntry(entry))
    else out.config.push(entry.subarray(4, 8), ...(at > 0 && at <= entry.length ? configBoxes(entry, at, 0) : []))
    o += next
  }
  if (entries < count) throw new MalformedInputError(`MP4 track ${index + 1}: the stsd box declares ${count} sample entries but holds ${entries}`)
  return { ...out, entries }
}

/** Where the child boxes start in the text sample entries whose layout is known (3GPP timed text, ISO text and metadata). */
const ENTRY_BOXES_AT: Record<string, number> = { tx3g: 46, wvtt: 16, stpp: -1, sbtt: -1, stxt: -1, mett: -1, metx: -1 }

/**
 * A subtitle, caption or other non-audio-visual sample entry as bound: the whole entry after its
 * size, less the bit-rate boxes a muxer adds (ffmpeg appends another btrt on every remux of tx3g).
 */
function otherEntry(e: Uint8Array): Uint8Array {
  const at = ENTRY_BOXES_AT[fourcc(e, 4)]
  if (at === undefined || at < 0 || at > e.length) return e.subarray(4)
  const v = view(e)
  const kept: Uint8Array[] = [e.subarray(4, at)]
  let o = at
  while (o + 8 <= e.length) {
    const size = v.getUint32(o)
    if (size < 8 || o + size > e.length) return e.subarray(4)
    if (fourcc(e, o + 4) !== 'btrt') kept.push(e.subarray(o, o + size))
    o += size
  }
  if (o !== e.length) return e.subarray(4)
  const out = new Uint8Array(kept.reduce((n, k) => n + k.length, 0))
  let w = 0
  for (const k of kept) {
    out.set(k, w)
    w += k.length
  }
  return out
}

/** The decoder configuration inside a sample entry (one level of QuickTime `wave` allowed), in order. */
function configBoxes(e: Uint8Array, start: number, depth: number): Uint8Array[] {
  const out: Uint8Array[] = []
  const v = view(e)
  let o = start
  while (o + 8 <= e.length) {
    const size = v.getUint32(o)
    if (size < 8 || o + size > e.length) break // a trailing pad or an odd writer: the configuration found so far stands
    const type = fourcc(e, o + 4)
    const body = e.subarray(o + 8, o + size)
    if (CONFIG_BOXES.has(type)) out.push(e.subarray(o + 4, o + size))
    else if (type === 'esds') {
      const dsi = esdsDecoderConfig(body)
      if (dsi) out.push(dsi)
    } else if (type === 'wave' && depth === 0) out.push(...configBoxes(e.subarray(o + 8, o + size), 0, 1))
    o += size
  }
  return out
}

/**
 * The object type and DecoderSpecificInfo of an esds box (ISO/IEC 14496-1 descriptors). Only these
 * decide how AAC decodes; the bit rate and buffer fields around them are rewritten by muxers.
 */
function esdsDecoderConfig(p: Uint8Array): Uint8Array | null {
  let o = 4 // FullBox version and flags
  const descriptor = (at: number): { tag: number; start: number; end: number } | null => {
    if (at >= p.length) return null
    const tag = p[at]!
    let len = 0
    let i = at + 1
    for (let k = 0; k < 4 && i < p.length; k++, i++) {
      len = (len << 7) | (p[i]! & 0x7f)
      if (!(p[i]! & 0x80)) {
        i++
        break
      }
    }
    if (i + len > p.length) return null
    return { tag, start: i, end: i + len }
  }
  const es = descriptor(o)
  if (!es || es.tag !== 3) return null
  o = es.start + 3
  const flags = p[es.start + 2] ?? 0
  if (flags & 0x80) o += 2
  if (flags & 0x40) o += 1 + (p[o] ?? 0)
  if (flags & 0x20) o += 2
  const dc = descriptor(o)
  if (!dc || dc.tag !== 4 || dc.end - dc.start < 13) return null
  const objectType = p.subarray(dc.start, dc.start + 1)
  const dsi = descriptor(dc.start + 13)
  const info = dsi && dsi.tag === 5 ? p.subarray(dsi.start, dsi.end) : new Uint8Array(0)
  const out = new Uint8Array(5 + info.length)
  out.set([0x65, 0x73, 0x64, 0x73], 0) // "esds"
  out.set(objectType, 4)
  out.set(info, 5)
  return out
}

function sampleTables(b: Uint8Array, stbl: Box, index: number, limits: Limits): SampleTables {
  const track = `MP4 track ${index + 1}`
  if (child(stbl, 'stz2')) unsupported(`${track} uses compact sample sizes (stz2), which Tanba does not read yet`, { box: 'stz2' })
  const stsz = child(stbl, 'stsz')
  const stsc = child(stbl, 'stsc')
  const stco = child(stbl, 'stco') ?? child(stbl, 'co64')
  const stts = child(stbl, 'stts')
  if (!stsz || !stsc || !stco || !stts) throw new MalformedInputError(`${track} lacks its sample tables (stsz, stsc, stco or co64, stts)`, { details: { track: index + 1 } })
  const sz = payload(b, stsz)
  need(sz, 12, 'stsz')
  const szv = view(sz)
  const fixedSize = szv.getUint32(4)
  const count = szv.getUint32(8)
  if (count > MAX_SAMPLES_PER_TRACK) {
    throw new TooLargeError(`${track} declares ${count} samples; at most ${MAX_SAMPLES_PER_TRACK} are read`, { details: { track: index + 1, samples: count, limit: MAX_SAMPLES_PER_TRACK } })
  }
  if (!fixedSize && 12 + count * 4 > sz.length) throw new MalformedInputError(`${track}: the stsz box declares ${count} samples but holds sizes for ${Math.floor((sz.length - 12) / 4)}`)
  const co = payload(b, stco)
  need(co, 8, stco.type)
  const wide = stco.type === 'co64'
  const chunkCount = view(co).getUint32(4)
  if (8 + chunkCount * (wide ? 8 : 4) > co.length) throw new MalformedInputError(`${track}: the ${stco.type} box declares ${chunkCount} chunks but holds fewer`)
  const cov = view(co)
  const chunkOffset = wide ? (c: number) => Number(cov.getBigUint64(8 + (c - 1) * 8)) : (c: number) => cov.getUint32(8 + (c - 1) * 4)
  const sc = payload(b, stsc)
  need(sc, 8, 'stsc')
  const stscCount = view(sc).getUint32(4)
  if (8 + stscCount * 12 > sc.length) throw new MalformedInputError(`${track}: the stsc box declares ${stscCount} entries but holds fewer`)
  const tt = payload(b, stts)
  need(tt, 8, 'stts')
  const sttsCount = view(tt).getUint32(4)
  if (8 + sttsCount * 8 > tt.length) throw new MalformedInputError(`${track}: the stts box declares ${sttsCount} entries but holds fewer`)
  const cttsBox = child(stbl, 'ctts')
  let ctts: DataView | null = null
  let cttsCount = 0
  let cttsSigned = false
  if (cttsBox) {
    const ct = payload(b, cttsBox)
    need(ct, 8, 'ctts')
    cttsCount = view(ct).getUint32(4)
    if (8 + cttsCount * 8 > ct.length) throw new MalformedInputError(`${track}: the ctts box declares ${cttsCount} entries but holds fewer`)
    ctts = view(ct)
    cttsSigned = ct[0] === 1
  }
  const stssBox = child(stbl, 'stss')
  let stss: DataView | null = null
  let stssCount = 0
  if (stssBox) {
    const ss = payload(b, stssBox)
    need(ss, 8, 'stss')
    stssCount = view(ss).getUint32(4)
    if (8 + stssCount * 4 > ss.length) throw new MalformedInputError(`${track}: the stss box declares ${stssCount} entries but holds fewer`)
    stss = view(ss)
  }
  const tables: SampleTables = { count, fixedSize, sizes: fixedSize ? null : szv, chunkCount, chunkOffset, stsc: view(sc), stscCount, stts: view(tt), sttsCount, ctts, cttsCount, cttsSigned, stss, stssCount }
  checkCounts(tables, track, limits)
  return tables
}

/** The run-length tables must describe exactly the samples stsz lists: a forged count fails here, before any sample is read. */
function checkCounts(t: SampleTables, track: string, limits: Limits): void {
  let timed = 0
  for (let i = 0; i < t.sttsCount; i++) timed += t.stts.getUint32(8 + i * 8)
  if (timed !== t.count) throw new MalformedInputError(`${track}: the stts box times ${timed} samples but stsz lists ${t.count}`, { details: { stts: timed, stsz: t.count } })
  if (t.ctts) {
    let shifted = 0
    for (let i = 0; i < t.cttsCount; i++) shifted += t.ctts.getUint32(8 + i * 8)
    if (shifted < t.count) throw new MalformedInputError(`${track}: the ctts box covers ${shifted} samples but stsz lists ${t.count}`)
  }
  let placed = 0
  let previous = 0
  for (let e = 0; e < t.stscCount; e++) {
    const first = t.stsc.getUint32(8 + e * 12)
    const per = t.stsc.getUint32(12 + e * 12)
    const next = e + 1 < t.stscCount ? t.stsc.getUint32(8 + (e + 1) * 12) : t.chunkCount + 1
    if (first <= previous || first < 1 || next < first) throw new MalformedInputError(`${track}: the stsc box is not in ascending chunk order (entry ${e + 1})`)
    previous = first
    placed += per * (Math.min(next, t.chunkCount + 1) - first)
    if (placed >= t.count) break
  }
  if (placed < t.count) throw new MalformedInputError(`${track}: the chunks (stsc, ${t.chunkCount} chunks) hold ${placed} samples but stsz lists ${t.count}`)
  if (t.chunkCount > limits.maxChunks * 100) throw new TooLargeError(`${track} declares ${t.chunkCount} chunks (more than 100 × limits.maxChunks)`)
}

/** One chunk: where it is, which samples it holds. */
export interface Chunk {
  offset: number
  firstSample: number
  samples: number
  bytes: number
  /** The sample entry (1-based) its samples use. */
  description: number
}

/** The chunks of a track in order, checking that each lies inside the file. */
export function* chunks(t: SampleTables, fileSize: number, track: number, entries = 1): Generator<Chunk> {
  let sample = 0
  for (let e = 0; e < t.stscCount && sample < t.count; e++) {
    const first = t.stsc.getUint32(8 + e * 12)
    const per = t.stsc.getUint32(12 + e * 12)
    const description = t.stsc.getUint32(16 + e * 12)
    if (description < 1 || description > entries) throw new MalformedInputError(`MP4 track ${track + 1}: stsc entry ${e + 1} uses sample description ${description} but stsd holds ${entries}`, { details: { track: track + 1 } })
    const next = e + 1 < t.stscCount ? t.stsc.getUint32(8 + (e + 1) * 12) : t.chunkCount + 1
    for (let c = first; c < next && c <= t.chunkCount && sample < t.count; c++) {
      const offset = t.chunkOffset(c)
      const n = Math.min(per, t.count - sample)
      let bytes = 0
      if (t.fixedSize) bytes = t.fixedSize * n
      else for (let s = 0; s < n; s++) bytes += t.sizes!.getUint32(12 + (sample + s) * 4)
      if (offset + bytes > fileSize) {
        throw new MalformedInputError(`MP4 track ${track + 1}: chunk ${c} (offset ${offset}, ${bytes} bytes) lies past the end of the file (${fileSize} bytes): the file is truncated or its sample tables are wrong`, {
          details: { track: track + 1, chunk: c, offset, bytes, size: fileSize },
        })
      }
      yield { offset, firstSample: sample, samples: n, bytes, description }
      sample += n
    }
  }
}

export function sampleSize(t: SampleTables, sample: number): number {
  return t.fixedSize || t.sizes!.getUint32(12 + sample * 4)
}
