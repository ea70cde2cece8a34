import { indexOfBytes, utf8, type FormatInfo } from '@tanba/core'
import { validUtf8Prefix } from './utf8.js'

/**
 * Text has no magic bytes. Plain text and Markdown are recognised by media type or extension
 * only; HTML also by a leading doctype or <html> tag. A sniffer never claims bytes that are not
 * valid UTF-8 or that hold a NUL byte, so no binary file is ever taken for text.
 */
export const plainTextFormat: FormatInfo = Object.freeze({
  id: 'text',
  kind: 'text',
  mediaTypes: Object.freeze(['text/plain']),
  extensions: Object.freeze(['txt', 'text']),
  supported: true,
  note: 'UTF-8 only; recognised by media type or extension (plain text has no magic bytes)',
}) as FormatInfo

export const markdownFormat: FormatInfo = Object.freeze({
  id: 'markdown',
  kind: 'text',
  mediaTypes: Object.freeze(['text/markdown', 'text/x-markdown']),
  extensions: Object.freeze(['md', 'markdown']),
  supported: true,
  note: 'UTF-8 only; recognised by media type or extension',
}) as FormatInfo

export const htmlFormat: FormatInfo = Object.freeze({
  id: 'html',
  kind: 'text',
  mediaTypes: Object.freeze(['text/html']),
  extensions: Object.freeze(['html', 'htm']),
  sniff: sniffHtml,
  supported: true,
  note: 'UTF-8 only; whole documents and fragments',
}) as FormatInfo

export const TEXT_FORMATS: readonly FormatInfo[] = Object.freeze([plainTextFormat, markdownFormat, htmlFormat])

/** True when the head looks like text: valid UTF-8 (a sequence cut by the 4 KiB window is fine) and no NUL. */
export function looksLikeUtf8Text(head: Uint8Array): boolean {
  if (head.indexOf(0) >= 0) return false
  return validUtf8Prefix(head, true) === head.length
}

const DOCTYPE = '<!doctype html'
const HTML_TAG = '<html'
const COMMENT_END = utf8('-->')

/** `<!DOCTYPE html` or `<html` first (after a BOM, white space and comments), in valid UTF-8 text. */
export function sniffHtml(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
  for (;;) {
    while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x0c)) i++
    if (!startsWithAscii(head, i, '<!--')) break
    const end = indexOfBytes(head, COMMENT_END, i + 4)
    if (end < 0) return false
    i = end + 3
  }
  const tag = startsWithAscii(head, i, DOCTYPE) ? DOCTYPE : startsWithAscii(head, i, HTML_TAG) ? HTML_TAG : undefined
  if (!tag) return false
  const next = head[i + tag.length]
  if (next !== undefined && next !== 0x3e && next !== 0x20 && next !== 0x09 && next !== 0x0a && next !== 0x0d && next !== 0x0c) return false
  return looksLikeUtf8Text(head)
}

function startsWithAscii(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false
  for (let k = 0; k < text.length; k++) {
    let b = bytes[at + k]!
    if (b >= 0x41 && b <= 0x5a) b += 0x20
    if (b !== text.charCodeAt(k)) return false
  }
  return true
}
