import { createSha256, MalformedInputError, throwIfAborted, toBase64Url, utf8, type IncrementalSha256 } from '@tanba/core'
import type { ByteSource } from '../source.js'
import { fragmentRuns, type FragmentRun } from './fragments.js'
import { moviePresentation, trackPresentation } from './presentation.js'
import type { Mp4Asset } from './parse.js'
import { chunks, sampleSize, type SampleTables, type Track } from './tracks.js'

/**
 * The binding method for ISO BMFF video: per bound track, the decoder configuration, the coded
 * samples in decoding order and their timing, and what decides how they are shown or heard (the
 * movie and track headers' matrix, volume and enabled flag, the edit list, the sample entries'
 * presentation boxes; see presentation.ts). Box layout, chunking, interleaving, chunk offsets and
 * metadata are outside it, so `-movflags faststart` or a `-c copy` remux leaves it intact while any
 * changed, dropped or added frame or audio packet, a retimed or cropped presentation, a muted track
 * or an added subtitle track breaks it.
 */
export const VIDEO_BMFF_BINDING = 'tanba.video.bmff/1'

/**
 * Handlers whose tracks are outside the binding: timecode, hint and timed metadata tracks, which no
 * player shows over the picture. Every other track (video, sound, subtitles, captions, auxiliary
 * video such as alpha or depth, and kinds Tanba does not know) is bound.
 */
export const UNBOUND_HANDLERS = ['tmcd', 'hint', 'meta'] as const

/** The largest piece of sample data read at once from the source. */
const READ_WINDOW = 8 * 1024 ** 2
/** Timing records hashed in batches of this many. */
const RECORD_BATCH = 4096
const RECORD_BYTES = 21

export interface TrackDigest {
  track: number
  handler: string
  codec: string
  samples: number
  /** Time scale after dividing out the common factor of the scale, durations and offsets. */
  timescale: number
  /** base64url SHA-256 of the decoder configuration, the timing records and the sample data. */
  config: string
  timing: string
  data: string
}

export interface BmffDigest {
  method: string
  digest: string
  tracks: TrackDigest[]
  /** The text hashed into `digest` (one line per bound track). */
  manifest: string
}

export function boundTracks(asset: Mp4Asset): Track[] {
  return asset.tracks.filter((t) => !(UNBOUND_HANDLERS as readonly string[]).includes(t.handler))
}

export function bmffDigest(asset: Mp4Asset, signal?: AbortSignal): BmffDigest {
  const tracks = boundTracks(asset)
  if (!tracks.some((t) => t.handler === 'vide' || t.handler === 'soun')) throw new MalformedInputError(`The file has no video or audio track (handlers: ${asset.tracks.map((t) => t.handler).join(', ') || 'none'})`)
  const results = tracks.map((t, i) => trackDigest(asset, t, i, signal))
  const digests = results.map((r) => r.digest)
  const manifest = [
    `${VIDEO_BMFF_BINDING}\n`,
    `${moviePresentation(asset.moov, asset.tree)}\n`,
    ...digests.map((d, i) => {
      const t = tracks[i]!
      const picture = t.handler === 'vide' ? ` ${t.width ?? 0}x${t.height ?? 0} rotate=${t.rotation}` : ''
      return `track ${i} ${d.handler} ${d.codec}${picture} samples=${d.samples} timescale=${d.timescale} config=${d.config} timing=${d.timing} data=${d.data}\n  ${trackPresentation(asset.moov, asset.tree, t, results[i]!.earliest, asset.fragmented)}\n`
    }),
  ].join('')
  return { method: VIDEO_BMFF_BINDING, digest: createSha256().update(utf8(manifest)).digestBase64Url(), tracks: digests, manifest }
}

/** A track's digest, and its earliest composition time in media ticks (where its presentation can start). */
function trackDigest(asset: Mp4Asset, t: Track, position: number, signal?: AbortSignal): { digest: TrackDigest; earliest: number } {
  const src = asset.src
  const tables = t.tables
  // Movie fragments add samples after those of the tables (usually none in a fragmented file).
  const runs = (): Iterable<FragmentRun> => (asset.fragmented ? fragmentRuns(asset, t, asset.limits) : [])
  const config = createSha256()
  for (const c of t.config) config.update(u32(c.length)).update(c)
  const timing = createSha256()
  const data = createSha256()
  const { scale, min } = timingScale(t, tables, runs)
  const records = new Uint8Array(RECORD_BATCH * RECORD_BYTES)
  const rv = new DataView(records.buffer)
  let filled = 0
  const clock = new TimingCursor(tables, min, scale)
  // Decoding time and the earliest presentation time, in scaled ticks.
  let dts = 0
  let earliest = Infinity
  let n = 0
  for (const chunk of chunks(tables, src.size, t.index, t.entries)) {
    if ((n++ & 0xff) === 0) throwIfAborted(signal)
    hashRange(src, chunk.offset, chunk.bytes, data)
    for (let s = chunk.firstSample; s < chunk.firstSample + chunk.samples; s++) {
      const o = filled * RECORD_BYTES
      const [duration, composition, sync] = clock.next(s)
      if (dts + composition < earliest) earliest = dts + composition
      dts += duration
      rv.setUint32(o, sampleSize(tables, s))
      rv.setUint32(o + 4, duration)
      rv.setFloat64(o + 8, composition)
      records[o + 16] = sync ? 1 : 0
      rv.setUint32(o + 17, chunk.description)
      if (++filled === RECORD_BATCH) {
        timing.update(records)
        filled = 0
      }
    }
  }
  let fragmentSamples = 0
  for (const run of runs()) {
    throwIfAborted(signal)
    hashRange(src, run.offset, run.bytes, data)
    for (let i = 0; i < run.sizes.length; i++) {
      const o = filled * RECORD_BYTES
      const composition = (run.cts[i]! - min) / scale
      if (dts + composition < earliest) earliest = dts + composition
      dts += run.durations[i]! / scale
      rv.setUint32(o, run.sizes[i]!)
      rv.setUint32(o + 4, run.durations[i]! / scale)
      rv.setFloat64(o + 8, (run.cts[i]! - min) / scale)
      records[o + 16] = run.sync[i] ? 1 : 0
      rv.setUint32(o + 17, run.description)
      if (++filled === RECORD_BATCH) {
        timing.update(records)
        filled = 0
      }
    }
    fragmentSamples += run.sizes.length
  }
  if (filled) timing.update(records.subarray(0, filled * RECORD_BYTES))
  const digest: TrackDigest = {
    track: position,
    handler: t.handler,
    codec: t.codec,
    samples: tables.count + fragmentSamples,
    timescale: t.timescale / scale,
    config: toBase64Url(config.digest()),
    timing: toBase64Url(timing.digest()),
    data: toBase64Url(data.digest()),
  }
  return { digest, earliest: earliest === Infinity ? 0 : earliest * scale + min }
}

function hashRange(src: ByteSource, offset: number, length: number, hash: IncrementalSha256): void {
  if (src.scan) return src.scan(offset, length, (piece) => void hash.update(piece))
  for (let o = 0; o < length; o += READ_WINDOW) hash.update(src.read(offset + o, Math.min(READ_WINDOW, length - o)))
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

const gcd = (a: number, b: number): number => {
  while (b) [a, b] = [b, a % b]
  return a
}

/**
 * Timing is hashed in the track's own units divided by their common factor, with composition
 * offsets shifted so the smallest is 0: a muxer that doubles the time scale, or writes ctts
 * version 1 (negative offsets) where the input had version 0 and an edit list, leaves it unchanged.
 */
function timingScale(t: Track, tables: SampleTables, runs: () => Iterable<FragmentRun>): { scale: number; min: number } {
  let g = t.timescale
  for (let i = 0; i < tables.sttsCount; i++) g = gcd(g, tables.stts.getUint32(12 + i * 8))
  let min = Infinity
  if (tables.count) {
    if (tables.ctts) for (let i = 0; i < tables.cttsCount; i++) min = Math.min(min, cttsValue(tables, i))
    else min = 0
  }
  for (const run of runs()) {
    for (const d of run.durations) g = gcd(g, d)
    for (const c of run.cts) min = Math.min(min, c)
  }
  if (min === Infinity) min = 0
  if (tables.ctts && tables.count) for (let i = 0; i < tables.cttsCount; i++) g = gcd(g, cttsValue(tables, i) - min)
  else if (tables.count) g = gcd(g, min === 0 ? 0 : -min)
  for (const run of runs()) for (const c of run.cts) g = gcd(g, c - min)
  return { scale: g || 1, min }
}

function cttsValue(tables: SampleTables, entry: number): number {
  // Version 0 offsets are unsigned, but writers store negative ones there too; none real exceeds 2^31.
  return tables.ctts!.getInt32(12 + entry * 8)
}

/** Walks stts, ctts and stss alongside the samples in decoding order. */
class TimingCursor {
  #stts = 0
  #sttsLeft: number
  #ctts = 0
  #cttsLeft: number
  #stss = 0
  readonly #t: SampleTables
  readonly #min: number
  readonly #scale: number

  constructor(t: SampleTables, min: number, scale: number) {
    this.#t = t
    this.#min = min
    this.#scale = scale
    this.#sttsLeft = t.sttsCount ? t.stts.getUint32(8) : 0
    this.#cttsLeft = t.ctts && t.cttsCount ? t.ctts.getUint32(8) : 0
  }

  /** [duration, composition offset, sync] of sample `s` (0-based), which must be the next one. */
  next(s: number): [number, number, boolean] {
    const t = this.#t
    while (this.#sttsLeft === 0 && this.#stts + 1 < t.sttsCount) this.#sttsLeft = t.stts.getUint32(8 + ++this.#stts * 8)
    this.#sttsLeft--
    const duration = t.stts.getUint32(12 + this.#stts * 8) / this.#scale
    let composition = 0
    if (t.ctts) {
      while (this.#cttsLeft === 0 && this.#ctts + 1 < t.cttsCount) this.#cttsLeft = t.ctts.getUint32(8 + ++this.#ctts * 8)
      this.#cttsLeft--
      composition = (cttsValue(t, this.#ctts) - this.#min) / this.#scale
    }
    let sync = true
    if (t.stss) {
      while (this.#stss < t.stssCount && t.stss.getUint32(8 + this.#stss * 4) < s + 1) this.#stss++
      sync = this.#stss < t.stssCount && t.stss.getUint32(8 + this.#stss * 4) === s + 1
    }
    return [duration, composition, sync]
  }
}
