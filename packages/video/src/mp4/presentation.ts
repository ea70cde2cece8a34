import { createSha256 } from '@tanba/core'
import { child, children, path, payload, view, type Box } from './boxes.js'
import { CONFIG_BOXES, entryBoxesAt, fourcc, type Track } from './tracks.js'

// What changes how the bound samples are shown or heard without touching them: the movie's and each
// track's header (matrix, volume, enabled flag, display size), the edit list (which media time plays
// when) and the sample entries' presentation boxes (colour, pixel aspect, clean aperture, spatial
// audio...). An attacker who sets an edit list that starts after the opening notice, a matrix that
// scales the picture away, a volume of 0 or a clean aperture that crops the warning leaves every
// sample intact; these lines put all of that inside the binding too.
//
// Values are normalised so that a `-c copy` remux (another time scale, another interleaving, an
// identity edit list added or dropped) gives the same text: times in milliseconds, an edit that
// runs to the end of the media written as "end".

/** Sample-entry child boxes that say nothing about how the samples look or sound (a muxer may add or drop them). */
const IGNORED_ENTRY_BOXES = new Set(['btrt'])

/** The movie header's playback facts: rate, volume, matrix. */
export function moviePresentation(moov: Uint8Array, tree: Box): string {
  const mvhd = child(tree, 'mvhd')
  if (!mvhd) return 'movie none'
  const p = payload(moov, mvhd)
  const v1 = p[0] === 1
  const at = v1 ? 32 : 20
  if (p.length < at + 16 + 36) return 'movie short'
  const v = view(p)
  const matrix = Array.from({ length: 9 }, (_, i) => v.getInt32(at + 16 + i * 4)).join(',')
  return `movie rate=${v.getInt32(at)} volume=${v.getInt16(at + 4)} matrix=${matrix}`
}

/** The movie time scale (mvhd), which edit list durations are counted in. */
export function movieTimescale(moov: Uint8Array, tree: Box): number {
  const mvhd = child(tree, 'mvhd')
  if (!mvhd) return 0
  const p = payload(moov, mvhd)
  const at = p[0] === 1 ? 20 : 12
  return p.length >= at + 4 ? view(p).getUint32(at) : 0
}

/**
 * One track's presentation line (without the samples, which the binding hashes elsewhere).
 * `earliest` is the track's earliest composition time in media ticks: edit list start times are
 * counted from it, so an edit that starts at the first shown frame reads the same as no edit list
 * (ffmpeg writes one for B-frame delay or AAC priming in some outputs and none in others).
 */
export function trackPresentation(moov: Uint8Array, tree: Box, track: Track, earliest: number, fragmented: boolean): string {
  const trak = children(tree, 'trak')[track.index]
  if (!trak) return 'header none'
  const parts: string[] = []
  const tkhd = child(trak, 'tkhd')
  if (tkhd) {
    const p = payload(moov, tkhd)
    const v1 = p[0] === 1
    const at = v1 ? 44 : 32
    if (p.length >= at + 52) {
      const v = view(p)
      const flags = (p[1]! << 16) | (p[2]! << 8) | p[3]!
      const matrix = Array.from({ length: 9 }, (_, i) => v.getInt32(at + 8 + i * 4)).join(',')
      // The display size in whole pixels (16.16 fixed point; muxers differ in the fraction).
      const w = Math.round(v.getUint32(at + 44) / 65536)
      const h = Math.round(v.getUint32(at + 48) / 65536)
      parts.push(`enabled=${flags & 1} layer=${v.getInt16(at)} volume=${v.getInt16(at + 4)} matrix=${matrix} display=${w}x${h}`)
    } else parts.push('header short')
  }
  parts.push(`edits=${edits(moov, trak, track, earliest, movieTimescale(moov, tree), fragmented)}`)
  const extras = entryExtras(moov, trak, track.handler)
  if (extras) parts.push(`entry=${extras}`)
  return parts.join(' ')
}

/** The edit list, normalised: "none" for no edits or a single edit that plays the whole media from its start. */
function edits(moov: Uint8Array, trak: Box, track: Track, earliest: number, movieScale: number, fragmented: boolean): string {
  const elst = path(trak, 'edts', 'elst')
  if (!elst) return 'none'
  const p = payload(moov, elst)
  if (p.length < 8) return 'short'
  const v = view(p)
  const v1 = p[0] === 1
  const size = v1 ? 20 : 12
  const count = v.getUint32(4)
  if (8 + count * size > p.length) return `short:${count}`
  const ms = (ticks: number, scale: number) => (scale ? Math.round((ticks / scale) * 1000) : ticks)
  const mediaMs = fragmented ? Infinity : ms(mediaDuration(track), track.timescale)
  const out: string[] = []
  // Long lists are bound whole but hashed, so the line stays short.
  const hash = count > 16 ? createSha256() : null
  for (let i = 0; i < count; i++) {
    const o = 8 + i * size
    const duration = v1 ? Number(v.getBigUint64(o)) : v.getUint32(o)
    const mediaTime = v1 ? Number(v.getBigInt64(o + 8)) : v.getInt32(o + 4)
    const rate = v.getInt32(o + (v1 ? 16 : 8))
    let entry: string
    if (mediaTime === -1) entry = `delay:${ms(duration, movieScale)}`
    else {
      const start = ms(mediaTime - earliest, track.timescale)
      const length = ms(duration, movieScale)
      const toEnd = i === count - 1 && (duration === 0 || length >= mediaMs - ms(mediaTime, track.timescale) - 1)
      entry = `${start}+${toEnd ? 'end' : length}${rate === 0x10000 ? '' : `@${rate}`}`
    }
    if (hash) hash.update(new TextEncoder().encode(`${entry};`))
    else out.push(entry)
  }
  if (hash) return `${count}:${hash.digestBase64Url()}`
  if (out.length === 1 && out[0] === '0+end') return 'none'
  return out.join(',') || 'none'
}

function mediaDuration(track: Track): number {
  const t = track.tables
  let total = 0
  for (let i = 0; i < t.sttsCount; i++) total += t.stts.getUint32(8 + i * 8) * t.stts.getUint32(12 + i * 8)
  return total
}

/**
 * The presentation boxes of every sample entry (colr, pasp, clap, fiel, mdcv, clli, chnl, SA3D...):
 * every child box except the decoder configuration (bound as `config`) and a bit-rate hint. Unknown
 * boxes are bound too: what a player may honour is not Tanba's to guess.
 */
function entryExtras(moov: Uint8Array, trak: Box, handler: string): string {
  const stsd = path(trak, 'mdia', 'minf', 'stbl', 'stsd')
  if (!stsd) return ''
  const p = payload(moov, stsd)
  if (p.length < 8) return ''
  const v = view(p)
  const count = v.getUint32(4)
  const out: string[] = []
  let o = 8
  for (let n = 0; n < count && o + 8 <= p.length; n++) {
    const size = v.getUint32(o)
    if (size < 16 || o + size > p.length) break
    const entry = p.subarray(o, o + size)
    const at = entryBoxesAt(entry, handler)
    if (at > 0) {
      const boxes = extraBoxes(entry, at, 0, handler === 'soun' ? view(entry).getUint16(24) : 0)
      if (boxes.length) out.push(`${n + 1}:${boxes.join('+')}`)
    }
    o += size
  }
  return out.join(',')
}


/**
 * A QuickTime channel layout that says only what the channel count already says (mono for one
 * channel, stereo for two): ffmpeg's mov muxer writes one, its mp4 muxer does not.
 */
function defaultLayout(body: Uint8Array, channels: number): boolean {
  if (body.length < 16) return false
  const v = view(body)
  const tag = v.getUint32(4)
  return v.getUint32(12) === 0 && ((channels === 1 && tag === ((100 << 16) | 1)) || (channels === 2 && tag === ((101 << 16) | 2)))
}

function extraBoxes(e: Uint8Array, start: number, depth: number, channels: number): string[] {
  const out: string[] = []
  const v = view(e)
  let o = start
  while (o + 8 <= e.length) {
    const size = v.getUint32(o)
    if (size < 8 || o + size > e.length) break
    const type = fourcc(e, o + 4)
    const body = e.subarray(o + 8, o + size)
    if (type === 'wave' && depth === 0) out.push(...extraBoxes(body, 0, 1, channels))
    else if (type === 'chan' && defaultLayout(body, channels)) {
      // the same as no layout
    }
    // The decoder configuration (esds included) is bound as the track's `config`.
    else if (!CONFIG_BOXES.has(type) && type !== 'esds' && !IGNORED_ENTRY_BOXES.has(type) && !(depth === 1 && (type === 'frma' || type === 'mp4a' || type === '\0\0\0\0'))) {
      out.push(`${type.replace(/[^\x21-\x7e]/g, '?')}:${createSha256().update(body).digestBase64Url().slice(0, 22)}`)
    }
    o += size
  }
  return out
}
