import { MalformedInputError, TooLargeError, type Limits } from '@tanba/core'
import type { ByteSource } from '../source.js'
import { child, readMoov, readTopBoxes, type Box } from './boxes.js'
import { readTracks, type Track } from './tracks.js'

/** One ISO BMFF file, parsed once: the top-level layout, the moov bytes and tree, the tracks. */
export interface Mp4Asset {
  src: ByteSource
  top: Box[]
  /** The top-level moov box (absolute offsets in the file). */
  moovBox: Box
  /** The moov box's bytes (offset 0 is its header) and its tree in those bytes. */
  moov: Uint8Array
  tree: Box
  tracks: Track[]
  brands: string[]
  /** Movie fragments (moof) follow the moov: the sample tables describe only part of the media, if any. */
  fragmented: boolean
  limits: Limits
}

export function parseMp4(src: ByteSource, limits: Limits): Mp4Asset {
  if (src.size > limits.maxInputBytes) throw new TooLargeError(`The file is ${src.size} bytes; limits.maxInputBytes is ${limits.maxInputBytes}`, { details: { limit: 'maxInputBytes', size: src.size } })
  const top = readTopBoxes(src, limits)
  const moovs = top.filter((b) => b.type === 'moov')
  if (moovs.length !== 1) {
    throw new MalformedInputError(`Expected one "moov" box at the top level of the MP4 file but found ${moovs.length}${moovs.length ? '' : ' (the file is truncated, or not a movie)'}`, { details: { moov: moovs.length } })
  }
  const moovBox = moovs[0]!
  const { bytes: moov, tree } = readMoov(src, moovBox, limits)
  const tracks = readTracks(moov, tree, limits)
  const ftyp = top[0]?.type === 'ftyp' ? top[0] : undefined
  const brands: string[] = []
  if (ftyp && ftyp.size >= 16) {
    const p = src.read(ftyp.dataOffset, Math.min(ftyp.end - ftyp.dataOffset, 256))
    for (let o = 0; o + 4 <= p.length; o += 4) if (o !== 4) brands.push(String.fromCharCode(...p.subarray(o, o + 4)))
  }
  const fragmented = top.some((b) => b.type === 'moof') || Boolean(child(tree, 'mvex'))
  return { src, top, moovBox, moov, tree, tracks, brands, fragmented, limits }
}
