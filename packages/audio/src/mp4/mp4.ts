import { fromUtf8, isoBox, MalformedInputError, readIsoBoxes, readMdtaKeys, TooLargeError, UnsupportedFormatError, utf8, type IsoBox, type Limits } from '@tanba/core'
import type { AudioCodec, AudioRead, CarrierPayload, EssenceResult, WriteResult } from '../types.js'
import { emptyRead } from '../types.js'
import { checkInputSize, checkMetadataSize, joinBytes, payloadText } from '../util.js'
import { child, children, parseTree, payloadOf, serialize, type BoxNode, type Edited } from './boxes.js'

/**
 * v2: adds what a player uses to time and trim the samples: movie and media timescales and
 * durations, track flags, edit lists, sample durations (stts) and composition offsets (ctts), and
 * iTunes gapless info (iTunSMPB).
 */
export const MP4_BINDING = 'tanba.audio.mp4/2'
/** Adobe's XMP box for MPEG-4 files: a top-level uuid box with this extended type. */
export const XMP_UUID = 'be7acfcb97a942e89c71999491e3afac'
/** The C2PA manifest store box (a top-level uuid box). */
export const C2PA_UUID = 'd8fec3d61b0e483c92975828877ec481'
/** The freeform iTunes item namespace Tanba writes AIGC and TANBA under. */
export const FREEFORM_MEAN = 'com.apple.iTunes'

interface ParsedMp4 {
  top: IsoBox[]
  moovBox: IsoBox
  moov: BoxNode
}

export function parseMp4(b: Uint8Array, limits: Limits): ParsedMp4 {
  checkInputSize(b, limits)
  const top = readIsoBoxes(b, 0, b.length, { maxChunks: limits.maxChunks })
  if (top[0]?.type !== 'ftyp') throw new MalformedInputError(`Expected an MP4 "ftyp" box first but found ${JSON.stringify(top[0]?.type ?? 'nothing')}`)
  const moovs = top.filter((x) => x.type === 'moov')
  if (moovs.length !== 1) throw new MalformedInputError(`Expected one "moov" box in the MP4 file but found ${moovs.length}`)
  const moovBox = moovs[0]!
  const moov = parseTree(b, moovBox, limits)
  return { top, moovBox, moov }
}

const str = (b: Uint8Array) => fromUtf8(b)

/** iTunes ilst items: name → text values (freeform items as "----:mean:name"). */
function ilstItems(b: Uint8Array, ilst: BoxNode | undefined, keys: string[] | null): { name: string; values: Uint8Array[]; node: BoxNode }[] {
  const out: { name: string; values: Uint8Array[]; node: BoxNode }[] = []
  for (const item of ilst?.children ?? []) {
    const parts = item.children ?? []
    let name = item.box.type
    if (keys) {
      const index = new DataView(b.buffer, b.byteOffset).getUint32(item.box.offset + 4)
      name = keys[index - 1] ?? name
    } else if (name === '----') {
      const mean = parts.find((p) => p.box.type === 'mean')
      const nm = parts.find((p) => p.box.type === 'name')
      name = `----:${mean ? str(payloadOf(b, mean).subarray(4)) : ''}:${nm ? str(payloadOf(b, nm).subarray(4)) : ''}`
    }
    const values = parts.filter((p) => p.box.type === 'data').map((d) => payloadOf(b, d).subarray(8))
    out.push({ name, values, node: item })
  }
  return out
}

function mdtaKeys(b: Uint8Array, meta: BoxNode): string[] | null {
  const hdlr = child(meta, 'hdlr')
  if (!hdlr || str(payloadOf(b, hdlr).subarray(8, 12)) !== 'mdta') return null
  const keys = child(meta, 'keys')
  return keys ? readMdtaKeys(payloadOf(b, keys)) : []
}

const ITEM_FIELDS: Record<string, string> = { '©nam': 'title', '©ART': 'artist', '©alb': 'album', '©day': 'date', '©gen': 'genre', '©too': 'encoder', '©cmt': 'comment' }

function readMp4(b: Uint8Array, limits: Limits, parsed: ParsedMp4 = parseMp4(b, limits)): AudioRead {
  const { top, moov } = parsed
  const out = emptyRead()
  const tags: Record<string, string | number> = {}
  const metas = [child(moov, 'meta'), child(child(moov, 'udta'), 'meta')].filter((m): m is BoxNode => Boolean(m))
  for (const meta of metas) {
    const keys = mdtaKeys(b, meta)
    for (const item of ilstItems(b, child(meta, 'ilst'), keys)) {
      const text = item.values[0] ? payloadText(item.values[0]) : ''
      const short = item.name.replace(/^----:[^:]*:/, '')
      if (short === 'AIGC' && (keys || item.name.startsWith('----'))) out.tc260.push({ carrier: keys ? 'mp4:keys:AIGC' : 'mp4:ilst:----:AIGC', text })
      else if (short === 'TANBA' && (keys || item.name.startsWith('----'))) out.tanba.push({ carrier: keys ? 'mp4:keys:TANBA' : 'mp4:ilst:----:TANBA', text })
      else if (item.name === 'covr') tags.pictures = item.values.length
      else if (ITEM_FIELDS[item.name]) tags[ITEM_FIELDS[item.name]!] = text
    }
  }
  const udta = child(moov, 'udta')
  const xmpBox = child(udta, 'XMP_')
  if (xmpBox) out.xmp.push({ carrier: 'xmp:mp4:udta:XMP_', text: payloadText(payloadOf(b, xmpBox)) })
  for (const box of top) {
    if (box.type !== 'uuid') continue
    if (box.uuid === XMP_UUID) {
      checkMetadataSize(box.end - box.dataOffset, 'The XMP box', limits)
      out.xmp.push({ carrier: 'xmp:mp4:uuid', text: payloadText(b.subarray(box.dataOffset, box.end)) })
    } else if (box.uuid === C2PA_UUID) out.c2pa.push({ carrier: 'mp4:uuid:c2pa', size: box.size })
  }
  const chpl = child(udta, 'chpl')
  if (chpl) tags.chapters = payloadOf(b, chpl)[8] ?? 0
  const fields: Record<string, unknown> = { container: 'MPEG-4', brand: str(b.subarray(8, 12)) }
  const mvhd = child(moov, 'mvhd')
  if (mvhd) {
    const p = payloadOf(b, mvhd)
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength)
    if (p[0] === 1 && p.length >= 32) fields.durationSeconds = Number(v.getBigUint64(24)) / v.getUint32(20)
    else if (p.length >= 20) fields.durationSeconds = v.getUint32(16) / v.getUint32(12)
  }
  const audio = audioTracks(b, moov)
  if (audio[0]) {
    const stsd = child(child(child(child(audio[0], 'mdia'), 'minf'), 'stbl'), 'stsd')
    if (stsd) {
      const p = payloadOf(b, stsd)
      if (p.length >= 8 + 36) {
        fields.codec = str(p.subarray(12, 16))
        const v = new DataView(p.buffer, p.byteOffset, p.byteLength)
        fields.channels = v.getUint16(8 + 24)
        fields.sampleRate = v.getUint32(8 + 32) >>> 16
      }
    }
  }
  fields.tracks = children(moov, 'trak').length
  if (Object.keys(tags).length) fields.tags = tags
  out.fields = fields
  return out
}

function handlerOf(b: Uint8Array, trak: BoxNode): string {
  const hdlr = child(child(trak, 'mdia'), 'hdlr')
  return hdlr ? str(payloadOf(b, hdlr).subarray(8, 12)) : ''
}

function audioTracks(b: Uint8Array, moov: BoxNode): BoxNode[] {
  return children(moov, 'trak').filter((t) => handlerOf(b, t) === 'soun')
}

/** Byte ranges of the samples of one track, chunk by chunk, in decoding order. */
function sampleRanges(b: Uint8Array, trak: BoxNode, limits: Limits): [number, number][] {
  const stbl = child(child(child(trak, 'mdia'), 'minf'), 'stbl')
  const stsz = child(stbl, 'stsz')
  const stsc = child(stbl, 'stsc')
  const stco = child(stbl, 'stco') ?? child(stbl, 'co64')
  if (child(stbl, 'stz2')) throw new UnsupportedFormatError('MP4 compact sample sizes (stz2) are not supported')
  if (!stsz || !stsc || !stco) throw new MalformedInputError('The MP4 audio track lacks its sample tables (stsz, stsc, stco/co64)')
  const view = (n: BoxNode) => {
    const p = payloadOf(b, n)
    return { p, v: new DataView(p.buffer, p.byteOffset, p.byteLength) }
  }
  const sz = view(stsz)
  if (sz.p.length < 12) throw new MalformedInputError('The MP4 stsz box is cut off')
  const fixed = sz.v.getUint32(4)
  const sampleCount = sz.v.getUint32(8)
  if (!fixed && 12 + sampleCount * 4 > sz.p.length) throw new MalformedInputError(`The MP4 stsz box declares ${sampleCount} samples but holds fewer`)
  const co = view(stco)
  const wide = stco.box.type === 'co64'
  const chunkCount = co.p.length >= 8 ? co.v.getUint32(4) : 0
  if (8 + chunkCount * (wide ? 8 : 4) > co.p.length) throw new MalformedInputError(`The MP4 ${stco.box.type} box declares ${chunkCount} chunks but holds fewer`)
  if (chunkCount > limits.maxChunks * 100 || sampleCount > limits.maxChunks * 1000) throw new TooLargeError('The MP4 track has too many chunks or samples')
  const sc = view(stsc)
  const entries = sc.p.length >= 8 ? sc.v.getUint32(4) : 0
  if (8 + entries * 12 > sc.p.length) throw new MalformedInputError(`The MP4 stsc box declares ${entries} entries but holds fewer`)
  const ranges: [number, number][] = []
  let sample = 0
  for (let e = 0; e < entries; e++) {
    const firstChunk = sc.v.getUint32(8 + e * 12)
    const perChunk = sc.v.getUint32(12 + e * 12)
    const nextFirst = e + 1 < entries ? sc.v.getUint32(8 + (e + 1) * 12) : chunkCount + 1
    if (firstChunk < 1 || nextFirst < firstChunk) throw new MalformedInputError('The MP4 stsc box is not in ascending chunk order')
    for (let c = firstChunk; c < nextFirst && c <= chunkCount; c++) {
      const offset = wide ? Number(co.v.getBigUint64(8 + (c - 1) * 8)) : co.v.getUint32(8 + (c - 1) * 4)
      let length = 0
      for (let s = 0; s < perChunk && sample < sampleCount; s++, sample++) length += fixed || sz.v.getUint32(12 + sample * 4)
      if (offset + length > b.length) throw new MalformedInputError(`MP4 chunk ${c} (offset ${offset}, ${length} bytes) lies past the end of the file`)
      ranges.push([offset, length])
    }
  }
  return ranges
}

/** Timescale and duration of an mvhd or mdhd payload (versions 0 and 1); creation and modification times are left out. */
function timing(p: Uint8Array): Uint8Array {
  return p[0] === 1 ? p.subarray(20, Math.min(p.length, 32)) : p.subarray(12, Math.min(p.length, 20))
}

/** Essence: the movie timing, then per audio track its flags, timing, edit list, sample tables and samples in order; iTunSMPB last. */
function mp4Essence(b: Uint8Array, limits: Limits, parsed: ParsedMp4 = parseMp4(b, limits)): EssenceResult {
  const { moov } = parsed
  const tracks = audioTracks(b, moov)
  if (!tracks.length) throw new MalformedInputError('The MP4 file has no audio track')
  const parts: Uint8Array[] = [utf8(`${MP4_BINDING}\n`)]
  const labelled = (name: string, bytes: Uint8Array | undefined) => {
    if (bytes) parts.push(utf8(`${name} ${bytes.length}\n`), bytes)
  }
  const mvhd = child(moov, 'mvhd')
  labelled('mvhd', mvhd && timing(payloadOf(b, mvhd)))
  tracks.forEach((trak, i) => {
    const mdia = child(trak, 'mdia')
    const stbl = child(child(mdia, 'minf'), 'stbl')
    parts.push(utf8(`track ${i}\n`))
    const tkhd = child(trak, 'tkhd')
    labelled('tkhd.flags', tkhd && payloadOf(b, tkhd).subarray(0, 4))
    const mdhd = child(mdia, 'mdhd')
    labelled('mdhd', mdhd && timing(payloadOf(b, mdhd)))
    for (const [name, node] of [['elst', child(child(trak, 'edts'), 'elst')], ['stsd', child(stbl, 'stsd')], ['stts', child(stbl, 'stts')], ['ctts', child(stbl, 'ctts')]] as const) {
      labelled(name, node && payloadOf(b, node))
    }
    for (const [offset, length] of sampleRanges(b, trak, limits)) if (length) parts.push(b.subarray(offset, offset + length))
  })
  const metas = [child(moov, 'meta'), child(child(moov, 'udta'), 'meta')].filter((m): m is BoxNode => Boolean(m))
  for (const meta of metas) {
    for (const item of ilstItems(b, child(meta, 'ilst'), mdtaKeys(b, meta))) if (item.name.endsWith(':iTunSMPB')) labelled('iTunSMPB', item.values[0])
  }
  return { method: MP4_BINDING, parts }
}

function fullBoxHeader(): Uint8Array {
  return new Uint8Array(4)
}

function freeformItem(name: string, value: string): Uint8Array {
  const data = joinBytes([new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0]), utf8(value)])
  return isoBox('----', isoBox('mean', fullBoxHeader(), utf8(FREEFORM_MEAN)), isoBox('name', fullBoxHeader(), utf8(name)), isoBox('data', data))
}

function mdirHandler(): Uint8Array {
  // version/flags, pre_defined, handler "mdir", reserved ("appl" by convention), empty name.
  return isoBox('hdlr', new Uint8Array(8), utf8('mdir'), utf8('appl'), new Uint8Array(9))
}

function writeMp4(b: Uint8Array, payload: CarrierPayload, limits: Limits, parsed: ParsedMp4 = parseMp4(b, limits)): WriteResult {
  const { top, moov } = parsed
  if (top.some((x) => x.type === 'moof')) throw new UnsupportedFormatError('Fragmented MP4 (moof boxes) is not supported')
  const items = [freeformItem('AIGC', payload.tc260), freeformItem('TANBA', payload.label)]
  const isOurs = (node: BoxNode) => {
    if (node.box.type !== '----') return false
    const nm = node.children?.find((c) => c.box.type === 'name')
    const name = nm ? str(payloadOf(b, nm).subarray(4)) : ''
    return name === 'AIGC' || name === 'TANBA'
  }
  // moov/udta/meta/ilst, created where missing.
  const udta = child(moov, 'udta')
  const meta = child(udta, 'meta')
  const ilst = child(meta, 'ilst')
  const newIlst: Edited = { type: 'ilst', prefix: new Uint8Array(0), children: [...(ilst?.children ?? []).filter((c) => !isOurs(c)), ...items.map((raw) => ({ raw }))] }
  let newMeta: Edited
  if (meta) {
    const kids: (BoxNode | Edited)[] = (meta.children ?? []).map((c) => (c === ilst ? newIlst : c))
    if (!ilst) kids.push(newIlst)
    newMeta = { type: 'meta', prefix: meta.prefix, children: kids }
  } else newMeta = { type: 'meta', prefix: new Uint8Array(4), children: [{ raw: mdirHandler() }, newIlst] }
  let newUdta: Edited
  if (udta) {
    const kids: (BoxNode | Edited)[] = (udta.children ?? []).map((c) => (c === meta ? newMeta : c))
    if (!meta) kids.push(newMeta)
    newUdta = { type: 'udta', prefix: udta.prefix, children: kids }
  } else newUdta = { type: 'udta', prefix: new Uint8Array(0), children: [newMeta] }
  const moovKids: (BoxNode | Edited)[] = (moov.children ?? []).map((c) => (c === udta ? newUdta : c))
  if (!udta) moovKids.push(newUdta)
  // Top level: moov rebuilt, the XMP uuid box merged in place or appended at the end, everything else copied.
  const existingXmp = top.find((x) => x.type === 'uuid' && x.uuid === XMP_UUID)
  const xmpText = payload.xmp(existingXmp ? payloadText(b.subarray(existingXmp.dataOffset, existingXmp.end)) : undefined)
  const xmpBox = isoBox('uuid', hexBytes(XMP_UUID), utf8(xmpText))
  const pieces: { src: IsoBox | null; bytes: Uint8Array }[] = []
  for (const box of top) {
    if (box === parsed.moovBox) pieces.push({ src: null, bytes: serialize(b, { type: 'moov', prefix: moov.prefix, children: moovKids }) })
    else if (box === existingXmp) pieces.push({ src: null, bytes: xmpBox })
    else if (box.type === 'uuid' && box.uuid === XMP_UUID) continue
    else pieces.push({ src: box, bytes: b.subarray(box.offset, box.end) })
  }
  if (!existingXmp) pieces.push({ src: null, bytes: xmpBox })
  // Chunk offsets follow the boxes they point into.
  const moves: { from: number; to: number; delta: number }[] = []
  let pos = 0
  let moovAt = 0
  for (const p of pieces) {
    if (p.src) moves.push({ from: p.src.offset, to: p.src.end, delta: pos - p.src.offset })
    else if (p.bytes[4] === 0x6d && p.bytes[5] === 0x6f && p.bytes[6] === 0x6f && p.bytes[7] === 0x76) moovAt = pos
    pos += p.bytes.length
  }
  const out = joinBytes(pieces.map((p) => p.bytes))
  patchChunkOffsets(out, moovAt, moves, limits)
  return { parts: [out], carriers: ['mp4:ilst:----:AIGC', 'mp4:ilst:----:TANBA', 'xmp:mp4:uuid'] }
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))
}

/** Rewrites every stco/co64 entry of the (new) moov at `moovAt` in `out` by the move of the box it points into. */
function patchChunkOffsets(out: Uint8Array, moovAt: number, moves: { from: number; to: number; delta: number }[], limits: Limits): void {
  const moovBox = readIsoBoxes(out, moovAt, out.length).at(0)
  if (!moovBox) return
  const moov = parseTree(out, moovBox, limits)
  const v = new DataView(out.buffer, out.byteOffset)
  const shift = (x: number) => {
    const m = moves.find((r) => x >= r.from && x < r.to)
    return m ? x + m.delta : x
  }
  for (const trak of children(moov, 'trak')) {
    const stbl = child(child(child(trak, 'mdia'), 'minf'), 'stbl')
    const stco = child(stbl, 'stco')
    const co64 = child(stbl, 'co64')
    if (stco) {
      const n = v.getUint32(stco.box.dataOffset + 4)
      for (let i = 0; i < n && stco.box.dataOffset + 12 + i * 4 <= stco.box.end; i++) {
        const o = stco.box.dataOffset + 8 + i * 4
        const next = shift(v.getUint32(o))
        if (next > 0xffffffff) throw new TooLargeError('A chunk offset no longer fits the 32-bit stco box')
        v.setUint32(o, next)
      }
    }
    if (co64) {
      const n = v.getUint32(co64.box.dataOffset + 4)
      for (let i = 0; i < n && co64.box.dataOffset + 16 + i * 8 <= co64.box.end; i++) {
        const o = co64.box.dataOffset + 8 + i * 8
        v.setBigUint64(o, BigInt(shift(Number(v.getBigUint64(o)))))
      }
    }
  }
}

export const m4aCodec: AudioCodec = {
  id: 'm4a',
  bindingMethod: MP4_BINDING,
  parse: parseMp4,
  read: readMp4,
  essence: mp4Essence,
  write: writeMp4,
}
