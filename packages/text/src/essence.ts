/**
 * The essence a text label is bound to (docs/text.md, "Binding"):
 *   1. remove every U+FEFF + variation-selector run (Tanba's wrapper, C2PA's, any other);
 *   2. remove one U+FEFF at the very start (a byte-order mark is an encoding signature);
 *   3. normalise to NFC;
 *   4. SHA-256 over the UTF-8 bytes, base64url.
 * Markdown applies this to the body after the front matter; HTML to the source with every
 * `<meta>` and Tanba `<script>` element removed. The visible notice is part of the essence.
 */
import { sha256Base64Url } from '@tanba/core'
import type { SelectorRun } from './wrapper.js'
import { utf8, utf8Length } from './utf8.js'

export const TEXT_BINDING = 'tanba.text/1'
export const MARKDOWN_BINDING = 'tanba.text.markdown/1'
export const HTML_BINDING = 'tanba.text.html/1'

const RUNS = /\uFEFF(?:[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF])+/g

/** Removes every U+FEFF + variation-selector run. */
export function removeSelectorRuns(text: string): string {
  return text.indexOf('\uFEFF') < 0 ? text : text.replace(RUNS, '')
}

/** Steps 1 and 2: the text with its invisible carriers and a leading byte-order mark removed. */
export function essenceText(text: string): string {
  const clean = removeSelectorRuns(text)
  return clean.charCodeAt(0) === 0xfeff ? clean.slice(1) : clean
}

/** Steps 3 and 4 over an essence text. */
export async function digestEssenceText(essence: string): Promise<string> {
  return sha256Base64Url(utf8(essence.normalize('NFC')))
}

/**
 * The essence digest of `text` (steps 1-4). When `bytes` (the UTF-8 of `text`) and the runs
 * found in it are given, and the essence is one span of them that is already NFC (the usual
 * case: a wrapper at the end), the span is hashed in place without re-encoding.
 */
export async function digestText(text: string, bytes?: Uint8Array, runs?: readonly SelectorRun[]): Promise<string> {
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
