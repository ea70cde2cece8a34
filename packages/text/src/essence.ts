/**
 * The essence a text label is bound to (docs/text.md, "Binding"). Version 2 (what stamps write):
 *   1. the trailing zone is left out: the line breaks and U+FEFF + variation-selector runs
 *      (Tanba's wrapper, C2PA's) after the last other character; a run anywhere else is bound;
 *   2. plain text and Markdown: one U+FEFF at the very start is left out (a byte-order mark);
 *      HTML keeps it, because a BOM overrides the page's declared charset;
 *   3. every CR LF becomes LF (a lone CR stays: a terminal shows it differently);
 *   4. plain text only: NFC (Markdown and HTML bind code points exactly: in a link target, a class
 *      name or a CSS selector NFC and NFD are different strings);
 *   5. SHA-256 over the UTF-8 bytes, base64url.
 * Markdown applies this to the whole text without Tanba's two front matter entries; HTML to the
 * source without Tanba's own carrier elements. Version 1 is kept for verifying older labels.
 */
import { createSha256, sha256Base64Url, type IncrementalSha256 } from '@tanba/core'
import { isSelectorAt, type SelectorRun } from './wrapper.js'
import { utf8, utf8Length } from './utf8.js'

export const TEXT_BINDING_V1 = 'tanba.text/1'
export const MARKDOWN_BINDING_V1 = 'tanba.text.markdown/1'
export const HTML_BINDING_V1 = 'tanba.text.html/1'
export const TEXT_BINDING = 'tanba.text/2'
export const MARKDOWN_BINDING = 'tanba.text.markdown/2'
export const HTML_BINDING = 'tanba.text.html/2'
/** Methods of the first binding version: still verified, reported as weaker (rule text.binding-v1). */
export const LEGACY_BINDINGS: readonly string[] = [TEXT_BINDING_V1, MARKDOWN_BINDING_V1, HTML_BINDING_V1]

const RUNS = /\uFEFF(?:[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF])+/g

/** Removes every U+FEFF + variation-selector run. */
export function removeSelectorRuns(text: string): string {
  return text.indexOf('\uFEFF') < 0 ? text : text.replace(RUNS, '')
}

/** Version 1, steps 1 and 2: the text with its invisible carriers and a leading byte-order mark removed. */
export function essenceText(text: string): string {
  const clean = removeSelectorRuns(text)
  return clean.charCodeAt(0) === 0xfeff ? clean.slice(1) : clean
}

/** Version 1, steps 3 and 4 over an essence text. */
export async function digestEssenceText(essence: string): Promise<string> {
  return sha256Base64Url(utf8(essence.normalize('NFC')))
}

/**
 * Version 1 essence digest of `text`. When `bytes` (the UTF-8 of `text`) and the runs found in it
 * are given, and the essence is one span of them that is already NFC (the usual case: a wrapper
 * at the end), the span is hashed in place without re-encoding.
 */
export async function digestTextV1(text: string, bytes?: Uint8Array, runs?: readonly SelectorRun[]): Promise<string> {
  if (bytes && runs) {
    let to = text.length
    let tail = runs.length
    while (tail > 0 && runs[tail - 1]!.end === to) to = runs[--tail]!.start
    if (tail === 0) {
      const from = text.charCodeAt(0) === 0xfeff && to > 0 ? 1 : 0
      const span = text.slice(from, to)
      if (span.normalize('NFC') === span) {
        const start = from ? 3 : 0
        return sha256Base64Url(bytes.subarray(start, bytes.length - utf8Length(text, to)))
      }
    }
  }
  return digestEssenceText(essenceText(text))
}

/** Width in UTF-16 units of a variation selector ending just before `end`, or 0. */
function selectorBefore(text: string, end: number): number {
  const c = text.charCodeAt(end - 1)
  if (c >= 0xfe00 && c <= 0xfe0f) return 1
  if (c >= 0xdd00 && c <= 0xddef && end >= 2 && text.charCodeAt(end - 2) === 0xdb40) return 2
  return 0
}

/** Where the trailing zone of `text[0, end)` starts: line breaks and selector runs after the last other character. */
export function trailingZoneStart(text: string, end = text.length): number {
  for (;;) {
    const c = text.charCodeAt(end - 1)
    if (c === 0x0a || c === 0x0d) {
      end--
      continue
    }
    let j = end
    for (let w = selectorBefore(text, j); w > 0; w = selectorBefore(text, j)) j -= w
    if (j < end && j > 0 && text.charCodeAt(j - 1) === 0xfeff) {
      end = j - 1
      continue
    }
    return end
  }
}

/** True when `text[at]` is a byte-order mark: a U+FEFF that opens no selector run. */
export function bomAt(text: string, at = 0): boolean {
  return text.charCodeAt(at) === 0xfeff && !isSelectorAt(text, at + 1)
}

const CRLF = /\r\n/g

/** Steps 3-4 over one piece of content. */
export function normalisePiece(piece: string, nfc: boolean): string {
  const lf = piece.indexOf('\r') < 0 ? piece : piece.replace(CRLF, '\n')
  return nfc ? lf.normalize('NFC') : lf
}

/** A [start, end) span of a text (UTF-16 indexes). */
export interface Span {
  start: number
  end: number
}

/**
 * SHA-256 (base64url) over the normalised spans of `text`, in order. When `bytes` (the UTF-8 of
 * `text`) is given, a span that needs no change (no CR; NFC when asked) is hashed in place: no
 * copy of a large text is made. Spans never split a CR LF pair (they end at tag or line ends).
 */
export function digestSpans(text: string, spans: readonly Span[], nfc: boolean, bytes?: Uint8Array, hash: IncrementalSha256 = createSha256()): string {
  return hashSpans(hash, text, spans, nfc, bytes).digestBase64Url()
}

/** Feeds the normalised spans of `text` to `hash` (see digestSpans). */
export function hashSpans(hash: IncrementalSha256, text: string, spans: readonly Span[], nfc: boolean, bytes?: Uint8Array): IncrementalSha256 {
  for (const { start, end } of spans) {
    if (end <= start) continue
    const cr = text.indexOf('\r', start)
    const hasCr = cr >= 0 && cr < end
    if (bytes && !hasCr && (!nfc || isNfc(text, start, end))) {
      hash.update(bytes.subarray(byteOffset(text, start, bytes.length), byteOffset(text, end, bytes.length)))
    } else {
      // Piece by piece, cut where neither NFC nor CR LF can join across, so a large text that
      // needs normalising is never copied whole.
      for (let from = start; from < end; ) {
        let to = Math.min(end, from + NFC_PIECE)
        while (to < end && (!isSafeStart(text, to) || text.charCodeAt(to - 1) === 0x0d)) to++
        hash.update(normalisePiece(text.slice(from, to), nfc))
        from = to
      }
    }
  }
  return hash
}

/** The parts of [from, to) outside `ranges` (sorted, not overlapping). */
export function complementSpans(from: number, to: number, ranges: readonly Span[]): Span[] {
  const out: Span[] = []
  let at = from
  for (const r of ranges) {
    if (r.end <= at) continue
    if (r.start >= to) break
    if (r.start > at) out.push({ start: at, end: r.start })
    at = Math.max(at, r.end)
  }
  if (at < to) out.push({ start: at, end: to })
  return out
}

/** The version 2 spans of a plain text or Markdown body: without a leading BOM (when asked) and the trailing zone. */
export function contentSpan(text: string, from: number, bom: boolean): Span {
  const end = trailingZoneStart(text)
  const start = bom && from < end && bomAt(text, from) ? from + 1 : from
  return { start, end: Math.max(start, end) }
}

/** Plain-text version 2 digest (`bytes`: the UTF-8 of `text`, to hash it in place; `hash`: a fresh hash to feed). */
export function digestText(text: string, bytes?: Uint8Array, hash?: IncrementalSha256): string {
  return digestSpans(text, [contentSpan(text, 0, true)], true, bytes, hash)
}

const MARK = /\p{M}/u
/** NFC is checked in pieces of about this many UTF-16 units, so a large text is never copied whole. */
const NFC_PIECE = 1 << 16

/**
 * True when NFC(a + b) = NFC(a) + NFC(b) for any `a`, given that `b` starts with the code point
 * at `i`: a starter that never combines with what precedes it (not a mark, not a Hangul vowel or
 * trailing consonant jamo), not a low surrogate, and not U+FEFF (which may open a wrapper run).
 * Checked against every code point of the runtime's Unicode data (test/stream.test.ts).
 */
export function isSafeStart(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  if (c < 0x300) return true
  if (c === 0xfeff || (c >= 0xdc00 && c <= 0xdfff)) return false
  if ((c >= 0x1160 && c <= 0x11ff) || (c >= 0xd7b0 && c <= 0xd7ff)) return false
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = text.charCodeAt(i + 1)
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false // cannot tell yet (or a lone surrogate)
    const cp = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000
    // Kirat Rai vowel signs E and AI are letters (Lo) that compose with a preceding vowel sign.
    if (cp === 0x16d67 || cp === 0x16d68) return false
    return !MARK.test(String.fromCharCode(c, d))
  }
  return !MARK.test(text[i]!)
}

/** True when text[start, end) is NFC; checked piece by piece, cut before code points that never combine backwards. */
export function isNfc(text: string, start: number, end: number): boolean {
  for (let from = start; from < end; ) {
    let to = Math.min(end, from + NFC_PIECE)
    while (to < end && !isSafeStart(text, to)) to++
    const piece = text.slice(from, to)
    // eslint-disable-next-line no-control-regex
    if (/[^\u0000-\u02ff]/.test(piece) && piece.normalize('NFC') !== piece) return false
    from = to
  }
  return true
}

/** UTF-8 offset of UTF-16 index `at`, counted from the nearer end. */
function byteOffset(text: string, at: number, byteLength: number): number {
  return at <= text.length - at ? utf8Length(text, 0, at) : byteLength - utf8Length(text, at)
}
