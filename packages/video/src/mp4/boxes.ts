import { MalformedInputError, readIsoBoxHeader, TooLargeError, UnsupportedFormatError, type IsoBox, type Limits } from '@tanba/core'
import type { ByteSource } from '../source.js'

/**
 * The largest `moov` box read into memory. It holds the sample tables (about 12-20 bytes per frame
 * or audio packet): ten hours of 60 fps video with its audio stays well under this.
 */
export const MAX_MOOV_BYTES = 256 * 1024 ** 2

/** One ISO BMFF box: where it is and what it holds. Offsets are absolute in the file (top level) or in the moov buffer. */
export interface Box extends IsoBox {
  /** Children, for the containers the reader walks. */
  children?: Box[]
  /** Where the children start (after a FullBox header, a sample-entry prefix). */
  childOffset?: number
}

const fourcc = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!)

/** The top-level boxes of a file, reading only their headers. */
export function readTopBoxes(src: ByteSource, limits: Limits): Box[] {
  const out: Box[] = []
  let o = 0
  while (o < src.size) {
    if (out.length >= limits.maxChunks) throw new TooLargeError(`The file has more than ${limits.maxChunks} top-level boxes (limits.maxChunks)`, { details: { limit: 'maxChunks' } })
    const box: Box = readIsoBoxHeader(src.read(o, Math.min(32, src.size - o)), o, src.size, 'in the file')
    out.push(box)
    o = box.end
  }
  return out
}

/** Containers the reader walks inside `moov`; `meta` and sample entries get their prefixes skipped. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'udta', 'edts', 'dinf', 'mvex', 'meta', 'ilst', 'wave', 'moof', 'traf'])

/** The offset of a meta box's children: ISO meta is a FullBox (4 bytes), QuickTime's is not. */
function metaChildOffset(b: Uint8Array, box: Box): number {
  const p = box.dataOffset
  if (p + 8 <= box.end && fourcc(b, p + 4) === 'hdlr') return p
  return p + 4
}

/**
 * Builds the tree of `moov` (in memory) down to the sample tables, checking depth and box counts.
 * A hostile file nesting boxes a thousand deep stops at `limits.maxDepth` with a TooLargeError.
 */
export function parseMoovTree(b: Uint8Array, box: Box, limits: Limits): Box {
  const counter = { n: 0 }
  const walk = (node: Box, depth: number, parent: string): Box => {
    if (depth > limits.maxDepth) throw new TooLargeError(`MP4 boxes are nested more than ${limits.maxDepth} deep (limits.maxDepth)`, { details: { limit: 'maxDepth' } })
    // ilst items are lists of data boxes; a trak's udta may hold anything, so only known containers are walked.
    const isContainer = CONTAINERS.has(node.type) || parent === 'ilst'
    if (!isContainer) return node
    const start = node.type === 'meta' ? metaChildOffset(b, node) : node.dataOffset
    const kids: Box[] = []
    let o = start
    let end = node.end
    // QuickTime may end a udta box with a 32-bit zero terminator.
    if (node.type === 'udta' && end - start >= 4 && b[end - 1] === 0 && b[end - 2] === 0 && b[end - 3] === 0 && b[end - 4] === 0 && !fits(b, start, end)) end -= 4
    while (o < end) {
      if (++counter.n > limits.maxChunks) throw new TooLargeError(`The moov box holds more than ${limits.maxChunks} boxes (limits.maxChunks)`, { details: { limit: 'maxChunks' } })
      const kid: Box = readIsoBoxHeader(b.subarray(o, Math.min(o + 32, end)), o, end, `inside "${node.type}"`)
      if (parent === 'ilst') kids.push(kid)
      else kids.push(walk(kid, depth + 1, node.type))
      o = kid.end
    }
    return { ...node, children: kids, childOffset: start }
  }
  return walk(box, 1, '')
}

/** True when the boxes between start and end tile it exactly (so a trailing zero word is a box, not a terminator). */
function fits(b: Uint8Array, start: number, end: number): boolean {
  let o = start
  while (o + 8 <= end) {
    const size = new DataView(b.buffer, b.byteOffset).getUint32(o)
    if (size < 8) return false
    o += size
  }
  return o === end
}

/** Reads the moov box into memory (bounded by MAX_MOOV_BYTES) and returns its bytes, rebased to offset 0, and its tree. */
export function readMoov(src: ByteSource, box: Box, limits: Limits): { bytes: Uint8Array; tree: Box } {
  if (box.size > MAX_MOOV_BYTES) throw new TooLargeError(`The moov box is ${box.size} bytes; at most ${MAX_MOOV_BYTES} are read`, { details: { size: box.size, limit: MAX_MOOV_BYTES } })
  const bytes = src.read(box.offset, box.size)
  const local: Box = { ...box, offset: 0, dataOffset: box.headerSize, end: box.size }
  return { bytes, tree: parseMoovTree(bytes, local, limits) }
}

export function child(node: Box | undefined, type: string): Box | undefined {
  return node?.children?.find((c) => c.type === type)
}

export function children(node: Box | undefined, type: string): Box[] {
  return node?.children?.filter((c) => c.type === type) ?? []
}

export function path(node: Box | undefined, ...types: string[]): Box | undefined {
  let n = node
  for (const t of types) n = child(n, t)
  return n
}

export function payload(b: Uint8Array, box: Box): Uint8Array {
  return b.subarray(box.dataOffset, box.end)
}

export function view(p: Uint8Array): DataView {
  return new DataView(p.buffer, p.byteOffset, p.byteLength)
}

/** Fails with a clear error when a box payload is shorter than the fields read from it. */
export function need(p: Uint8Array, length: number, what: string): void {
  if (p.length < length) throw new MalformedInputError(`The MP4 "${what}" box is cut off: expected at least ${length} bytes but it holds ${p.length}`, { details: { box: what } })
}

export function unsupported(message: string, details: Record<string, unknown> = {}): never {
  throw new UnsupportedFormatError(message, { details })
}
