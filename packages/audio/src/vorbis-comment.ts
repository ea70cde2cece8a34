import { fromUtf8, MalformedInputError, TooLargeError, utf8 } from '@tanba/core'
import { joinBytes } from './util.js'

/** A Vorbis comment block (FLAC VORBIS_COMMENT, Ogg Vorbis/Opus comment header): vendor plus NAME=value list. */
export interface VorbisComments {
  vendor: string
  /** Raw comment entries in order; each is "NAME=value" as stored (kept byte for byte). */
  entries: Uint8Array[]
}

/** Parses a comment list (without any packet type prefix). `trailing` receives bytes after the list. */
export function parseVorbisComments(b: Uint8Array, maxEntries: number): VorbisComments & { end: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const need = (o: number, n: number, what: string) => {
    if (o + n > b.length) throw new MalformedInputError(`The Vorbis comment block is cut off while reading ${what}: needs ${n} bytes at offset ${o}, has ${b.length - o}`)
  }
  need(0, 4, 'the vendor length')
  const vendorLen = v.getUint32(0, true)
  need(4, vendorLen, 'the vendor string')
  const vendor = fromUtf8(b.subarray(4, 4 + vendorLen))
  let o = 4 + vendorLen
  need(o, 4, 'the comment count')
  const count = v.getUint32(o, true)
  o += 4
  // A count the block cannot hold is damage; a count it can hold but past the limit is too large.
  if (count * 4 > b.length - o) throw new MalformedInputError(`The Vorbis comment block declares ${count} comments but has room for at most ${Math.floor((b.length - o) / 4)}`)
  if (count > maxEntries) throw new TooLargeError(`The Vorbis comment block holds ${count} comments; at most ${maxEntries} are read (limits.maxChunks)`, { details: { limit: 'maxChunks', value: maxEntries } })
  const entries: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    need(o, 4, `the length of comment ${i}`)
    const len = v.getUint32(o, true)
    o += 4
    need(o, len, `comment ${i}`)
    entries.push(b.subarray(o, o + len))
    o += len
  }
  return { vendor, entries, end: o }
}

export function buildVorbisComments(c: VorbisComments): Uint8Array {
  const vendor = utf8(c.vendor)
  const parts: Uint8Array[] = [u32(vendor.length), vendor, u32(c.entries.length)]
  for (const e of c.entries) parts.push(u32(e.length), e)
  return joinBytes(parts)
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, true)
  return out
}

/** Splits an entry into an upper-case name and its value. */
export function commentField(entry: Uint8Array): { name: string; value: string } {
  const eq = entry.indexOf(0x3d)
  if (eq < 0) return { name: fromUtf8(entry).toUpperCase(), value: '' }
  return { name: fromUtf8(entry.subarray(0, eq)).toUpperCase(), value: fromUtf8(entry.subarray(eq + 1)) }
}

export function commentEntry(name: string, value: string): Uint8Array {
  return utf8(`${name}=${value}`)
}

/** The comment names Tanba writes: AIGC (TC260 JSON) and TANBA (the label JSON). */
export const TANBA_COMMENTS = ['AIGC', 'TANBA'] as const

/** Common tag names for `inspect`. */
export function commentTags(entries: readonly Uint8Array[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of entries) {
    const { name, value } = commentField(e)
    const key = ({ TITLE: 'title', ARTIST: 'artist', ALBUM: 'album', DATE: 'date', GENRE: 'genre', ENCODER: 'encoder', COMMENT: 'comment', DESCRIPTION: 'comment' } as Record<string, string>)[name]
    if (key && out[key] === undefined) out[key] = value
    if (name === 'METADATA_BLOCK_PICTURE') out.pictures = String(Number(out.pictures ?? 0) + 1)
    if (/^CHAPTER\d+$/.test(name)) out.chapters = String(Number(out.chapters ?? 0) + 1)
  }
  return out
}
