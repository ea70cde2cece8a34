import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc16, oggCrc32, resolveLimits, riffChunk, utf8, walkRiff, type FormatInfo } from '@tanba/core'
import { AUDIO_FORMATS } from '../src/formats.js'
import { mp3Layout } from '../src/mp3/frames.js'
import { buildTag, readId3Tag, txxxFrame } from '../src/mp3/id3.js'
import { parseFlac, rewriteFlacComments } from '../src/flac/flac.js'
import { parseOgg, rewriteOggComments } from '../src/ogg/ogg.js'
import { commentEntry } from '../src/vorbis-comment.js'
import { joinBytes } from '../src/util.js'

export const ROOT = new URL('../../..', import.meta.url).pathname
export const CORPUS = process.env.TANBA_CORPUS ?? join(ROOT, '../shared/corpus')
export const limits = resolveLimits()

export const format = (id: string): FormatInfo => AUDIO_FORMATS.find((f) => f.id === id)!
export const fixture = (name: string) => new Uint8Array(readFileSync(join(ROOT, 'fixtures/audio', name)))
export const corpus = (path: string) => new Uint8Array(readFileSync(join(CORPUS, path)))

/** Changes one byte in the middle of the audio essence, as an attacker would (fixing container checksums). */
export function tamperEssence(bytes: Uint8Array, f: FormatInfo): Uint8Array {
  const out = bytes.slice()
  if (f.id === 'wav') {
    const data = walkRiff(out).chunks.find((c) => c.id === 'data')!
    out[data.dataOffset + Math.floor(data.size / 2)]! ^= 0x01
  } else if (f.id === 'mp3') {
    const l = mp3Layout(out, limits)
    out[l.audioStart + Math.floor((l.audioEnd - l.audioStart) / 2)]! ^= 0x01
  } else if (f.id === 'flac') {
    const p = parseFlac(out, limits)
    out[p.framesStart + Math.floor((p.framesEnd - p.framesStart) / 2)]! ^= 0x01
  } else if (f.id === 'm4a') {
    // The last byte of mdat is a sample byte in these files.
    const i = findBox(out, 'mdat')
    out[i]! ^= 0x01
  } else if (f.id === 'ogg') {
    const ogg = parseOgg(out, limits)
    const page = ogg.pages[ogg.pages.length - 1]!
    out[page.body + 1]! ^= 0x01
    new DataView(out.buffer).setUint32(page.offset + 22, 0, true)
    new DataView(out.buffer).setUint32(page.offset + 22, oggCrc32(out, page.offset, page.offset + page.length), true)
  }
  return out
}

function findBox(b: Uint8Array, type: string): number {
  const v = new DataView(b.buffer, b.byteOffset)
  let o = 0
  while (o + 8 <= b.length) {
    const size = v.getUint32(o)
    if (String.fromCharCode(...b.subarray(o + 4, o + 8)) === type) return o + size - 1
    o += size
  }
  throw new Error(`no ${type}`)
}

/** Adds an unrelated tag with Tanba's own writers (standing in for another tagging tool). */
export function benignEdit(bytes: Uint8Array, f: FormatInfo): Uint8Array {
  if (f.id === 'wav') {
    const form = walkRiff(bytes)
    const body = joinBytes([bytes.subarray(12, form.end), riffChunk('LIST', joinBytes([utf8('INFO'), riffChunk('ICMT', utf8('edited by another tool\0'))]))])
    const head = new Uint8Array(12)
    head.set(bytes.subarray(0, 12))
    new DataView(head.buffer).setUint32(4, body.length + 4, true)
    return joinBytes([head, body])
  }
  if (f.id === 'mp3') {
    const tag = readId3Tag(bytes, 0, limits)
    const frames = [...tag.frames.map((x) => x.raw), txxxFrame(tag.version, 'MOOD', 'edited by another tool')]
    return joinBytes([buildTag(tag.version, frames), bytes.subarray(tag.length)])
  }
  if (f.id === 'flac') return rewriteFlacComments(bytes, (e) => [...e, commentEntry('COMMENT', 'edited by another tool')], limits)
  if (f.id === 'ogg') return rewriteOggComments(bytes, (e) => [...e, commentEntry('COMMENT', 'edited by another tool'.repeat(40))], limits)
  if (f.id === 'm4a') {
    // Retitle in place: "©nam" data changes, boxes keep their sizes.
    const out = bytes.slice()
    const at = indexOf(out, utf8('\u00a9nam'.normalize()))
    const i = at >= 0 ? at : indexOf(out, Uint8Array.from([0xa9, 0x6e, 0x61, 0x6d]))
    out[i + 4 + 16]! ^= 0x20
    return out
  }
  throw new Error(f.id)
}

export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer
    return i
  }
  return -1
}

export { crc16 }
