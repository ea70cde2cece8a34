import { concatBytes, InvalidLabelError, sha256Base64Url, TooLargeError, utf8, type LabelBinding } from '@tanba/core'
import { PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, type PDFObject } from 'pdf-lib'
import type { PdfFile, XrefSection } from './syntax/file.js'
import { latin1 } from './syntax/lexer.js'

/** The binding method: SHA-256 over the bytes of the revision that holds the visible notice. */
export const BINDING_METHOD = 'tanba.pdf.revision/1'

export interface UpdateAnalysis {
  /** Cross-reference sections appended after the bound revision, oldest first. */
  later: XrefSection[]
  /** Objects of the bound revision's page tree (pages, contents, resources, annotations) changed later. */
  touched: number[]
  /** The catalog now points at a different page tree. */
  pagesReplaced: boolean
  /** Other objects changed or added later (catalog, metadata, new objects). */
  other: number[]
}

/**
 * Classifies what was appended after `extent`: every object a later update defines, frees
 * or (for broken updates) merely writes, checked against the closure of the page tree as
 * it was at `extent`. The catalog itself counts only through its /Pages entry.
 */
export function analyseUpdates(file: PdfFile, extent: number): UpdateAnalysis {
  const later = file.sections.filter((s) => s.offset >= extent).sort((a, b) => a.offset - b.offset)
  const changed = new Set<number>()
  for (const s of later) for (const n of s.entries.keys()) changed.add(n)
  // Objects written after the extent without an xref entry still count: some readers find them by scanning.
  const tail = latin1(file.bytes.subarray(extent))
  for (const m of tail.matchAll(/(?:^|[\s>\]])(\d{1,10})[ \t\r\n\f\0]+\d{1,5}[ \t\r\n\f\0]+obj(?![A-Za-z0-9])/g)) changed.add(Number(m[1]))
  if (!changed.size) return { later, touched: [], pagesReplaced: false, other: [] }
  const before = file.at(extent)
  const rootBefore = before.rootRef
  const pagesBefore = before.catalog.get(PDFName.of('Pages'))
  const pagesNow = file.catalog.get(PDFName.of('Pages'))
  const pagesReplaced = !(pagesBefore instanceof PDFRef && pagesNow instanceof PDFRef && pagesBefore === pagesNow)
  const sizeBefore = before.size
  const candidates = [...changed].filter((n) => n < sizeBefore && n !== rootBefore.objectNumber && n !== 0)
  let touched: number[] = []
  if (candidates.length && pagesBefore instanceof PDFRef) {
    const closure = pageClosure(before, pagesBefore, rootBefore.objectNumber)
    touched = candidates.filter((n) => closure.has(n)).sort((a, b) => a - b)
    // Signing after labelling adds an invisible signature widget to a page's /Annots; allow exactly that.
    if (touched.length) touched = touched.filter((n) => !onlyAddsInvisibleSignatureWidgets(before, file, n, closure))
  }
  const other = [...changed].filter((n) => n !== 0 && !touched.includes(n)).sort((a, b) => a - b)
  return { later, touched, pagesReplaced, other }
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
  const seen = new Set<number>([pages.objectNumber])
  const queue: number[] = [pages.objectNumber]
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
  if (!analysis.touched.length && !analysis.pagesReplaced) return sha256Base64Url(prefix)
  const note = `\n%tanba-changed-after-labelling ${analysis.pagesReplaced ? 'pages-replaced ' : ''}${analysis.touched.join(' ')}\n`
  return sha256Base64Url(concatBytes(prefix, utf8(note)))
}
