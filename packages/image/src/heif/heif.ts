// HEIF and AVIF (ISO BMFF "meta" items): primary item, item data, XMP item, C2PA box and the essence.
import type { Hash } from 'node:crypto'
import { joinBytes, MalformedInputError, readIsoBoxes, TooLargeError, UnsupportedFormatError, utf8, type IsoBox, type Limits } from '@tanba/core'
import { hex, latin1, u32be, type ParsedImage, type XmpPacket } from '../container.js'
import { ftypBrands } from '../formats.js'
import { readExif } from '../tiff/ifd.js'

export const C2PA_UUID = 'd8fec3d61b0e483c92975828877ec481'
/** Item types that hold or assemble coded pixels. Exif and mime (XMP) items are metadata. */
const IMAGE_ITEMS = new Set(['av01', 'hvc1', 'hev1', 'avc1', 'jpeg', 'grid', 'iovl', 'iden', 'unci', 'mski', 'vvc1', 'j2k1'])
/** Item properties that define the decoded pixels. */
const ESSENCE_PROPERTIES = new Set(['av1C', 'hvcC', 'avcC', 'vvcC', 'ispe', 'pixi', 'auxC', 'clap', 'lsel', 'a1op', 'a1lx', 'uncC', 'cmpd'])
/** Item properties that change how the decoded pixels are shown (colour, rotation, mirroring, placement, HDR): bound from tanba.image.data/2 on. */
const RENDERING_PROPERTIES = new Set(['colr', 'irot', 'imir', 'rloc', 'clli', 'mdcv', 'cclv', 'amve', 'reve', 'ndwt'])

interface Item {
  id: number
  type: string
  contentType?: string
  extents: { offset: number; length: number }[]
  properties: number[]
}

export interface HeifFile extends ParsedImage {
  format: 'avif' | 'heic'
  primary: number
  items: Map<number, Item>
}

export function parseHeif(bytes: Uint8Array, format: 'avif' | 'heic', limits: Limits): HeifFile {
  const brands = ftypBrands(bytes.subarray(0, 4096))
  if (!brands) throw new MalformedInputError(`Expected an ISO BMFF file starting with an "ftyp" box but the data starts ${hex(bytes)}`)
  const top = readIsoBoxes(bytes, 0, bytes.length, { maxChunks: limits.maxChunks })
  if (top.some((b) => b.type === 'moov') || brands.includes('avis') || brands.includes('msf1') || brands.includes('hevs')) {
    throw new UnsupportedFormatError(`${format.toUpperCase()} image sequences (animations) are not supported; only still images`)
  }
  const meta = top.find((b) => b.type === 'meta')
  if (!meta) throw new MalformedInputError(`The ${format.toUpperCase()} file has no "meta" box`)
  const boxes = readIsoBoxes(bytes, meta.dataOffset + 4, meta.end, { maxChunks: limits.maxChunks })
  const find = (type: string) => boxes.find((b) => b.type === type)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const need = (o: number, n: number, what: string) => {
    if (o + n > bytes.length) throw new MalformedInputError(`The ${format.toUpperCase()} ${what} is cut off at offset ${o}`)
  }

  // pitm: the primary item.
  const pitm = find('pitm')
  if (!pitm) throw new MalformedInputError(`The ${format.toUpperCase()} file has no primary item ("pitm")`)
  need(pitm.dataOffset, 6, 'pitm box')
  const primary = bytes[pitm.dataOffset] === 0 ? view.getUint16(pitm.dataOffset + 4) : view.getUint32(pitm.dataOffset + 4)

  // iinf: item types (and the content type of "mime" items).
  const items = new Map<number, Item>()
  const iinf = find('iinf')
  if (!iinf) throw new MalformedInputError(`The ${format.toUpperCase()} file has no item list ("iinf")`)
  const iinfStart = iinf.dataOffset + 4 + (bytes[iinf.dataOffset] === 0 ? 2 : 4)
  for (const infe of readIsoBoxes(bytes, iinfStart, iinf.end, { maxChunks: limits.maxChunks })) {
    if (infe.type !== 'infe') continue
    const version = bytes[infe.dataOffset]!
    if (version < 2) continue
    let p = infe.dataOffset + 4
    need(p, version === 2 ? 8 : 10, 'item entry')
    const id = version === 2 ? view.getUint16(p) : view.getUint32(p)
    p += version === 2 ? 4 : 6
    const type = latin1(bytes.subarray(p, p + 4))
    p += 4
    const nameEnd = bytes.indexOf(0, p)
    let contentType: string | undefined
    if (type === 'mime' && nameEnd >= 0 && nameEnd < infe.end) {
      const ctEnd = bytes.indexOf(0, nameEnd + 1)
      contentType = latin1(bytes.subarray(nameEnd + 1, ctEnd < 0 || ctEnd > infe.end ? infe.end : ctEnd))
    }
    items.set(id, { id, type, ...(contentType ? { contentType } : {}), extents: [], properties: [] })
  }

  // iloc: where each item's bytes are (construction method 0: file offsets; 1: inside "idat").
  const iloc = find('iloc')
  const idat = find('idat')
  if (!iloc) throw new MalformedInputError(`The ${format.toUpperCase()} file has no item locations ("iloc")`)
  readIloc(bytes, iloc, idat, items, limits, format)

  // ipma: item → property associations (indices into ipco, 1-based).
  const iprp = find('iprp')
  const ipcoBoxes: IsoBox[] = []
  if (iprp) {
    const children = readIsoBoxes(bytes, iprp.dataOffset, iprp.end, { maxChunks: limits.maxChunks })
    const ipco = children.find((b) => b.type === 'ipco')
    if (ipco) ipcoBoxes.push(...readIsoBoxes(bytes, ipco.dataOffset, ipco.end, { maxChunks: limits.maxChunks }))
    for (const ipma of children.filter((b) => b.type === 'ipma')) {
      const version = bytes[ipma.dataOffset]!
      const wide = (bytes[ipma.dataOffset + 3]! & 1) === 1
      let p = ipma.dataOffset + 4
      need(p, 4, 'ipma box')
      const count = view.getUint32(p)
      p += 4
      if (count > limits.maxChunks) throw new TooLargeError(`The ipma box lists ${count} items (limits.maxChunks)`)
      for (let i = 0; i < count; i++) {
        need(p, version < 1 ? 3 : 5, 'ipma entry')
        const id = version < 1 ? view.getUint16(p) : view.getUint32(p)
        p += version < 1 ? 2 : 4
        const n = bytes[p++]!
        need(p, n * (wide ? 2 : 1), 'ipma entry')
        const item = items.get(id)
        for (let k = 0; k < n; k++) {
          const index = wide ? view.getUint16(p) & 0x7fff : bytes[p]! & 0x7f
          p += wide ? 2 : 1
          item?.properties.push(index)
        }
      }
    }
  }

  const primaryItem = items.get(primary)
  if (!primaryItem) throw new MalformedInputError(`The primary item ${primary} is not in the item list`)
  const ispe = primaryItem.properties.map((i) => ipcoBoxes[i - 1]).find((b) => b?.type === 'ispe')
  if (!ispe || ispe.size < 20) throw new MalformedInputError('The primary image has no size property ("ispe")')
  const width = view.getUint32(ispe.dataOffset + 4)
  const height = view.getUint32(ispe.dataOffset + 8)

  const itemData = (item: Item) => item.extents.map((e) => bytes.subarray(e.offset, e.offset + e.length))
  const xmp: XmpPacket[] = []
  let exif
  for (const item of items.values()) {
    const size = item.extents.reduce((a, e) => a + e.length, 0)
    if (item.type === 'mime' && /rdf\+xml/.test(item.contentType ?? '')) {
      if (size > limits.maxMetadataBytes) throw new TooLargeError(`The XMP item exceeds limits.maxMetadataBytes (${limits.maxMetadataBytes})`)
      // Some writers prefix the packet with the JPEG APP1 identifier; the packet starts at the first "<".
      const text = new TextDecoder().decode(joinBytes(itemData(item))).replace(/\0+$/, '')
      xmp.push({ carrier: 'xmp', text: text.slice(Math.max(0, text.indexOf('<'))) })
    } else if (item.type === 'Exif' && size >= 4 && size <= limits.maxMetadataBytes && !exif) {
      const data = joinBytes(itemData(item))
      const skip = new DataView(data.buffer, data.byteOffset).getUint32(0)
      if (4 + skip < data.length) exif = readExif(data.subarray(4 + skip), limits)
    }
  }
  const c2pa = top.some((b) => b.type === 'uuid' && b.uuid === C2PA_UUID) ? `${format}:uuid` : null
  return {
    format,
    bytes,
    width,
    height,
    frames: 1,
    animated: false,
    // HEIF orientation is the irot/imir properties, which decoders apply: the decoded pixels are upright.
    orientation: 1,
    xmp,
    texts: [],
    ...(exif ? { exif } : {}),
    c2pa,
    notes: [],
    primary,
    items,
    rendering(hash: Hash) {
      // The primary item, the references between items (except "cdsc": metadata describing an item),
      // and each image item's colour, rotation, mirroring and HDR properties.
      hash.update(`primary ${primary}\0`)
      const iref = find('iref')
      if (iref) {
        for (const ref of readIsoBoxes(bytes, iref.dataOffset + 4, iref.end, { maxChunks: limits.maxChunks })) {
          if (ref.type !== 'cdsc') hash.update(bytes.subarray(ref.offset, ref.end))
        }
      }
      for (const item of [...items.values()].sort((a, b) => a.id - b.id)) {
        if (!IMAGE_ITEMS.has(item.type)) continue
        hash.update(u32be(item.id))
        for (const index of item.properties) {
          const box = ipcoBoxes[index - 1]
          if (box && RENDERING_PROPERTIES.has(box.type)) hash.update(bytes.subarray(box.offset, box.end))
        }
      }
    },
    essence(hash: Hash) {
      // Every image item in id order: id, type, its pixel-defining properties, its data.
      for (const item of [...items.values()].sort((a, b) => a.id - b.id)) {
        if (!IMAGE_ITEMS.has(item.type)) continue
        hash.update(u32be(item.id))
        hash.update(utf8(item.type))
        for (const index of item.properties) {
          const box = ipcoBoxes[index - 1]
          if (box && ESSENCE_PROPERTIES.has(box.type)) hash.update(bytes.subarray(box.offset, box.end))
        }
        for (const part of itemData(item)) hash.update(part)
      }
    },
  }
}

/**
 * Rewrites file-offset items of the form (base_offset 0, extent_offset X) as (base_offset X,
 * extent_offset 0), in place and without changing any size. The C2PA library (c2pa-rs 0.82 in
 * c2pa-node 0.5.5) shifts both fields when it inserts its box before "meta", which moves such items
 * (e.g. the XMP item ExifTool writes next to libheif's items) to a wrong offset; with the offset
 * carried in base_offset alone it shifts them correctly. Items point at the same bytes as before.
 */
export function normaliseIlocForC2pa(bytes: Uint8Array, limits: Limits): Uint8Array {
  const top = readIsoBoxes(bytes, 0, bytes.length, { maxChunks: limits.maxChunks })
  const meta = top.find((b) => b.type === 'meta')
  if (!meta) return bytes
  const iloc = readIsoBoxes(bytes, meta.dataOffset + 4, meta.end, { maxChunks: limits.maxChunks }).find((b) => b.type === 'iloc')
  if (!iloc) return bytes
  const out = bytes.slice()
  const view = new DataView(out.buffer)
  const version = out[iloc.dataOffset]!
  let p = iloc.dataOffset + 4
  const offsetSize = out[p]! >> 4
  const lengthSize = out[p]! & 15
  const baseSize = out[p + 1]! >> 4
  const indexSize = version >= 1 ? out[p + 1]! & 15 : 0
  p += 2
  if (baseSize !== 4 && baseSize !== 8) return bytes
  const get = (at: number, size: number) => (size === 0 ? 0 : size === 2 ? view.getUint16(at) : size === 4 ? view.getUint32(at) : Number(view.getBigUint64(at)))
  const set = (at: number, size: number, v: number) => (size === 4 ? view.setUint32(at, v) : view.setBigUint64(at, BigInt(v)))
  const count = version < 2 ? get(p, 2) : get(p, 4)
  p += version < 2 ? 2 : 4
  let changed = false
  for (let i = 0; i < count && p < iloc.end; i++) {
    p += version < 2 ? 2 : 4
    const method = version >= 1 ? get(p, 2) & 15 : 0
    if (version >= 1) p += 2
    p += 2
    const baseAt = p
    const base = get(p, baseSize)
    p += baseSize
    const extents = get(p, 2)
    p += 2
    const first = p + indexSize
    for (let k = 0; k < extents; k++) p += indexSize + offsetSize + lengthSize
    if (p > iloc.end) return bytes
    if (method !== 0 || extents !== 1 || base !== 0 || offsetSize === 0) continue
    const offset = get(first, offsetSize)
    if (!offset || (baseSize === 4 && offset > 0xffffffff)) continue
    set(baseAt, baseSize, offset)
    set(first, offsetSize, 0)
    changed = true
  }
  return changed ? out : bytes
}

function readIloc(bytes: Uint8Array, iloc: IsoBox, idat: IsoBox | undefined, items: Map<number, Item>, limits: Limits, format: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = bytes[iloc.dataOffset]!
  let p = iloc.dataOffset + 4
  const need = (n: number) => {
    if (p + n > iloc.end) throw new MalformedInputError(`The ${format.toUpperCase()} item location box is cut off`)
  }
  need(2)
  const offsetSize = bytes[p]! >> 4
  const lengthSize = bytes[p]! & 15
  const baseSize = bytes[p + 1]! >> 4
  const indexSize = version >= 1 ? bytes[p + 1]! & 15 : 0
  p += 2
  const read = (size: number): number => {
    if (size === 0) return 0
    need(size)
    let v: number
    if (size === 4) v = view.getUint32(p)
    else if (size === 8) {
      const big = view.getBigUint64(p)
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedInputError('An item location exceeds 2^53')
      v = Number(big)
    } else if (size === 2) v = view.getUint16(p)
    else throw new MalformedInputError(`Unsupported field size ${size} in the item location box`)
    p += size
    return v
  }
  const count = version < 2 ? read(2) : read(4)
  if (count > limits.maxChunks) throw new TooLargeError(`The item location box lists ${count} items (limits.maxChunks)`)
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? read(2) : read(4)
    const method = version >= 1 ? read(2) & 15 : 0
    read(2) // data reference index
    const base = read(baseSize)
    const extents = read(2)
    if (extents > limits.maxChunks) throw new TooLargeError(`Item ${id} has ${extents} extents (limits.maxChunks)`)
    const item = items.get(id)
    for (let k = 0; k < extents; k++) {
      if (indexSize) read(indexSize)
      const offset = read(offsetSize)
      const length = read(lengthSize)
      if (!item) continue
      let start: number
      let end: number
      if (method === 0) {
        start = base + offset
        end = length ? start + length : bytes.length
      } else if (method === 1) {
        if (!idat) throw new MalformedInputError(`Item ${id} is stored in an "idat" box that does not exist`)
        start = idat.dataOffset + base + offset
        end = length ? start + length : idat.end
        if (end > idat.end) throw new MalformedInputError(`Item ${id} points past the end of the "idat" box`)
      } else {
        throw new UnsupportedFormatError(`Item ${id} uses construction method ${method} (item offsets), which is not supported`)
      }
      if (end > bytes.length || start > end) throw new MalformedInputError(`Item ${id} data (${start}..${end}) lies outside the ${bytes.length}-byte file (truncated file?)`)
      item.extents.push({ offset: start, length: end - start })
    }
  }
}
