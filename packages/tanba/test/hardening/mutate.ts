// Hostile-input generators for the hardening suite: deterministic mutations of real files
// (truncation, bit flips, declared sizes larger than the file) and builders of structures nested
// thousands deep, one per format. Every mutation is a plain description, so a failing case can be
// reproduced from the test output alone.
import { crc32, oggCrc32, utf8 } from '@tanba/core'
import { encodeSelectors, findWrappers } from '@tanba/text'

export type Mutation =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: number[] }
  | { kind: 'size'; at: number; width: 1 | 2 | 3 | 4; le: boolean; value: number; field: string; fix?: Fix }
  | { kind: 'text-length'; value: number }
  | { kind: 'pdf'; find: string; replace: string }

/** Checksums to repair after a size field changed, so the parser gets past its CRC check. */
export type Fix = { kind: 'png-crc'; chunk: number } | { kind: 'ogg-crc'; page: number }

export function describe(m: Mutation): string {
  switch (m.kind) {
    case 'none':
      return 'unchanged'
    case 'truncate':
      return `truncated to ${m.at} bytes`
    case 'flip':
      return `${m.bits.length} bit(s) flipped (first at bit ${m.bits[0]})`
    case 'size':
      return `${m.field} at ${m.at} set to ${m.value}`
    case 'text-length':
      return `text wrapper length set to ${m.value}`
    case 'pdf':
      return `PDF "${m.find}" -> "${m.replace.slice(0, 40)}"`
  }
}

/** Applies a mutation to a copy of `input` (the input is never changed). */
export function applyMutation(input: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'none':
      return input.slice()
    case 'truncate':
      return input.slice(0, m.at)
    case 'flip': {
      const out = input.slice()
      for (const bit of m.bits) out[bit >>> 3]! ^= 1 << (bit & 7)
      return out
    }
    case 'size': {
      const out = input.slice()
      writeUint(out, m.at, m.width, m.le, m.value)
      if (m.fix?.kind === 'png-crc') {
        const len = readUint(out, m.fix.chunk, 4, false)
        const end = Math.min(out.length - 4, m.fix.chunk + 8 + len)
        if (end > m.fix.chunk + 4) writeUint(out, end, 4, false, crc32(out.subarray(m.fix.chunk + 4, end)))
      } else if (m.fix?.kind === 'ogg-crc') {
        fixOggPage(out, m.fix.page)
      }
      return out
    }
    case 'text-length':
      return setTextWrapperLength(input, m.value)
    case 'pdf': {
      const text = latin1(input)
      const at = text.indexOf(m.find)
      if (at < 0) return input.slice()
      return fromLatin1(text.slice(0, at) + m.replace + text.slice(at + m.find.length))
    }
  }
}

/** A small deterministic PRNG (mulberry32), so mutations are reproducible from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Truncation points: the structurally interesting small ones, then spread over the file. */
export function truncationPoints(length: number, count: number, seed: number): number[] {
  const fixed = [0, 1, 2, 4, 8, 12, 16, 32, 64, 100, 512, length >> 1, length - 1]
  const random = rng(seed)
  const spread = Array.from({ length: Math.max(0, count - fixed.length) }, () => Math.floor(random() * length))
  return [...new Set([...fixed, ...spread].filter((n) => n >= 0 && n < length))].sort((a, b) => a - b).slice(0, Math.max(count, 6))
}

/** Bit-flip sets: one bit, a handful in the header, many everywhere. */
export function flipSets(length: number, count: number, seed: number): number[][] {
  const random = rng(seed)
  const bits = length * 8
  const out: number[][] = []
  for (let i = 0; i < count; i++) {
    const n = [1, 4, 16, 64][i % 4]!
    const headerOnly = i % 3 === 1
    const span = headerOnly ? Math.min(bits, 4096 * 8) : bits
    out.push(Array.from({ length: n }, () => Math.floor(random() * span)))
  }
  return out
}

/** A declared size field in a file. */
export interface SizeField {
  at: number
  width: 1 | 2 | 3 | 4
  le: boolean
  field: string
  fix?: Fix
}

/** Mutations that make each declared size (up to `max` fields) larger than the file, or absurd. */
export function sizeMutations(bytes: Uint8Array, formatId: string, max: number): Mutation[] {
  const fields = sizeFields(bytes, formatId).slice(0, max)
  const out: Mutation[] = []
  for (const f of fields) {
    const top = f.width === 4 ? 0xffffffff : f.width === 3 ? 0xffffff : f.width === 2 ? 0xffff : 0xff
    const current = readUint(bytes, f.at, f.width, f.le)
    const bigger = Math.min(top, current + bytes.length)
    for (const value of new Set([bigger, top, top - 7])) out.push({ kind: 'size', ...f, value })
  }
  if (formatId === 'pdf') out.push(...pdfMutations(bytes))
  if (formatId === 'text' || formatId === 'markdown' || formatId === 'html') {
    if (hasTextWrapper(bytes)) for (const value of [0xffffffff, 1 << 20, 0]) out.push({ kind: 'text-length', value })
  }
  return out
}

/** The declared sizes of a file, found by small walkers independent of the adapters' own. */
export function sizeFields(b: Uint8Array, formatId: string): SizeField[] {
  try {
    switch (formatId) {
      case 'wav':
      case 'webp':
        return riffFields(b)
      case 'png':
        return pngFields(b)
      case 'jpeg':
        return jpegFields(b)
      case 'm4a':
      case 'avif':
      case 'heic':
        return boxFields(b, 0, b.length, 0)
      case 'flac':
        return flacFields(b)
      case 'mp3':
        return id3Fields(b)
      case 'ogg':
        return oggFields(b)
      case 'tiff':
        return tiffFields(b)
      case 'gif':
        return gifFields(b)
      default:
        return []
    }
  } catch {
    return []
  }
}

function riffFields(b: Uint8Array): SizeField[] {
  const out: SizeField[] = [{ at: 4, width: 4, le: true, field: 'RIFF size' }]
  const walk = (start: number, stop: number, depth: number) => {
    let o = start
    while (o + 8 <= stop && out.length < 64) {
      const id = ascii(b, o, 4)
      const size = readUint(b, o + 4, 4, true)
      out.push({ at: o + 4, width: 4, le: true, field: `RIFF chunk ${id} size` })
      if (id === 'LIST' && depth < 4) walk(o + 12, Math.min(stop, o + 8 + size), depth + 1)
      o += 8 + size + (size & 1)
    }
  }
  walk(12, b.length, 0)
  return out
}

function pngFields(b: Uint8Array): SizeField[] {
  const out: SizeField[] = []
  let o = 8
  while (o + 12 <= b.length && out.length < 64) {
    const len = readUint(b, o, 4, false)
    const type = ascii(b, o + 4, 4)
    out.push({ at: o, width: 4, le: false, field: `PNG ${type} length`, fix: { kind: 'png-crc', chunk: o } })
    if (type === 'IHDR') {
      out.push({ at: o + 8, width: 4, le: false, field: 'PNG IHDR width', fix: { kind: 'png-crc', chunk: o } })
      out.push({ at: o + 12, width: 4, le: false, field: 'PNG IHDR height', fix: { kind: 'png-crc', chunk: o } })
    }
    o += 12 + len
  }
  return out
}

function jpegFields(b: Uint8Array): SizeField[] {
  const out: SizeField[] = []
  let o = 2
  while (o + 4 <= b.length && out.length < 64) {
    if (b[o] !== 0xff) break
    const marker = b[o + 1]!
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2
      continue
    }
    const len = readUint(b, o + 2, 2, false)
    out.push({ at: o + 2, width: 2, le: false, field: `JPEG segment FF${marker.toString(16).toUpperCase()} length` })
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.push({ at: o + 5, width: 2, le: false, field: 'JPEG frame height' }, { at: o + 7, width: 2, le: false, field: 'JPEG frame width' })
    }
    if (marker === 0xda) break
    o += 2 + len
  }
  return out
}

const BOX_CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'udta', 'ilst', 'dinf', 'iprp', 'ipco', 'edts', 'meta'])

function boxFields(b: Uint8Array, start: number, end: number, depth: number): SizeField[] {
  const out: SizeField[] = []
  let o = start
  while (o + 8 <= end && out.length < 64) {
    const size = readUint(b, o, 4, false)
    const type = ascii(b, o + 4, 4)
    out.push({ at: o, width: 4, le: false, field: `box ${type} size` })
    if (type === 'ispe') out.push({ at: o + 12, width: 4, le: false, field: 'ispe width' }, { at: o + 16, width: 4, le: false, field: 'ispe height' })
    if (size < 8) break
    if (BOX_CONTAINERS.has(type) && depth < 6) out.push(...boxFields(b, o + (type === 'meta' ? 12 : 8), Math.min(end, o + size), depth + 1))
    o += size
  }
  return out
}

function flacFields(b: Uint8Array): SizeField[] {
  const out: SizeField[] = []
  let o = ascii(b, 0, 3) === 'ID3' ? 10 + syncsafe(b, 6) : 0
  o += 4
  for (let i = 0; i < 64 && o + 4 <= b.length; i++) {
    const type = b[o]! & 0x7f
    const len = readUint(b, o + 1, 3, false)
    out.push({ at: o + 1, width: 3, le: false, field: `FLAC metadata block ${type} length` })
    if (type === 4) out.push({ at: o + 4, width: 4, le: true, field: 'FLAC vendor string length' })
    if (b[o]! & 0x80) break
    o += 4 + len
  }
  return out
}

function id3Fields(b: Uint8Array): SizeField[] {
  if (ascii(b, 0, 3) !== 'ID3') return []
  const out: SizeField[] = [{ at: 6, width: 4, le: false, field: 'ID3 tag size (syncsafe)' }]
  const version = b[3]!
  const end = 10 + syncsafe(b, 6)
  let o = 10
  while (o + 10 <= end && out.length < 32 && b[o] !== 0) {
    out.push({ at: o + 4, width: 4, le: false, field: `ID3 frame ${ascii(b, o, 4)} size` })
    const size = version === 4 ? syncsafe(b, o + 4) : readUint(b, o + 4, 4, false)
    o += 10 + size
  }
  return out
}

function oggFields(b: Uint8Array): SizeField[] {
  const out: SizeField[] = []
  let o = 0
  for (let page = 0; page < 6 && o + 27 <= b.length && ascii(b, o, 4) === 'OggS'; page++) {
    const segments = b[o + 26]!
    out.push({ at: o + 26, width: 1, le: false, field: `Ogg page ${page} segment count`, fix: { kind: 'ogg-crc', page: o } })
    if (segments) out.push({ at: o + 27, width: 1, le: false, field: `Ogg page ${page} first lacing value`, fix: { kind: 'ogg-crc', page: o } })
    let body = 0
    for (let i = 0; i < segments; i++) body += b[o + 27 + i]!
    o += 27 + segments + body
  }
  return out
}

function tiffFields(b: Uint8Array): SizeField[] {
  const le = b[0] === 0x49
  const ifd = readUint(b, 4, 4, le)
  if (ifd + 2 > b.length) return []
  const count = readUint(b, ifd, 2, le)
  const out: SizeField[] = [{ at: ifd, width: 2, le, field: 'TIFF IFD0 entry count' }, { at: 4, width: 4, le, field: 'TIFF IFD0 offset' }]
  for (let i = 0; i < Math.min(count, 24); i++) {
    const e = ifd + 2 + i * 12
    const tag = readUint(b, e, 2, le)
    out.push({ at: e + 4, width: 4, le, field: `TIFF tag ${tag} count` })
    if (tag === 256 || tag === 257) out.push({ at: e + 8, width: readUint(b, e + 2, 2, le) === 3 ? 2 : 4, le, field: `TIFF tag ${tag} (dimension)` })
  }
  return out
}

function gifFields(b: Uint8Array): SizeField[] {
  return [
    { at: 6, width: 2, le: true, field: 'GIF screen width' },
    { at: 8, width: 2, le: true, field: 'GIF screen height' },
  ]
}

function pdfMutations(b: Uint8Array): Mutation[] {
  const text = latin1(b)
  const out: Mutation[] = []
  const startxref = /startxref\s+(\d+)/g
  let m: RegExpExecArray | null
  const last = [...text.matchAll(startxref)].pop()
  if (last) out.push({ kind: 'pdf', find: last[0], replace: `startxref\n${b.length * 4 + 17}` }, { kind: 'pdf', find: last[0], replace: 'startxref\n99999999999999999999' })
  let n = 0
  const length = /\/Length (\d+)/g
  while ((m = length.exec(text)) && n++ < 3) out.push({ kind: 'pdf', find: m[0], replace: `/Length ${Number(m[1]) + b.length}` })
  const size = /\/Size (\d+)/.exec(text)
  if (size) out.push({ kind: 'pdf', find: size[0], replace: '/Size 2147483647' })
  const count = /\/Count (\d+)/.exec(text)
  if (count) out.push({ kind: 'pdf', find: count[0], replace: '/Count 2147483647' })
  const n0 = /\/N (\d+)/.exec(text)
  if (n0) out.push({ kind: 'pdf', find: n0[0], replace: '/N 4294967295' })
  return out
}

function hasTextWrapper(b: Uint8Array): boolean {
  try {
    return findWrappers(new TextDecoder().decode(b)).some((w) => w.kind !== 'unknown')
  } catch {
    return false
  }
}

/** Rewrites the declared payload length of the last Tanba/C2PA text wrapper. */
function setTextWrapperLength(input: Uint8Array, value: number): Uint8Array {
  const text = new TextDecoder().decode(input)
  const wrapper = findWrappers(text).filter((w) => w.kind !== 'unknown').pop()
  if (!wrapper) return input.slice()
  const bytes = wrapper.bytes.slice()
  if (bytes.length < 13) return input.slice()
  new DataView(bytes.buffer).setUint32(9, value >>> 0, false)
  return utf8(text.slice(0, wrapper.start) + '\uFEFF' + encodeSelectors(bytes) + text.slice(wrapper.end))
}

function fixOggPage(out: Uint8Array, page: number): void {
  const segments = out[page + 26] ?? 0
  let body = 0
  for (let i = 0; i < segments; i++) body += out[page + 27 + i] ?? 0
  const end = Math.min(out.length, page + 27 + segments + body)
  writeUint(out, page + 22, 4, true, 0)
  writeUint(out, page + 22, 4, true, oggCrc32(out, page, end))
}

// ---------------------------------------------------------------------------------------------
// Structures nested thousands deep (and other amplification shapes), built per format.

export interface HostileBuild {
  name: string
  filename: string
  bytes: Uint8Array
}

const enc = new TextEncoder()

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0)
  return b
}
function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0, true)
  return b
}
export function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) (out.set(p, o), (o += p.length))
  return out
}

/** RIFF LIST chunks nested `depth` deep inside a WAVE form (the shape of riff_bomb_1000.wav). */
export function nestedRiff(depth: number, form = 'WAVE'): Uint8Array {
  let inner: Uint8Array = join(enc.encode('data'), u32le(4), new Uint8Array(4))
  for (let i = 0; i < depth; i++) inner = join(enc.encode('LIST'), u32le(inner.length + 4), enc.encode('INFO'), inner)
  const fmt = join(enc.encode('fmt '), u32le(16), Uint8Array.of(1, 0, 1, 0, 0x44, 0xac, 0, 0, 0x88, 0x58, 1, 0, 2, 0, 16, 0))
  const body = form === 'WAVE' ? join(fmt, inner) : inner
  return join(enc.encode('RIFF'), u32le(body.length + 4), enc.encode(form), body)
}

/** ISO boxes of `type` nested `depth` deep after an ftyp with the given brand. */
export function nestedBoxes(depth: number, brand: string, type = 'moov'): Uint8Array {
  let inner: Uint8Array = join(u32be(8), enc.encode('free'))
  for (let i = 0; i < depth; i++) inner = join(u32be(inner.length + 8), enc.encode(type), inner)
  const ftyp = join(u32be(20), enc.encode('ftyp'), enc.encode(brand), u32be(0), enc.encode(brand))
  return join(ftyp, inner)
}

/** HEIF/AVIF: a meta box whose iprp/ipco nest `depth` deep. */
export function nestedHeif(depth: number, brand: 'avif' | 'heic'): Uint8Array {
  let inner: Uint8Array = join(u32be(8), enc.encode('free'))
  for (let i = 0; i < depth; i++) inner = join(u32be(inner.length + 8), enc.encode(i % 2 ? 'iprp' : 'ipco'), inner)
  const hdlr = join(u32be(33), enc.encode('hdlr'), u32be(0), u32be(0), enc.encode('pict'), new Uint8Array(13))
  const meta = join(u32be(12 + hdlr.length + inner.length), enc.encode('meta'), u32be(0), hdlr, inner)
  const ftyp = join(u32be(24), enc.encode('ftyp'), enc.encode(brand), u32be(0), enc.encode('mif1'), enc.encode(brand))
  return join(ftyp, meta)
}

/** An XMP packet whose elements nest `depth` deep. */
export function deepXmp(depth: number): string {
  return (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:a="urn:a">' +
    '<a:x>'.repeat(depth) +
    '</a:x>'.repeat(depth) +
    '</rdf:Description></rdf:RDF></x:xmpmeta>'
  )
}

/** A JPEG (from a real one) with a deep XMP packet in APP1. */
export function jpegWithXmp(jpeg: Uint8Array, xmp: string): Uint8Array {
  const payload = join(enc.encode('http://ns.adobe.com/xap/1.0/\0'), enc.encode(xmp))
  const seg = payload.length + 2 <= 0xffff ? join(Uint8Array.of(0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff), payload) : new Uint8Array(0)
  return join(jpeg.subarray(0, 2), seg, jpeg.subarray(2))
}

/** A JPEG with `count` empty APP segments before the image data. */
export function jpegManySegments(jpeg: Uint8Array, count: number): Uint8Array {
  const seg = Uint8Array.of(0xff, 0xe5, 0, 2)
  const many = new Uint8Array(seg.length * count)
  for (let i = 0; i < count; i++) many.set(seg, i * seg.length)
  return join(jpeg.subarray(0, 2), many, jpeg.subarray(2))
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = join(enc.encode(type), data)
  return join(u32be(data.length), body, u32be(crc32(body)))
}

/** A PNG (from a real one) with an iTXt XMP chunk holding `xmp`, or `count` tiny text chunks. */
export function pngWith(png: Uint8Array, extra: { xmp?: string; textChunks?: number }): Uint8Array {
  const parts: Uint8Array[] = []
  if (extra.xmp !== undefined) parts.push(pngChunk('iTXt', join(enc.encode('XML:com.adobe.xmp'), new Uint8Array(5), enc.encode(extra.xmp))))
  if (extra.textChunks) {
    const one = pngChunk('tEXt', enc.encode('k\0v'))
    const many = new Uint8Array(one.length * extra.textChunks)
    for (let i = 0; i < extra.textChunks; i++) many.set(one, i * one.length)
    parts.push(many)
  }
  // After IHDR (8-byte signature + 25-byte IHDR chunk).
  return join(png.subarray(0, 33), ...parts, png.subarray(33))
}

/** A TIFF whose IFD chain loops back on itself, and whose SubIFD pointers nest `depth` deep. */
export function tiffLoop(depth: number): Uint8Array {
  // Little-endian header, IFD0 at 8. Each IFD: 2 entries (SubIFDs -> next IFD, ImageWidth) + next pointer.
  const ifdSize = 2 + 2 * 12 + 4
  const out = new Uint8Array(8 + ifdSize * depth)
  const v = new DataView(out.buffer)
  out.set([0x49, 0x49, 42, 0])
  v.setUint32(4, 8, true)
  for (let i = 0; i < depth; i++) {
    const o = 8 + i * ifdSize
    const next = i + 1 < depth ? 8 + (i + 1) * ifdSize : 8 // the last one points back to the first
    v.setUint16(o, 2, true)
    v.setUint16(o + 2, 256, true) // ImageWidth SHORT 1 = 1
    v.setUint16(o + 4, 3, true)
    v.setUint32(o + 6, 1, true)
    v.setUint16(o + 10, 1, true)
    v.setUint16(o + 14, 330, true) // SubIFDs LONG 1 -> next
    v.setUint16(o + 16, 4, true)
    v.setUint32(o + 18, 1, true)
    v.setUint32(o + 22, next, true)
    v.setUint32(o + 26, next, true) // next IFD
  }
  return out
}

/** An SVG with `depth` nested groups. */
export function deepSvg(depth: number): Uint8Array {
  return enc.encode(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${'<g>'.repeat(depth)}<rect width="1" height="1"/>${'</g>'.repeat(depth)}</svg>`)
}

/** An SVG declaring a huge canvas (a rasterisation bomb for the visible warning). */
export function hugeSvg(side: number): Uint8Array {
  return enc.encode(`<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="${side}" height="${side}" fill="#888"/></svg>`)
}

/** A PDF whose Info dictionary holds arrays nested `depth` deep, with a valid xref table. */
export function pdfWith(objects: string[], trailerExtra = ''): Uint8Array {
  let body = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'
  const offsets: number[] = []
  objects.forEach((o, i) => {
    offsets.push(body.length)
    body += `${i + 1} 0 obj\n${o}\nendobj\n`
  })
  const xref = body.length
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` + offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xref}\n%%EOF\n`
  return fromLatin1(body)
}

const PAGE_OBJECTS = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>']

export function pdfDeepArray(depth: number): Uint8Array {
  return pdfWith([...PAGE_OBJECTS, `<< /Title (deep) /X ${'['.repeat(depth)}${']'.repeat(depth)} >>`], '/Info 4 0 R ')
}

export function pdfDeepDict(depth: number): Uint8Array {
  return pdfWith([...PAGE_OBJECTS, `${'<< /A '.repeat(depth)}1${' >>'.repeat(depth)}`], '/Info 4 0 R ')
}

/** A page tree `depth` levels deep (each Pages node has one Pages kid). */
export function pdfDeepPageTree(depth: number): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>']
  for (let i = 0; i < depth; i++) objects.push(`<< /Type /Pages /Kids [${i + 3} 0 R] /Count 1 ${i ? `/Parent ${i + 1} 0 R` : ''} >>`)
  objects.push(`<< /Type /Page /Parent ${depth + 1} 0 R /MediaBox [0 0 200 200] >>`)
  return pdfWith(objects)
}

/** A page tree whose Kids point back at an ancestor (a cycle), and an xref /Prev chain that loops. */
export function pdfCycles(): Uint8Array {
  const base = latin1(pdfWith(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>', '<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>']))
  const xref = Number(/startxref\n(\d+)/.exec(base)![1])
  return fromLatin1(base.replace('/Root 1 0 R ', `/Root 1 0 R /Prev ${xref} `))
}

/** ID3v2.4 CHAP frames, each embedding the next, `depth` deep, in front of a real MP3. */
export function nestedId3Chapters(depth: number, mp3: Uint8Array): Uint8Array {
  const syncsafe4 = (n: number) => Uint8Array.of((n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f)
  let frame: Uint8Array = join(enc.encode('TIT2'), syncsafe4(2), Uint8Array.of(0, 0), Uint8Array.of(3, 0x41))
  for (let i = 0; i < depth; i++) {
    const body = join(enc.encode(`c${i}\0`), new Uint8Array(16), frame)
    frame = join(enc.encode('CHAP'), syncsafe4(body.length), Uint8Array.of(0, 0), body)
  }
  const header = join(enc.encode('ID3'), Uint8Array.of(4, 0, 0), syncsafe4(frame.length))
  return join(header, frame, skipId3(mp3))
}

/** An MP3 preceded by `count` back-to-back empty ID3v2 tags. */
export function manyId3Tags(count: number, mp3: Uint8Array): Uint8Array {
  const one = join(enc.encode('ID3'), Uint8Array.of(3, 0, 0, 0, 0, 0, 0))
  const many = new Uint8Array(one.length * count)
  for (let i = 0; i < count; i++) many.set(one, i * one.length)
  return join(many, skipId3(mp3))
}

function skipId3(mp3: Uint8Array): Uint8Array {
  return ascii(mp3, 0, 3) === 'ID3' ? mp3.subarray(10 + syncsafe(mp3, 6)) : mp3
}

/** A FLAC with `count` extra empty PADDING blocks, and a Vorbis comment block declaring 2^32-1 comments. */
export function flacBlocks(flac: Uint8Array, count: number): Uint8Array {
  const streaminfo = flac.subarray(4, 4 + 4 + 34)
  const info = streaminfo.slice()
  info[0] = info[0]! & 0x7f
  const pad = Uint8Array.of(1, 0, 0, 0)
  const pads = new Uint8Array(4 * count)
  for (let i = 0; i < count; i++) pads.set(pad, i * 4)
  const vendor = enc.encode('x')
  const vcBody = join(u32le(vendor.length), vendor, u32le(0xffffffff))
  const vc = join(Uint8Array.of(0x84, 0, 0, vcBody.length), vcBody)
  // Skip the original metadata blocks to the first frame.
  let o = 4
  for (;;) {
    const last = flac[o]! & 0x80
    o += 4 + readUint(flac, o + 1, 3, false)
    if (last) break
  }
  return join(enc.encode('fLaC'), info, pads, vc, flac.subarray(o))
}

/** An Ogg stream whose comment header declares 2^32-1 comments (CRC-correct). */
export function oggCommentBomb(ogg: Uint8Array): Uint8Array {
  const out = ogg.slice()
  // The second page holds the comment header: "\x03vorbis" or "OpusTags", vendor length, vendor, count.
  let o = 0
  o += 27 + out[26]! + Array.from(out.subarray(27, 27 + out[26]!)).reduce((a, b) => a + b, 0)
  const body = o + 27 + out[o + 26]!
  const magic = ascii(out, body, 8) === 'OpusTags' ? 8 : 7
  const vendor = readUint(out, body + magic, 4, true)
  writeUint(out, body + magic + 4 + vendor, 4, true, 0xffffffff)
  fixOggPage(out, o)
  return out
}

/** Plain text with `runs` separate runs of variation selectors after U+FEFF. */
export function selectorRuns(runs: number): Uint8Array {
  return enc.encode('Hello.' + '\uFEFF\uFE01\uFE02 x '.repeat(runs))
}

/** HTML with `depth` nested elements. */
export function deepHtml(depth: number): Uint8Array {
  return enc.encode(`<!doctype html><html><head><title>t</title></head><body>${'<div>'.repeat(depth)}x${'</div>'.repeat(depth)}</body></html>`)
}

/** Markdown with YAML front matter nested `depth` deep, and an alias expansion bomb. */
export function yamlDeep(depth: number): Uint8Array {
  return enc.encode(`---\nx: ${'['.repeat(depth)}${']'.repeat(depth)}\n---\n\n# Title\n`)
}
export function yamlAliasBomb(): Uint8Array {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)
  return enc.encode(`---\n${lines.join('\n')}\n---\n\n# Laughs\n`)
}
export function markdownDeepQuotes(depth: number): Uint8Array {
  return enc.encode(`# Title\n\n${'>'.repeat(depth)} deep\n\n${Array.from({ length: 2000 }, (_, i) => `${'  '.repeat(i % 200)}- item`).join('\n')}\n`)
}

// ---------------------------------------------------------------------------------------------

export function readUint(b: Uint8Array, at: number, width: number, le: boolean): number {
  let v = 0
  for (let i = 0; i < width; i++) v = v * 256 + (b[at + (le ? width - 1 - i : i)] ?? 0)
  return v
}

export function writeUint(b: Uint8Array, at: number, width: number, le: boolean, value: number): void {
  let v = value
  for (let i = width - 1; i >= 0; i--) {
    const idx = at + (le ? width - 1 - i : i)
    if (idx < b.length) b[idx] = v % 256
    v = Math.floor(v / 256)
  }
}

function syncsafe(b: Uint8Array, o: number): number {
  return ((b[o]! & 0x7f) << 21) | ((b[o + 1]! & 0x7f) << 14) | ((b[o + 2]! & 0x7f) << 7) | (b[o + 3]! & 0x7f)
}

function ascii(b: Uint8Array, o: number, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[o + i] ?? 0)
  return s
}

export function latin1(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000))
  return s
}

export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
  return out
}
