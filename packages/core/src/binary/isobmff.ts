import { MalformedInputError, TooLargeError } from '../errors.js'
import { fromUtf8 } from '../bytes.js'
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
 * Parses the box header at absolute offset `offset`. `head` holds the bytes from `offset` on (32 are
 * enough for any header), so a reader can pass a short read instead of the whole file; `end` bounds
 * the box and `where` ("in the file", `inside "moov"`) is added to the messages. A box that declares
 * more bytes than remain, or a size smaller than its header, is a MalformedInputError; size 0 runs to `end`.
 */
export function readIsoBoxHeader(head: Uint8Array, offset: number, end: number, where = ''): IsoBox {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  const at = where ? ` ${where}` : ''
  const remaining = end - offset
  if (remaining < 8 || head.length < 8) throw new MalformedInputError(`Expected an 8-byte box header at offset ${offset}${at} but only ${remaining} bytes remain`, { details: { offset } })
  let size = view.getUint32(0)
  const type = fourcc(head, 4)
  let headerSize = 8
  if (size === 1) {
    if (remaining < 16 || head.length < 16) throw new MalformedInputError(`Box ${JSON.stringify(type)} at offset ${offset} has a 64-bit size but its header is cut off`, { details: { offset } })
    const big = view.getBigUint64(8)
    // Beyond 2^53 no real file can back the box: a wrong size, not a big file.
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedInputError(`Box ${JSON.stringify(type)} at offset ${offset} declares ${big} bytes`, { details: { offset } })
    size = Number(big)
    headerSize = 16
  } else if (size === 0) {
    size = remaining
  }
  let uuid: string | undefined
  if (type === 'uuid') {
    if (remaining < headerSize + 16 || head.length < headerSize + 16) throw new MalformedInputError(`A "uuid" box at offset ${offset} is cut off before its extended type`, { details: { offset } })
    uuid = Array.from(head.subarray(headerSize, headerSize + 16), (b) => b.toString(16).padStart(2, '0')).join('')
    headerSize += 16
  }
  if (size < headerSize) throw new MalformedInputError(`Box ${JSON.stringify(type)} at offset ${offset} declares ${size} bytes, less than its ${headerSize}-byte header`, { details: { offset } })
  if (size > remaining) {
    throw new MalformedInputError(`Box ${JSON.stringify(type)} at offset ${offset} declares ${size} bytes but only ${remaining} remain${at} (the file is truncated or the size is wrong)`, {
      details: { box: type, offset, size, remaining },
    })
  }
  return { type, offset, headerSize, size, dataOffset: offset + headerSize, end: offset + size, ...(uuid ? { uuid } : {}) }
}

/** Lists the boxes between `start` and `end` (one level); each header as `readIsoBoxHeader` reads it. */
export function readIsoBoxes(bytes: Uint8Array, start = 0, end = bytes.length, options: IsoBoxOptions = {}): IsoBox[] {
  const maxChunks = options.maxChunks ?? DEFAULT_LIMITS.maxChunks
  const out: IsoBox[] = []
  let o = start
  while (o < end) {
    if (out.length >= maxChunks) throw new TooLargeError(`More than ${maxChunks} boxes in one container (limits.maxChunks)`, { details: { limit: 'maxChunks', value: maxChunks } })
    const box = readIsoBoxHeader(bytes.subarray(o, Math.min(o + 32, end)), o, end)
    out.push(box)
    o = box.end
  }
  return out
}

/**
 * The key names in the payload of a QuickTime `keys` box (mdta metadata), in order: item n of the
 * `ilst` refers to key n, 1-based. A version/flags word and a count, then (size, namespace, name)
 * entries; reading stops at the first entry that does not fit, so a damaged box yields the keys before it.
 */
export function readMdtaKeys(payload: Uint8Array): string[] {
  if (payload.length < 8) return []
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const out: string[] = []
  const count = view.getUint32(4)
  let o = 8
  for (let i = 0; i < count && o + 8 <= payload.length; i++) {
    const size = view.getUint32(o)
    if (size < 8 || o + size > payload.length) break
    out.push(fromUtf8(payload.subarray(o + 8, o + size)))
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
