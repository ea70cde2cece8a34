import { fromUtf8, labelToXmpFields, serializeLabel, tc260Json, toTc260, TooLargeError, utf8, writeXmp, type Label } from '@tanba/core'
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFRawStream, PDFRef, PDFString, type PDFContext, type PDFObject } from 'pdf-lib'
import type { PdfFile } from './syntax/file.js'
import { deflate } from './syntax/filters.js'
import type { UpdateObject } from './syntax/writer.js'

/** The name of the embedded file that carries the signed label. */
export const LABEL_FILE_NAME = 'tanba-label.json'
const LABEL_KEY = 'TanbaLabel'

/** What Tanba reads from a document's metadata carriers. */
export interface PdfCarriers {
  /** The document XMP packet (catalog /Metadata), as text. */
  xmp?: string
  /** The Info dictionary /AIGC value. */
  infoAigc?: string
  /** Info dictionary text entries (Title, Producer, ...) for inspect. */
  info: Record<string, string>
  /** The embedded label file's text, when present. */
  embeddedLabel?: string
  /** Names of all embedded files (for inspect). */
  attachments: string[]
}

/** Decodes a PDF text string: UTF-16 (BOM), UTF-8 (BOM, PDF 2.0) or PDFDocEncoding. */
export function textOf(obj: PDFObject | undefined): string | undefined {
  if (!(obj instanceof PDFHexString) && !(obj instanceof PDFString)) return undefined
  const b = obj.asBytes()
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return fromUtf8(b.subarray(3))
  return obj.decodeText()
}

/** A PDF text string: literal ASCII when possible (readable in the file), else UTF-16BE. */
export function textString(text: string): PDFString | PDFHexString {
  if (/^[\x20-\x7e]*$/.test(text)) return PDFString.of(text.replace(/[\\()]/g, (c) => `\\${c}`))
  return PDFHexString.fromText(text)
}

export function readCarriers(file: PdfFile, maxMetadataBytes: number): PdfCarriers {
  const catalog = file.catalog
  const out: PdfCarriers = { info: {}, attachments: [] }
  const md = file.lookup(catalog, 'Metadata')
  if (md instanceof PDFRawStream) {
    if (md.contents.length > maxMetadataBytes) throw new TooLargeError(`The PDF XMP metadata stream is ${md.contents.length} bytes; the limit is ${maxMetadataBytes}`)
    out.xmp = fromUtf8(file.streamData(md, { maxBytes: maxMetadataBytes }))
  }
  const info = file.lookupDict(file.trailer, 'Info')
  if (info) {
    for (const [k, v] of info.entries()) {
      const t = textOf(file.resolve(v))
      if (t !== undefined) out.info[k.decodeText()] = t
    }
    if (out.info.AIGC !== undefined) out.infoAigc = out.info.AIGC
  }
  for (const [name, spec] of embeddedFiles(file)) {
    out.attachments.push(name)
    if (name === LABEL_FILE_NAME && out.embeddedLabel === undefined) {
      const text = embeddedFileText(file, spec, maxMetadataBytes)
      if (text !== undefined) out.embeddedLabel = text
    }
  }
  // A label filespec listed only in /AF (not in the name tree) still counts.
  if (out.embeddedLabel === undefined) {
    for (const spec of file.lookupArray(catalog, 'AF')?.asArray() ?? []) {
      const d = file.resolve(spec)
      if (d instanceof PDFDict && fileSpecName(file, d) === LABEL_FILE_NAME) {
        const text = embeddedFileText(file, d, maxMetadataBytes)
        if (text !== undefined) out.embeddedLabel = text
      }
    }
  }
  return out
}

function fileSpecName(file: PdfFile, spec: PDFDict): string | undefined {
  return textOf(file.lookup(spec, 'UF')) ?? textOf(file.lookup(spec, 'F'))
}

function embeddedFileText(file: PdfFile, spec: PDFObject, maxBytes: number): string | undefined {
  const d = file.resolve(spec)
  if (!(d instanceof PDFDict)) return undefined
  const ef = file.lookupDict(d, 'EF')
  const stream = file.lookup(ef, 'UF') ?? file.lookup(ef, 'F')
  if (!(stream instanceof PDFRawStream)) return undefined
  return fromUtf8(file.streamData(stream, { maxBytes }))
}

/** Entries of the catalog's /Names /EmbeddedFiles name tree, in tree order. */
export function embeddedFiles(file: PdfFile): [string, PDFObject][] {
  const names = file.lookupDict(file.catalog, 'Names')
  const root = file.lookupDict(names, 'EmbeddedFiles')
  return root ? nameTree(file, root) : []
}

function nameTree(file: PdfFile, root: PDFDict): [string, PDFObject][] {
  const out: [string, PDFObject][] = []
  const seen = new Set<PDFDict>()
  const walk = (node: PDFDict, depth: number) => {
    if (depth > file.limits.maxDepth || seen.has(node) || out.length > file.limits.maxChunks) return
    seen.add(node)
    const pairs = file.lookupArray(node, 'Names')
    if (pairs) {
      const arr = pairs.asArray()
      for (let i = 0; i + 1 < arr.length; i += 2) {
        const key = textOf(file.resolve(arr[i]))
        if (key !== undefined) out.push([key, arr[i + 1]!])
      }
    }
    for (const kid of file.lookupArray(node, 'Kids')?.asArray() ?? []) {
      const k = file.resolve(kid)
      if (k instanceof PDFDict) walk(k, depth + 1)
    }
  }
  walk(root, 0)
  return out
}

export interface MetadataUpdate {
  objects: UpdateObject[]
  info: PDFRef
  size: number
}

/**
 * The metadata revision: a merged XMP packet, a new Info dictionary with /AIGC, the label as
 * an associated embedded file (catalog /AF and the EmbeddedFiles name tree), and a new
 * version of the catalog pointing at them. Earlier Tanba carriers are replaced, not repeated.
 */
export function buildMetadataUpdate(file: PdfFile, ctx: PDFContext, label: Label, size: number, existingXmp: string | undefined, maxMetadataBytes: number): MetadataUpdate {
  let next = size
  const alloc = () => PDFRef.of(next++, 0)
  const objects: UpdateObject[] = []

  const xmp = writeXmp(existingXmp ?? null, labelToXmpFields(label), { padding: 2048, maxBytes: maxMetadataBytes, maxDepth: file.limits.maxDepth })
  const xmpRef = alloc()
  objects.push({ ref: xmpRef, object: PDFRawStream.of(ctx.obj({ Type: 'Metadata', Subtype: 'XML' }) as PDFDict, utf8(xmp)), kind: 'metadata' })

  const infoRef = alloc()
  const info = PDFDict.withContext(ctx)
  const oldInfo = file.lookupDict(file.trailer, 'Info')
  if (oldInfo) for (const [k, v] of oldInfo.entries()) info.set(k, v)
  info.set(PDFName.of('AIGC'), textString(tc260Json(toTc260(label))))
  objects.push({ ref: infoRef, object: info })

  const json = utf8(serializeLabel(label))
  const fileRef = alloc()
  const stamp = `D:${label.created.replace(/[-:T]/g, '').replace(/Z$/, '')}Z`
  const efDict = ctx.obj({ Type: 'EmbeddedFile', Subtype: 'application/json', Filter: 'FlateDecode', Params: { Size: json.length } }) as PDFDict
  ;(efDict.get(PDFName.of('Params')) as PDFDict).set(PDFName.of('ModDate'), PDFString.of(stamp))
  objects.push({ ref: fileRef, object: PDFRawStream.of(efDict, deflate(json)), kind: 'embedded-file' })
  const specRef = alloc()
  const spec = ctx.obj({ Type: 'Filespec', AFRelationship: 'Supplement', EF: { F: fileRef, UF: fileRef }, [LABEL_KEY]: true }) as PDFDict
  spec.set(PDFName.of('F'), textString(LABEL_FILE_NAME))
  spec.set(PDFName.of('UF'), textString(LABEL_FILE_NAME))
  spec.set(PDFName.of('Desc'), textString('Tanba AI-disclosure label (signed JSON)'))
  objects.push({ ref: specRef, object: spec })

  // The EmbeddedFiles name tree, rebuilt flat and sorted, without any earlier Tanba label.
  const entries = embeddedFiles(file).filter(([name, v]) => name !== LABEL_FILE_NAME && !isLabelSpec(file, v))
  entries.push([LABEL_FILE_NAME, specRef])
  entries.sort(([a], [b]) => compareKeys(a, b))
  const treeRef = alloc()
  const tree = PDFDict.withContext(ctx)
  const pairs = PDFArray.withContext(ctx)
  for (const [name, v] of entries) {
    pairs.push(textString(name))
    pairs.push(v)
  }
  tree.set(PDFName.of('Names'), pairs)
  objects.push({ ref: treeRef, object: tree })

  const names = PDFDict.withContext(ctx)
  const oldNames = file.lookupDict(file.catalog, 'Names')
  if (oldNames) for (const [k, v] of oldNames.entries()) names.set(k, v)
  names.set(PDFName.of('EmbeddedFiles'), treeRef)

  const catalog = PDFDict.withContext(ctx)
  for (const [k, v] of file.catalog.entries()) catalog.set(k, v)
  catalog.set(PDFName.of('Metadata'), xmpRef)
  catalog.set(PDFName.of('Names'), names)
  const af = PDFArray.withContext(ctx)
  for (const v of file.lookupArray(file.catalog, 'AF')?.asArray() ?? []) if (!isLabelSpec(file, v)) af.push(v)
  af.push(specRef)
  catalog.set(PDFName.of('AF'), af)
  // XMP metadata streams are PDF 1.4; a catalog /Version raises an older header without rewriting it.
  const declared = file.lookup(file.catalog, 'Version')
  const version = Math.max(Number(file.version), declared instanceof PDFName ? Number(declared.decodeText()) || 0 : 0)
  if (version < 1.4) catalog.set(PDFName.of('Version'), PDFName.of('1.4'))
  objects.push({ ref: file.rootRef, object: catalog })
  return { objects, info: infoRef, size: next }
}

function isLabelSpec(file: PdfFile, v: PDFObject): boolean {
  try {
    const d = file.resolve(v)
    if (!(d instanceof PDFDict)) return false
    return d.get(PDFName.of(LABEL_KEY)) !== undefined || fileSpecName(file, d) === LABEL_FILE_NAME
  } catch {
    return false
  }
}

/** Name tree keys sort by their bytes; for the ASCII names Tanba writes, code units suffice. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** True when the catalog's /AF lists a C2PA manifest store (AFRelationship /C2PA_Manifest). */
export function hasC2paManifest(file: PdfFile): boolean {
  try {
    for (const spec of file.lookupArray(file.catalog, 'AF')?.asArray() ?? []) {
      const d = file.resolve(spec)
      if (d instanceof PDFDict && file.lookup(d, 'AFRelationship') === PDFName.of('C2PA_Manifest')) return true
    }
  } catch {
    return false
  }
  return false
}
