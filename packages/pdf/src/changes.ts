import { concatBytes, indexOfBytes, InvalidLabelError, isTanbaError, sha256Base64Url, TooLargeError, utf8, type LabelBinding } from '@tanba/core'
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFObject } from 'pdf-lib'
import type { PdfFile, XrefSection } from './syntax/file.js'
import { latin1, Lexer } from './syntax/lexer.js'

/** The binding method: SHA-256 over the bytes of the revision that holds the visible notice. */
export const BINDING_METHOD = 'tanba.pdf.revision/1'

export interface UpdateAnalysis {
  /** Cross-reference sections appended after the bound revision, oldest first. */
  later: XrefSection[]
  /** Objects a viewer uses (page tree, or bound catalog entries) that later updates changed or defined. */
  touched: number[]
  /** The catalog now points at a different page tree. */
  pagesReplaced: boolean
  /** Catalog entries that change what is rendered, printed, run or shown first, changed later. */
  catalogChanged: string[]
  /** Other objects changed or added later (catalog, metadata, new objects). */
  other: number[]
}

/**
 * Catalog entries a viewer does not use to render, print, run or pick what it shows first. Every
 * other entry is bound (deny by default); /Pages, /Names, /AcroForm and /Outlines have rules of their own.
 * Tanba's own metadata revision changes /Metadata, /AF, /Names /EmbeddedFiles and /Version.
 */
const FREE_CATALOG_KEYS = new Set(['Type', 'Metadata', 'AF', 'Version', 'Extensions', 'PageLabels', 'Lang', 'MarkInfo', 'StructTreeRoot', 'Perms', 'Legal', 'SpiderInfo', 'Threads', 'PieceInfo', 'PageMode', 'PageLayout', 'DSS'])
const SPECIAL_CATALOG_KEYS = new Set(['Pages', 'Names', 'AcroForm', 'Outlines'])
/** Name trees that do not change what is rendered or run (attachments are listed, not opened). */
const FREE_NAME_TREES = new Set(['EmbeddedFiles'])
/** AcroForm entries a signing tool changes: new signature fields, and the flags saying the file is signed. */
const FREE_ACROFORM_KEYS = new Set(['Fields', 'SigFlags'])
/** AcroForm /DR may gain resources (pdfsig adds /ZaDb); the ones it had stay bound, name by name. */
const ACROFORM_DR = 'DR'
/** AcroForm entries that draw or run something even without fields of their own (XFA forms, regenerated appearances, calculations). */
const ACROFORM_DRAWING_KEYS = new Set(['XFA', 'NeedAppearances', 'CO'])

/**
 * Classifies what was appended after `extent`: every object a later update defines, frees
 * or (for broken updates) merely writes, checked against what a viewer uses at `extent`: the
 * closure of the page tree and of the bound catalog entries, including references that were
 * dangling then (a later definition gives them content). Catalog entries are compared one by one.
 */
export function analyseUpdates(file: PdfFile, extent: number): UpdateAnalysis {
  const later = file.sections.filter((s) => s.offset >= extent).sort((a, b) => a.offset - b.offset)
  const before = file.at(extent)
  const rootBefore = before.rootRef
  const pagesBefore = before.catalog.get(PDFName.of('Pages'))
  const pagesNow = file.catalog.get(PDFName.of('Pages'))
  const pagesReplaced = !(pagesBefore instanceof PDFRef && pagesNow instanceof PDFRef && pagesBefore === pagesNow)
  const catalogChanged = catalogChanges(before, file)
  const closure = pagesBefore instanceof PDFRef ? pageClosure(before, pagesBefore, rootBefore.objectNumber) : new Set<number>()
  const bound = boundCatalogClosure(before, rootBefore.objectNumber)
  const changed = new Set<number>()
  for (const s of later) for (const n of s.entries.keys()) changed.add(n)
  const written = objectsWritten(file, extent)
  for (const n of written.parsed) changed.add(n)
  // A header inside stream data (an attached file's bytes) is not an object, except to a viewer that
  // rebuilds the cross-reference table by scanning: poppler does so when it meets a reference to an
  // object that is not defined, and then takes such a header as that object. So it counts when its
  // number is undefined now, or when the labelled document already referred to undefined objects.
  const defined = (n: number) => file.xref.get(n)?.type === 1 || file.xref.get(n)?.type === 2
  const rebuilds = [...closure, ...bound].some((n) => !before.xref.has(n) || before.xref.get(n)!.type === 0)
  for (const n of written.scanned) if (rebuilds || !defined(n)) changed.add(n)
  if (!changed.size) return { later, touched: [], pagesReplaced, catalogChanged, other: [] }
  const candidates = [...changed].filter((n) => n !== rootBefore.objectNumber && n !== 0)
  let touched = candidates.filter((n) => closure.has(n) || bound.has(n)).sort((a, b) => a - b)
  // Signing after labelling adds an invisible signature widget to a page's /Annots; allow exactly that.
  if (touched.length) touched = touched.filter((n) => bound.has(n) || !onlyAddsInvisibleSignatureWidgets(before, file, n, closure))
  const other = [...changed].filter((n) => n !== 0 && !touched.includes(n)).sort((a, b) => a - b)
  return { later, touched, pagesReplaced, catalogChanged, other }
}

/**
 * The objects written after `extent`: `parsed`, the numbers of the top-level objects, read object by
 * object (stream data skipped by its /Length); and `scanned`, every "n g obj" header in those bytes,
 * inside stream data too. Where an object does not parse, or the file needed repair (viewers then
 * scan for headers as Tanba does), everything from there on counts as parsed.
 */
function objectsWritten(file: PdfFile, extent: number): { parsed: Set<number>; scanned: Set<number> } {
  const parsed = new Set<number>()
  const scanned = new Set<number>()
  const bytes = file.bytes
  const header = /(?:^|[\s>\]])(\d{1,10})[ \t\r\n\f\0]+\d{1,5}[ \t\r\n\f\0]+obj(?![A-Za-z0-9])/g
  const scan = (from: number, into: Set<number>) => {
    const tail = latin1(bytes.subarray(from))
    for (const m of tail.matchAll(header)) into.add(Number(m[1]))
  }
  scan(extent, scanned)
  if (file.repaired) {
    scan(extent, parsed)
    return { parsed, scanned }
  }
  const resolveLength = (ref: PDFRef) => {
    try {
      const v = file.get(ref.objectNumber)
      return v instanceof PDFNumber ? v.asNumber() : undefined
    } catch {
      return undefined
    }
  }
  const lex = new Lexer(bytes, extent, { context: file.context, maxDepth: file.limits.maxDepth, resolveLength })
  let count = 0
  while (lex.pos < bytes.length) {
    lex.skipWhite()
    if (lex.pos >= bytes.length) break
    if (++count > file.limits.maxChunks * 10) throw new TooLargeError(`The updates after labelling hold more than ${file.limits.maxChunks * 10} objects`)
    const at = lex.pos
    try {
      if (lex.matchKeyword('xref')) {
        const t = indexOfBytes(bytes, TRAILER, lex.pos)
        if (t < 0) throw new Error('no trailer')
        lex.pos = t + TRAILER.length
        lex.parseObject()
        continue
      }
      if (lex.matchKeyword('startxref')) {
        lex.readNumber()
        continue
      }
      const num = lex.readNumber()
      lex.readNumber()
      if (!lex.matchKeyword('obj')) throw new Error('not an object')
      parsed.add(num)
      lex.parseObject()
      lex.matchKeyword('endobj')
      if (lex.pos <= at) throw new Error('no progress')
    } catch (error) {
      if (isTanbaError(error) && error.code === 'TANBA_TOO_LARGE') throw error
      scan(at, parsed)
      break
    }
  }
  return { parsed, scanned }
}

const TRAILER = utf8('trailer')

/**
 * Which bound catalog entries differ between the catalog at the extent and now (either may be a
 * different object). Values are compared as written; objects they refer to are checked through
 * `boundCatalogClosure`.
 */
function catalogChanges(before: PdfFile, now: PdfFile): string[] {
  const a = before.catalog
  const b = now.catalog
  const out: string[] = []
  for (const key of keysOf(a, b)) {
    if (FREE_CATALOG_KEYS.has(key) || SPECIAL_CATALOG_KEYS.has(key)) continue
    if (written(a.get(PDFName.of(key))) !== written(b.get(PDFName.of(key)))) out.push(key)
  }
  const namesA = before.lookupDict(a, 'Names')
  const namesB = now.lookupDict(b, 'Names')
  for (const key of keysOf(namesA, namesB)) {
    if (FREE_NAME_TREES.has(key)) continue
    if (written(namesA?.get(PDFName.of(key))) !== written(namesB?.get(PDFName.of(key)))) out.push(`Names/${key}`)
  }
  const formA = before.lookupDict(a, 'AcroForm')
  const formB = now.lookupDict(b, 'AcroForm')
  const drA = before.lookupDict(formA, ACROFORM_DR)
  const drB = now.lookupDict(formB, ACROFORM_DR)
  for (const [cat, resA] of drEntries(before, drA)) {
    const resB = new Map(drEntries(now, drB)).get(cat)
    for (const [name, v] of resA) if (written(v) !== written(resB?.get(name))) out.push(`AcroForm/DR/${cat}/${name}`)
  }
  for (const key of keysOf(formA, formB)) {
    if (FREE_ACROFORM_KEYS.has(key) || key === ACROFORM_DR) continue
    // A form added after labelling has only signature fields (checked below): its defaults (/DA, /Q) style nothing shown.
    if (!formA && !ACROFORM_DRAWING_KEYS.has(key)) continue
    if (written(formA?.get(PDFName.of(key))) !== written(formB?.get(PDFName.of(key)))) out.push(`AcroForm/${key}`)
  }
  if (!onlyAddsSignatureFields(before, now, formA, formB)) out.push('AcroForm/Fields')
  // Bookmarks may be edited freely, but one that runs something (JavaScript, launch, a form submission) is bound.
  if (outlineActions(before).join('\n') !== outlineActions(now).join('\n')) out.push('Outlines (actions)')
  return out
}

/** Every object reachable from the bound catalog entries (values of /Names and /AcroForm entries too). */
function boundCatalogClosure(file: PdfFile, root: number): Set<number> {
  const cat = file.catalog
  const starts: PDFObject[] = []
  for (const [k, v] of cat.entries()) {
    const key = k.decodeText()
    if (!FREE_CATALOG_KEYS.has(key) && !SPECIAL_CATALOG_KEYS.has(key)) starts.push(v)
  }
  const names = file.lookupDict(cat, 'Names')
  if (names) for (const [k, v] of names.entries()) if (!FREE_NAME_TREES.has(k.decodeText())) starts.push(v)
  const form = file.lookupDict(cat, 'AcroForm')
  if (form) for (const [k, v] of form.entries()) if (!FREE_ACROFORM_KEYS.has(k.decodeText()) && k.decodeText() !== ACROFORM_DR) starts.push(v)
  for (const [, res] of drEntries(file, file.lookupDict(form, ACROFORM_DR))) starts.push(...res.values())
  return closureOf(file, starts, root)
}

/** True when the AcroForm /Fields array is unchanged or only gained signature fields. */
function onlyAddsSignatureFields(before: PdfFile, now: PdfFile, a: PDFDict | undefined, b: PDFDict | undefined): boolean {
  const fa = before.resolve(a?.get(PDFName.of('Fields')))
  const fb = now.resolve(b?.get(PDFName.of('Fields')))
  const la = fa instanceof PDFArray ? fa.asArray() : []
  const lb = fb instanceof PDFArray ? fb.asArray() : []
  if (lb.length < la.length || !la.every((x, i) => written(x) === written(lb[i]))) return false
  return lb.slice(la.length).every((ref) => {
    const field = now.resolve(ref)
    return field instanceof PDFDict && now.lookup(field, 'FT') === PDFName.of('Sig')
  })
}

/** The actions of the outline tree other than "go to a page of this document", as written. */
function outlineActions(file: PdfFile): string[] {
  const outlines = file.lookupDict(file.catalog, 'Outlines')
  if (!outlines) return []
  const out: string[] = []
  const seen = new Set<PDFDict>()
  const visit = (item: PDFDict | undefined, depth: number) => {
    if (!item || seen.has(item) || depth > file.limits.maxDepth) return
    if (seen.size >= file.limits.maxChunks) throw new TooLargeError(`The PDF outline has more than ${file.limits.maxChunks} items`)
    seen.add(item)
    for (let action = file.lookupDict(item, 'A'), i = 0; action && i < 32; action = file.lookupDict(action, 'Next'), i++) {
      if (file.lookup(action, 'S') !== PDFName.of('GoTo')) out.push(deepWritten(file, action, 0))
    }
    visit(file.lookupDict(item, 'First'), depth + 1)
    for (let next = file.lookupDict(item, 'Next'), i = 0; next && i < file.limits.maxChunks; next = file.lookupDict(next, 'Next'), i++) visit(next, depth + 1)
  }
  visit(outlines, 0)
  return out.sort()
}

/** AcroForm default resources by category, each a map from resource name to its value as written. */
function drEntries(file: PdfFile, dr: PDFDict | undefined): [string, Map<string, PDFObject>][] {
  if (!dr) return []
  return [...dr.entries()].map(([cat, v]) => {
    const d = file.resolve(v)
    const m = new Map<string, PDFObject>()
    if (d instanceof PDFDict) for (const [name, x] of d.entries()) m.set(name.decodeText(), x)
    else m.set('', v) // not a dictionary of resources: the value itself is bound
    return [cat.decodeText(), m] as [string, Map<string, PDFObject>]
  })
}

function keysOf(a: PDFDict | undefined, b: PDFDict | undefined): Set<string> {
  return new Set([...(a?.entries() ?? []), ...(b?.entries() ?? [])].map(([k]) => k.decodeText()))
}

/** An object as written (references as "n g R"), for comparing two versions of an entry. */
function written(o: PDFObject | undefined): string {
  return o === undefined ? '' : String(o)
}

/** An object with its references followed (bounded), for comparing actions across revisions. */
function deepWritten(file: PdfFile, o: PDFObject | undefined, depth: number): string {
  const v = file.resolve(o)
  if (v === undefined) return 'null'
  if (depth > 6) return '…'
  if (v instanceof PDFArray) return `[${v.asArray().map((x) => deepWritten(file, x, depth + 1)).join(' ')}]`
  if (v instanceof PDFRawStream) return `stream:${v.contents.length}:${deepWritten(file, v.dict, depth + 1)}`
  if (v instanceof PDFDict) {
    return `<<${[...v.entries()].filter(([k]) => k.decodeText() !== 'Next' && k.decodeText() !== 'Parent').map(([k, x]) => `${String(k)} ${deepWritten(file, x, depth + 1)}`).sort().join(' ')}>>`
  }
  return String(v)
}

/**
 * True when object `num` (a page, or a page's indirect /Annots array) changed only by
 * gaining signature-field widgets with an empty /Rect: what PDF signing tools add, and
 * nothing a reader can see.
 */
function onlyAddsInvisibleSignatureWidgets(before: PdfFile, after: PdfFile, num: number, closure: Set<number>): boolean {
  try {
    const a = before.get(num)
    const b = after.get(num)
    const annotsOf = (file: PdfFile, o: PDFObject | undefined): PDFObject[] | undefined => {
      if (o instanceof PDFArray) return o.asArray()
      if (o instanceof PDFDict) {
        const v = file.resolve(o.get(PDFName.of('Annots')))
        return v === undefined ? [] : v instanceof PDFArray ? v.asArray() : undefined
      }
      return undefined
    }
    if (a instanceof PDFDict && b instanceof PDFDict) {
      if (a.get(PDFName.of('Type')) !== PDFName.of('Page')) return false
      const keys = new Set([...a.entries(), ...b.entries()].map(([k]) => k))
      for (const k of keys) {
        if (k === PDFName.of('Annots')) continue
        if (String(a.get(k)) !== String(b.get(k))) return false
      }
    } else if (!(a instanceof PDFArray && b instanceof PDFArray)) return false
    const oldAnnots = annotsOf(before, a)
    const newAnnots = annotsOf(after, b)
    if (!oldAnnots || !newAnnots || newAnnots.length <= oldAnnots.length) return false
    if (!oldAnnots.every((x, i) => String(x) === String(newAnnots[i]))) return false
    // New widgets must be objects the labelled pages did not use (new, or free numbers reused).
    return newAnnots.slice(oldAnnots.length).every((ref) => ref instanceof PDFRef && !closure.has(ref.objectNumber) && isInvisibleSignatureWidget(after, ref))
  } catch {
    return false
  }
}

function isInvisibleSignatureWidget(file: PdfFile, ref: PDFRef): boolean {
  const w = file.resolve(ref)
  if (!(w instanceof PDFDict) || w.get(PDFName.of('Subtype')) !== PDFName.of('Widget')) return false
  const ft = file.lookup(w, 'FT') ?? file.lookup(file.lookupDict(w, 'Parent'), 'FT')
  if (ft !== PDFName.of('Sig')) return false
  const rect = file.lookupArray(w, 'Rect')?.asArray().map((x) => Number(String(file.resolve(x))))
  if (!rect || rect.length !== 4 || rect.some((x) => !Number.isFinite(x))) return false
  return rect[0] === rect[2] || rect[1] === rect[3]
}

/** Every object reachable from the page tree (bounded by the limits). */
export function pageClosure(file: PdfFile, pages: PDFRef, exclude: number): Set<number> {
  return closureOf(file, [pages], exclude)
}

/** Every object reachable from `starts`, including numbers referred to but not defined (bounded by the limits). */
function closureOf(file: PdfFile, starts: PDFObject[], exclude: number): Set<number> {
  const seen = new Set<number>()
  const queue: number[] = []
  const visit = (o: PDFObject | undefined, depth: number) => {
    if (o === undefined || depth > file.limits.maxDepth) return
    if (o instanceof PDFRef) {
      const n = o.objectNumber
      if (n !== exclude && !seen.has(n)) {
        if (seen.size >= file.limits.maxChunks) throw new TooLargeError(`The PDF page tree reaches more than ${file.limits.maxChunks} objects`)
        seen.add(n)
        queue.push(n)
      }
    } else if (o instanceof PDFArray) for (const x of o.asArray()) visit(x, depth + 1)
    else if (o instanceof PDFDict) for (const [, v] of o.entries()) visit(v, depth + 1)
    else if (o instanceof PDFRawStream) visit(o.dict, depth + 1)
  }
  for (const s of starts) visit(s, 0)
  while (queue.length) {
    const n = queue.pop()!
    let obj: PDFObject | undefined
    try {
      obj = file.get(n)
    } catch {
      continue // an unreadable object still counts as part of the tree (it is in `seen`)
    }
    visit(obj, 0)
  }
  return seen
}

/**
 * The essence digest: SHA-256 over the bytes [0, extent) — the original document plus the
 * notice revision, like a signature's /ByteRange — extended with the numbers of any page-tree
 * objects that later updates changed, so such an update no longer matches the label.
 */
export async function revisionDigest(file: PdfFile, binding: Pick<LabelBinding, 'method' | 'extent'>): Promise<string> {
  if (binding.method !== BINDING_METHOD) throw new InvalidLabelError(`Expected binding method ${BINDING_METHOD} for a PDF but the label has ${binding.method}`)
  const extent = binding.extent
  if (extent === undefined || !Number.isInteger(extent) || extent <= 0 || extent > file.bytes.length) {
    throw new InvalidLabelError(`The label's PDF revision length (${String(extent)}) does not fit this file of ${file.bytes.length} bytes`)
  }
  const prefix = file.bytes.subarray(0, extent)
  const analysis = analyseUpdates(file, extent)
  if (!analysis.touched.length && !analysis.pagesReplaced && !analysis.catalogChanged.length) return sha256Base64Url(prefix)
  const note = `\n%tanba-changed-after-labelling ${analysis.pagesReplaced ? 'pages-replaced ' : ''}${analysis.catalogChanged.join(' ')} ${analysis.touched.join(' ')}\n`
  return sha256Base64Url(concatBytes(prefix, utf8(note)))
}
