import { fromUtf8, MalformedInputError, TooLargeError, UnsupportedFormatError, type Limits } from '@tanba/core'
import { checkMetadataSize, joinBytes } from '../util.js'

/** One ID3v2 frame as stored (raw bytes kept so a rewrite leaves it untouched). */
export interface Id3Frame {
  id: string
  /** The whole frame: header and body, as in the (de-unsynchronised) tag. */
  raw: Uint8Array
  /** The frame body without header, extra flag fields and unsynchronisation; null when compressed or encrypted. */
  body: Uint8Array | null
}

export interface Id3Tag {
  /** 2, 3 or 4. */
  version: number
  /** Offset of the tag in the file and its total length (header, body, footer). */
  offset: number
  length: number
  frames: Id3Frame[]
  txxx: { description: string; value: string; frame: Id3Frame }[]
  /** XMP packet from a PRIV frame with owner "XMP". */
  xmp?: string
  /** C2PA manifest stores in GEOB frames. */
  c2pa: { size: number }[]
  /** Ordinary tags for `inspect` (title, artist, album, ...), and counts of pictures and chapters. */
  fields: Record<string, string | number>
  /** Frames that could not be read (kept out of rewrites), as human sentences. */
  problems: string[]
}

const TEXT_FIELDS: Record<string, string> = {
  TIT2: 'title', TPE1: 'artist', TALB: 'album', TYER: 'year', TDRC: 'date', TCON: 'genre', TSSE: 'encoder', TRCK: 'track',
  TT2: 'title', TP1: 'artist', TAL: 'album', TYE: 'year', TCO: 'genre', TSS: 'encoder', TRK: 'track',
}

export function syncsafe(b: Uint8Array, o: number): number {
  return ((b[o]! & 0x7f) << 21) | ((b[o + 1]! & 0x7f) << 14) | ((b[o + 2]! & 0x7f) << 7) | (b[o + 3]! & 0x7f)
}

function writeSyncsafe(out: Uint8Array, o: number, n: number): void {
  out[o] = (n >>> 21) & 0x7f
  out[o + 1] = (n >>> 14) & 0x7f
  out[o + 2] = (n >>> 7) & 0x7f
  out[o + 3] = n & 0x7f
}

/** Removes ID3 unsynchronisation (0xFF 0x00 → 0xFF). */
export function deunsync(b: Uint8Array): Uint8Array {
  let hits = 0
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1] === 0) hits++
  if (!hits) return b
  const out = new Uint8Array(b.length - hits)
  let o = 0
  for (let i = 0; i < b.length; i++) {
    out[o++] = b[i]!
    if (b[i] === 0xff && b[i + 1] === 0) i++
  }
  return out
}

/** Length of the ID3v2 tag at `offset` (header + body + footer), or 0 when there is none. */
export function id3Length(bytes: Uint8Array, offset = 0): number {
  if (bytes.length < offset + 10 || bytes[offset] !== 0x49 || bytes[offset + 1] !== 0x44 || bytes[offset + 2] !== 0x33) return 0
  const major = bytes[offset + 3]!
  if (major < 2 || major > 4 || bytes[offset + 4] === 0xff) return 0
  for (let i = 6; i < 10; i++) if (bytes[offset + i]! & 0x80) return 0
  const footer = major === 4 && bytes[offset + 5]! & 0x10 ? 10 : 0
  return 10 + syncsafe(bytes, offset + 6) + footer
}

/** Decodes ID3 text in the given encoding byte (0 Latin-1, 1 UTF-16 BOM, 2 UTF-16BE, 3 UTF-8). */
function decodeText(enc: number, b: Uint8Array): string {
  if (enc === 0) return String.fromCharCode(...b.subarray(0, 65536)) + (b.length > 65536 ? latin1Tail(b) : '')
  if (enc === 3) return fromUtf8(b)
  let le = enc === 1
  let start = 0
  if (enc === 1 && b.length >= 2) {
    if (b[0] === 0xfe && b[1] === 0xff) {
      le = false
      start = 2
    } else if (b[0] === 0xff && b[1] === 0xfe) start = 2
  }
  let out = ''
  for (let i = start; i + 1 < b.length; i += 2) out += String.fromCharCode(le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!)
  return out
}

function latin1Tail(b: Uint8Array): string {
  let s = ''
  for (let i = 65536; i < b.length; i += 65536) s += String.fromCharCode(...b.subarray(i, i + 65536))
  return s
}

/** Splits `b` at the first terminator of the encoding; returns [first, rest]. */
function splitTerminated(enc: number, b: Uint8Array): [Uint8Array, Uint8Array] {
  const wide = enc === 1 || enc === 2
  if (wide) {
    for (let i = 0; i + 1 < b.length; i += 2) if (b[i] === 0 && b[i + 1] === 0) return [b.subarray(0, i), b.subarray(i + 2)]
  } else {
    const i = b.indexOf(0)
    if (i >= 0) return [b.subarray(0, i), b.subarray(i + 1)]
  }
  return [b, new Uint8Array(0)]
}

function stripNuls(s: string): string {
  return s.replace(/\u0000+$/, '')
}

/**
 * Reads the ID3v2 tag at `offset`. Frames that cannot be interpreted (compressed, encrypted,
 * damaged) are listed in `problems`; a tag whose frames run past its end is a MalformedInputError.
 */
export function readId3Tag(bytes: Uint8Array, offset: number, limits: Limits): Id3Tag {
  const length = id3Length(bytes, offset)
  if (!length) throw new MalformedInputError(`Expected an ID3v2 tag header at offset ${offset}`)
  checkMetadataSize(length, 'The ID3v2 tag', limits)
  if (offset + length > bytes.length) throw new MalformedInputError(`The ID3v2 tag declares ${length} bytes but only ${bytes.length - offset} remain`)
  const version = bytes[offset + 3]!
  const flags = bytes[offset + 5]!
  const tag: Id3Tag = { version, offset, length, frames: [], txxx: [], c2pa: [], fields: {}, problems: [] }
  const bodySize = syncsafe(bytes, offset + 6)
  let body = bytes.subarray(offset + 10, offset + 10 + bodySize)
  if (version === 2 && flags & 0x40) {
    tag.problems.push('the ID3v2.2 tag is compressed; its frames were not read')
    return tag
  }
  if (flags & 0x80 && version < 4) body = deunsync(body)
  let o = 0
  if (flags & 0x40 && version >= 3) {
    if (body.length < 4) throw new MalformedInputError('The ID3v2 extended header is cut off')
    const ext = version === 3 ? new DataView(body.buffer, body.byteOffset).getUint32(0) + 4 : syncsafe(body, 0)
    if (ext > body.length || ext < 4) throw new MalformedInputError(`The ID3v2 extended header declares ${ext} bytes but the tag body has ${body.length}`)
    o = ext
  }
  const idLen = version === 2 ? 3 : 4
  const headLen = version === 2 ? 6 : 10
  let count = 0
  while (o + headLen <= body.length) {
    if (body[o] === 0) break // padding
    const id = String.fromCharCode(...body.subarray(o, o + idLen))
    if (!/^[A-Z0-9]+$/.test(id)) {
      tag.problems.push(`unexpected bytes where a frame id should be at tag offset ${o}`)
      break
    }
    if (++count > limits.maxChunks) throw new TooLargeError(`The ID3v2 tag has more than ${limits.maxChunks} frames (limits.maxChunks)`, { details: { limit: 'maxChunks', value: limits.maxChunks } })
    let size: number
    if (version === 2) size = (body[o + 3]! << 16) | (body[o + 4]! << 8) | body[o + 5]!
    else if (version === 3) size = new DataView(body.buffer, body.byteOffset).getUint32(o + 4)
    else {
      // iTunes once wrote v2.4 sizes without syncsafe encoding; accept either when unambiguous.
      const raw = new DataView(body.buffer, body.byteOffset).getUint32(o + 4)
      size = body.subarray(o + 4, o + 8).some((x) => x & 0x80) ? raw : syncsafe(body, o + 4)
      if (size !== raw && !plausibleNext(body, o + headLen + size) && plausibleNext(body, o + headLen + raw)) size = raw
    }
    const end = o + headLen + size
    if (end > body.length) throw new MalformedInputError(`ID3v2 frame ${id} at tag offset ${o} declares ${size} bytes but only ${body.length - o - headLen} remain in the tag`, { details: { frame: id } })
    const raw = body.subarray(o, end)
    const frame: Id3Frame = { id, raw, body: frameBody(version, raw, headLen, tag.problems, id) }
    tag.frames.push(frame)
    interpret(tag, frame)
    o = end
  }
  return tag
}

function plausibleNext(body: Uint8Array, o: number): boolean {
  if (o === body.length) return true
  if (o > body.length) return false
  if (body[o] === 0) return true
  return o + 4 <= body.length && /^[A-Z0-9]{4}$/.test(String.fromCharCode(...body.subarray(o, o + 4)))
}

/** The frame's content, or null when compressed/encrypted or damaged (noted in `problems`). */
function frameBody(version: number, raw: Uint8Array, headLen: number, problems: string[], id: string): Uint8Array | null {
  if (version === 2) return raw.subarray(headLen)
  const f2 = raw[9]!
  let content = raw.subarray(headLen)
  if (version === 3) {
    const extra = (f2 & 0x80 ? 4 : 0) + (f2 & 0x40 ? 1 : 0) + (f2 & 0x20 ? 1 : 0)
    if (content.length < extra) {
      problems.push(`frame ${id} declares ${extra} bytes of flag data but has only ${content.length}`)
      return null
    }
    if (f2 & 0xc0) return null
    return content.subarray(extra)
  }
  const extra = (f2 & 0x40 ? 1 : 0) + (f2 & 0x08 || f2 & 0x01 ? 4 : 0) + (f2 & 0x04 ? 1 : 0)
  if (content.length < extra) {
    problems.push(`frame ${id} declares ${extra} bytes of flag data but has only ${content.length}`)
    return null
  }
  if (f2 & 0x0c) return null
  content = content.subarray(extra)
  return f2 & 0x02 ? deunsync(content) : content
}

function interpret(tag: Id3Tag, frame: Id3Frame): void {
  const b = frame.body
  if (!b || b.length === 0) return
  const id = frame.id
  if (id === 'TXXX' || id === 'TXX') {
    const [desc, rest] = splitTerminated(b[0]!, b.subarray(1))
    tag.txxx.push({ description: stripNuls(decodeText(b[0]!, desc)), value: stripNuls(decodeText(b[0]!, rest)), frame })
  } else if (id === 'PRIV') {
    const [owner, data] = splitTerminated(0, b)
    if (decodeText(0, owner) === 'XMP' && tag.xmp === undefined) tag.xmp = stripNuls(fromUtf8(data))
  } else if (id === 'GEOB' || id === 'GEO') {
    const [mime] = splitTerminated(0, b.subarray(1))
    if (/c2pa/i.test(decodeText(0, mime))) tag.c2pa.push({ size: b.length })
  } else if (id === 'APIC' || id === 'PIC') tag.fields.pictures = Number(tag.fields.pictures ?? 0) + 1
  else if (id === 'CHAP') tag.fields.chapters = Number(tag.fields.chapters ?? 0) + 1
  else if (TEXT_FIELDS[id] && tag.fields[TEXT_FIELDS[id]!] === undefined) tag.fields[TEXT_FIELDS[id]!] = stripNuls(decodeText(b[0]!, b.subarray(1))).replace(/\u0000/g, '; ')
}

// ---------------------------------------------------------------------------
// Writing

function latin1Ok(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false
  return true
}

function encodeLatin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0))
}

function encodeUtf16Bom(s: string): Uint8Array {
  const out = new Uint8Array(2 + s.length * 2)
  out[0] = 0xff
  out[1] = 0xfe
  for (let i = 0; i < s.length; i++) {
    out[2 + i * 2] = s.charCodeAt(i) & 0xff
    out[3 + i * 2] = s.charCodeAt(i) >> 8
  }
  return out
}

/** A TXXX frame body: UTF-8 in v2.4, Latin-1 when the text allows, else UTF-16 with BOM. */
function txxxBody(version: number, description: string, value: string): Uint8Array {
  if (version === 4) {
    const enc = new TextEncoder()
    return joinBytes([new Uint8Array([3]), enc.encode(description), new Uint8Array([0]), enc.encode(value)])
  }
  if (latin1Ok(description) && latin1Ok(value)) return joinBytes([new Uint8Array([0]), encodeLatin1(description), new Uint8Array([0]), encodeLatin1(value)])
  return joinBytes([new Uint8Array([1]), encodeUtf16Bom(description), new Uint8Array([0, 0]), encodeUtf16Bom(value)])
}

export function buildFrame(version: number, id: string, body: Uint8Array): Uint8Array {
  if (version === 2) {
    const out = new Uint8Array(6 + body.length)
    out.set(encodeLatin1(id.slice(0, 3)))
    out[3] = (body.length >> 16) & 0xff
    out[4] = (body.length >> 8) & 0xff
    out[5] = body.length & 0xff
    out.set(body, 6)
    return out
  }
  const out = new Uint8Array(10 + body.length)
  out.set(encodeLatin1(id))
  if (version === 4) writeSyncsafe(out, 4, body.length)
  else new DataView(out.buffer).setUint32(4, body.length)
  out.set(body, 10)
  return out
}

export function txxxFrame(version: number, description: string, value: string): Uint8Array {
  return buildFrame(version, version === 2 ? 'TXX' : 'TXXX', txxxBody(version, description, value))
}

export function privFrame(version: number, owner: string, data: Uint8Array): Uint8Array {
  return buildFrame(version, 'PRIV', joinBytes([encodeLatin1(owner), new Uint8Array([0]), data]))
}

/** Serialises a tag (no unsynchronisation, no extended header) with `padding` zero bytes. */
export function buildTag(version: number, frames: readonly Uint8Array[], padding = 0): Uint8Array {
  let size = padding
  for (const f of frames) size += f.length
  if (size > 0x0fffffff) throw new UnsupportedFormatError(`An ID3v2 tag can hold at most 256 MiB; this one would need ${size} bytes`)
  const header = Uint8Array.of(0x49, 0x44, 0x33, version, 0, 0, 0, 0, 0, 0)
  writeSyncsafe(header, 6, size)
  return joinBytes([header, ...frames, new Uint8Array(padding)])
}

/** True for frames Tanba owns (replaced on every stamp). */
export function isTanbaFrame(tag: Id3Tag, frame: Id3Frame): boolean {
  if (frame.id === 'TXXX' || frame.id === 'TXX') {
    const t = tag.txxx.find((x) => x.frame === frame)
    return t !== undefined && (t.description === 'AIGC' || t.description === 'TANBA')
  }
  if (frame.id === 'PRIV' && frame.body) {
    const [owner] = splitTerminated(0, frame.body)
    return decodeText(0, owner) === 'XMP'
  }
  return false
}
