import { MalformedInputError, TooLargeError } from '../errors.js'

/**
 * Checks, in one linear pass and without building a tree, that XML text (an XMP packet, an SVG
 * document) nests elements at most `maxDepth` deep. DOM parsers and serialisers recurse per level,
 * so a hostile packet nested thousands deep must be refused before it reaches them.
 * Returns the deepest nesting seen; throws TooLargeError past the limit and MalformedInputError
 * for an unterminated comment, CDATA section, processing instruction or tag.
 */
export function checkXmlDepth(text: string, maxDepth: number): number {
  let depth = 0
  let deepest = 0
  let i = 0
  const n = text.length
  const skipTo = (end: string, from: number, what: string): number => {
    const at = text.indexOf(end, from)
    if (at < 0) throw new MalformedInputError(`Unterminated ${what} in XML at offset ${from}`)
    return at + end.length
  }
  while (i < n) {
    const lt = text.indexOf('<', i)
    if (lt < 0) break
    const c = text.charCodeAt(lt + 1)
    if (c === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) i = skipTo('-->', lt + 4, 'comment')
      else if (text.startsWith('<![CDATA[', lt)) i = skipTo(']]>', lt + 9, 'CDATA section')
      else i = skipDeclaration(text, lt)
      continue
    }
    if (c === 0x3f /* ? */) {
      i = skipTo('?>', lt + 2, 'processing instruction')
      continue
    }
    const end = tagEnd(text, lt)
    if (c === 0x2f /* / */) depth = Math.max(0, depth - 1)
    else if (text.charCodeAt(end - 2) !== 0x2f /* self-closing */) {
      depth++
      if (depth > deepest) deepest = depth
      if (depth > maxDepth) {
        throw new TooLargeError(`XML elements are nested more than ${maxDepth} deep (limits.maxDepth)`, { details: { limit: 'maxDepth', value: maxDepth } })
      }
    }
    i = end
  }
  return deepest
}

/** Offset just past the `>` that closes the tag starting at `lt`, skipping quoted attribute values. */
function tagEnd(text: string, lt: number): number {
  let quote = 0
  for (let j = lt + 1; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (quote) {
      if (c === quote) quote = 0
    } else if (c === 0x22 || c === 0x27) quote = c
    else if (c === 0x3e) return j + 1
  }
  throw new MalformedInputError(`Unterminated tag in XML at offset ${lt}`)
}

/** Skips `<!DOCTYPE ...>` including a bracketed internal subset. */
function skipDeclaration(text: string, lt: number): number {
  let bracket = 0
  let quote = 0
  for (let j = lt + 2; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (quote) {
      if (c === quote) quote = 0
    } else if (c === 0x22 || c === 0x27) quote = c
    else if (c === 0x5b) bracket++
    else if (c === 0x5d) bracket--
    else if (c === 0x3e && bracket <= 0) return j + 1
  }
  throw new MalformedInputError(`Unterminated declaration in XML at offset ${lt}`)
}
