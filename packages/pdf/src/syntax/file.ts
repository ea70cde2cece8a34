import { indexOfBytes, lastIndexOfBytes, MalformedInputError, TanbaError, TooLargeError, type Limits } from '@tanba/core'
import { PDFArray, PDFContext, PDFDict, PDFHexString, PDFName, PDFNull, PDFNumber, PDFRawStream, PDFRef, PDFString, type PDFObject } from 'pdf-lib'
import { decodeStreamData } from './filters.js'
import { fromLatin1, isRegular, isWhite, latin1, Lexer } from './lexer.js'
import { openSecurityHandler, type SecurityHandler, type StreamKind } from './security.js'

export type XrefEntry = { type: 0 } | { type: 1; offset: number; gen: number } | { type: 2; stream: number; index: number }

/** One cross-reference section: a classic table with its trailer, or an xref stream. */
export interface XrefSection {
  kind: 'table' | 'stream'
  /** Byte offset of the `xref` keyword or of the xref stream object. */
  offset: number
  trailer: PDFDict
  entries: Map<number, XrefEntry>
}

export interface OpenOptions {
  limits: Limits
  /** Password for encrypted documents (the empty user password is always tried). */
  password?: string
  /** Open an encrypted document's security handler (default true). */
  decrypt?: boolean
}

const STARTXREF = fromLatin1('startxref')
const EOF_MARK = fromLatin1('%%EOF')

/**
 * A PDF opened for random access: its cross-reference chain (newest section first),
 * the merged trailer, lazily parsed objects, and the security handler when encrypted.
 * `at(extent)` gives the same document as it was at an earlier revision.
 */
export class PdfFile {
  readonly bytes: Uint8Array
  readonly context: PDFContext
  readonly limits: Limits
  /** Newest first, following /Prev (and /XRefStm) links. */
  readonly sections: XrefSection[]
  readonly xref: Map<number, XrefEntry>
  readonly trailer: PDFDict
  /** Offset given by the last `startxref`. */
  readonly startxref: number
  /** True when the cross-reference data was broken and rebuilt by scanning the file. */
  readonly repaired: boolean
  readonly version: string
  /** Why the file needed repair, when it did. */
  repairReason: string | undefined
  /**
   * A repaired file whose last object header has no "endobj" after it (the file was cut inside that
   * object): its number, else undefined. Bytes appended to such a file would be read as part of it.
   */
  unterminated: number | undefined
  security: SecurityHandler | undefined
  private readonly cache = new Map<number, PDFObject>()
  private readonly objStreams = new Map<number, { offsets: number[]; numbers: number[]; data: Uint8Array; first: number }>()
  private readonly origins = new WeakMap<PDFRawStream, { num: number; gen: number }>()
  private resolvingLength = false

  private constructor(init: { bytes: Uint8Array; limits: Limits; sections: XrefSection[]; xref: Map<number, XrefEntry>; trailer: PDFDict; startxref: number; repaired: boolean; version: string; context: PDFContext }) {
    this.bytes = init.bytes
    this.limits = init.limits
    this.sections = init.sections
    this.xref = init.xref
    this.trailer = init.trailer
    this.startxref = init.startxref
    this.repaired = init.repaired
    this.version = init.version
    this.context = init.context
  }

  static open(bytes: Uint8Array, options: OpenOptions): PdfFile {
    const limits = options.limits
    if (bytes.length > limits.maxInputBytes) throw new TooLargeError(`The PDF is ${bytes.length} bytes; the limit is ${limits.maxInputBytes}`)
    const head = latin1(bytes.subarray(0, 1024))
    const hm = /%PDF-(\d+\.\d+)/.exec(head)
    if (!hm) throw new MalformedInputError(`Expected a PDF header "%PDF-1.x" at the start of the file but found ${JSON.stringify(head.slice(0, 8))}`)
    if (hm.index !== 0) throw new MalformedInputError(`The PDF header is preceded by ${hm.index} bytes of other data, which Tanba does not accept`)
    const context = PDFContext.create()
    let file: PdfFile
    try {
      file = PdfFile.fromXref(bytes, limits, context, hm[1]!)
    } catch (error) {
      if (error instanceof TanbaError && error.code === 'TANBA_TOO_LARGE') throw error
      file = PdfFile.fromScan(bytes, limits, context, hm[1]!, error)
    }
    file.openSecurity(options)
    return file
  }

  private static fromXref(bytes: Uint8Array, limits: Limits, context: PDFContext, version: string): PdfFile {
    const sx = lastIndexOfBytes(bytes, STARTXREF)
    if (sx < 0) throw new MalformedInputError('The PDF has no "startxref"')
    const lex = new Lexer(bytes, sx + STARTXREF.length, { context, maxDepth: limits.maxDepth })
    const startxref = lex.readNumber()
    const sections: XrefSection[] = []
    const seen = new Set<number>()
    const queue: number[] = [startxref]
    while (queue.length) {
      const offset = queue.shift()!
      if (seen.has(offset)) continue
      if (seen.size >= limits.maxChunks) throw new TooLargeError(`The PDF has more than ${limits.maxChunks} cross-reference sections`)
      seen.add(offset)
      const section = readSection(bytes, offset, limits, context)
      sections.push(section)
      const xrefStm = section.kind === 'table' ? section.trailer.get(PDFName.of('XRefStm')) : undefined
      if (xrefStm instanceof PDFNumber) sections.push(readSection(bytes, xrefStm.asNumber(), limits, context))
      const prev = section.trailer.get(PDFName.of('Prev'))
      if (prev instanceof PDFNumber) queue.push(prev.asNumber())
    }
    const xref = new Map<number, XrefEntry>()
    for (const s of sections) for (const [n, e] of s.entries) if (!xref.has(n)) xref.set(n, e)
    // Every in-use entry must point at its own "n g obj" header; otherwise the table is damaged.
    for (const [n, e] of xref) {
      if (e.type === 1 && !headerAt(bytes, e.offset, n)) throw new MalformedInputError(`The cross-reference entry for object ${n} points at byte ${e.offset}, where that object does not start`)
    }
    const trailer = mergedTrailer(sections, context)
    if (!(trailer.get(PDFName.of('Root')) instanceof PDFRef)) throw new MalformedInputError('The PDF trailer has no /Root reference')
    return new PdfFile({ bytes, limits, sections, xref, trailer, startxref, repaired: false, version, context })
  }

  /** Rebuilds the cross-reference data by scanning for "n g obj" headers, as PDF readers do. */
  private static fromScan(bytes: Uint8Array, limits: Limits, context: PDFContext, version: string, original: unknown): PdfFile {
    const text = latin1(bytes)
    const xref = new Map<number, XrefEntry>()
    const re = /(?:^|[\s>\]])(\d{1,10})[ \t\r\n\f\0]+(\d{1,5})[ \t\r\n\f\0]+obj(?![A-Za-z0-9])/g
    let m: RegExpExecArray | null
    let count = 0
    const offsets: { num: number; offset: number }[] = []
    while ((m = re.exec(text))) {
      if (++count > limits.maxChunks * 10) throw new TooLargeError(`The PDF has more than ${limits.maxChunks * 10} objects`)
      const offset = m.index + (m[0].length - m[0].trimStart().length)
      const num = Number(m[1])
      xref.set(num, { type: 1, offset, gen: Number(m[2]) })
      offsets.push({ num, offset })
    }
    const reason = original instanceof Error ? original.message : String(original)
    if (!xref.size) throw new MalformedInputError(`The PDF's cross-reference data is broken (${reason}) and no objects could be found to repair it`)
    const file = new PdfFile({ bytes, limits, sections: [], xref, trailer: PDFDict.withContext(context), startxref: -1, repaired: true, version, context })
    // Trailers: classic "trailer" dictionaries and xref stream dictionaries, the last one winning.
    const trailerDicts: PDFDict[] = []
    for (let i = text.indexOf('trailer'); i >= 0; i = text.indexOf('trailer', i + 7)) {
      try {
        const d = new Lexer(bytes, i + 7, { context, maxDepth: limits.maxDepth }).parseObject()
        if (d instanceof PDFDict) trailerDicts.push(d)
      } catch {
        // a broken trailer is skipped; others may still hold /Root
      }
    }
    for (const { num, offset } of offsets) {
      if (file.xref.get(num)?.type !== 1 || (file.xref.get(num) as { offset: number }).offset !== offset) continue
      let obj: PDFObject | undefined
      try {
        obj = file.get(num)
      } catch {
        continue
      }
      if (obj instanceof PDFRawStream) {
        const type = obj.dict.get(PDFName.of('Type'))
        if (type === PDFName.of('XRef')) trailerDicts.push(obj.dict)
        if (type === PDFName.of('ObjStm')) {
          try {
            const index = file.objectStream(num)
            index.offsets.forEach((_, i) => {
              const inner = index.numbers[i]!
              const existing = xref.get(inner)
              // A direct definition later in the file wins over an object stream entry.
              if (!existing || existing.type !== 1 || existing.offset < offset) xref.set(inner, { type: 2, stream: num, index: i })
            })
          } catch {
            // an unreadable object stream is skipped
          }
        }
      }
    }
    file.cache.clear()
    const trailer = PDFDict.withContext(context)
    for (const d of trailerDicts) for (const key of ['Root', 'Info', 'ID', 'Encrypt']) if (d.get(PDFName.of(key))) trailer.set(PDFName.of(key), d.get(PDFName.of(key))!)
    if (!(trailer.get(PDFName.of('Root')) instanceof PDFRef)) {
      for (const { num } of offsets) {
        try {
          const o = file.get(num)
          if (o instanceof PDFDict && o.get(PDFName.of('Type')) === PDFName.of('Catalog')) trailer.set(PDFName.of('Root'), PDFRef.of(num, (xref.get(num) as { gen: number }).gen))
        } catch {
          // skip
        }
      }
    }
    if (!(trailer.get(PDFName.of('Root')) instanceof PDFRef)) throw new MalformedInputError(`The PDF's cross-reference data is broken (${reason}) and no document catalog could be found to repair it`)
    trailer.set(PDFName.of('Size'), PDFNumber.of(Math.max(...xref.keys()) + 1))
    ;(file as { trailer: PDFDict }).trailer = trailer
    file.repairReason = reason
    const last = offsets.reduce<{ num: number; offset: number } | undefined>((a, o) => (!a || o.offset > a.offset ? o : a), undefined)
    if (last && text.indexOf('endobj', last.offset) < 0) file.unterminated = last.num
    return file
  }


  private openSecurity(options: OpenOptions): void {
    const enc = this.trailer.get(PDFName.of('Encrypt'))
    if (!enc || options.decrypt === false) return
    const dict = enc instanceof PDFRef ? this.getRaw(enc.objectNumber) : enc
    if (!(dict instanceof PDFDict)) throw new MalformedInputError('The PDF trailer /Encrypt is not a dictionary')
    const id = this.trailer.get(PDFName.of('ID'))
    const id0 = id instanceof PDFArray && (id.get(0) instanceof PDFHexString || id.get(0) instanceof PDFString) ? (id.get(0) as PDFHexString).asBytes() : new Uint8Array(0)
    this.security = openSecurityHandler({ encrypt: dict, id0, ...(options.password !== undefined ? { password: options.password } : {}), resolve: (o) => this.resolve(o) })
    this.encryptRef = enc instanceof PDFRef ? enc.objectNumber : -1
    this.cache.clear()
  }

  private encryptRef = -1

  /** The highest object number in use plus one. */
  get size(): number {
    let size = 0
    for (const s of this.sections) {
      const v = s.trailer.get(PDFName.of('Size'))
      if (v instanceof PDFNumber) size = Math.max(size, v.asNumber())
    }
    const t = this.trailer.get(PDFName.of('Size'))
    if (t instanceof PDFNumber) size = Math.max(size, t.asNumber())
    for (const n of this.xref.keys()) size = Math.max(size, n + 1)
    return size
  }

  /** The same document as it was when the file ended at `extent` (a revision boundary). */
  at(extent: number): PdfFile {
    const sections = this.sections.filter((s) => s.offset < extent)
    if (!sections.length) throw new MalformedInputError(`The PDF has no cross-reference section before byte ${extent}`)
    const xref = new Map<number, XrefEntry>()
    for (const s of sections) for (const [n, e] of s.entries) if (!xref.has(n)) xref.set(n, e)
    const view = new PdfFile({
      bytes: this.bytes.subarray(0, extent),
      limits: this.limits,
      sections,
      xref,
      trailer: mergedTrailer(sections, this.context),
      startxref: sections[0]!.offset,
      repaired: false,
      version: this.version,
      context: this.context,
    })
    view.security = this.security
    view.encryptRef = this.encryptRef
    return view
  }

  /** Follows references (bounded) to a direct object. */
  resolve(obj: PDFObject | undefined): PDFObject | undefined {
    let o = obj
    for (let i = 0; o instanceof PDFRef; i++) {
      if (i > 32) throw new MalformedInputError('A PDF reference chain is too long')
      o = this.get(o.objectNumber)
    }
    return o === PDFNull ? undefined : o
  }

  lookup(dict: PDFDict | undefined, key: string): PDFObject | undefined {
    return dict ? this.resolve(dict.get(PDFName.of(key))) : undefined
  }

  lookupDict(dict: PDFDict | undefined, key: string): PDFDict | undefined {
    const v = this.lookup(dict, key)
    return v instanceof PDFDict ? v : v instanceof PDFRawStream ? v.dict : undefined
  }

  lookupArray(dict: PDFDict | undefined, key: string): PDFArray | undefined {
    const v = this.lookup(dict, key)
    return v instanceof PDFArray ? v : undefined
  }

  /** The object with this number (decrypted), or undefined when it is free or missing. */
  get(num: number): PDFObject | undefined {
    const cached = this.cache.get(num)
    if (cached) return cached
    const obj = this.getRaw(num)
    if (obj === undefined) return undefined
    const entry = this.xref.get(num)
    let out = obj
    if (this.security && entry?.type === 1 && num !== this.encryptRef) out = decryptStrings(obj, (b) => this.security!.decryptString(b, num, entry.gen))
    if (out instanceof PDFRawStream && entry?.type === 1) this.origins.set(out, { num, gen: entry.gen })
    this.cache.set(num, out)
    return out
  }

  /** The generation number the xref gives an object (0 for objects in object streams). */
  generation(num: number): number {
    const e = this.xref.get(num)
    return e?.type === 1 ? e.gen : 0
  }

  private getRaw(num: number): PDFObject | undefined {
    const entry = this.xref.get(num)
    if (!entry || entry.type === 0) return undefined
    if (entry.type === 1) {
      if (entry.offset < 0 || entry.offset >= this.bytes.length) throw new MalformedInputError(`Object ${num} is said to start at byte ${entry.offset}, outside the file`)
      const lex = this.lexer(entry.offset)
      const n = lex.readNumber()
      lex.readNumber()
      if (n !== num || !lex.matchKeyword('obj')) lex.fail(`the header "${num} ${entry.gen} obj"`)
      return lex.parseObject()
    }
    const os = this.objectStream(entry.stream)
    const at = os.offsets[entry.index]
    if (at === undefined || os.numbers[entry.index] !== num) throw new MalformedInputError(`Object ${num} is not at index ${entry.index} of object stream ${entry.stream}`)
    const lex = new Lexer(os.data, os.first + at, { context: this.context, maxDepth: this.limits.maxDepth })
    return lex.parseObject()
  }

  private lexer(offset: number): Lexer {
    return new Lexer(this.bytes, offset, {
      context: this.context,
      maxDepth: this.limits.maxDepth,
      resolveLength: (ref) => {
        if (this.resolvingLength) return undefined
        this.resolvingLength = true
        try {
          const v = this.get(ref.objectNumber)
          return v instanceof PDFNumber ? v.asNumber() : undefined
        } catch {
          return undefined
        } finally {
          this.resolvingLength = false
        }
      },
    })
  }

  private objectStream(num: number): { offsets: number[]; numbers: number[]; data: Uint8Array; first: number } {
    const cached = this.objStreams.get(num)
    if (cached) return cached
    const stream = this.get(num)
    if (!(stream instanceof PDFRawStream)) throw new MalformedInputError(`Object stream ${num} is not a stream`)
    const data = this.streamData(stream)
    const n = this.lookup(stream.dict, 'N')
    const first = this.lookup(stream.dict, 'First')
    if (!(n instanceof PDFNumber) || !(first instanceof PDFNumber)) throw new MalformedInputError(`Object stream ${num} lacks /N or /First`)
    if (n.asNumber() > this.limits.maxChunks) throw new TooLargeError(`Object stream ${num} holds more than ${this.limits.maxChunks} objects`)
    const lex = new Lexer(data, 0, { context: this.context, maxDepth: 2 })
    const numbers: number[] = []
    const offsets: number[] = []
    for (let i = 0; i < n.asNumber(); i++) {
      numbers.push(lex.readNumber())
      offsets.push(lex.readNumber())
    }
    const out = { offsets, numbers, data, first: first.asNumber() }
    this.objStreams.set(num, out)
    return out
  }

  /** A stream's data, decrypted and decoded through its filters. */
  streamData(stream: PDFRawStream, options: { maxBytes?: number } = {}): Uint8Array {
    return decodeStreamData(stream, this.rawStreamData(stream), {
      maxBytes: options.maxBytes ?? this.limits.maxInputBytes,
      resolve: (o) => this.resolve(o),
    })
  }

  /** A stream's data, decrypted but still encoded. */
  rawStreamData(stream: PDFRawStream): Uint8Array {
    const origin = this.origins.get(stream)
    if (!this.security || !origin) return stream.contents
    const type = stream.dict.get(PDFName.of('Type'))
    if (type === PDFName.of('XRef')) return stream.contents
    const kind: StreamKind = type === PDFName.of('Metadata') ? 'metadata' : type === PDFName.of('EmbeddedFile') ? 'embedded-file' : 'stream'
    return this.security.decryptStream(stream.contents, origin.num, origin.gen, kind)
  }

  /** The object number and generation a stream was read from, when it was a top-level object. */
  originOf(stream: PDFRawStream): { num: number; gen: number } | undefined {
    return this.origins.get(stream)
  }

  get catalog(): PDFDict {
    const root = this.resolve(this.trailer.get(PDFName.of('Root')))
    if (!(root instanceof PDFDict)) throw new MalformedInputError('The PDF /Root is not a dictionary')
    return root
  }

  get rootRef(): PDFRef {
    return this.trailer.get(PDFName.of('Root')) as PDFRef
  }

  /** The byte offsets just after each "%%EOF" marker: the ends of the file's revisions. */
  revisionEnds(): number[] {
    const ends: number[] = []
    for (let i = indexOfBytes(this.bytes, EOF_MARK); i >= 0; i = indexOfBytes(this.bytes, EOF_MARK, i + 5)) {
      let end = i + 5
      if (this.bytes[end] === 0x0d) end++
      if (this.bytes[end] === 0x0a) end++
      ends.push(end)
    }
    return ends
  }
}

function readSection(bytes: Uint8Array, offset: number, limits: Limits, context: PDFContext): XrefSection {
  if (!Number.isInteger(offset) || offset < 0 || offset >= bytes.length) throw new MalformedInputError(`A cross-reference offset (${offset}) lies outside the file`)
  const lex: Lexer = new Lexer(bytes, offset, { context, maxDepth: limits.maxDepth })
  if (lex.matchKeyword('xref')) return readTable(lex, offset, limits)
  // An xref stream: "n g obj << /Type /XRef ... >> stream"
  const num = lex.readNumber()
  lex.readNumber()
  if (!lex.matchKeyword('obj')) lex.fail('"xref" or an xref stream object')
  const obj = lex.parseObject()
  if (!(obj instanceof PDFRawStream) || obj.dict.get(PDFName.of('Type')) !== PDFName.of('XRef')) lex.fail(`an xref stream (object ${num})`)
  const dict = obj.dict
  const w = dict.get(PDFName.of('W'))
  if (!(w instanceof PDFArray) || w.size() < 3) throw new MalformedInputError('An xref stream has no valid /W array')
  const widths = [0, 1, 2].map((i) => (w.get(i) as PDFNumber).asNumber?.() ?? -1)
  if (widths.some((x) => !Number.isInteger(x) || x < 0 || x > 8)) throw new MalformedInputError('An xref stream /W array holds invalid widths')
  const size = (dict.get(PDFName.of('Size')) as PDFNumber | undefined)?.asNumber?.()
  if (size === undefined) throw new MalformedInputError('An xref stream has no /Size')
  const indexArr = dict.get(PDFName.of('Index'))
  const ranges: number[] = indexArr instanceof PDFArray ? indexArr.asArray().map((x) => (x as PDFNumber).asNumber?.() ?? -1) : [0, size]
  const data = decodeStreamData(obj, obj.contents, { maxBytes: limits.maxMetadataBytes * 4, resolve: (o) => o })
  const rowLen = widths[0]! + widths[1]! + widths[2]!
  const entries = new Map<number, XrefEntry>()
  let p = 0
  const field = (width: number) => {
    let v = 0
    for (let i = 0; i < width; i++) v = v * 256 + data[p++]!
    return v
  }
  for (let r = 0; r + 1 < ranges.length; r += 2) {
    const start = ranges[r]!
    const count = ranges[r + 1]!
    if (!(start >= 0 && count >= 0) || count > limits.maxChunks * 10) throw new MalformedInputError('An xref stream /Index is invalid')
    for (let i = 0; i < count; i++) {
      if (p + rowLen > data.length) throw new MalformedInputError('An xref stream is shorter than its /Index says')
      const type = widths[0] ? field(widths[0]) : 1
      const f2 = field(widths[1]!)
      const f3 = field(widths[2]!)
      const n = start + i
      if (entries.has(n)) continue
      if (type === 0) entries.set(n, { type: 0 })
      else if (type === 1) entries.set(n, { type: 1, offset: f2, gen: f3 })
      else if (type === 2) entries.set(n, { type: 2, stream: f2, index: f3 })
    }
  }
  return { kind: 'stream', offset, trailer: dict, entries }
}

function readTable(lex: Lexer, offset: number, limits: Limits): XrefSection {
  const bytes = lex.bytes
  const entries = new Map<number, XrefEntry>()
  for (;;) {
    lex.skipWhite()
    if (lex.matchKeyword('trailer')) break
    const start = lex.readNumber()
    const count = lex.readNumber()
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0) lex.fail('a cross-reference subsection header')
    if (entries.size + count > limits.maxChunks * 10) throw new TooLargeError(`The PDF cross-reference table has more than ${limits.maxChunks * 10} entries`)
    for (let i = 0; i < count; i++) {
      lex.skipWhite()
      // "oooooooooo ggggg n" — parse leniently (some writers get the widths wrong).
      const off = lex.readNumber()
      const gen = lex.readNumber()
      lex.skipWhite()
      const t = bytes[lex.pos]
      if (t !== 0x6e && t !== 0x66) lex.fail('"n" or "f" in a cross-reference entry')
      lex.pos++
      const n = start + i
      // Object 0 is always free; a broken writer that starts its first subsection at 1 is common.
      if (!entries.has(n)) entries.set(n, t === 0x6e ? { type: 1, offset: off, gen } : { type: 0 })
    }
  }
  const trailer = lex.parseObject()
  if (!(trailer instanceof PDFDict)) lex.fail('a trailer dictionary')
  return { kind: 'table', offset, trailer, entries }
}

function mergedTrailer(sections: XrefSection[], context: PDFContext): PDFDict {
  const t = PDFDict.withContext(context)
  for (const s of [...sections].reverse()) for (const [k, v] of s.trailer.entries()) t.set(k, v)
  return t
}

/** True when "num gen obj" starts at `offset`. */
function headerAt(bytes: Uint8Array, offset: number, num: number): boolean {
  let p = offset
  while (isWhite(bytes[p])) p++
  let n = 0
  let digits = 0
  while (bytes[p]! >= 0x30 && bytes[p]! <= 0x39) {
    n = n * 10 + bytes[p++]! - 0x30
    digits++
  }
  if (!digits || n !== num || !isWhite(bytes[p])) return false
  while (isWhite(bytes[p])) p++
  digits = 0
  while (bytes[p]! >= 0x30 && bytes[p]! <= 0x39) {
    p++
    digits++
  }
  if (!digits) return false
  while (isWhite(bytes[p])) p++
  return bytes[p] === 0x6f && bytes[p + 1] === 0x62 && bytes[p + 2] === 0x6a && !isRegular(bytes[p + 3])
}

function decryptStrings(obj: PDFObject, decrypt: (b: Uint8Array) => Uint8Array): PDFObject {
  if (obj instanceof PDFHexString || obj instanceof PDFString) return hexFromBytes(decrypt(obj.asBytes()))
  if (obj instanceof PDFArray) {
    const out = PDFArray.withContext((obj as unknown as { context: PDFContext }).context)
    for (const item of obj.asArray()) out.push(decryptStrings(item, decrypt))
    return out
  }
  if (obj instanceof PDFDict) {
    const isSig = obj.get(PDFName.of('Type')) === PDFName.of('Sig') || obj.get(PDFName.of('ByteRange')) instanceof PDFArray
    const map = new Map<PDFName, PDFObject>()
    for (const [k, v] of obj.entries()) map.set(k, isSig && k === PDFName.of('Contents') ? v : decryptStrings(v, decrypt))
    return PDFDict.fromMapWithContext(map, (obj as unknown as { context: PDFContext }).context)
  }
  if (obj instanceof PDFRawStream) {
    const dict = decryptStrings(obj.dict, decrypt) as PDFDict
    return PDFRawStream.of(dict, obj.contents)
  }
  return obj
}

function hexFromBytes(bytes: Uint8Array): PDFHexString {
  let hex = ''
  for (const b of bytes) hex += (b < 16 ? '0' : '') + b.toString(16)
  return PDFHexString.of(hex)
}
