/**
 * Large plain text without decoding all of it. Decoding UTF-8 is most of the cost of stamping or
 * verifying a large text (about 0.6 s per 100 MB on Node 20, against 0.1 s for SHA-256), yet
 * almost every rule about a plain text looks only at its two ends: the trailing carriers, the
 * notice blocks, a byte-order mark. When the middle of a text provably cannot matter to any of
 * them, the adapter decodes the two ends and stands one placeholder character in for the middle:
 *
 *   text = head + P + "\n" + tail        (P: a private-use character found in neither end)
 *
 * The middle (whole lines, taken from the bytes as they are) must hold no CR, no U+FEFF (a BOM or
 * the start of a wrapper run), no "[AI] " line, and only NFC-inert code points (the generated
 * table): then NFC, CR LF folding, the trailing zone and every carrier and notice search give the
 * same answer on that text as on the whole one, and the middle's bytes are its own essence. Hashes
 * and output replace P by those bytes (`SplicingHash`, `spliceParts`). Anything else, and every
 * runtime without `isUtf8` (browsers), takes the ordinary path: decode everything.
 */
import { createSha256, indexOfBytes, nodeBuiltin, type IncrementalSha256, type Limits } from '@tanba/core'
import { NFC_INERT_RANGES } from './generated/nfc-inert.js'
import { decodeUtf8, utf8 } from './utf8.js'

/** Texts below this size are decoded whole: the ends would be most of them. */
export const ELIDE_MIN_BYTES = 1 << 20
/** Bytes decoded at each end (at least; the cut moves on to the next line break). */
export const ELIDE_WINDOW_BYTES = 1 << 16
/** Each decoded end is at least this long (UTF-16 units): the notice windows and a notice line fit. */
const MIN_END_UNITS = 2048 + 4096 + 16

export interface ElidedText {
  /** head + placeholder + "\n" + tail */
  text: string
  /** The UTF-8 of `text`, built from the input's own bytes at the ends. */
  bytes: Uint8Array
  /** The character standing in for the middle (once in `text`). */
  placeholder: string
  /** Its UTF-8. */
  placeholderBytes: Uint8Array
  /** The middle's bytes without its final line break (a view of the input). */
  middle: Uint8Array
  /** UTF-16 length of `middle`. */
  middleUnits: number
  /** Index of the placeholder in `text`. */
  at: number
}

export interface ElideOptions {
  /** See ELIDE_MIN_BYTES (tests lower both, to exercise the path on small texts). */
  minBytes?: number
  window?: number
}

let inertTable: Uint8Array | undefined
/** inert[c] = 1 when code point c is NFC-inert (see generated/nfc-inert.ts). */
function inert(): Uint8Array {
  if (inertTable) return inertTable
  const t = new Uint8Array(0x110000)
  for (let i = 0; i < NFC_INERT_RANGES.length; i += 2) t.fill(1, NFC_INERT_RANGES[i]!, NFC_INERT_RANGES[i + 1]!)
  return (inertTable = t)
}

/** True when code point `c` is NFC-inert. */
export function isNfcInert(c: number): boolean {
  return inert()[c] === 1
}

/**
 * UTF-16 length of valid UTF-8 `bytes` when every code point in them is NFC-inert (by `table`), else -1.
 * (Validity is checked before: this reads lead bytes and trusts the continuation bytes.)
 */
export function inertUnits(bytes: Uint8Array, table: Uint8Array = inert()): number {
  const n = bytes.length
  let units = 0
  for (let i = 0; i < n; ) {
    const b0 = bytes[i]!
    if (b0 < 0x80) {
      if (table[b0] !== 1) return -1
      i++
      units++
      continue
    }
    let cp: number
    if (b0 < 0xe0) {
      cp = ((b0 & 0x1f) << 6) | (bytes[i + 1]! & 0x3f)
      i += 2
      units++
    } else if (b0 < 0xf0) {
      cp = ((b0 & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f)
      i += 3
      units++
    } else {
      cp = ((b0 & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f)
      i += 4
      units += 2
    }
    if (table[cp] !== 1) return -1
  }
  return units
}

const NOTICE_LINE = utf8('\n[AI] ')

let scanning: Uint8Array | undefined
/** The inert table without CR and U+FEFF: what a middle may hold. */
function scanTable(): Uint8Array {
  if (scanning) return scanning
  const t = inert().slice()
  t[0x0d] = 0
  t[0xfeff] = 0
  return (scanning = t)
}

/**
 * The elided form of a large plain text, or undefined when it must be decoded whole (small, not
 * UTF-8, no suitable middle, or a runtime without `isUtf8`). Never throws for input it cannot
 * elide: the ordinary path then gives the precise error.
 */
export function elidePlainText(input: Uint8Array, limits: Limits, options: ElideOptions = {}): ElidedText | undefined {
  const minBytes = options.minBytes ?? ELIDE_MIN_BYTES
  const window = options.window ?? ELIDE_WINDOW_BYTES
  if (input.length < minBytes || input.length > limits.maxInputBytes) return undefined
  const isUtf8 = nodeBuiltin<typeof import('node:buffer')>('node:buffer')?.isUtf8
  if (!isUtf8 || !isUtf8(input)) return undefined
  // The middle is whole lines: it starts after a line break and ends with one.
  const from = input.indexOf(0x0a, window) + 1
  const lastBreak = input.lastIndexOf(0x0a, input.length - window)
  if (from <= 0 || lastBreak < from) return undefined
  const to = lastBreak // the middle without its final "\n": [from, to)
  const middle = input.subarray(from, to)
  // A notice line in the middle ("[AI] " after a line break, the middle itself starting after one).
  if (indexOfBytes(input.subarray(from - 1, to), NOTICE_LINE) >= 0) return undefined
  // CR and U+FEFF are inert for NFC but not for the rules; the scan's table stops at them too.
  const middleUnits = inertUnits(middle, scanTable())
  if (middleUnits < 0) return undefined
  const head = decodeUtf8(input.subarray(0, from), limits)
  const tail = decodeUtf8(input.subarray(to), limits) // starts with the middle's final "\n"
  if (head.length < MIN_END_UNITS || tail.length < MIN_END_UNITS) return undefined
  // Each end must hold something other than white space, so trimming never reaches the middle.
  if (head.trim() === '' || tail.trim() === '') return undefined
  let code = 0xe000
  while (code <= 0xf8ff && (head.includes(String.fromCharCode(code)) || tail.includes(String.fromCharCode(code)))) code++
  if (code > 0xf8ff) return undefined
  const placeholder = String.fromCharCode(code)
  const placeholderBytes = utf8(placeholder)
  const bytes = new Uint8Array(from + placeholderBytes.length + (input.length - to))
  bytes.set(input.subarray(0, from), 0)
  bytes.set(placeholderBytes, from)
  bytes.set(input.subarray(to), from + placeholderBytes.length)
  return { text: head + placeholder + tail, bytes, placeholder, placeholderBytes, middle, middleUnits, at: head.length }
}

/** Replaces the placeholder's bytes by the middle in one piece of bytes (views, no copy of the middle). */
function splice(part: Uint8Array, e: ElidedText): Uint8Array[] {
  const at = indexOfBytes(part, e.placeholderBytes)
  if (at < 0) return [part]
  return [part.subarray(0, at), e.middle, part.subarray(at + e.placeholderBytes.length)]
}

/** The output parts with the middle put back in place of the placeholder. */
export function spliceParts(parts: readonly Uint8Array[], e: ElidedText): Uint8Array[] {
  return parts.flatMap((p) => splice(p, e)).filter((p) => p.length > 0)
}

/**
 * A SHA-256 that hashes the middle wherever the placeholder's UTF-8 is fed to it. The placeholder
 * is one BMP character, so its three bytes never straddle two updates of whole characters.
 */
export function splicingHash(e: ElidedText, inner: IncrementalSha256 = createSha256()): IncrementalSha256 {
  const self: IncrementalSha256 = {
    update(data) {
      const bytes = typeof data === 'string' ? (data.includes(e.placeholder) ? utf8(data) : undefined) : data
      if (bytes === undefined) inner.update(data)
      else for (const piece of splice(bytes, e)) inner.update(piece)
      return self
    },
    digest: () => inner.digest(),
    digestBase64Url: () => inner.digestBase64Url(),
  }
  return self
}
