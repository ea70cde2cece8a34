// The 64-bit payload: version (4 bits), origin (1 bit), 3 reserved zero bits, and a 56-bit identifier
// derived from the label's id, so that a found mark leads back to the signed label in a ledger.
import { createSha256, crc32, InvalidOptionError, toHex } from '@tanba/core'

export const WATERMARK_VERSION = 1
/** Information bits: the 64-bit payload followed by its CRC-32. */
export const INFO_BITS = 96

export interface WatermarkPayload {
  /** Payload format version (1). */
  version: number
  /** The label's origin: "generated" (fully AI-made) or "modified" (AI-edited). */
  origin: 'generated' | 'modified'
  /** 56-bit identifier as 14 lowercase hex digits. */
  id: string
}

/** The identifier for a label id: the first 56 bits of SHA-256("tanba.watermark.id/1\0" + label id). */
export function watermarkIdFor(labelId: string): string {
  const digest = createSha256().update(`tanba.watermark.id/1\0${labelId.toLowerCase()}`).digest()
  return toHex(digest.subarray(0, 7))
}

/** The payload as 8 bytes (big-endian fields). */
export function payloadBytes(p: WatermarkPayload): Uint8Array {
  if (!/^[0-9a-f]{14}$/.test(p.id)) throw new InvalidOptionError(`Expected a watermark id of 14 lowercase hex digits (56 bits) but received ${JSON.stringify(p.id)}`)
  if (p.version !== WATERMARK_VERSION) throw new InvalidOptionError(`Expected watermark payload version ${WATERMARK_VERSION} but received ${JSON.stringify(p.version)}`)
  const out = new Uint8Array(8)
  out[0] = (p.version << 4) | (p.origin === 'modified' ? 8 : 0)
  for (let i = 0; i < 7; i++) out[i + 1] = parseInt(p.id.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** The payload as 16 hex digits (what labels and ledgers record). */
export function payloadHex(p: WatermarkPayload): string {
  return toHex(payloadBytes(p))
}

/** The 96 information bits: payload and CRC-32, MSB first. */
export function infoBits(p: WatermarkPayload): Uint8Array {
  const body = payloadBytes(p)
  const crc = crc32(body)
  const bytes = new Uint8Array(12)
  bytes.set(body)
  bytes[8] = crc >>> 24
  bytes[9] = (crc >>> 16) & 0xff
  bytes[10] = (crc >>> 8) & 0xff
  bytes[11] = crc & 0xff
  const bits = new Uint8Array(INFO_BITS)
  for (let i = 0; i < INFO_BITS; i++) bits[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1
  return bits
}

/**
 * The payload in 96 decoded bits, or null when the CRC-32 fails, the version is not 1 or a reserved
 * bit is set: 39 checked bits, so a random word passes with probability 2^-39.
 */
export function parseInfoBits(bits: Uint8Array): WatermarkPayload | null {
  const bytes = new Uint8Array(12)
  for (let i = 0; i < INFO_BITS; i++) bytes[i >> 3]! |= (bits[i]! & 1) << (7 - (i & 7))
  const crc = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0
  if (crc32(bytes.subarray(0, 8)) !== crc) return null
  if (bytes[0]! >> 4 !== WATERMARK_VERSION || (bytes[0]! & 7) !== 0) return null
  return { version: WATERMARK_VERSION, origin: bytes[0]! & 8 ? 'modified' : 'generated', id: toHex(bytes.subarray(1, 8)) }
}
