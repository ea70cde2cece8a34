import { PDFArray, PDFContext, PDFDict, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFStream, PDFString, type PDFObject } from 'pdf-lib'
import { joinBytes } from '@tanba/core'
import { deflate } from './filters.js'
import { fromLatin1, hexOf } from './lexer.js'
import type { XrefEntry } from './file.js'
import type { SecurityHandler, StreamKind } from './security.js'

/** An object to write in an incremental update: new, or a new version of an existing one. */
export interface UpdateObject {
  ref: PDFRef
  object: PDFObject
  /** How the security handler treats this stream (metadata may stay unencrypted). */
  kind?: StreamKind
}

export interface UpdateOptions {
  /** Length of the file the update is appended to. */
  baseLength: number
  /** Whether the file so far ends with an end-of-line. */
  baseEndsWithEol: boolean
  /** Offset of the previous cross-reference section (/Prev), or undefined to write a complete one. */
  prev: number | undefined
  format: 'table' | 'stream'
  root: PDFRef
  info?: PDFRef | undefined
  /** The document /ID pair; the first element must stay as it was. */
  id?: [Uint8Array, Uint8Array] | undefined
  encrypt?: PDFObject | undefined
  /** The next free object number before this update. */
  size: number
  security?: SecurityHandler | undefined
  /** For a repair: every existing entry, written into this (then complete) section. */
  existing?: Map<number, XrefEntry> | undefined
  /** Pack non-stream objects into a compressed object stream (xref streams only; default true). */
  objectStreams?: boolean
}

export interface UpdateResult {
  /** The bytes to append. */
  bytes: Uint8Array
  /** Absolute offset of this update's cross-reference section. */
  xrefOffset: number
  /** /Size after the update. */
  size: number
}

const scratch = PDFContext.create()

/**
 * Serialises an incremental update (ISO 32000-2, 7.5.6): the objects, a cross-reference
 * section of the requested kind listing only them (or every object, for a repair), and
 * a trailer whose /Prev links the previous section. Nothing before `baseLength` changes.
 */
export function writeIncrementalUpdate(objects: readonly UpdateObject[], options: UpdateOptions): UpdateResult {
  const parts: Uint8Array[] = []
  let pos = options.baseLength
  const push = (b: Uint8Array) => {
    parts.push(b)
    pos += b.length
  }
  if (!options.baseEndsWithEol) push(fromLatin1('\n'))
  const offsets = new Map<number, { offset: number; gen: number }>()
  const packed = new Map<number, { stream: number; index: number }>()
  let size = options.size
  for (const { ref } of objects) size = Math.max(size, ref.objectNumber + 1)
  // Dictionaries and arrays (generation 0) go into one compressed object stream, as PDF 1.5+
  // writers do; streams, and everything when the section is a classic table, stay top-level.
  const packable = options.format === 'stream' && options.objectStreams !== false ? objects.filter((o) => !(o.object instanceof PDFStream) && o.ref.generationNumber === 0) : []
  const direct = objects.filter((o) => !packable.includes(o))
  if (packable.length > 1) {
    const streamNum = size++
    const header: string[] = []
    const bodies: Uint8Array[] = []
    let at = 0
    packable.forEach(({ ref, object }, index) => {
      const body = new Uint8Array(object.sizeInBytes() + 1)
      object.copyBytesInto(body, 0)
      body[body.length - 1] = 0x0a
      header.push(`${ref.objectNumber} ${at}`)
      bodies.push(body)
      at += body.length
      packed.set(ref.objectNumber, { stream: streamNum, index })
    })
    const head = fromLatin1(`${header.join(' ')}\n`)
    const data = joinBytes([head, ...bodies])
    const dict = scratch.obj({ Type: 'ObjStm', N: packable.length, First: head.length, Filter: 'FlateDecode' }) as PDFDict
    direct.push({ ref: PDFRef.of(streamNum, 0), object: PDFRawStream.of(dict, deflate(data)) })
  } else {
    direct.push(...packable)
    packable.length = 0
  }
  for (const { ref, object, kind } of direct) {
    const out = options.security ? encryptObject(object, ref, options.security, kind) : object
    offsets.set(ref.objectNumber, { offset: pos, gen: ref.generationNumber })
    push(serializeIndirect(ref, out))
  }
  const id = options.id
  const trailerEntries = (dict: PDFDict) => {
    dict.set(PDFName.of('Root'), options.root)
    if (options.info) dict.set(PDFName.of('Info'), options.info)
    if (id) dict.set(PDFName.of('ID'), scratch.obj([hexOf(id[0]), hexOf(id[1])]))
    if (options.encrypt) dict.set(PDFName.of('Encrypt'), options.encrypt)
    if (options.prev !== undefined) dict.set(PDFName.of('Prev'), PDFNumber.of(options.prev))
  }
  const rows = new Map<number, XrefEntry>()
  if (options.existing) for (const [n, e] of options.existing) rows.set(n, e)
  for (const [n, o] of offsets) rows.set(n, { type: 1, offset: o.offset, gen: o.gen })
  for (const [n, p] of packed) rows.set(n, { type: 2, stream: p.stream, index: p.index })
  const xrefOffset = pos
  if (options.format === 'table') {
    if (options.existing) rows.set(0, { type: 0 })
    let text = 'xref\n'
    for (const [start, nums] of runs([...rows.keys()].sort((a, b) => a - b))) {
      text += `${start} ${nums.length}\n`
      for (const n of nums) {
        const e = rows.get(n)!
        // Classic tables cannot express object-stream entries; a repair of such a file uses a stream.
        if (e.type === 1) text += `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r\n`
        else text += `0000000000 ${n === 0 ? '65535' : '00001'} f\r\n`
      }
    }
    const trailer = PDFDict.withContext(scratch)
    trailer.set(PDFName.of('Size'), PDFNumber.of(size))
    trailerEntries(trailer)
    text += `trailer\n${trailer.toString()}\nstartxref\n${xrefOffset}\n%%EOF\n`
    push(fromLatin1(text))
  } else {
    const selfNum = size
    size += 1
    rows.set(selfNum, { type: 1, offset: xrefOffset, gen: 0 })
    if (options.existing) rows.set(0, { type: 0 })
    const maxOffset = Math.max(xrefOffset, ...[...rows.values()].map((e) => (e.type === 1 ? e.offset : e.type === 2 ? e.stream : 0)))
    const w2 = Math.max(1, Math.ceil(Math.log2(maxOffset + 1) / 8))
    const w3 = 2
    const sorted = [...rows.keys()].sort((a, b) => a - b)
    const index: number[] = []
    const data = new Uint8Array(sorted.length * (1 + w2 + w3))
    let p = 0
    const put = (v: number, w: number) => {
      for (let i = w - 1; i >= 0; i--) data[p + i] = Math.floor(v / 256 ** (w - 1 - i)) & 0xff
      p += w
    }
    for (const [start, nums] of runs(sorted)) {
      index.push(start, nums.length)
      for (const n of nums) {
        const e = rows.get(n)!
        if (e.type === 1) {
          put(1, 1)
          put(e.offset, w2)
          put(e.gen, w3)
        } else if (e.type === 2) {
          put(2, 1)
          put(e.stream, w2)
          put(e.index, w3)
        } else {
          put(0, 1)
          put(0, w2)
          put(n === 0 ? 65535 : 1, w3)
        }
      }
    }
    const dict = PDFDict.withContext(scratch)
    dict.set(PDFName.of('Type'), PDFName.of('XRef'))
    dict.set(PDFName.of('Size'), PDFNumber.of(size))
    dict.set(PDFName.of('Index'), scratch.obj(index))
    dict.set(PDFName.of('W'), scratch.obj([1, w2, w3]))
    dict.set(PDFName.of('Filter'), PDFName.of('FlateDecode'))
    trailerEntries(dict)
    // The xref stream is never encrypted (ISO 32000-2, 7.6.2).
    push(serializeIndirect(PDFRef.of(selfNum, 0), PDFRawStream.of(dict, deflate(data))))
    push(fromLatin1(`startxref\n${xrefOffset}\n%%EOF\n`))
  }
  return { bytes: joinBytes(parts), xrefOffset, size }
}

/** Consecutive runs of sorted numbers: [[start, [n...]], ...]. */
function runs(sorted: number[]): [number, number[]][] {
  const out: [number, number[]][] = []
  for (const n of sorted) {
    const last = out[out.length - 1]
    if (last && last[1][last[1].length - 1] === n - 1) last[1].push(n)
    else out.push([n, [n]])
  }
  return out
}

export function serializeIndirect(ref: PDFRef, object: PDFObject): Uint8Array {
  const head = fromLatin1(`${ref.objectNumber} ${ref.generationNumber} obj\n`)
  const tail = fromLatin1('\nendobj\n')
  const size = object.sizeInBytes()
  const out = new Uint8Array(head.length + size + tail.length)
  out.set(head, 0)
  object.copyBytesInto(out, head.length)
  out.set(tail, head.length + size)
  return out
}

/** A copy of `object` with every string and stream encrypted for object `ref`. */
function encryptObject(object: PDFObject, ref: PDFRef, security: SecurityHandler, kind: StreamKind | undefined): PDFObject {
  const n = ref.objectNumber
  const g = ref.generationNumber
  const walk = (o: PDFObject): PDFObject => {
    if (o instanceof PDFHexString || o instanceof PDFString) return hexOf(security.encryptString(o.asBytes(), n, g))
    if (o instanceof PDFArray) return scratch.obj(o.asArray().map(walk))
    if (o instanceof PDFDict) {
      const out = PDFDict.withContext(scratch)
      for (const [k, v] of o.entries()) out.set(k, walk(v))
      return out
    }
    return o
  }
  if (object instanceof PDFStream) {
    const dict = walk(object.dict) as PDFDict
    return PDFRawStream.of(dict, security.encryptStream(object.getContents(), n, g, kind))
  }
  return walk(object)
}

