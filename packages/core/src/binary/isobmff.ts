import { MalformedInputError, TooLargeError } from '../errors.js'
import { DEFAULT_LIMITS } from '../limits.js'

/** One ISO base media file format box (MP4, M4A, MOV, HEIF, AVIF). */
export interface IsoBox {
  /** Four-character type, e.g. "moov", "mdat", "uuid". */
  type: string
  /** Offset of the box header. */
  offset: number
  /** Header length: 8, 16 (64-bit size), plus 16 for "uuid" boxes. */
  headerSize: number
  /** Total box size including the header. */
  size: number
  /** Offset of the payload. */
  dataOffset: number
  end: number
  /** For "uuid" boxes: the 16-byte extended type as lowercase hex. */
  uuid?: string
}

export interface IsoBoxOptions {
  maxChunks?: number
}

const fourcc = (b: Uint8Array, o: number): string => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!)

/**
 * Lists the boxes between `start` and `end` (one level). A box that declares more bytes than
 * remain, or a size smaller than its header, is a MalformedInputError; size 0 runs to `end`.
 */
export function readIsoBoxes(bytes: Uint8Array, start = 0, end = bytes.length, options: IsoBoxOptions = {}): IsoBox[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const maxChunks = options.maxChunks ?? DEFAULT_LIMITS.maxChunks
  const out: IsoBox[] = []
  let o = start
  while (o < end) {
    if (end - o < 8) throw new MalformedInputError(`Expected an 8-byte box header at offset ${o} but only ${end - o} bytes remain`)
    if (out.length >= maxChunks) throw new TooLargeError(`More than ${maxChunks} boxes in one container (limits.maxChunks)`, { details: { limit: 'maxChunks', value: maxChunks } })
    let size = view.getUint32(o)
    const type = fourcc(bytes, o + 4)
    let headerSize = 8
    if (size === 1) {
      if (end - o < 16) throw new MalformedInputError(`Box ${JSON.stringify(type)} at offset ${o} has a 64-bit size but the header is cut off`)
      const big = view.getBigUint64(o + 8)
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new TooLargeError(`Box ${JSON.stringify(type)} at offset ${o} declares ${big} bytes`)
      size = Number(big)
      headerSize = 16
    } else if (size === 0) {
      size = end - o
    }
    let uuid: string | undefined
    if (type === 'uuid') {
      if (end - o < headerSize + 16) throw new MalformedInputError(`A "uuid" box at offset ${o} is cut off before its extended type`)
      uuid = Array.from(bytes.subarray(o + headerSize, o + headerSize + 16), (b) => b.toString(16).padStart(2, '0')).join('')
      headerSize += 16
    }
    if (size < headerSize) throw new MalformedInputError(`Box ${JSON.stringify(type)} at offset ${o} declares ${size} bytes, less than its ${headerSize}-byte header`)
    if (o + size > end) throw new MalformedInputError(`Box ${JSON.stringify(type)} at offset ${o} declares ${size} bytes but only ${end - o} remain`, { details: { box: type, offset: o } })
    out.push({ type, offset: o, headerSize, size, dataOffset: o + headerSize, end: o + size, ...(uuid ? { uuid } : {}) })
    o += size
  }
  return out
}

/** Serialises a box with a 32-bit size (or a 64-bit one when it does not fit). */
export function isoBox(type: string, ...payload: Uint8Array[]): Uint8Array {
  if (type.length !== 4) throw new RangeError(`A box type has 4 characters, got ${JSON.stringify(type)}`)
  let length = 0
  for (const p of payload) length += p.length
  const large = length + 8 > 0xffffffff
  const header = large ? 16 : 8
  const out = new Uint8Array(header + length)
  const view = new DataView(out.buffer)
  if (large) {
    view.setUint32(0, 1)
    view.setBigUint64(8, BigInt(header + length))
  } else view.setUint32(0, header + length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i) & 0xff
  let o = header
  for (const p of payload) {
    out.set(p, o)
    o += p.length
  }
  return out
}
