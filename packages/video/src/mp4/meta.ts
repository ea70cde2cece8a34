import { fromUtf8, readMdtaKeys, TooLargeError, type Limits } from '@tanba/core'
import { child, children, payload, view, type Box } from './boxes.js'
import type { Mp4Asset } from './parse.js'

/** Adobe's XMP box for MPEG-4 files: a top-level uuid box with this extended type. */
export const XMP_UUID = 'be7acfcb97a942e89c71999491e3afac'
/** The C2PA manifest store box (a top-level uuid box). */
export const C2PA_UUID = 'd8fec3d61b0e483c92975828877ec481'
/** The mdta key names Tanba writes (TC260's, and the label beside it). */
export const AIGC_KEY = 'AIGC'
export const LABEL_KEY = 'TANBA'

/** One metadata value and where it was found. */
export interface Mp4Tag {
  /** mdta key, iTunes item name ("©too", "----:com.apple.iTunes:AIGC") or QuickTime user data type. */
  name: string
  value: string
  /** Carrier path: "mp4:udta:meta:mdta", "mp4:meta:mdta", "mp4:udta:meta:ilst", "mp4:udta". */
  where: string
}

export interface Mp4Metadata {
  tags: Mp4Tag[]
  xmp: { carrier: string; text: string }[]
  c2pa: { carrier: string; size: number }[]
}

const fourcc = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!)

export function readMetadata(asset: Mp4Asset, limits: Limits): Mp4Metadata {
  const b = asset.moov
  const tags: Mp4Tag[] = []
  const udta = child(asset.tree, 'udta')
  const metas: [Box, string][] = [...children(udta, 'meta').map((m): [Box, string] => [m, 'mp4:udta:meta']), ...children(asset.tree, 'meta').map((m): [Box, string] => [m, 'mp4:meta'])]
  for (const [meta, where] of metas) tags.push(...metaTags(b, meta, where))
  for (const box of udta?.children ?? []) {
    // QuickTime user data text: "©too" and friends hold (size, language, text) records.
    if (box.type.charCodeAt(0) === 0xa9) {
      const p = payload(b, box)
      if (p.length >= 4) {
        const len = view(p).getUint16(0)
        tags.push({ name: box.type, value: fromUtf8(p.subarray(4, 4 + Math.min(len, p.length - 4))), where: 'mp4:udta' })
      }
    }
  }
  const xmp: Mp4Metadata['xmp'] = []
  const c2pa: Mp4Metadata['c2pa'] = []
  const xmpUdta = child(udta, 'XMP_')
  if (xmpUdta) xmp.push({ carrier: 'xmp:mp4:udta:XMP_', text: text(payload(b, xmpUdta), limits) })
  for (const box of asset.top) {
    if (box.type !== 'uuid') continue
    if (box.uuid === XMP_UUID) {
      if (box.end - box.dataOffset > limits.maxMetadataBytes) throw new TooLargeError(`The XMP box is ${box.end - box.dataOffset} bytes (limits.maxMetadataBytes is ${limits.maxMetadataBytes})`, { details: { limit: 'maxMetadataBytes' } })
      xmp.push({ carrier: 'xmp:mp4:uuid', text: text(asset.src.read(box.dataOffset, box.end - box.dataOffset), limits) })
    } else if (box.uuid === C2PA_UUID) c2pa.push({ carrier: 'c2pa:mp4:uuid', size: box.size })
  }
  return { tags, xmp, c2pa }
}

function text(bytes: Uint8Array, limits: Limits): string {
  if (bytes.length > limits.maxMetadataBytes) throw new TooLargeError(`A metadata block is ${bytes.length} bytes (limits.maxMetadataBytes is ${limits.maxMetadataBytes})`, { details: { limit: 'maxMetadataBytes' } })
  let end = bytes.length
  while (end > 0 && bytes[end - 1] === 0) end--
  return fromUtf8(bytes.subarray(0, end))
}

/** The handler type of a meta box ("mdta" for QuickTime keys, "mdir" for iTunes items). */
export function metaHandler(b: Uint8Array, meta: Box): string {
  const hdlr = child(meta, 'hdlr')
  return hdlr && hdlr.end - hdlr.dataOffset >= 12 ? fourcc(b, hdlr.dataOffset + 8) : ''
}

/** The key names of an mdta meta box, in order (item n refers to key n, 1-based). */
export function mdtaKeys(b: Uint8Array, meta: Box): string[] {
  const keys = child(meta, 'keys')
  return keys ? readMdtaKeys(payload(b, keys)) : []
}

/** The data boxes of one ilst item: [type indicator, value bytes]. */
export function itemValues(b: Uint8Array, item: Box): { type: number; value: Uint8Array }[] {
  const out: { type: number; value: Uint8Array }[] = []
  const v = view(b)
  let o = item.dataOffset
  while (o + 8 <= item.end) {
    const size = v.getUint32(o)
    if (size < 8 || o + size > item.end) break
    if (fourcc(b, o + 4) === 'data' && size >= 16) out.push({ type: v.getUint32(o + 8) & 0xffffff, value: b.subarray(o + 16, o + size) })
    o += size
  }
  return out
}

function itemName(b: Uint8Array, item: Box): string {
  if (item.type !== '----') return item.type
  const v = view(b)
  let mean = ''
  let name = ''
  let o = item.dataOffset
  while (o + 12 <= item.end) {
    const size = v.getUint32(o)
    if (size < 12 || o + size > item.end) break
    const t = fourcc(b, o + 4)
    if (t === 'mean') mean = fromUtf8(b.subarray(o + 12, o + size))
    if (t === 'name') name = fromUtf8(b.subarray(o + 12, o + size))
    o += size
  }
  return `----:${mean}:${name}`
}

function valueText(type: number, value: Uint8Array): string {
  if (type === 2) {
    let s = ''
    for (let i = 0; i + 1 < value.length; i += 2) s += String.fromCharCode((value[i]! << 8) | value[i + 1]!)
    return s
  }
  return fromUtf8(value)
}

function metaTags(b: Uint8Array, meta: Box, where: string): Mp4Tag[] {
  const handler = metaHandler(b, meta)
  const ilst = child(meta, 'ilst')
  if (!ilst) return []
  const keys = handler === 'mdta' ? mdtaKeys(b, meta) : null
  const out: Mp4Tag[] = []
  for (const item of ilst.children ?? []) {
    const name = keys ? (keys[view(b).getUint32(item.offset + 4) - 1] ?? `#${view(b).getUint32(item.offset + 4)}`) : itemName(b, item)
    const first = itemValues(b, item)[0]
    if (!first) continue
    out.push({ name, value: valueText(first.type, first.value), where: `${where}:${keys ? 'mdta' : 'ilst'}` })
  }
  return out
}
