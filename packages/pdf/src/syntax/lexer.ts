import { Buffer } from 'node:buffer'
import { indexOfBytes, MalformedInputError, TooLargeError } from '@tanba/core'
import { PDFArray, PDFBool, PDFDict, PDFHexString, PDFName, PDFNull, PDFNumber, PDFRawStream, PDFRef, type PDFContext, type PDFObject } from 'pdf-lib'

// A small PDF object lexer that produces pdf-lib objects, so the rest of the package can
// use pdf-lib's object model and serialiser. It exists because pdf-lib's own parser reads
// the whole file front to back; an incremental update needs random access by offset,
// bounded nesting and stream contents as views (no copies) into the original bytes.

const WS = new Uint8Array(256)
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WS[c] = 1
const DELIM = new Uint8Array(256)
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1

export function isWhite(byte: number | undefined): boolean {
  return byte !== undefined && WS[byte] === 1
}

export function isRegular(byte: number | undefined): boolean {
  return byte !== undefined && WS[byte] === 0 && DELIM[byte] === 0
}

export interface LexerOptions {
  context: PDFContext
  maxDepth: number
  /** Resolves an indirect /Length of a stream; returns undefined when it cannot. */
  resolveLength?: (ref: PDFRef) => number | undefined
}

/** A keyword or operator token in a content stream (e.g. `BT`, `Tj`, `Do`). */
export class Keyword {
  constructor(readonly value: string) {}
}

export class Lexer {
  pos: number
  readonly bytes: Uint8Array
  readonly options: LexerOptions

  constructor(bytes: Uint8Array, pos: number, options: LexerOptions) {
    this.bytes = bytes
    this.pos = smallInt(pos)
    this.options = options
  }

  fail(expected: string): never {
    const found = this.pos >= this.bytes.length ? 'the end of the data' : JSON.stringify(latin1(this.bytes.subarray(this.pos, this.pos + 12)))
    throw new MalformedInputError(`Expected ${expected} at byte ${this.pos} of the PDF but found ${found}`)
  }

  skipWhite(): void {
    const b = this.bytes
    let p = this.pos
    for (;;) {
      while (p < b.length && WS[b[p]!] === 1) p++
      if (b[p] === 0x25) {
        // a comment runs to the end of the line
        while (p < b.length && b[p] !== 0x0a && b[p] !== 0x0d) p++
        continue
      }
      break
    }
    this.pos = p
  }

  /** Reads a bare token (number, keyword) without interpretation. */
  readToken(): string {
    this.skipWhite()
    const start = this.pos
    while (this.pos < this.bytes.length && isRegular(this.bytes[this.pos])) this.pos++
    return latin1(this.bytes.subarray(start, this.pos))
  }

  /** True when the next token is exactly `word`; consumes it then. */
  matchKeyword(word: string): boolean {
    this.skipWhite()
    const b = this.bytes
    for (let i = 0; i < word.length; i++) if (b[this.pos + i] !== word.charCodeAt(i)) return false
    if (isRegular(b[this.pos + word.length])) return false
    this.pos += word.length
    return true
  }

  /** Parses one object. In content streams, bare keywords come back as Keyword. */
  parse(depth = 0, allowKeyword = false): PDFObject | Keyword {
    if (depth > this.options.maxDepth) throw new TooLargeError(`PDF objects are nested more than ${this.options.maxDepth} deep`)
    this.skipWhite()
    const b = this.bytes
    const c = b[this.pos]
    if (c === undefined) this.fail('a PDF object')
    if (c === 0x3c /* < */) {
      if (b[this.pos + 1] === 0x3c) return this.parseDictOrStream(depth)
      return this.parseHexString()
    }
    if (c === 0x28 /* ( */) return this.parseLiteralString()
    if (c === 0x2f /* / */) return this.parseName()
    if (c === 0x5b /* [ */) {
      this.pos++
      const arr = PDFArray.withContext(this.options.context)
      for (;;) {
        this.skipWhite()
        if (b[this.pos] === 0x5d) {
          this.pos++
          return arr
        }
        if (this.pos >= b.length) this.fail('"]" closing an array')
        const item = this.parse(depth + 1, allowKeyword)
        if (item instanceof Keyword) {
          if (!allowKeyword) this.fail('an array element')
          continue
        }
        arr.push(item)
      }
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) return this.parseNumberOrRef()
    const token = this.readToken()
    if (token === 'true') return PDFBool.True
    if (token === 'false') return PDFBool.False
    if (token === 'null') return PDFNull
    if (allowKeyword && token) return new Keyword(token)
    if (!token) this.pos++
    return this.fail('a PDF object')
  }

  parseObject(depth = 0): PDFObject {
    const obj = this.parse(depth, false)
    if (obj instanceof Keyword) this.fail('a PDF object')
    return obj
  }

  private parseNumberOrRef(): PDFNumber | PDFRef {
    const first = this.readNumber()
    const save = this.pos
    // "n g R" is a reference: look ahead for an integer and the letter R.
    if (Number.isInteger(first) && first >= 0) {
      this.skipWhite()
      const b = this.bytes
      if (b[this.pos]! >= 0x30 && b[this.pos]! <= 0x39) {
        const genStart = this.pos
        while (b[this.pos]! >= 0x30 && b[this.pos]! <= 0x39) this.pos++
        const gen = Number(latin1(b.subarray(genStart, this.pos)))
        this.skipWhite()
        if (b[this.pos] === 0x52 /* R */ && !isRegular(b[this.pos + 1])) {
          this.pos++
          return PDFRef.of(first, gen)
        }
      }
    }
    this.pos = save
    return PDFNumber.of(first)
  }

  readNumber(): number {
    this.skipWhite()
    const b = this.bytes
    const start = this.pos
    while (this.pos < b.length) {
      const c = b[this.pos]!
      if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) this.pos++
      else break
    }
    const text = latin1(b.subarray(start, this.pos))
    // Producers write oddities like "--5" or "1.2.3"; keep the leading valid part as readers do.
    const value = Number.parseFloat(text.replace(/^[+-]+(?=[+-])/, ''))
    if (!Number.isFinite(value)) {
      this.pos = start
      this.fail('a number')
    }
    return smallInt(value)
  }

  private parseName(): PDFName {
    const b = this.bytes
    this.pos++ // '/'
    const start = this.pos
    while (this.pos < b.length && isRegular(b[this.pos])) this.pos++
    // PDFName.of decodes #xx escapes itself; a cache skips that work for the names seen again and again.
    const raw = latin1(b.subarray(start, this.pos))
    let name = NAMES.get(raw)
    if (!name) {
      name = PDFName.of(raw)
      if (NAMES.size < 10_000) NAMES.set(raw, name)
    }
    return name
  }

  private parseHexString(): PDFHexString {
    const b = this.bytes
    this.pos++
    let hex = ''
    while (this.pos < b.length && b[this.pos] !== 0x3e) {
      const c = b[this.pos++]!
      if (WS[c] === 1) continue
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) {
        this.pos--
        this.fail('a hexadecimal digit in a hex string')
      }
      hex += String.fromCharCode(c)
    }
    if (b[this.pos] !== 0x3e) this.fail('">" closing a hex string')
    this.pos++
    if (hex.length % 2) hex += '0'
    return PDFHexString.of(hex)
  }

  /** Literal strings are decoded to their bytes and kept as hex strings. */
  private parseLiteralString(): PDFHexString {
    const b = this.bytes
    this.pos++
    const out: number[] = []
    let depth = 1
    while (this.pos < b.length) {
      let c = b[this.pos++]!
      if (c === 0x5c /* \ */) {
        c = b[this.pos++]!
        switch (c) {
          case 0x6e: out.push(0x0a); break
          case 0x72: out.push(0x0d); break
          case 0x74: out.push(0x09); break
          case 0x62: out.push(0x08); break
          case 0x66: out.push(0x0c); break
          case 0x0d:
            if (b[this.pos] === 0x0a) this.pos++
            break
          case 0x0a:
            break
          default:
            if (c >= 0x30 && c <= 0x37) {
              let v = c - 0x30
              for (let i = 0; i < 2 && b[this.pos]! >= 0x30 && b[this.pos]! <= 0x37; i++) v = v * 8 + (b[this.pos++]! - 0x30)
              out.push(v & 0xff)
            } else if (c !== undefined) out.push(c)
        }
        continue
      }
      if (c === 0x28) depth++
      else if (c === 0x29 && --depth === 0) return hexOf(out)
      out.push(c)
    }
    return this.fail('")" closing a literal string')
  }

  private parseDictOrStream(depth: number): PDFDict | PDFRawStream {
    const b = this.bytes
    this.pos += 2
    const map = new Map<PDFName, PDFObject>()
    for (;;) {
      this.skipWhite()
      if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
        this.pos += 2
        break
      }
      if (this.pos >= b.length) this.fail('">>" closing a dictionary')
      if (b[this.pos] !== 0x2f) this.fail('a name as dictionary key')
      const key = this.parseName()
      this.skipWhite()
      // A key directly followed by ">>" has no value; treat it as null like most readers.
      if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) break
      map.set(key, this.parseObject(depth + 1))
    }
    const dict = PDFDict.fromMapWithContext(map, this.options.context)
    const afterDict = this.pos
    if (!this.matchKeyword('stream')) {
      this.pos = afterDict
      return dict
    }
    // "stream" is followed by CRLF or LF (some writers use CR alone).
    if (b[this.pos] === 0x0d) this.pos++
    if (b[this.pos] === 0x0a) this.pos++
    const start = this.pos
    let end = -1
    const lengthObj = map.get(PDFName.of('Length'))
    let length: number | undefined
    if (lengthObj instanceof PDFNumber) length = lengthObj.asNumber()
    else if (lengthObj instanceof PDFRef) length = this.options.resolveLength?.(lengthObj)
    if (length !== undefined && Number.isInteger(length) && length >= 0 && start + length <= b.length) {
      const save = start + length
      this.pos = save
      if (this.matchKeyword('endstream')) end = save
    }
    if (end < 0) {
      // Wrong or missing /Length: find "endstream" and trim the end-of-line before it.
      const found = indexOfBytes(b, ENDSTREAM, start)
      if (found < 0) this.fail('"endstream" after stream data')
      end = found
      if (b[end - 1] === 0x0a) end--
      if (b[end - 1] === 0x0d) end--
      this.pos = found + ENDSTREAM.length
    }
    return PDFRawStream.of(dict, b.subarray(start, end))
  }
}

/**
 * An integral number as a 32-bit integer (V8 then keeps it unboxed). parseFloat gives boxed
 * doubles even for "123", and once such a value reaches `pos`, V8's optimised lexer code, which
 * assumed small integers, is thrown away and rebuilt over and over (measured: 36 deoptimisations
 * of skipWhite while verifying 4,000 files). Other numbers are returned as they are.
 */
function smallInt(value: number): number {
  return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff ? value | 0 : value
}

const NAMES = new Map<string, PDFName>()
const ENDSTREAM = Uint8Array.from('endstream', (c) => c.charCodeAt(0))

export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= 64) {
    // Tokens are short; a plain loop beats spreading into String.fromCharCode.
    let t = ''
    for (let i = 0; i < bytes.length; i++) t += String.fromCharCode(bytes[i]!)
    return t
  }
  // Node's latin1 decoder maps each byte to the code point of the same value, as the loop above does
  // (TextDecoder('latin1') would not: it is windows-1252), and is ~200x faster than spreading chunks.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

export function fromLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff
  return out
}

export function hexOf(bytes: ArrayLike<number>): PDFHexString {
  let hex = ''
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16)
  return PDFHexString.of(hex)
}

