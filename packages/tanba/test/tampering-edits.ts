// The edits of the tampering matrix (tampering.test.ts), one set per format. Each edit works on the
// bytes the way a tool or an attacker would: ExifTool for images, pdf-lib objects written as an
// incremental update for PDF, small independent writers for audio and text. None of them uses the
// adapter's own code, so the matrix checks the adapters against the outside world.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc8, crc16, crc32, oggCrc32, readIsoBoxes, serializeLabel, utf8, type Label } from '@tanba/core'
import { findWrappers } from '@tanba/text'
import { encodeFlac } from '@tanba/audio'
import { exiftool } from 'exiftool-vendored'
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, PDFString, type PDFObject } from 'pdf-lib'
import sharp from 'sharp'
import { parseDocument } from 'yaml'

/** An edit of a stamped file; `label` is the label it was stamped with (PDF needs its revision length). */
export type Edit = (stamped: Uint8Array, label: Label) => Promise<Uint8Array>

export interface FormatCase {
  id: string
  /** The sample stamped as file A. */
  sample: string
  filename: string
  /** Stamp with the perceivable notice (false where the format takes none). */
  visible: boolean
  /** Changes one pixel / sample / character / page object of a stamped file. */
  content: { what: string; edit: Edit }
  /** A different file of the same shape (B), from A's original: the label is copied into it. */
  other: (original: Uint8Array) => Promise<Uint8Array>
  /** Removes every carrier of the label. */
  stripAll: { what: string; edit: Edit }
  /** Removes one carrier and leaves the others; null when the format has one carrier only. */
  stripOne: { what: string; edit: Edit } | null
  /** An unrelated metadata edit made by another tool; null when the format has no metadata. */
  benign: { what: string; edit: Edit } | null
  /** Checksums to mend after bytes were overwritten in place (PNG chunk CRCs, Ogg page CRCs). */
  mend?: (bytes: Uint8Array) => Uint8Array
}

const enc = new TextEncoder()
const dec = new TextDecoder()

// --- small byte helpers ------------------------------------------------------------------------------

export function join_(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) (out.set(p, o), (o += p.length))
  return out
}
function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer
    return i
  }
  return -1
}
function allIndexes(hay: Uint8Array, needle: Uint8Array): number[] {
  const out: number[] = []
  for (let i = indexOf(hay, needle); i >= 0; i = indexOf(hay, needle, i + 1)) out.push(i)
  return out
}
const u32le = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true)
const u32be = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o)
const fourcc = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!)
const syncsafe = (b: Uint8Array, o: number) => ((b[o]! & 0x7f) << 21) | ((b[o + 1]! & 0x7f) << 14) | ((b[o + 2]! & 0x7f) << 7) | (b[o + 3]! & 0x7f)

// --- the copied label (generic) --------------------------------------------------------------------

/**
 * Puts file A's label into file B's carriers: every raw copy of B's label (XMP, tags, chunks, front
 * matter, script) is overwritten with A's, and a text wrapper is replaced by A's. A and B are stamped
 * with the same options and shape, so the two labels have the same length and every structure stays
 * intact, as an attacker with a hex editor would leave it.
 */
export function copyLabel(into: Uint8Array, intoLabel: Label, from: Uint8Array, fromLabel: Label): Uint8Array {
  const a = utf8(serializeLabel(fromLabel))
  const b = utf8(serializeLabel(intoLabel))
  let out: Uint8Array = into.slice()
  let replaced = 0
  if (a.length === b.length) {
    for (const at of allIndexes(out, b)) {
      out.set(a, at)
      replaced++
    }
  }
  // Text: the invisible wrapper carries the compact label; take A's wrapper as it is.
  const fromWrapper = wrappers(from)
  const intoText = dec.decode(out)
  const intoWrapper = findWrappers(intoText).filter((w) => w.kind === 'tanba')
  if (fromWrapper && intoWrapper.length) {
    let text = intoText
    for (const w of intoWrapper.reverse()) text = text.slice(0, w.start) + fromWrapper + text.slice(w.end)
    out = utf8(text)
    replaced++
  }
  if (!replaced) throw new Error(`copyLabel: no copy of the label found to replace (labels of ${a.length} and ${b.length} bytes)`)
  return out
}

function wrappers(bytes: Uint8Array): string | undefined {
  const text = dec.decode(bytes)
  const w = findWrappers(text).find((x) => x.kind === 'tanba')
  return w ? text.slice(w.start, w.end) : undefined
}

// --- images --------------------------------------------------------------------------------------------

async function viaExiftool(bytes: Uint8Array, ext: string, args: string[], extra?: { name: string; bytes: Uint8Array }): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'tanba-tamper-'))
  try {
    const path = join(dir, `file.${ext}`)
    writeFileSync(path, bytes)
    if (extra) writeFileSync(join(dir, extra.name), extra.bytes)
    await exiftool.write(path, {}, { writeArgs: [...args.map((a) => a.replace('$DIR', dir)), '-overwrite_original'] })
    return new Uint8Array(readFileSync(path))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const endExiftool = () => exiftool.end()

type SharpFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'avif'

/** Decodes the first frame, inverts a `size`×`size` square in the middle, encodes in the same format. */
async function paint(bytes: Uint8Array, format: SharpFormat, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true })
  const x0 = Math.floor(info.width / 2)
  const y0 = Math.floor(info.height / 2)
  for (let y = y0; y < Math.min(info.height, y0 + size); y++) {
    for (let x = x0; x < Math.min(info.width, x0 + size); x++) {
      const i = (y * info.width + x) * info.channels
      for (let c = 0; c < Math.min(3, info.channels); c++) data[i + c] = 255 - data[i + c]!
    }
  }
  const raw = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
  const encoded = format === 'jpeg' ? raw.jpeg({ quality: 92 }) : format === 'png' ? raw.png() : format === 'webp' ? raw.webp({ lossless: true }) : format === 'tiff' ? raw.tiff() : format === 'gif' ? raw.gif() : raw.avif({ quality: 70 })
  return new Uint8Array(await encoded.toBuffer())
}

/** An editor that changes one pixel and keeps the metadata: re-encode, then copy the XMP block back with ExifTool. */
function onePixel(format: SharpFormat, ext: string): Edit {
  return async (stamped) => viaExiftool(await paint(stamped, format, 1), ext, ['-tagsFromFile', '$DIR/source', '-xmp'], { name: 'source', bytes: stamped })
}

/** Recomputes every PNG chunk CRC (after in-place edits). */
function pngFixCrcs(b: Uint8Array): Uint8Array {
  const out = b.slice()
  let o = 8
  while (o + 12 <= out.length) {
    const len = u32be(out, o)
    new DataView(out.buffer).setUint32(o + 8 + len, crc32(out.subarray(o + 4, o + 8 + len)))
    o += 12 + len
  }
  return out
}

function imageCase(id: SharpFormat, sample: string, ext: string, opts: { stripOneArgs?: string[]; stripOneWhat?: string } = {}): FormatCase {
  return {
    id,
    sample,
    filename: `a.${ext}`,
    visible: true,
    content: { what: 'one pixel changed in an editor that keeps the XMP (decode, edit, encode, XMP copied back)', edit: onePixel(id, ext) },
    other: (original) => paint(original, id, 24),
    stripAll: { what: 'exiftool -all= -jumbf:all= (XMP, EXIF, C2PA removed)', edit: (b) => viaExiftool(b, ext, ['-all=', '-jumbf:all=']) },
    stripOne: { what: opts.stripOneWhat ?? 'exiftool -jumbf:all= (C2PA manifest removed, XMP kept)', edit: (b) => viaExiftool(b, ext, opts.stripOneArgs ?? ['-jumbf:all=']) },
    benign: { what: 'exiftool writes XMP-dc:Title and EXIF Artist', edit: (b) => viaExiftool(b, ext, ['-XMP-dc:Title=Edited by another tool', '-Artist=Someone Else']) },
    ...(id === 'png' ? { mend: pngFixCrcs } : {}),
  }
}

/** GIF: drop the XMP and C2PA application extensions (ExifTool leaves the C2PA one in place). */
function gifWithoutApps(b: Uint8Array, drop: (ident: string) => boolean): Uint8Array {
  const flags = b[10]!
  let o = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0)
  const keep: Uint8Array[] = [b.subarray(0, o)]
  const subBlocks = (from: number) => {
    let p = from
    while (b[p] !== 0) p += b[p]! + 1
    return p + 1
  }
  while (o < b.length) {
    const start = o
    if (b[o] === 0x3b) {
      keep.push(b.subarray(o))
      break
    }
    if (b[o] === 0x21) {
      const label = b[o + 1]!
      const end = subBlocks(o + 2)
      const ident = label === 0xff ? String.fromCharCode(...b.subarray(o + 3, o + 3 + b[o + 2]!)) : ''
      if (!(label === 0xff && drop(ident))) keep.push(b.subarray(start, end))
      o = end
    } else if (b[o] === 0x2c) {
      const lflags = b[o + 9]!
      let p = o + 10 + (lflags & 0x80 ? 3 * 2 ** ((lflags & 7) + 1) : 0)
      p = subBlocks(p + 1)
      keep.push(b.subarray(start, p))
      o = p
    } else throw new Error(`unexpected GIF block 0x${b[o]!.toString(16)} at ${o}`)
  }
  return join_(...keep)
}

function heicCase(): FormatCase {
  const flipMdat = (bytes: Uint8Array, n: number) => {
    const out = bytes.slice()
    const mdat = readIsoBoxes(out).find((x) => x.type === 'mdat')!
    for (let i = 0; i < n; i++) out[mdat.dataOffset + Math.floor((mdat.end - mdat.dataOffset) / 2) + i * 97]! ^= 0x10
    return out
  }
  return {
    id: 'heic',
    sample: 'corpus:media/sample1.heic',
    filename: 'a.heic',
    visible: false,
    content: { what: 'one byte of the HEVC image data changed (no HEVC encoder to re-encode a pixel)', edit: async (b) => flipMdat(b, 1) },
    other: async (original) => flipMdat(original, 64),
    stripAll: { what: 'exiftool -all= -jumbf:all= (XMP, EXIF, C2PA removed)', edit: (b) => viaExiftool(b, 'heic', ['-all=', '-jumbf:all=']) },
    stripOne: { what: 'exiftool -jumbf:all= (C2PA manifest removed, XMP kept)', edit: (b) => viaExiftool(b, 'heic', ['-jumbf:all=']) },
    benign: { what: 'exiftool writes XMP-dc:Title and EXIF Artist', edit: (b) => viaExiftool(b, 'heic', ['-XMP-dc:Title=Edited by another tool', '-Artist=Someone Else']) },
  }
}

function svgCase(): FormatCase {
  const text = (b: Uint8Array) => dec.decode(b)
  const recolour = (b: Uint8Array, from: string, to: string) => {
    const s = text(b)
    if (!s.includes(from)) throw new Error(`svg: ${from} not found`)
    return utf8(s.replace(from, to))
  }
  return {
    id: 'svg',
    sample: 'image/drawing.svg',
    filename: 'a.svg',
    visible: true,
    content: { what: 'one character of a fill colour changed (#f8d25a -> #f8d25b)', edit: async (b) => recolour(b, 'fill="#f8d25a"', 'fill="#f8d25b"') },
    other: async (original) => recolour(original, 'fill="#8fc3e8"', 'fill="#204060"'),
    stripAll: { what: 'the <metadata> element removed (XMP and C2PA)', edit: async (b) => utf8(text(b).replace(/<metadata[\s\S]*?<\/metadata>/, '')) },
    stripOne: { what: 'the <c2pa:manifest> element removed, XMP kept', edit: async (b) => utf8(text(b).replace(/<c2pa:manifest[\s\S]*?<\/c2pa:manifest>/, '')) },
    benign: {
      what: 'dc:description added to the XMP by another XML tool',
      edit: async (b) => utf8(text(b).replace(/(<rdf:Description\b[^>]*>)/, '$1<dc:description xmlns:dc="http://purl.org/dc/elements/1.1/">Edited by another tool</dc:description>')),
    },
  }
}

// --- PDF -------------------------------------------------------------------------------------------------

/**
 * Appends an incremental update, as PDF tools do: pdf-lib reads the document and serialises the
 * changed objects; a classic cross-reference section lists them and links the previous one.
 */
async function pdfUpdate(bytes: Uint8Array, edit: (doc: PDFDocument) => Array<{ ref: PDFRef; object: PDFObject }>): Promise<Uint8Array> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: true, throwOnInvalidObject: false })
  const objects = edit(doc)
  const text = new TextDecoder('latin1').decode(bytes)
  const prev = Number([...text.matchAll(/startxref\s+(\d+)/g)].pop()![1])
  const parts: Uint8Array[] = [bytes, bytes[bytes.length - 1] === 0x0a ? new Uint8Array(0) : enc.encode('\n')]
  let pos = parts.reduce((n, p) => n + p.length, 0)
  const offsets: Array<[number, number]> = []
  for (const { ref, object } of objects) {
    const body = new Uint8Array(object.sizeInBytes())
    object.copyBytesInto(body, 0)
    const chunk = join_(enc.encode(`${ref.objectNumber} ${ref.generationNumber} obj\n`), body, enc.encode('\nendobj\n'))
    offsets.push([ref.objectNumber, pos])
    parts.push(chunk)
    pos += chunk.length
  }
  const size = Math.max(doc.context.largestObjectNumber + 1, ...objects.map((o) => o.ref.objectNumber + 1))
  let xref = 'xref\n'
  for (const [num, off] of offsets.sort((x, y) => x[0] - y[0])) xref += `${num} 1\n${String(off).padStart(10, '0')} 00000 n\r\n`
  const t = doc.context.trailerInfo
  const trailer = [`/Size ${size}`, `/Prev ${prev}`, `/Root ${String(t.Root)}`, t.Info ? `/Info ${String(t.Info)}` : '', t.ID ? `/ID ${String(t.ID)}` : ''].filter(Boolean).join(' ')
  parts.push(enc.encode(`${xref}trailer\n<< ${trailer} >>\nstartxref\n${pos}\n%%EOF\n`))
  return join_(...parts)
}

function pdfCase(): FormatCase {
  const changeContent = (n: number) => async (b: Uint8Array) =>
    pdfUpdate(b, (doc) => {
      const page = doc.getPage(0).node
      const contents = page.get(PDFName.of('Contents'))
      const list = contents instanceof PDFRef && !(doc.context.lookup(contents) instanceof PDFArray) ? [contents] : (doc.context.lookup(contents) as PDFArray).asArray()
      const first = list[0]!
      const old = doc.context.lookup(first) as PDFRawStream
      const decoded = old.dict.get(PDFName.of('Filter')) ? new Uint8Array(0) : old.contents
      // The same drawing plus one more stroke: one page object changed.
      const added = enc.encode(`\nq 0 0 1 RG ${n} w 10 10 m 20 20 l S Q\n`)
      const stream = PDFRawStream.of(doc.context.obj({ Length: decoded.length + added.length }) as PDFDict, join_(decoded, added))
      if (old.dict.get(PDFName.of('Filter'))) {
        // Compressed content: add a second content stream instead.
        const extra = doc.context.register(PDFRawStream.of(doc.context.obj({ Length: added.length }) as PDFDict, added))
        const newPage = page.clone(doc.context)
        newPage.set(PDFName.of('Contents'), doc.context.obj([...list, extra]))
        return [
          { ref: extra, object: doc.context.lookup(extra)! },
          { ref: doc.getPage(0).ref, object: newPage },
        ]
      }
      return [{ ref: first as PDFRef, object: stream }]
    })
  return {
    id: 'pdf',
    sample: 'pdf/classic-xref.pdf',
    filename: 'a.pdf',
    visible: true,
    content: { what: 'page 1 content stream changed in an incremental update (pdf-lib objects)', edit: changeContent(1) },
    other: async (original) => {
      // Another document of the same size: one character of its title differs.
      const s = new TextDecoder('latin1').decode(original)
      const at = s.indexOf('/Title <FEFF') + 12
      return Uint8Array.from(s.slice(0, at) + (s[at] === '1' ? '2' : '1') + s.slice(at + 1), (c) => c.charCodeAt(0))
    },
    stripAll: { what: "Tanba's metadata revision cut off (the file as it was before that revision)", edit: async (b, label) => b.slice(0, label.binding.extent) },
    stripOne: {
      what: 'catalog /Metadata (the XMP) removed in an incremental update; /AIGC and the attached label kept',
      edit: (b) =>
        pdfUpdate(b, (doc) => {
          const catalog = doc.catalog.clone(doc.context)
          catalog.delete(PDFName.of('Metadata'))
          return [{ ref: doc.context.trailerInfo.Root as PDFRef, object: catalog }]
        }),
    },
    benign: {
      what: 'Info /Title changed with pdf-lib, written as an incremental update',
      edit: (b) =>
        pdfUpdate(b, (doc) => {
          const infoRef = doc.context.trailerInfo.Info as PDFRef
          const info = (doc.context.lookup(infoRef) as PDFDict).clone(doc.context)
          info.set(PDFName.of('Title'), PDFString.of('Edited by another tool'))
          return [{ ref: infoRef, object: info }]
        }),
    },
  }
}

// --- text ------------------------------------------------------------------------------------------------

/** Changes one letter of the body, in its second half (past any notice or front matter). */
function changeChar(b: Uint8Array, after = 0.5): Uint8Array {
  const s = dec.decode(b)
  const from = Math.floor(s.length * after)
  const m = /[A-Za-z\u0400-\u04FF]/.exec(s.slice(from))
  if (!m) throw new Error('text: no letter to change')
  const i = from + m.index
  return utf8(s.slice(0, i) + (s[i] === 'x' ? 'y' : 'x') + s.slice(i + 1))
}
const removeWrappers = (s: string) => {
  let out = s
  for (const w of findWrappers(s).filter((x) => x.kind === 'tanba').reverse()) out = out.slice(0, w.start) + out.slice(w.end)
  return out
}

function textCase(): FormatCase {
  return {
    id: 'text',
    sample: 'text/sample.txt',
    filename: 'a.txt',
    visible: true,
    content: { what: 'one character of the body changed', edit: async (b) => changeChar(b) },
    other: async (original) => changeChar(changeChar(original, 0.3), 0.7),
    stripAll: { what: 'the invisible wrapper removed (the visible notice stays)', edit: async (b) => utf8(removeWrappers(dec.decode(b))) },
    stripOne: null,
    benign: { what: 'line ends converted to CR LF (git autocrlf) and a final line break added (an editor)', edit: async (b) => utf8(`${dec.decode(b).replace(/\n/g, '\r\n')}\r\n`) },
  }
}

function markdownCase(): FormatCase {
  const frontMatter = (b: Uint8Array, edit: (doc: ReturnType<typeof parseDocument>) => void) => {
    const s = dec.decode(b)
    const m = /^---\n([\s\S]*?)\n---\n/.exec(s)!
    const doc = parseDocument(m[1]!)
    edit(doc)
    return utf8(`---\n${doc.toString({ lineWidth: 0 }).trimEnd()}\n---\n${s.slice(m[0].length)}`)
  }
  return {
    id: 'markdown',
    sample: 'text/sample.md',
    filename: 'a.md',
    visible: true,
    content: { what: 'one character of the body changed', edit: async (b) => changeChar(b, 0.8) },
    other: async (original) => changeChar(original, 0.7),
    stripAll: {
      what: 'front matter keys tanba and AIGC removed (yaml), and the invisible wrapper',
      edit: async (b) => {
        const noWrapper = utf8(removeWrappers(dec.decode(b)))
        return frontMatter(noWrapper, (doc) => {
          doc.delete('tanba')
          doc.delete('AIGC')
        })
      },
    },
    stripOne: { what: 'the invisible wrapper removed; the front matter copy kept', edit: async (b) => utf8(removeWrappers(dec.decode(b))) },
    // Other front matter keys are bound (binding v2: renderers show front matter); what editors and git do is benign.
    benign: { what: 'line ends converted to CR LF (git autocrlf) and a final line break added (an editor)', edit: async (b) => utf8(`${dec.decode(b).replace(/\n/g, '\r\n')}\r\n`) },
  }
}

function htmlCase(): FormatCase {
  const edit = (b: Uint8Array, re: RegExp, to: string) => {
    const s = dec.decode(b)
    if (!re.test(s)) throw new Error(`html: ${re} not found`)
    return utf8(s.replace(re, to))
  }
  return {
    id: 'html',
    sample: 'text/sample.html',
    filename: 'a.html',
    visible: true,
    content: {
      what: 'one character of a paragraph changed',
      edit: async (b) => {
        const t = dec.decode(b)
        const p = t.indexOf('<p', Math.floor(t.length / 2))
        const i = t.indexOf('>', p) + 1
        return utf8(t.slice(0, i) + (t[i] === 'x' ? 'y' : 'x') + t.slice(i + 1))
      },
    },
    other: async (original) => edit(original, /<h1>/, '<h1>Z'),
    stripAll: {
      what: 'the label <script>, the ai-disclosure and AIGC <meta> elements and any wrapper removed',
      edit: async (b) => utf8(removeWrappers(dec.decode(b)).replace(/<script type="application\/vnd\.tanba\.label\+json">[\s\S]*?<\/script>\n?/g, '').replace(/<meta name="(ai-disclosure|AIGC)"[^>]*>\n?/g, '')),
    },
    stripOne: { what: 'the AIGC <meta> element removed; the label <script> kept', edit: async (b) => edit(b, /<meta name="AIGC"[^>]*>\n?/, '') },
    // Every <meta> but Tanba's own is bound (binding v2); what editors and git do is benign.
    benign: { what: 'line ends converted to CR LF (git autocrlf) and a final line break added (an editor)', edit: async (b) => utf8(`${dec.decode(b).replace(/\n/g, '\r\n')}\r\n`) },
  }
}

// --- audio -----------------------------------------------------------------------------------------------

function renameRiff(b: Uint8Array, ids: string[], to = 'JUNK'): Uint8Array {
  const out = b.slice()
  let o = 12
  while (o + 8 <= out.length) {
    const id = fourcc(out, o)
    const size = u32le(out, o + 4)
    if (ids.includes(id)) out.set(enc.encode(to), o)
    o += 8 + size + (size & 1)
  }
  return out
}

function wavCase(): FormatCase {
  const dataAt = (b: Uint8Array) => {
    let o = 12
    while (fourcc(b, o) !== 'data') o += 8 + u32le(b, o + 4) + (u32le(b, o + 4) & 1)
    return { start: o + 8, size: u32le(b, o + 4) }
  }
  return {
    id: 'wav',
    sample: 'audio/programme.wav',
    filename: 'a.wav',
    visible: true,
    content: {
      what: 'one sample changed (lowest bit of a sample in the middle)',
      edit: async (b) => {
        const out = b.slice()
        const d = dataAt(out)
        out[d.start + (d.size >> 1) - ((d.size >> 1) % 2)]! ^= 1
        return out
      },
    },
    other: async (original) => {
      const out = original.slice()
      const d = dataAt(out)
      for (let i = 0; i < d.size; i += 64) out[d.start + i]! ^= 0x40
      return out
    },
    stripAll: { what: 'chunks TNBA, AIGC, _PMX and C2PA renamed to JUNK (a chunk every reader skips)', edit: async (b) => renameRiff(b, ['TNBA', 'AIGC', '_PMX', 'C2PA']) },
    stripOne: { what: 'the XMP chunk (_PMX) renamed to JUNK; TNBA and C2PA kept', edit: async (b) => renameRiff(b, ['_PMX']) },
    benign: {
      what: 'a LIST/INFO chunk with a comment appended (RIFF size updated)',
      edit: async (b) => {
        const note = enc.encode('edited by another tool\0')
        const icmt = join_(enc.encode('ICMT'), Uint8Array.of(note.length, 0, 0, 0), note)
        const list = join_(enc.encode('LIST'), Uint8Array.of(icmt.length + 4, 0, 0, 0), enc.encode('INFO'), icmt)
        const out = join_(b, list)
        new DataView(out.buffer).setUint32(4, out.length - 8, true)
        return out
      },
    },
  }
}

/** Lengths of the consecutive ID3v2 tags at the start. */
function id3Prefix(b: Uint8Array): number {
  let o = 0
  while (fourcc(b, o).startsWith('ID3') && o + 10 <= b.length) o += 10 + syncsafe(b, o + 6) + (b[o + 5]! & 0x10 ? 10 : 0)
  return o
}

/** Renames the ID3v2 frames matching `match` to "XXXX" in place (an unknown frame every reader skips). */
function renameId3Frames(b: Uint8Array, match: (id: string, body: Uint8Array) => boolean): Uint8Array {
  const out = b.slice()
  let tag = 0
  while (fourcc(out, tag).startsWith('ID3')) {
    const version = out[tag + 3]!
    const end = tag + 10 + syncsafe(out, tag + 6)
    let o = tag + 10
    while (o + 10 <= end && out[o] !== 0) {
      const id = fourcc(out, o)
      const size = version === 4 ? syncsafe(out, o + 4) : u32be(out, o + 4)
      if (match(id, out.subarray(o + 10, o + 10 + size))) out.set(enc.encode('XXXX'), o)
      o += 10 + size
    }
    tag = end + (out[tag + 5]! & 0x10 ? 10 : 0)
  }
  return out
}

function mp3Case(): FormatCase {
  const frameInMiddle = (b: Uint8Array) => {
    let o = id3Prefix(b) + Math.floor((b.length - id3Prefix(b)) / 2)
    while (!(b[o] === 0xff && (b[o + 1]! & 0xe0) === 0xe0)) o++
    return o
  }
  return {
    id: 'mp3',
    sample: 'audio/programme.mp3',
    filename: 'a.mp3',
    visible: true,
    content: {
      what: 'one byte of audio data in a frame in the middle changed',
      edit: async (b) => {
        const out = b.slice()
        out[frameInMiddle(out) + 40]! ^= 0x01
        return out
      },
    },
    other: async (original) => {
      const out = original.slice()
      const start = id3Prefix(out) + 2000
      for (let i = start; i < out.length - 2000; i += 97) if (out[i] !== 0xff && out[i - 1] !== 0xff && out[i]! < 0xf0) out[i]! ^= 0x04
      return out
    },
    stripAll: { what: 'every leading ID3v2 tag removed (TXXX frames, XMP, C2PA)', edit: async (b) => b.slice(id3Prefix(b)) },
    stripOne: { what: 'the TXXX:TANBA frame renamed in place (unknown frame); XMP and C2PA copies kept', edit: async (b) => renameId3Frames(b, (id, body) => id === 'TXXX' && dec.decode(body.subarray(1, 7)) === 'TANBA\0') },
    benign: {
      what: 'an ID3v1 tag (title, artist) appended, as older taggers do',
      edit: async (b) => {
        const v1 = new Uint8Array(128)
        v1.set(enc.encode('TAG'))
        v1.set(enc.encode('Edited by another tool'), 3)
        v1.set(enc.encode('Someone Else'), 33)
        v1[127] = 255
        return join_(b, v1)
      },
    },
  }
}

interface FlacBlock {
  offset: number
  type: number
  length: number
  last: boolean
}
function flacBlocks(b: Uint8Array): { start: number; blocks: FlacBlock[]; frames: number } {
  const start = id3Prefix(b)
  let o = start + 4
  const blocks: FlacBlock[] = []
  for (;;) {
    const block = { offset: o, type: b[o]! & 0x7f, length: (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!, last: Boolean(b[o]! & 0x80) }
    blocks.push(block)
    o += 4 + block.length
    if (block.last) break
  }
  return { start, blocks, frames: o }
}

/** Length of the FLAC frame header at `o` when it is one (its CRC-8 matches), else 0. */
function flacHeader(b: Uint8Array, o: number): number {
  if (b[o] !== 0xff || (b[o + 1]! & 0xfe) !== 0xf8 || o + 6 > b.length) return 0
  const bs = b[o + 2]! >> 4
  const sr = b[o + 2]! & 0x0f
  if (bs === 0 || sr === 15) return 0
  let n = o + 4
  const lead = b[n]!
  const extra = lead < 0x80 ? 0 : lead >= 0xfe ? 6 : lead >= 0xfc ? 5 : lead >= 0xf8 ? 4 : lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : -1
  if (extra < 0) return 0
  n += 1 + extra + (bs === 6 ? 1 : bs === 7 ? 2 : 0) + (sr === 12 ? 1 : sr === 13 || sr === 14 ? 2 : 0)
  if (n >= b.length || crc8(b, o, n) !== b[n]) return 0
  return n + 1 - o
}

/** The frame that starts at or after `from`: a valid header, up to the next valid header. */
function flacFrameAt(b: Uint8Array, from: number): { start: number; end: number } {
  let start = from
  while (start < b.length && !flacHeader(b, start)) start++
  let end = start + 1
  while (end < b.length && !(flacHeader(b, end) && crc16(b, start, end - 2) === ((b[end - 2]! << 8) | b[end - 1]!))) end++
  if (end >= b.length) throw new Error('no FLAC frame found')
  return { start, end }
}

function renameVorbis(b: Uint8Array, keys: Record<string, string>): Uint8Array {
  const out = b.slice()
  for (const [from, to] of Object.entries(keys)) for (const at of allIndexes(out, enc.encode(`${from}=`))) out.set(enc.encode(`${to}=`), at)
  return out
}

function flacCase(): FormatCase {
  const changeFrame = (b: Uint8Array, n: number) => {
    const out = b.slice()
    const { frames } = flacBlocks(out)
    for (let k = 0; k < n; k++) {
      const f = flacFrameAt(out, frames + Math.floor(((out.length - frames) * (k + 1)) / (n + 2)))
      out[f.start + 20]! ^= 0x01
      const crc = crc16(out, f.start, f.end - 2)
      out[f.end - 2] = crc >> 8
      out[f.end - 1] = crc & 0xff
    }
    return out
  }
  const xmpToPadding = (b: Uint8Array) => {
    const out = b.slice()
    for (const blk of flacBlocks(out).blocks) if (blk.type === 2 && fourcc(out, blk.offset + 4) === 'XMP ') out[blk.offset] = (out[blk.offset]! & 0x80) | 1
    return out
  }
  return {
    id: 'flac',
    sample: 'audio/programme.flac',
    filename: 'a.flac',
    visible: true,
    content: { what: 'one byte of a frame in the middle changed (frame CRC-16 recomputed)', edit: async (b) => changeFrame(b, 1) },
    // Another recording: a different tone, encoded as FLAC (a changed byte would not decode, and stamping decodes).
    other: async () => {
      const n = 44100 * 3
      const tone = (f: number) => Int32Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * f * i) / 44100)))
      return encodeFlac([tone(330), tone(495)], { sampleRate: 44100, bitsPerSample: 16, blockSize: 4096 })
    },
    stripAll: {
      what: 'leading ID3v2 tag (C2PA) removed, XMP APPLICATION block turned into PADDING, TANBA/AIGC comments renamed',
      edit: async (b) => {
        const noId3 = b.slice(id3Prefix(b))
        return renameVorbis(xmpToPadding(noId3), { TANBA: 'XANBA', AIGC: 'XIGC' })
      },
    },
    stripOne: { what: 'the XMP APPLICATION block turned into PADDING (as metaflac deletes); comments and C2PA kept', edit: async (b) => xmpToPadding(b) },
    benign: {
      what: 'a TITLE comment added to the VORBIS_COMMENT block (block rewritten)',
      edit: async (b) => {
        const { blocks } = flacBlocks(b)
        const vc = blocks.find((x) => x.type === 4)!
        const body = b.subarray(vc.offset + 4, vc.offset + 4 + vc.length)
        const vendorLen = u32le(body, 0)
        const count = u32le(body, 4 + vendorLen)
        const entry = enc.encode('TITLE=Edited by another tool')
        const newBody = join_(body.subarray(0, 4 + vendorLen), Uint8Array.of(count + 1, (count + 1) >> 8, 0, 0), body.subarray(8 + vendorLen), Uint8Array.of(entry.length, 0, 0, 0), entry)
        const head = Uint8Array.of(b[vc.offset]!, newBody.length >> 16, (newBody.length >> 8) & 0xff, newBody.length & 0xff)
        return join_(b.subarray(0, vc.offset), head, newBody, b.subarray(vc.offset + 4 + vc.length))
      },
    },
  }
}

const XMP_UUID = Uint8Array.from([0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac])
const C2PA_UUID = Uint8Array.from([0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81])

/** Renames boxes to "free" in place (how MP4 tools delete without moving data). */
function freeBoxes(b: Uint8Array, which: { uuids?: Uint8Array[]; freeform?: string[] }): Uint8Array {
  const out = b.slice()
  for (const uuid of which.uuids ?? []) for (const at of allIndexes(out, join_(enc.encode('uuid'), uuid))) out.set(enc.encode('free'), at)
  for (const name of which.freeform ?? []) {
    for (const at of allIndexes(out, enc.encode('----'))) {
      const size = u32be(out, at - 4)
      if (indexOf(out.subarray(at, at - 4 + size), join_(enc.encode('name'), new Uint8Array(4), enc.encode(name))) >= 0) out.set(enc.encode('free'), at)
    }
  }
  return out
}

function m4aCase(): FormatCase {
  const changeMdat = (b: Uint8Array, n: number) => {
    const out = b.slice()
    const mdat = readIsoBoxes(out).find((x) => x.type === 'mdat')!
    for (let i = 0; i < n; i++) out[mdat.end - 1 - i * 61]! ^= 0x01
    return out
  }
  return {
    id: 'm4a',
    sample: 'audio/programme.m4a',
    filename: 'a.m4a',
    visible: false,
    content: { what: 'one byte of AAC data changed (last byte of mdat)', edit: async (b) => changeMdat(b, 1) },
    other: async (original) => changeMdat(original, 200),
    stripAll: { what: "the ilst ----:TANBA and ----:AIGC items and the XMP and C2PA uuid boxes turned into free boxes", edit: async (b) => freeBoxes(b, { uuids: [XMP_UUID, C2PA_UUID], freeform: ['TANBA', 'AIGC'] }) },
    stripOne: { what: 'the XMP uuid box turned into a free box; ilst items and C2PA kept', edit: async (b) => freeBoxes(b, { uuids: [XMP_UUID] }) },
    benign: {
      what: 'the ©nam (title) item retitled in place',
      edit: async (b) => {
        const out = b.slice()
        const at = indexOf(out, Uint8Array.from([0xa9, 0x6e, 0x61, 0x6d]))
        if (at < 0) throw new Error('m4a: no ©nam item')
        out[at + 4 + 16]! ^= 0x20 // first character of the data payload: case flipped
        return out
      },
    },
  }
}

/** Recomputes the CRC of every Ogg page (after in-place edits). */
function oggFixCrcs(b: Uint8Array): Uint8Array {
  const out = b.slice()
  let o = 0
  while (o + 27 <= out.length && fourcc(out, o) === 'OggS') {
    const segments = out[o + 26]!
    let body = 0
    for (let i = 0; i < segments; i++) body += out[o + 27 + i]!
    const end = o + 27 + segments + body
    out.set([0, 0, 0, 0], o + 22)
    new DataView(out.buffer).setUint32(o + 22, oggCrc32(out, o, end), true)
    o = end
  }
  return out
}

function oggCase(): FormatCase {
  const lastPageByte = (b: Uint8Array, n: number) => {
    const out = b.slice()
    let o = 0
    let last = 0
    while (o + 27 <= out.length && fourcc(out, o) === 'OggS') {
      last = o
      const segments = out[o + 26]!
      let body = 0
      for (let i = 0; i < segments; i++) body += out[o + 27 + i]!
      o += 27 + segments + body
    }
    for (let i = 0; i < n; i++) out[last + 27 + out[last + 26]! + 1 + i * 7]! ^= 0x01
    return oggFixCrcs(out)
  }
  return {
    id: 'ogg',
    sample: 'audio/programme.ogg',
    filename: 'a.ogg',
    visible: false,
    content: { what: 'one byte of the last audio page changed (page CRC recomputed)', edit: async (b) => lastPageByte(b, 1) },
    mend: oggFixCrcs,
    other: async (original) => lastPageByte(original, 40),
    stripAll: { what: 'comments TANBA and AIGC renamed in place (page CRCs recomputed)', edit: async (b) => oggFixCrcs(renameVorbis(b, { TANBA: 'XANBA', AIGC: 'XIGC' })) },
    stripOne: { what: 'the AIGC comment renamed in place; the TANBA comment kept', edit: async (b) => oggFixCrcs(renameVorbis(b, { AIGC: 'XIGC' })) },
    benign: {
      what: 'the vendor string edited in place (page CRC recomputed)',
      edit: async (b) => {
        const out = b.slice()
        const at = indexOf(out, enc.encode('vorbis'), 40) // the comment header: "\x03vorbis" then the vendor
        out[at + 6 + 4]! ^= 0x20
        return oggFixCrcs(out)
      },
    },
  }
}

// --- the formats -----------------------------------------------------------------------------------------

export function formatCases(): FormatCase[] {
  return [
    textCase(),
    markdownCase(),
    htmlCase(),
    imageCase('jpeg', 'image/photo.jpg', 'jpg'),
    imageCase('png', 'image/photo.png', 'png'),
    imageCase('webp', 'image/photo.webp', 'webp'),
    // libvips cannot decode a TIFF that c2pa-node signed (the manifest sits in an image-less last
    // directory, c2pa-rs#1894), so the TIFF edit changes one byte of the first page's strip data.
    {
      ...imageCase('tiff', 'image/multipage.tif', 'tif'),
      content: {
        what: "one byte of the first page's strip data changed (libvips cannot decode a C2PA-signed TIFF to re-encode a pixel)",
        edit: async (b) => {
          const out = b.slice()
          const le = out[0] === 0x49
          const v = new DataView(out.buffer)
          const ifd = v.getUint32(4, le)
          for (let i = 0; i < v.getUint16(ifd, le); i++) {
            const e = ifd + 2 + i * 12
            if (v.getUint16(e, le) !== 273) continue
            const count = v.getUint32(e + 4, le)
            const first = count === 1 ? v.getUint32(e + 8, le) : v.getUint32(v.getUint32(e + 8, le), le)
            out[first + 100]! ^= 0x01
            return out
          }
          throw new Error('tiff: no StripOffsets')
        },
      },
    },
    // ExifTool leaves a GIF's C2PA application extension in place: the GIF case removes blocks itself.
    {
      ...imageCase('gif', 'image/animated.gif', 'gif'),
      stripAll: { what: 'the XMP and C2PA application extensions removed', edit: async (b) => gifWithoutApps(b, (ident) => ident.startsWith('XMP Data') || ident.startsWith('C2PA')) },
      stripOne: { what: 'the XMP application extension removed; the C2PA one kept', edit: async (b) => gifWithoutApps(b, (ident) => ident.startsWith('XMP Data')) },
    },
    imageCase('avif', 'image/photo.avif', 'avif'),
    heicCase(),
    svgCase(),
    pdfCase(),
    mp3Case(),
    wavCase(),
    flacCase(),
    m4aCase(),
    oggCase(),
  ]
}

