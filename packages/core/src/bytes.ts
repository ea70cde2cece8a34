/** Byte helpers that run anywhere (browser, edge, Node): Uint8Array only. */
import { nodeCrypto } from './runtime.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: false })
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export function fromUtf8(bytes: Uint8Array, strict = false): string {
  return (strict ? strictDecoder : decoder).decode(bytes)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return joinBytes(parts)
}

type NodeBufferStatics = {
  allocUnsafeSlow(size: number): Uint8Array
  prototype: { indexOf(this: Uint8Array, value: number | Uint8Array, byteOffset?: number): number }
}
// Node's Buffer when it is there (Node, Bun, Deno's Node layer); plain Uint8Array operations elsewhere.
const NodeBuffer = (globalThis as { Buffer?: NodeBufferStatics }).Buffer

/**
 * A new byte array of `size` whose contents are unspecified: the caller overwrites every byte. In
 * Node this skips zero-filling (Buffer.allocUnsafeSlow, never the shared pool); the result is a
 * plain Uint8Array over its own ArrayBuffer either way.
 */
export function allocBytes(size: number, options: { native?: boolean } = {}): Uint8Array {
  if (NodeBuffer && options.native !== false && size >= 4096) {
    const buf = NodeBuffer.allocUnsafeSlow(size)
    return new Uint8Array(buf.buffer, buf.byteOffset, size)
  }
  return new Uint8Array(size)
}

/**
 * The index of the first `value` byte at or after `from`, or -1. Node's Buffer#indexOf is a
 * memchr (about 5 times faster than TypedArray#indexOf on long runs); it is used where present.
 */
export function indexOfByte(bytes: Uint8Array, value: number, from = 0, options: { native?: boolean } = {}): number {
  return NodeBuffer && options.native !== false ? NodeBuffer.prototype.indexOf.call(bytes, value, from) : bytes.indexOf(value, from)
}

/** The index of the first `needle` in `haystack` at or after `from`, or -1 (also for an empty needle). */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]
  if (first === undefined) return -1
  // Node's own substring search where there is one: a loop over the first byte stops at every
  // occurrence of it (every line break, for a needle that starts with one).
  if (NodeBuffer) return NodeBuffer.prototype.indexOf.call(haystack, needle, from)
  const last = haystack.length - needle.length
  for (let i = indexOfByte(haystack, first, from); i !== -1 && i <= last; i = indexOfByte(haystack, first, i + 1)) {
    if (bytesAt(haystack, i, needle)) return i
  }
  return -1
}

/** The index of the last `needle` in `haystack` that ends at or before `before`, or -1. */
export function lastIndexOfBytes(haystack: Uint8Array, needle: Uint8Array, before = haystack.length): number {
  const first = needle[0]
  if (first === undefined || before - needle.length < 0) return -1
  for (let i = haystack.lastIndexOf(first, before - needle.length); i >= 0; i = i === 0 ? -1 : haystack.lastIndexOf(first, i - 1)) {
    if (bytesAt(haystack, i, needle)) return i
  }
  return -1
}

function bytesAt(haystack: Uint8Array, offset: number, needle: Uint8Array): boolean {
  for (let j = 1; j < needle.length; j++) if (haystack[offset + j] !== needle[j]) return false
  return true
}

/** Copies a list of pieces into one new buffer (no argument-count limit, unlike a spread). */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = allocBytes(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const B64URL_LOOKUP = new Int16Array(256).fill(-1)
for (let i = 0; i < B64URL.length; i++) B64URL_LOOKUP[B64URL.charCodeAt(i)] = i
// Standard alphabet characters decode too, so base64 and base64url both read.
B64URL_LOOKUP['+'.charCodeAt(0)] = 62
B64URL_LOOKUP['/'.charCodeAt(0)] = 63

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!
  }
  return out
}

/** Decodes base64url or base64, padded or not. Throws TypeError on any other character. */
export function fromBase64Url(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '')
  if (clean.length % 4 === 1) throw new TypeError('Invalid base64 length')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < clean.length; i++) {
    const v = B64URL_LOOKUP[clean.charCodeAt(i)] ?? -1
    if (v < 0) throw new TypeError(`Invalid base64 character at ${i}`)
    value = (value << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >> bits) & 0xff
    }
  }
  return out
}

/** Standard base64 with padding (for X.509 x5c and PEM). */
export function toBase64(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replace(/-/g, '+').replace(/_/g, '/')
  return url + '='.repeat((4 - (url.length % 4)) % 4)
}

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new TypeError('Invalid hex string')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/**
 * SHA-256: node:crypto in Node (synchronous: Web Crypto's digest crosses to the thread pool and
 * back, which costs more than hashing a small essence), Web Crypto in browsers and edge runtimes.
 */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  const node = nodeCrypto()
  if (node) return new Uint8Array(node.createHash('sha256').update(data).digest())
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))
}

export async function sha256Base64Url(data: Uint8Array): Promise<string> {
  return toBase64Url(await sha256(data))
}

let crcTable: Uint32Array | undefined
/** CRC-32 (IEEE 802.3, as in PNG and ZIP). */
export function crc32(data: Uint8Array, seed = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = (seed ^ 0xffffffff) >>> 0
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** A random lowercase RFC 9562 version-4 UUID. */
export function randomUuid(): string {
  return crypto.randomUUID()
}
