import { MalformedInputError, TooLargeError, type Limits } from '@tanba/core'
import { children, MAX_MOOV_BYTES, parseMoovTree, path, payload, view, type Box } from './boxes.js'
import type { Mp4Asset } from './parse.js'
import { MAX_SAMPLES_PER_TRACK, type Track } from './tracks.js'

/** One track run of a movie fragment: contiguous samples and their timing. */
export interface FragmentRun {
  offset: number
  bytes: number
  sizes: number[]
  durations: number[]
  /** Composition offsets as stored (signed). */
  cts: number[]
  sync: boolean[]
  /** The sample entry (1-based) its samples use. */
  description: number
}

interface TrackDefaults {
  description: number
  duration: number
  size: number
  flags: number
}

const NON_SYNC = 0x10000

/** trex defaults of a track (moov/mvex/trex), or zeros. */
function trexDefaults(asset: Mp4Asset, trackId: number): TrackDefaults {
  for (const trex of children(path(asset.tree, 'mvex'), 'trex')) {
    const p = payload(asset.moov, trex)
    if (p.length < 24) continue
    const v = view(p)
    if (v.getUint32(4) === trackId) return { description: v.getUint32(8), duration: v.getUint32(12), size: v.getUint32(16), flags: v.getUint32(20) }
  }
  return { description: 1, duration: 0, size: 0, flags: 0 }
}

/**
 * The runs of `track` in every top-level moof box, in file order (ISO/IEC 14496-12 8.8). Each moof
 * is read into memory on its own (bounded like moov); sample counts are bounded per track.
 */
export function* fragmentRuns(asset: Mp4Asset, track: Track, limits: Limits): Generator<FragmentRun> {
  const trex = trexDefaults(asset, track.id)
  let total = 0
  for (const moofBox of asset.top) {
    if (moofBox.type !== 'moof') continue
    if (moofBox.size > MAX_MOOV_BYTES) throw new TooLargeError(`A moof box is ${moofBox.size} bytes; at most ${MAX_MOOV_BYTES} are read`)
    const bytes = asset.src.read(moofBox.offset, moofBox.size)
    const tree = parseMoovTree(bytes, { ...moofBox, offset: 0, dataOffset: moofBox.headerSize, end: moofBox.size }, limits)
    for (const traf of children(tree, 'traf')) {
      const tfhd = traf.children?.find((c) => c.type === 'tfhd')
      if (!tfhd) throw new MalformedInputError(`A traf box in the moof at offset ${moofBox.offset} has no tfhd`)
      const h = payload(bytes, tfhd)
      if (h.length < 8) throw new MalformedInputError('A tfhd box is cut off')
      const hv = view(h)
      if (hv.getUint32(4) !== track.id) continue
      const flags = hv.getUint32(0) & 0xffffff
      let o = 8
      const field = (present: boolean, wide = false): number | undefined => {
        if (!present) return undefined
        if (o + (wide ? 8 : 4) > h.length) throw new MalformedInputError('A tfhd box is cut off')
        const value = wide ? Number(hv.getBigUint64(o)) : hv.getUint32(o)
        o += wide ? 8 : 4
        return value
      }
      const baseOffset = field(Boolean(flags & 0x1), true)
      const description = field(Boolean(flags & 0x2)) ?? trex.description
      if (description < 1 || description > track.entries) throw new MalformedInputError(`MP4 track ${track.index + 1}: a fragment uses sample description ${description} but stsd holds ${track.entries}`)
      const duration = field(Boolean(flags & 0x8)) ?? trex.duration
      const size = field(Boolean(flags & 0x10)) ?? trex.size
      const sampleFlags = field(Boolean(flags & 0x20)) ?? trex.flags
      // Without an explicit base, data offsets count from the moof (default-base-is-moof, and what CMAF requires).
      let next = baseOffset ?? moofBox.offset
      for (const trun of children(traf, 'trun')) {
        const run = readTrun(bytes, trun, { description, duration, size, flags: sampleFlags }, baseOffset ?? moofBox.offset, next, moofBox.offset)
        total += run.sizes.length
        if (total > MAX_SAMPLES_PER_TRACK) throw new TooLargeError(`MP4 track ${track.index + 1} has more than ${MAX_SAMPLES_PER_TRACK} samples in its fragments`)
        if (run.offset + run.bytes > asset.src.size) {
          throw new MalformedInputError(`MP4 track ${track.index + 1}: a fragment run (offset ${run.offset}, ${run.bytes} bytes) lies past the end of the file (${asset.src.size} bytes)`, { details: { offset: run.offset, bytes: run.bytes } })
        }
        next = run.offset + run.bytes
        yield run
      }
    }
  }
}

function readTrun(b: Uint8Array, trun: Box, defaults: TrackDefaults, base: number, next: number, moofAt: number): FragmentRun {
  const p = payload(b, trun)
  if (p.length < 8) throw new MalformedInputError('A trun box is cut off')
  const v = view(p)
  const version = p[0]
  const flags = v.getUint32(0) & 0xffffff
  const count = v.getUint32(4)
  let o = 8
  let offset = next
  if (flags & 0x1) {
    if (o + 4 > p.length) throw new MalformedInputError('A trun box is cut off')
    offset = base + v.getInt32(o)
    o += 4
  }
  let firstFlags: number | undefined
  if (flags & 0x4) {
    if (o + 4 > p.length) throw new MalformedInputError('A trun box is cut off')
    firstFlags = v.getUint32(o)
    o += 4
  }
  const per = ((flags & 0x100) ? 4 : 0) + ((flags & 0x200) ? 4 : 0) + ((flags & 0x400) ? 4 : 0) + ((flags & 0x800) ? 4 : 0)
  if (o + count * per > p.length) throw new MalformedInputError(`A trun box declares ${count} samples but holds fewer`, { details: { samples: count } })
  if (!per && count > MAX_SAMPLES_PER_TRACK) throw new TooLargeError(`A trun box declares ${count} samples`)
  const run: FragmentRun = { offset, bytes: 0, sizes: [], durations: [], cts: [], sync: [], description: defaults.description }
  for (let i = 0; i < count; i++) {
    const duration = flags & 0x100 ? v.getUint32((o += 4) - 4) : defaults.duration
    const size = flags & 0x200 ? v.getUint32((o += 4) - 4) : defaults.size
    const sampleFlags = flags & 0x400 ? v.getUint32((o += 4) - 4) : i === 0 && firstFlags !== undefined ? firstFlags : defaults.flags
    const cts = flags & 0x800 ? (version === 1 ? v.getInt32((o += 4) - 4) : v.getUint32((o += 4) - 4) | 0) : 0
    run.durations.push(duration)
    run.sizes.push(size)
    run.cts.push(cts)
    run.sync.push(!(sampleFlags & NON_SYNC))
    run.bytes += size
  }
  if (offset < 0 || offset < moofAt - Number.MAX_SAFE_INTEGER) throw new MalformedInputError('A trun data offset points before the file')
  return run
}
