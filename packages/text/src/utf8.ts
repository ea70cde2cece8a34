import { MalformedInputError, TooLargeError, type Limits } from '@tanba/core'

// ignoreBOM keeps a leading U+FEFF in the string, so offsets and output bytes stay exact.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
// The replacing decoder has a much faster path in some runtimes (Node 20: twice as fast).
const looseDecoder = new TextDecoder('utf-8', { ignoreBOM: true })
const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/**
 * Decodes UTF-8 bytes strictly. Text formats are UTF-8 only: a UTF-16/UTF-32 byte-order
 * mark or any invalid sequence is a MalformedInputError naming the byte offset, never a
 * silent U+FFFD (a replacement would change the text the label is bound to).
 */
export function decodeUtf8(bytes: Uint8Array, limits?: Limits, what = 'text'): string {
  if (limits && bytes.length > limits.maxInputBytes) {
    throw new TooLargeError(`The ${what} is ${bytes.length} bytes; the limit is ${limits.maxInputBytes} bytes (limits.maxInputBytes)`, {
      details: { size: bytes.length, limit: limits.maxInputBytes },
    })
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new MalformedInputError(`Expected UTF-8 ${what} but found a UTF-16 byte-order mark (0x${hex(bytes[0]!)} 0x${hex(bytes[1]!)}); convert it to UTF-8 first`, {
      details: { offset: 0 },
    })
  }
  // Every invalid sequence decodes to U+FFFD, so a result without U+FFFD proves the bytes valid;
  // only texts that hold U+FFFD are decoded again strictly to tell a real U+FFFD from damage.
  const text = looseDecoder.decode(bytes)
  if (text.indexOf('\uFFFD') < 0) return text
  try {
    strictDecoder.decode(bytes)
    return text
  } catch (cause) {
    const offset = firstInvalidUtf8(bytes)
    const shown = Array.from(bytes.subarray(offset, offset + 4), (b) => `0x${hex(b)}`).join(' ')
    throw new MalformedInputError(`Expected UTF-8 ${what} but found an invalid byte sequence at byte offset ${offset} (${shown || 'end of input'})`, {
      cause,
      details: { offset },
    })
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase()
}

/** Length of the longest valid UTF-8 prefix (RFC 3629: no overlongs, surrogates or values above U+10FFFF). */
export function validUtf8Prefix(bytes: Uint8Array, allowTruncatedEnd = false): number {
  const n = bytes.length
  let i = 0
  while (i < n) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let min = 0x80
    let max = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      if (b === 0xe0) min = 0xa0
      if (b === 0xed) max = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      if (b === 0xf0) min = 0x90
      if (b === 0xf4) max = 0x8f
    } else return i
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return allowTruncatedEnd ? n : i
      const c = bytes[i + k]!
      if (k === 1 ? c < min || c > max : c < 0x80 || c > 0xbf) return i
    }
    i += need + 1
  }
  return n
}

/** Offset of the first byte that breaks UTF-8, or `bytes.length` when all are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  return validUtf8Prefix(bytes)
}

/** UTF-8 byte length of `text.slice(from, to)`; lone surrogates count 3 (they encode as U+FFFD). */
export function utf8Length(text: string, from = 0, to = text.length): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}
