import { MalformedInputError, TooLargeError } from '@tanba/core'
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRef, type PDFObject } from 'pdf-lib'
import type { PdfFile } from './file.js'

/** A page leaf with the attributes it inherits from the page tree. */
export interface PageInfo {
  index: number
  ref: PDFRef
  dict: PDFDict
  mediaBox: Box
  cropBox: Box
  /** The visible region: the crop box clipped to the media box. */
  box: Box
  /** Clockwise display rotation: 0, 90, 180 or 270. */
  rotate: 0 | 90 | 180 | 270
  /** The resources the page uses (its own or inherited), resolved. */
  resources: PDFDict | undefined
  /** Size of a user-space unit in points (/UserUnit, PDF 1.6; 1 when absent). */
  userUnit: number
}

export type Box = [number, number, number, number]

const INHERITED = ['Resources', 'MediaBox', 'CropBox', 'Rotate'] as const

/** Walks the page tree in order, bounded by the limits and safe against cycles. */
export function listPages(file: PdfFile): PageInfo[] {
  const pagesRef = file.catalog.get(PDFName.of('Pages'))
  const out: PageInfo[] = []
  const seen = new Set<number>()
  const walk = (node: PDFObject | undefined, inherited: Partial<Record<(typeof INHERITED)[number], PDFObject>>, depth: number) => {
    if (depth > file.limits.maxDepth) throw new TooLargeError(`The PDF page tree is nested more than ${file.limits.maxDepth} deep`)
    if (!(node instanceof PDFRef)) throw new MalformedInputError('Expected page tree nodes to be indirect references')
    if (seen.has(node.objectNumber)) throw new MalformedInputError(`The PDF page tree refers to object ${node.objectNumber} twice`)
    seen.add(node.objectNumber)
    if (seen.size > file.limits.maxChunks) throw new TooLargeError(`The PDF has more than ${file.limits.maxChunks} pages`)
    const dict = file.resolve(node)
    if (!(dict instanceof PDFDict)) throw new MalformedInputError(`Page tree node ${node.objectNumber} is not a dictionary`)
    const here = { ...inherited }
    for (const key of INHERITED) {
      const v = dict.get(PDFName.of(key))
      if (v !== undefined) here[key] = v
    }
    const kids = file.lookup(dict, 'Kids')
    const type = file.lookup(dict, 'Type')
    if (kids instanceof PDFArray && type !== PDFName.of('Page')) {
      for (const kid of kids.asArray()) walk(kid, here, depth + 1)
      return
    }
    const mediaBox = boxOf(file, here.MediaBox) ?? [0, 0, 612, 792]
    const cropBox = boxOf(file, here.CropBox) ?? mediaBox
    const box: Box = [Math.max(mediaBox[0], cropBox[0]), Math.max(mediaBox[1], cropBox[1]), Math.min(mediaBox[2], cropBox[2]), Math.min(mediaBox[3], cropBox[3])]
    const visible: Box = box[2] - box[0] > 0 && box[3] - box[1] > 0 ? box : mediaBox
    const rot = file.resolve(here.Rotate)
    const r = rot instanceof PDFNumber ? ((Math.round(rot.asNumber() / 90) * 90) % 360 + 360) % 360 : 0
    const res = file.resolve(here.Resources)
    const unit = file.lookup(dict, 'UserUnit')
    out.push({
      index: out.length,
      ref: node,
      dict,
      mediaBox,
      cropBox,
      box: visible,
      rotate: r as PageInfo['rotate'],
      resources: res instanceof PDFDict ? res : undefined,
      userUnit: unit instanceof PDFNumber && unit.asNumber() > 0 ? unit.asNumber() : 1,
    })
  }
  walk(pagesRef, {}, 0)
  return out
}

export function boxOf(file: PdfFile, obj: PDFObject | undefined): Box | undefined {
  const arr = file.resolve(obj)
  if (!(arr instanceof PDFArray) || arr.size() < 4) return undefined
  const n = arr.asArray().slice(0, 4).map((x) => file.resolve(x))
  if (!n.every((x) => x instanceof PDFNumber)) return undefined
  const [a, b, c, d] = n.map((x) => (x as PDFNumber).asNumber()) as Box
  const box: Box = [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)]
  return box[2] > box[0] && box[3] > box[1] ? box : undefined
}

/** The page's content stream references, in order (Contents may be a stream or an array). */
export function contentRefs(file: PdfFile, page: PDFDict): PDFObject[] {
  const c = page.get(PDFName.of('Contents'))
  if (c === undefined) return []
  if (c instanceof PDFArray) return c.asArray()
  if (c instanceof PDFRef) {
    const target = file.resolve(c)
    if (target instanceof PDFArray) return target.asArray()
    return [c]
  }
  return [c]
}

/** Display-space (upright as shown) → user-space matrix for a page. */
export function displayMatrix(page: Pick<PageInfo, 'box' | 'rotate'>): [number, number, number, number, number, number] {
  const [x0, y0, x1, y1] = page.box
  switch (page.rotate) {
    case 90:
      return [0, 1, -1, 0, x1, y0]
    case 180:
      return [-1, 0, 0, -1, x1, y1]
    case 270:
      return [0, -1, 1, 0, x0, y1]
    default:
      return [1, 0, 0, 1, x0, y0]
  }
}

/** The page size as displayed (after rotation). */
export function displaySize(page: Pick<PageInfo, 'box' | 'rotate'>): [number, number] {
  const w = page.box[2] - page.box[0]
  const h = page.box[3] - page.box[1]
  return page.rotate === 90 || page.rotate === 270 ? [h, w] : [w, h]
}
